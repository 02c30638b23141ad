/*
 * Library behaviour that contradicts include/nick_tracker.h, found while testing it. Each
 * test fails until the library (src/ffi) is fixed; CTest registers them DISABLED (label
 * library-bug) so that the suite passes meanwhile: run one with
 *     ctest --test-dir build -R c_library_bugs   (after removing DISABLED), or
 *     build/tests/c/nt_test_c_library_bugs
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nick_tracker.h>

#include "check.h"

static nt_tracker *tracker;
static char token; /* a static error, so that nothing leaks whoever keeps it */

static void report(void *user_data, const nt_event *event) {
    (void)user_data;
    (void)event;
    CHECK_OK(nt_report_callback_error(tracker, (size_t)(uintptr_t)&token));
}

/* nt_take_callback_error(): "The error that a callback reported with
 * nt_report_callback_error() during the latest call on this thread that returned anything
 * but NT_STATUS_OK, or 0 if there was none. [...] the next such call on this thread replaces
 * it." Here the latest call that did not return OK is a refusal during which no callback
 * ran, so there is no error to take; the library returns the earlier call's instead (it
 * only writes its per-thread slot when a delivery ends with an error, src/ffi/delivery.rs
 * run()). A binding that takes the error only after NT_STATUS_CALLBACK_FAILED is fine; one
 * that takes it after any failure gets an error that belongs to another call. */
static void an_error_not_taken_is_replaced_by_the_next_failed_call(void) {
    nt_options options;
    CHECK_OK(nt_options_init(&options, NT_OPTIONS_VERSION));
    options.on_event = report;
    CHECK_OK(nt_new_with_options(&options, &tracker));
    CHECK_EQ(nt_mark_present(tracker, "J5a", 1), NT_STATUS_CALLBACK_FAILED);
    /* The error is not taken. The next call fails without running any callback. */
    CHECK_ERROR(nt_mark_present(tracker, "", 1), NT_STATUS_NICK_EMPTY, "empty");
    CHECK_EQ(nt_take_callback_error(), 0);
    nt_free(tracker);
}

int main(void) {
    static const struct test_case tests[] = {
        TEST_CASE(an_error_not_taken_is_replaced_by_the_next_failed_call),
    };
    return run_tests(tests, LENGTH(tests));
}
