/*
 * What a callback may do to the call that runs it:
 * - report that it failed (nt_report_callback_error): the outermost call of the tracker on
 *   this thread delivers everything, then returns NT_STATUS_CALLBACK_FAILED, and
 *   nt_take_callback_error() hands the error back once, if taken right after that call (the
 *   next call of the library forgets it); only the first error is kept;
 * - not free the tracker: nt_free() from inside one of the tracker's own callbacks is
 *   refused (nothing freed, an ERROR log line, the last-error message set), and the tracker
 *   stays usable. Under valgrind this also shows that nothing is read after being freed and
 *   nothing leaks.
 *
 * Errors here are heap objects, as a binding's would be (a C++ exception_ptr, a Python
 * exception): whoever ends up with one frees it, so a lost or doubled error shows as a leak
 * or a double free under valgrind and ASan.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nick_tracker.h>

#include "check.h"

/* ---- Fixture ---------------------------------------------------------------------------- */

struct fixture {
    nt_tracker *tracker;
    size_t events;
    char nicks[16][16];      /* the nicks of the events, in order */
    size_t error_logs;
    char last_error_log[256];
    /* What the event callback does, with the event just recorded. */
    void (*react)(struct fixture *f, const nt_event *event);
    nt_status reported[16]; /* what nt_report_callback_error returned, per report */
    size_t reports;
    char *static_error;
};

static void on_event(void *user_data, const nt_event *event) {
    struct fixture *f = (struct fixture *)user_data;
    if (CHECK(f->events < LENGTH(f->nicks)))
        snprintf(f->nicks[f->events], sizeof f->nicks[0], "%s", event->nick);
    f->events++;
    if (f->react)
        f->react(f, event);
}

static void on_log(void *user_data, nt_log_level level, const char *message) {
    struct fixture *f = (struct fixture *)user_data;
    if (level == NT_LOG_LEVEL_ERROR) {
        f->error_logs++;
        snprintf(f->last_error_log, sizeof f->last_error_log, "%s", message);
    }
}

static struct fixture *setup_with(size_t max_nicks) {
    struct fixture *f = (struct fixture *)calloc(1, sizeof *f);
    nt_options options;
    if (f == NULL || nt_options_init(&options, NT_OPTIONS_VERSION) != NT_STATUS_OK)
        exit(EXIT_FAILURE);
    options.on_event = on_event;
    options.event_user_data = f;
    options.on_log = on_log;
    options.log_user_data = f;
    options.log_level = NT_LOG_LEVEL_WARN;
    options.max_nicks = max_nicks;
    if (nt_new_with_options(&options, &f->tracker) != NT_STATUS_OK)
        exit(EXIT_FAILURE);
    return f;
}

static struct fixture *setup(void) { return setup_with(0); }

static void teardown(struct fixture *f) {
    nt_free(f->tracker);
    free(f);
}

/* An error as a binding would report it: a heap object named after the event. */
static size_t new_error(const char *name) {
    char *error = (char *)malloc(strlen(name) + 1);
    if (error == NULL)
        exit(EXIT_FAILURE);
    strcpy(error, name);
    return (size_t)(uintptr_t)error;
}

/* Reports an error named after the nick; frees it if it was not kept, as the header says. */
static void report(struct fixture *f, const char *name) {
    size_t error = new_error(name);
    nt_status status = nt_report_callback_error(f->tracker, error);
    if (f->reports < LENGTH(f->reported))
        f->reported[f->reports] = status;
    f->reports++;
    if (status != NT_STATUS_OK)
        free((void *)(uintptr_t)error);
}

/* Takes the error of the latest failed call; returns its name ("" if none) and frees it. */
static void take_error(char *name, size_t size) {
    size_t error = nt_take_callback_error();
    snprintf(name, size, "%s", error ? (const char *)(uintptr_t)error : "");
    free((void *)(uintptr_t)error);
}

#define CHECK_TAKEN(expected)                                                              \
    do {                                                                                   \
        char taken_[128];                                                                 \
        take_error(taken_, sizeof taken_);                                                 \
        CHECK_STR(taken_, (expected));                                                     \
    } while (0)

/* ---- Reporting errors ------------------------------------------------------------------- */

static void report_every_event(struct fixture *f, const nt_event *event) {
    report(f, event->nick);
}

static void report_static_error(struct fixture *f, const nt_event *event) {
    (void)event;
    CHECK_OK(nt_report_callback_error(f->tracker, (size_t)(uintptr_t)f->static_error));
}

static void the_first_error_is_kept_and_returned_after_everything_is_delivered(void) {
    struct fixture *f = setup();
    f->react = report_every_event;
    const char *const list[] = {"J5a", "J5b", "J5c"};
    CHECK_EQ(nt_sync_peerlist(f->tracker, 1, list, 3), NT_STATUS_CALLBACK_FAILED);
    CHECK_TAKEN("J5a");
    CHECK_TAKEN(""); /* once */
    CHECK_EQ(f->events, 3); /* all delivered */
    CHECK_EQ(f->reports, 3);
    CHECK_EQ(f->reported[0], NT_STATUS_OK);
    CHECK_EQ(f->reported[1], NT_STATUS_CALLBACK_FAILED); /* not kept: the reporter frees it */
    CHECK_EQ(f->reported[2], NT_STATUS_CALLBACK_FAILED);
    size_t active = 0;
    CHECK_OK(nt_active_nick_count(f->tracker, &active));
    CHECK_EQ(active, 3); /* the change was made */
    CHECK_STR(nt_status_str(NT_STATUS_CALLBACK_FAILED), "a callback reported an error");

    /* The next call starts afresh. */
    f->react = NULL;
    CHECK_OK(nt_mark_gone(f->tracker, "J5a", 1));
    CHECK_TAKEN("");
    teardown(f);
}

/* An error not taken right after its call is forgotten by the next call of the library on
 * the thread, so that it is never taken for another call's. (Against c3625e7 the library
 * still gave it back after a later call that failed without any callback error.) */
static void an_error_not_taken_at_once_is_forgotten_by_the_next_call(void) {
    static char error; /* static: nothing to free whoever keeps it */
    struct fixture *f = setup();
    f->react = report_static_error;
    f->static_error = &error;
    CHECK_EQ(nt_mark_present(f->tracker, "J5a", 1), NT_STATUS_CALLBACK_FAILED);
    f->react = NULL;
    CHECK_ERROR(nt_mark_present(f->tracker, "", 1), NT_STATUS_NICK_EMPTY, "empty");
    CHECK_EQ(nt_take_callback_error(), 0); /* that call had no callback error */
    f->react = report_static_error;
    CHECK_EQ(nt_mark_present(f->tracker, "J5b", 1), NT_STATUS_CALLBACK_FAILED);
    size_t count = 0;
    CHECK_OK(nt_active_nick_count(f->tracker, &count)); /* a successful call forgets it too */
    CHECK_EQ(nt_take_callback_error(), 0);
    teardown(f);
}

static void reporting_outside_a_callback_is_refused(void) {
    struct fixture *f = setup();
    CHECK_ERROR(nt_report_callback_error(f->tracker, 7), NT_STATUS_INVALID_ARGUMENT,
                "not running one of its callbacks");
    CHECK_ERROR(nt_report_callback_error(NULL, 7), NT_STATUS_NULL_ARGUMENT, "tracker");
    CHECK_EQ(nt_take_callback_error(), 0);
    teardown(f);
}

static void report_zero(struct fixture *f, const nt_event *event) {
    (void)event;
    CHECK_ERROR(nt_report_callback_error(f->tracker, 0), NT_STATUS_INVALID_ARGUMENT, "error");
}

static void zero_is_not_an_error(void) {
    struct fixture *f = setup();
    f->react = report_zero;
    CHECK_OK(nt_mark_present(f->tracker, "J5a", 1));
    CHECK_EQ(nt_take_callback_error(), 0);
    teardown(f);
}

/* The event of a nested call is delivered by the outer call: so is its error. */
static void nested_call_then_report_its_event(struct fixture *f, const nt_event *event) {
    if (strcmp(event->nick, "J5a") == 0) {
        CHECK_OK(nt_mark_present(f->tracker, "J5nested", 2)); /* delivers nothing itself */
        CHECK_EQ(nt_take_callback_error(), 0);
    } else if (strcmp(event->nick, "J5nested") == 0) {
        report(f, event->nick);
    }
}

static void an_error_from_a_nested_calls_event_goes_to_the_outermost_call(void) {
    struct fixture *f = setup();
    f->react = nested_call_then_report_its_event;
    CHECK_EQ(nt_mark_present(f->tracker, "J5a", 1), NT_STATUS_CALLBACK_FAILED);
    CHECK_EQ(f->events, 2);
    CHECK_STR(f->nicks[1], "J5nested");
    CHECK_TAKEN("J5nested");
    teardown(f);
}

/* A refusal over a limit is logged; a log callback that fails then does not hide the
 * refusal, and its error is not lost either. */
static void report_on_warn(void *user_data, nt_log_level level, const char *message) {
    struct fixture *f = (struct fixture *)user_data;
    if (level == NT_LOG_LEVEL_WARN)
        report(f, message);
}

static void a_refused_call_returns_its_refusal_and_keeps_the_callbacks_error(void) {
    struct fixture *f = (struct fixture *)calloc(1, sizeof *f);
    nt_options options;
    CHECK_OK(nt_options_init(&options, NT_OPTIONS_VERSION));
    options.max_nicks = 1;
    options.on_log = report_on_warn;
    options.log_user_data = f;
    CHECK_OK(nt_new_with_options(&options, &f->tracker));
    CHECK_OK(nt_mark_present(f->tracker, "J5a", 1));
    CHECK_ERROR(nt_mark_present(f->tracker, "J5b", 1), NT_STATUS_NICK_LIMIT, "nick limit");
    CHECK_EQ(f->reports, 1);
    CHECK_TAKEN("change refused: nick limit reached: the tracker holds 1 nicks, the limit is 1");
    teardown(f);
}

static void report_from_visitor(void *user_data, const char *nick) {
    struct fixture *f = (struct fixture *)user_data;
    report(f, nick);
}

static void a_visitor_may_report_an_error_too(void) {
    struct fixture *f = setup();
    CHECK_OK(nt_mark_present(f->tracker, "J5a", 1));
    CHECK_OK(nt_mark_present(f->tracker, "J5b", 1));
    CHECK_EQ(nt_for_each_active_nick(f->tracker, report_from_visitor, f),
             NT_STATUS_CALLBACK_FAILED);
    CHECK_EQ(f->reports, 2);
    CHECK_TAKEN("J5a");
    teardown(f);
}

/* ---- nt_free inside a callback ------------------------------------------------------------ */

static void free_in_callback(struct fixture *f, const nt_event *event) {
    (void)event;
    size_t logs_before = f->error_logs;
    nt_free(f->tracker); /* refused: this callback's tracker */
    CHECK(strstr(nt_last_error_message(), "nt_free() called from inside") != NULL);
    CHECK_EQ(f->error_logs, logs_before); /* queued: the log line comes after the events */
    bool active = false;
    CHECK_OK(nt_is_active(f->tracker, event->nick, &active)); /* still alive */
}

static void nt_free_inside_a_callback_is_refused_and_logged(void) {
    struct fixture *f = setup();
    f->react = free_in_callback;
    const char *const list[] = {"J5a", "J5b"};
    CHECK_OK(nt_sync_peerlist(f->tracker, 1, list, 2)); /* the call itself succeeds */
    CHECK_EQ(f->events, 2);
    CHECK_EQ(f->error_logs, 2);
    CHECK(strstr(f->last_error_log, "refused, nothing was freed") != NULL);
    f->react = NULL;
    CHECK_OK(nt_remove_directory(f->tracker, 1, NULL)); /* usable */
    CHECK_EQ(f->events, 4);
    teardown(f); /* freed here, once */
}

static void free_while_visiting(void *user_data, const char *nick) {
    struct fixture *f = (struct fixture *)user_data;
    (void)nick;
    nt_free(f->tracker);
    CHECK(strstr(nt_last_error_message(), "nt_free() called from inside") != NULL);
}

static void nt_free_inside_a_visitor_is_refused(void) {
    struct fixture *f = setup();
    CHECK_OK(nt_mark_present(f->tracker, "J5a", 1));
    CHECK_OK(nt_for_each_active_nick(f->tracker, free_while_visiting, f));
    CHECK_EQ(f->error_logs, 1);
    size_t count = 0;
    CHECK_OK(nt_active_nick_count(f->tracker, &count));
    CHECK_EQ(count, 1);
    teardown(f);
}

/* A leave callback (nt_new: no log callback) that frees its tracker: refused silently. */
static void free_on_leave(void *user_data, const char *nick) {
    (void)nick;
    nt_free(*(nt_tracker **)user_data);
}

static void nt_free_inside_a_leave_callback_without_a_log_is_refused_too(void) {
    nt_tracker *t = NULL;
    CHECK_OK(nt_new(free_on_leave, &t, &t));
    CHECK_OK(nt_mark_present(t, "J5a", 1));
    CHECK_OK(nt_mark_gone(t, "J5a", 1));
    CHECK(strstr(nt_last_error_message(), "nt_free() called from inside") != NULL);
    CHECK_OK(nt_mark_present(t, "J5a", 1));
    nt_free(t);
}

/* Another tracker may be freed from inside a callback: only the running one is protected. */
static nt_tracker *other;

static void free_the_other(struct fixture *f, const nt_event *event) {
    (void)f;
    (void)event;
    nt_free(other);
    other = NULL;
}

static void another_tracker_may_be_freed_inside_a_callback(void) {
    struct fixture *f = setup();
    CHECK_OK(nt_new(NULL, NULL, &other));
    CHECK_OK(nt_mark_present(other, "J5x", 1));
    f->react = free_the_other;
    CHECK_OK(nt_mark_present(f->tracker, "J5a", 1));
    CHECK(other == NULL);
    CHECK_EQ(f->error_logs, 0);
    teardown(f);
}

int main(void) {
    static const struct test_case tests[] = {
        TEST_CASE(the_first_error_is_kept_and_returned_after_everything_is_delivered),
        TEST_CASE(an_error_not_taken_at_once_is_forgotten_by_the_next_call),
        TEST_CASE(reporting_outside_a_callback_is_refused),
        TEST_CASE(zero_is_not_an_error),
        TEST_CASE(an_error_from_a_nested_calls_event_goes_to_the_outermost_call),
        TEST_CASE(a_refused_call_returns_its_refusal_and_keeps_the_callbacks_error),
        TEST_CASE(a_visitor_may_report_an_error_too),
        TEST_CASE(nt_free_inside_a_callback_is_refused_and_logged),
        TEST_CASE(nt_free_inside_a_visitor_is_refused),
        TEST_CASE(nt_free_inside_a_leave_callback_without_a_log_is_refused_too),
        TEST_CASE(another_tracker_may_be_freed_inside_a_callback),
    };
    return run_tests(tests, LENGTH(tests));
}
