/*
 * A minimal test harness for the C tests. A failed check prints where it is and what it saw,
 * and the test goes on, so one run reports every broken expectation; the program exits
 * non-zero if any check failed. Valid C11 and C++ (test_api.c is also compiled as C++).
 */
#ifndef NT_TEST_CHECK_H
#define NT_TEST_CHECK_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nick_tracker.h>

#define LENGTH(array) (sizeof(array) / sizeof((array)[0]))

static unsigned check_failures;

static inline bool check_report(bool ok, const char *file, int line, const char *what) {
    if (!ok) {
        check_failures++;
        fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
    }
    return ok;
}

#define CHECK(condition) check_report((condition), __FILE__, __LINE__, #condition)

/* Integers of any width, compared as unsigned long long (statuses, counts, ids, bools). */
#define CHECK_EQ(actual, expected)                                                             \
    check_eq((unsigned long long)(actual), (unsigned long long)(expected), __FILE__, __LINE__, \
             #actual " == " #expected)

static inline bool check_eq(unsigned long long actual, unsigned long long expected,
                            const char *file, int line, const char *what) {
    if (check_report(actual == expected, file, line, what))
        return true;
    fprintf(stderr, "    actual %llu, expected %llu\n", actual, expected);
    return false;
}

#define CHECK_STR(actual, expected) \
    check_str((actual), (expected), __FILE__, __LINE__, #actual " equals " #expected)

static inline bool check_str(const char *actual, const char *expected, const char *file,
                             int line, const char *what) {
    if (check_report(actual != NULL && strcmp(actual, expected) == 0, file, line, what))
        return true;
    fprintf(stderr, "    actual \"%s\", expected \"%s\"\n", actual ? actual : "(NULL)", expected);
    return false;
}

static inline bool check_status(uint32_t actual, uint32_t expected, const char *file,
                                int line, const char *what) {
    if (check_report(actual == expected, file, line, what))
        return true;
    fprintf(stderr, "    returned %u (%s: \"%s\"), expected %u (%s)\n", (unsigned)actual,
            nt_status_str(actual), actual == NT_STATUS_OK ? "" : nt_last_error_message(),
            (unsigned)expected, nt_status_str(expected));
    return false;
}

#define CHECK_OK(call) check_status((call), NT_STATUS_OK, __FILE__, __LINE__, #call)

/* A call that must fail with `status` and a last-error message containing `fragment`, which
 * names the argument at fault (e.g. "nicks[2]"). */
#define CHECK_ERROR(call, status, fragment) \
    check_error((call), (status), (fragment), __FILE__, __LINE__, #call)

static inline bool check_error(uint32_t actual, uint32_t expected, const char *fragment,
                               const char *file, int line, const char *what) {
    if (!check_status(actual, expected, file, line, what))
        return false;
    const char *message = nt_last_error_message();
    if (check_report(strstr(message, fragment) != NULL, file, line, what))
        return true;
    fprintf(stderr, "    message \"%s\" does not mention \"%s\"\n", message, fragment);
    return false;
}

/* A test is a void function; run_tests runs a table of them and gives main's exit status. */
struct test_case {
    const char *name;
    void (*run)(void);
};

#define TEST_CASE(function) {#function, function}

static inline int run_tests(const struct test_case *tests, size_t count) {
    for (size_t i = 0; i < count; i++) {
        unsigned failures_before = check_failures;
        tests[i].run();
        printf("%s %s\n", check_failures == failures_before ? "ok    " : "FAILED", tests[i].name);
    }
    printf("%zu tests, %u failed checks\n", count, check_failures);
    return check_failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif /* NT_TEST_CHECK_H */
