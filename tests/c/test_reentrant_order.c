/*
 * Delivery order on one thread when callbacks change the tracker (nt_event_callback):
 * a call made from inside a callback of the same tracker delivers nothing itself; its events
 * and log lines are queued behind those still to be delivered, and the outermost call
 * delivers everything before it returns. So a thread sees the events in `seq` order, and a
 * consumer that keeps "active = last event was a JOIN" agrees with the tracker.
 *
 * The first test is ../shared/repro/reentrant_event_order.c (issue 13, item 1): with 0.2.0
 * the stream read LEAVE A, LEAVE B, JOIN B while B was not active.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nick_tracker.h>

#include "check.h"

enum { MAX_EVENTS = 4096, NICKS = 6 };

static const char *const NAMES[NICKS] = {"A", "B", "C", "D", "E", "F"};

/* ---- Fixture: a tracker whose callbacks record what they get and may re-enter it --------- */

struct stream {
    nt_tracker *tracker;
    size_t count;
    struct {
        nt_event_kind kind;
        char nick[8];
        uint64_t seq;
    } events[MAX_EVENTS];
    char log[16][160]; /* log lines, with the seq of the latest event before them */
    size_t log_count;
    /* What the callback does to the tracker, if anything, for the event just recorded. */
    void (*react)(struct stream *stream, const nt_event *event);
    uint32_t random_state;
    int nested_calls;
};

static void record(void *user_data, const nt_event *event) {
    struct stream *s = (struct stream *)user_data;
    if (CHECK(s->count < MAX_EVENTS) && CHECK(strlen(event->nick) < sizeof s->events[0].nick)) {
        s->events[s->count].kind = event->kind;
        strcpy(s->events[s->count].nick, event->nick);
        s->events[s->count].seq = event->seq;
    }
    s->count++;
    if (s->react)
        s->react(s, event);
}

static void record_log(void *user_data, nt_log_level level, const char *message) {
    struct stream *s = (struct stream *)user_data;
    if (CHECK(s->log_count < LENGTH(s->log)))
        snprintf(s->log[s->log_count], sizeof s->log[0], "%u after #%zu: %s", (unsigned)level,
                 s->count, message);
    s->log_count++;
}

static struct stream *open_stream(uint32_t log_level) {
    struct stream *s = (struct stream *)calloc(1, sizeof *s);
    nt_options options;
    if (s == NULL || nt_options_init(&options, NT_OPTIONS_VERSION) != NT_STATUS_OK)
        exit(EXIT_FAILURE);
    options.on_event = record;
    options.event_user_data = s;
    options.on_log = record_log;
    options.log_user_data = s;
    options.log_level = log_level;
    if (nt_new_with_options(&options, &s->tracker) != NT_STATUS_OK)
        exit(EXIT_FAILURE);
    return s;
}

static void close_stream(struct stream *s) {
    nt_free(s->tracker);
    free(s);
}

/* Applies the stream in the order received: per nick, the latest event says whether it is
 * active. Checks that it agrees with the tracker for every nick, that the seqs came in order
 * 1, 2, 3... and that they count every event the tracker made. */
static void check_consumer_agrees(struct stream *s, const char *file, int line) {
    nt_stats stats;
    CHECK_OK(nt_get_stats(s->tracker, &stats));
    bool ok = s->count == stats.joins + stats.leaves;
    for (size_t i = 0; i < s->count && i < MAX_EVENTS; i++)
        ok = ok && s->events[i].seq == i + 1;
    for (size_t n = 0; n < NICKS; n++) {
        bool by_events = false, active = true;
        for (size_t i = 0; i < s->count && i < MAX_EVENTS; i++)
            if (strcmp(s->events[i].nick, NAMES[n]) == 0)
                by_events = s->events[i].kind == NT_EVENT_KIND_JOIN;
        CHECK_OK(nt_is_active(s->tracker, NAMES[n], &active));
        ok = ok && by_events == active;
    }
    if (!check_report(ok, file, line, "the event stream agrees with the tracker")) {
        fprintf(stderr, "    %llu joins + %llu leaves; stream:", (unsigned long long)stats.joins,
                (unsigned long long)stats.leaves);
        for (size_t i = 0; i < s->count && i < MAX_EVENTS && i < 40; i++)
            fprintf(stderr, " %s%s#%llu", s->events[i].kind == NT_EVENT_KIND_JOIN ? "+" : "-",
                    s->events[i].nick, (unsigned long long)s->events[i].seq);
        fprintf(stderr, "\n");
    }
}

#define CHECK_CONSUMER_AGREES(s) check_consumer_agrees((s), __FILE__, __LINE__)

/* CHECK_STREAM(s, "+A#1", "-A#2"): exactly these events so far. */
static void check_stream(struct stream *s, const char *const *expected, size_t count,
                         const char *file, int line) {
    char got[64][24];
    bool same = s->count == count;
    for (size_t i = 0; i < s->count && i < LENGTH(got); i++) {
        snprintf(got[i], sizeof got[i], "%s%s#%llu",
                 s->events[i].kind == NT_EVENT_KIND_JOIN ? "+" : "-", s->events[i].nick,
                 (unsigned long long)s->events[i].seq);
        same = same && i < count && strcmp(got[i], expected[i]) == 0;
    }
    if (!check_report(same, file, line, "the stream holds the expected events")) {
        fprintf(stderr, "    got:");
        for (size_t i = 0; i < s->count && i < LENGTH(got); i++)
            fprintf(stderr, " %s", got[i]);
        fprintf(stderr, "\n");
    }
}

#define CHECK_STREAM(s, ...)                                                               \
    do {                                                                                   \
        const char *const expected_[] = {__VA_ARGS__};                                     \
        check_stream((s), expected_, LENGTH(expected_), __FILE__, __LINE__);               \
    } while (0)

/* ---- The reproducer ------------------------------------------------------------------------ */

/* A's leave makes directory 1 report B gone: B joins (outer call), then leaves (nested). */
static void leave_of_a_drops_b(struct stream *s, const nt_event *event) {
    if (event->kind != NT_EVENT_KIND_LEAVE || strcmp(event->nick, "A") != 0)
        return;
    size_t before = s->count;
    CHECK_OK(nt_mark_gone(s->tracker, "B", 1));
    CHECK_EQ(s->count, before); /* the nested call delivered nothing itself */
    bool active = true;
    CHECK_OK(nt_is_active(s->tracker, "B", &active));
    CHECK(!active); /* but its change is made, ahead of the events still to come */
}

static void a_callbacks_change_is_delivered_after_the_events_still_due(void) {
    struct stream *s = open_stream(NT_LOG_LEVEL_INFO);
    s->react = leave_of_a_drops_b;
    CHECK_OK(nt_mark_present(s->tracker, "A", 1));
    const char *const list[] = {"B"};
    CHECK_OK(nt_sync_peerlist(s->tracker, 1, list, 1)); /* LEAVE A, JOIN B; nested LEAVE B */
    CHECK_STREAM(s, "+A#1", "-A#2", "+B#3", "-B#4");
    CHECK_CONSUMER_AGREES(s);
    close_stream(s);
}

/* ---- Log lines are queued with the events they follow ------------------------------------ */

static void leave_of_a_removes_directory_2(struct stream *s, const nt_event *event) {
    if (event->kind == NT_EVENT_KIND_LEAVE && strcmp(event->nick, "A") == 0) {
        size_t logs_before = s->log_count, gone = 99;
        CHECK_OK(nt_remove_directory(s->tracker, 2, &gone));
        CHECK_EQ(gone, 1);                  /* the count is written at once */
        CHECK_EQ(s->log_count, logs_before); /* its log lines wait with its events */
    }
}

static void a_nested_calls_log_lines_follow_its_events(void) {
    struct stream *s = open_stream(NT_LOG_LEVEL_INFO);
    CHECK_OK(nt_mark_present(s->tracker, "A", 1));
    CHECK_OK(nt_mark_present(s->tracker, "B", 1));
    CHECK_OK(nt_mark_present(s->tracker, "C", 2));
    s->react = leave_of_a_removes_directory_2;
    CHECK_OK(nt_remove_directory(s->tracker, 1, NULL));
    CHECK_STREAM(s, "+A#1", "+B#2", "+C#3", "-A#4", "-B#5", "-C#6");
    const char *const expected[] = {
        "3 after #5: nick \"A\" has left all directories (last: directory 1)",
        "3 after #5: nick \"B\" has left all directories (last: directory 1)",
        "3 after #5: directory 1 removed: 2 nicks left",
        "3 after #6: nick \"C\" has left all directories (last: directory 2)",
        "3 after #6: directory 2 removed: 1 nicks left",
    };
    if (CHECK_EQ(s->log_count, LENGTH(expected)))
        for (size_t i = 0; i < LENGTH(expected); i++)
            CHECK_STR(s->log[i], expected[i]);
    CHECK_CONSUMER_AGREES(s);
    close_stream(s);
}

/* ---- nt_for_each_active_nick's visitor is a callback too --------------------------------- */

static void visit_and_drop(void *user_data, const char *nick) {
    struct stream *s = (struct stream *)user_data;
    CHECK_EQ(s->count, 3); /* no event delivered while visiting */
    CHECK_OK(nt_mark_gone(s->tracker, nick, 1));
    if (strcmp(nick, "B") == 0)
        CHECK_OK(nt_mark_present(s->tracker, "D", 1));
}

static void a_visitors_changes_are_delivered_after_the_last_visit(void) {
    struct stream *s = open_stream(NT_LOG_LEVEL_WARN);
    const char *const list[] = {"A", "B", "C"};
    CHECK_OK(nt_sync_peerlist(s->tracker, 1, list, 3));
    CHECK_OK(nt_for_each_active_nick(s->tracker, visit_and_drop, s));
    CHECK_STREAM(s, "+A#1", "+B#2", "+C#3", "-A#4", "-B#5", "+D#6", "-C#7");
    CHECK_CONSUMER_AGREES(s);
    close_stream(s);
}

/* ---- Many nested changes: the consumer still agrees --------------------------------------- */

static uint32_t next_random(struct stream *s) {
    uint32_t x = s->random_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return s->random_state = x;
}

/* One random change: a report, a peerlist, a removal or a connection change. */
static void random_change(struct stream *s) {
    uint32_t r = next_random(s);
    const char *nick = NAMES[r % NICKS];
    uint64_t directory = 1 + (r >> 8) % 3;
    switch ((r >> 4) % 8) {
    case 0:
    case 1:
    case 2:
        CHECK_OK(nt_mark_present(s->tracker, nick, directory));
        break;
    case 3:
    case 4:
        CHECK_OK(nt_mark_gone(s->tracker, nick, directory));
        break;
    case 5: {
        const char *list[NICKS];
        size_t count = 0;
        for (size_t n = 0; n < NICKS; n++)
            if ((r >> (12 + n)) & 1)
                list[count++] = NAMES[n];
        CHECK_OK(nt_sync_peerlist(s->tracker, directory, list, count));
        break;
    }
    case 6:
        CHECK_OK(nt_set_directory_connected(s->tracker, directory, (r >> 20) & 1));
        break;
    default:
        CHECK_OK(nt_remove_directory(s->tracker, directory, NULL));
    }
}

/* A third of the events make the callback change the tracker once more (a bounded number of
 * times in all, so the cascade ends). */
static void sometimes_change(struct stream *s, const nt_event *event) {
    (void)event;
    if (s->nested_calls < 2000 && next_random(s) % 3 == 0) {
        s->nested_calls++;
        size_t before = s->count;
        random_change(s);
        CHECK_EQ(s->count, before);
    }
}

static void random_reentrant_changes_keep_the_stream_consistent(void) {
    struct stream *s = open_stream(NT_LOG_LEVEL_WARN);
    s->random_state = 2463534242u;
    s->react = sometimes_change;
    for (int op = 0; op < 1500 && s->count < MAX_EVENTS - 64; op++)
        random_change(s);
    CHECK(s->nested_calls > 200);
    CHECK(s->count > 800);
    CHECK_CONSUMER_AGREES(s);
    close_stream(s);
}

/* ---- seq without re-entrance ------------------------------------------------------------ */

static void seqs_are_consecutive_and_count_every_event_delivered_or_not(void) {
    struct stream *s = open_stream(NT_LOG_LEVEL_WARN);
    const char *const list[] = {"A", "B", "C"};
    CHECK_OK(nt_sync_peerlist(s->tracker, 1, list, 3));
    CHECK_OK(nt_set_directory_connected(s->tracker, 1, false));
    CHECK_OK(nt_set_directory_connected(s->tracker, 1, true));
    CHECK_STREAM(s, "+A#1", "+B#2", "+C#3", "-A#4", "-B#5", "-C#6", "+A#7", "+B#8", "+C#9");
    CHECK_CONSUMER_AGREES(s);
    close_stream(s);

    /* A tracker without an event callback numbers its events all the same. */
    nt_tracker *t = NULL;
    CHECK_OK(nt_new(NULL, NULL, &t));
    CHECK_OK(nt_sync_peerlist(t, 1, list, 3));
    CHECK_OK(nt_remove_directory(t, 1, NULL));
    nt_stats stats;
    CHECK_OK(nt_get_stats(t, &stats));
    CHECK_EQ(stats.joins + stats.leaves, 6);
    nt_free(t);
}

int main(void) {
    static const struct test_case tests[] = {
        TEST_CASE(a_callbacks_change_is_delivered_after_the_events_still_due),
        TEST_CASE(a_nested_calls_log_lines_follow_its_events),
        TEST_CASE(a_visitors_changes_are_delivered_after_the_last_visit),
        TEST_CASE(random_reentrant_changes_keep_the_stream_consistent),
        TEST_CASE(seqs_are_consecutive_and_count_every_event_delivered_or_not),
    };
    return run_tests(tests, LENGTH(tests));
}
