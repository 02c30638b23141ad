/*
 * Memory after refused and replaced peerlists, measured with heap accounting (heap.h):
 * ../shared/repro/refused_peerlist_memory.c (issue 13, item 3). With 0.2.0 a refused packed
 * list left a buffer of its size in the tracker until nt_free.
 *
 * - A refused peerlist (a bad nick in a list for a directory that synced before, or more
 *   nicks than max_nicks), packed or as an array, leaves the heap where it was.
 * - What the tracker keeps is bounded by what it accepted: after a large accepted list is
 *   replaced by a 1-nick list, it keeps the buffer it recycles for the directory's next
 *   list and the tables it grew (and, until its next change, that call's events); the
 *   bounds below are the measured figures plus about 10%.
 *
 * Prints what it measures. Skipped (exit 77) where the heap cannot be measured.
 */
#define _GNU_SOURCE

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nick_tracker.h>

#include "check.h"
#include "heap.h"

enum {
    LIST_NICKS = 100000,
    NICK_BYTES = 100, /* per nick, without its NUL: 10.1 MB per list */
};

/* Allowed growth of the heap across a refused call: the last-error message (per thread) may
 * be reallocated to a longer text. Nothing of the list's size. */
static const size_t REFUSAL_SLACK = 4096;

/* Bounds on what a tracker keeps after a large list was replaced by a 1-nick list, beyond
 * what a tracker that only ever saw the 1-nick list holds; per byte of the large list
 * (packed, NULs included) and per nick. Measured with main at 7dc2047 (see the printout;
 * 1e4 to 2e5 nicks of 20 to 250 bytes) and set about 10% above:
 * - right after the replacing call, 4.45 per byte at 100-byte nicks: the events of that
 *   call (the ledger, kept until the tracker's next change), the replaced list's buffer
 *   (kept for the directory's next list, with 1/64 to spare) and the tables grown for the
 *   large list's nicks;
 * - after one more change, 1.016 per byte + 127 per nick: the buffer and the tables;
 * - the calling thread's departures list (nt_departed_nicks, outside the tracker) held 1.30
 *   per byte of the nicks that left, until the next call that reports departures. */
static const double REPLACED_BOUND_PER_BYTE = 5.0;
static const double KEPT_BOUND_PER_BYTE = 1.12;
static const double KEPT_BOUND_PER_NICK = 145;
static const double DEPARTED_BOUND_PER_BYTE = 1.45;

/* LIST_NICKS distinct nicks of NICK_BYTES bytes, packed; with `bad_last`, one more entry
 * that is not UTF-8. */
static char *big_list(size_t *len, bool bad_last) {
    char *buffer = (char *)malloc((size_t)LIST_NICKS * (NICK_BYTES + 1) + 2);
    if (buffer == NULL)
        exit(EXIT_FAILURE);
    size_t at = 0;
    for (size_t i = 0; i < LIST_NICKS; i++) {
        memset(buffer + at, 'x', NICK_BYTES);
        int digits = snprintf(buffer + at, NICK_BYTES, "J5%zu", i);
        buffer[at + (size_t)digits] = 'y';
        buffer[at + NICK_BYTES] = '\0';
        at += NICK_BYTES + 1;
    }
    if (bad_last) {
        memcpy(buffer + at, "\xff", 2);
        at += 2;
    }
    *len = at;
    return buffer;
}

/* The same nicks as an array of pointers into the packed buffer. */
static const char **as_array(const char *packed, size_t *count) {
    const char **array = (const char **)malloc((LIST_NICKS + 1) * sizeof *array);
    if (array == NULL)
        exit(EXIT_FAILURE);
    size_t n = 0;
    for (size_t at = 0; n < LIST_NICKS + 1; n++) {
        array[n] = packed + at;
        at += strlen(packed + at) + 1;
    }
    *count = n;
    return array;
}

static nt_tracker *tracker_with_limit(size_t max_nicks) {
    nt_options options;
    nt_tracker *tracker = NULL;
    CHECK_OK(nt_options_init(&options, NT_OPTIONS_VERSION));
    options.max_nicks = max_nicks;
    CHECK_OK(nt_new_with_options(&options, &tracker));
    /* Directory 1 has synced before, so a resent list is matched against this one. */
    CHECK_OK(nt_sync_peerlist_packed(tracker, 1, "J5alice\0J5bob", 14));
    return tracker;
}

static double mib(double bytes) { return bytes / 1048576.0; }

/* Runs a refused call and checks that the heap did not grow (beyond REFUSAL_SLACK) and that
 * the tracker's counters did not change. */
#define CHECK_REFUSED_KEEPS_NOTHING(tracker, call, status, fragment)                                \
    do {                                                                                    \
        nt_stats before_, after_;                                                           \
        CHECK_OK(nt_get_stats((tracker), &before_));                                        \
        size_t heap_before_ = heap_in_use();                                                \
        CHECK_ERROR((call), (status), (fragment));                                          \
        long long grown_ = (long long)heap_in_use() - (long long)heap_before_;              \
        printf("    %-60s heap %+lld bytes\n", #call, grown_);                              \
        CHECK(grown_ <= (long long)REFUSAL_SLACK);                                          \
        CHECK_OK(nt_get_stats((tracker), &after_));                                         \
        CHECK(memcmp(&before_, &after_, sizeof before_) == 0);                              \
    } while (0)

static void a_refused_peerlist_keeps_no_memory(void) {
    size_t bad_len, good_len, count;
    char *bad = big_list(&bad_len, true);
    char *good = big_list(&good_len, false);
    const char **bad_array = as_array(bad, &count);
    printf("    lists of %d nicks: %.1f MiB packed\n", LIST_NICKS, mib((double)good_len));

    /* A warm-up refusal, so the thread's last-error message exists before measuring. */
    nt_tracker *t = tracker_with_limit(0);
    CHECK_ERROR(nt_mark_present(t, "", 1), NT_STATUS_NICK_EMPTY, "empty");
    size_t baseline = heap_in_use();
    /* A bad last nick, on the directory that synced before and on a new one. */
    CHECK_REFUSED_KEEPS_NOTHING(t, nt_sync_peerlist_packed(t, 1, bad, bad_len),
                                NT_STATUS_NICK_NOT_UTF8, "not valid UTF-8");
    CHECK_REFUSED_KEEPS_NOTHING(t, nt_sync_peerlist_packed(t, 2, bad, bad_len),
                                NT_STATUS_NICK_NOT_UTF8, "not valid UTF-8");
    CHECK_REFUSED_KEEPS_NOTHING(t, nt_sync_peerlist(t, 1, bad_array, count),
                                NT_STATUS_NICK_NOT_UTF8, "not valid UTF-8");
    /* Refusals do not add up either. */
    CHECK((long long)heap_in_use() - (long long)baseline <= (long long)REFUSAL_SLACK);
    nt_free(t);

    /* Over the nick limit: the whole list is valid, but too many. */
    t = tracker_with_limit(100);
    CHECK_ERROR(nt_mark_present(t, "", 1), NT_STATUS_NICK_EMPTY, "empty");
    CHECK_REFUSED_KEEPS_NOTHING(t, nt_sync_peerlist_packed(t, 1, good, good_len),
                                NT_STATUS_NICK_LIMIT, "nick limit");
    CHECK_REFUSED_KEEPS_NOTHING(t, nt_sync_peerlist_packed(t, 3, good, good_len),
                                NT_STATUS_NICK_LIMIT, "nick limit");
    CHECK_REFUSED_KEEPS_NOTHING(t, nt_sync_peerlist(t, 1, bad_array, count - 1),
                                NT_STATUS_NICK_LIMIT, "nick limit");
    /* The tracker still works, and an accepted 1-nick list costs what it costs. */
    CHECK_OK(nt_sync_peerlist_packed(t, 1, "J5carol", 8));
    nt_free(t);

    free(bad_array);
    free(bad);
    free(good);
}

/* nt_departed_nicks() keeps, per thread, the nicks that left in the latest call that
 * reports departures, outside any tracker. A call with no departures (removing a directory
 * that is not known) empties it; made on `t`, it also replaces the events `t` keeps from
 * its latest change. Returns the heap that gave back. */
static size_t forget_departures(nt_tracker *t) {
    size_t before = heap_in_use(), len = 99;
    CHECK_OK(nt_remove_directory(t, 999, NULL));
    CHECK_OK(nt_departed_nicks(NULL, 0, &len));
    CHECK_EQ(len, 0);
    return before - heap_in_use();
}

static void a_replaced_list_leaves_memory_bounded_by_what_was_accepted(void) {
    size_t len;
    char *list = big_list(&len, false);
    nt_tracker *other = NULL, *small = NULL, *big = NULL;
    CHECK_OK(nt_new(NULL, NULL, &other));
    forget_departures(other);

    /* What a tracker that only ever saw a 1-nick list holds. */
    size_t h0 = heap_in_use();
    CHECK_OK(nt_new(NULL, NULL, &small));
    CHECK_OK(nt_sync_peerlist_packed(small, 1, "J5alice", 8));
    forget_departures(small);
    double small_heap = (double)(heap_in_use() - h0);

    /* The same after a large list, replaced by the 1-nick list. */
    size_t h1 = heap_in_use();
    CHECK_OK(nt_new(NULL, NULL, &big));
    CHECK_OK(nt_sync_peerlist_packed(big, 1, list, len));
    double accepted = (double)(heap_in_use() - h1) - small_heap;
    CHECK_OK(nt_sync_peerlist_packed(big, 1, "J5alice", 8));
    double departed = (double)forget_departures(other);
    double replaced = (double)(heap_in_use() - h1) - small_heap;
    forget_departures(big);
    double kept = (double)(heap_in_use() - h1) - small_heap;
    size_t count = 0;
    CHECK_OK(nt_active_nick_count(big, &count));
    CHECK_EQ(count, 1);

    double per_byte = (double)len, per_nick = LIST_NICKS;
    printf("    a tracker that saw only a 1-nick list: %.0f bytes\n", small_heap);
    printf("    beyond that, with a %.1f MiB list of %d nicks accepted: %.1f MiB\n",
           mib(per_byte), LIST_NICKS, mib(accepted));
    printf("    the list replaced by a 1-nick list: %.1f MiB (%.2f per list byte); after one "
           "more change: %.1f MiB (%.2f per list byte, %.1f per nick)\n",
           mib(replaced), replaced / per_byte, mib(kept), kept / per_byte, kept / per_nick);
    printf("    the thread's departures list (not the tracker's) held %.1f MiB until the "
           "next call that reports departures\n", mib(departed));
    CHECK(replaced <= REPLACED_BOUND_PER_BYTE * per_byte);
    CHECK(kept <= KEPT_BOUND_PER_BYTE * per_byte + KEPT_BOUND_PER_NICK * per_nick);
    CHECK(departed <= DEPARTED_BOUND_PER_BYTE * per_byte);

    /* A second large list on another directory, then its replacement: each directory keeps
     * its own buffer at most. */
    size_t h2 = heap_in_use();
    CHECK_OK(nt_sync_peerlist_packed(big, 2, list, len));
    CHECK_OK(nt_sync_peerlist_packed(big, 2, "J5bob", 6));
    forget_departures(big);
    double more = (double)heap_in_use() - (double)h2;
    printf("    the same list accepted and replaced on a second directory: %.1f MiB more\n",
           mib(more));
    CHECK(more <= KEPT_BOUND_PER_BYTE * per_byte + KEPT_BOUND_PER_NICK * per_nick);

    nt_free(big);
    nt_free(small);
    nt_free(other);
    free(list);
}

static void freeing_the_tracker_gives_everything_back(void) {
    size_t len;
    char *list = big_list(&len, false);
    size_t before = heap_in_use();
    nt_tracker *t = tracker_with_limit(0);
    CHECK_OK(nt_sync_peerlist_packed(t, 1, list, len));
    CHECK_OK(nt_sync_peerlist_packed(t, 2, list, len));
    CHECK_OK(nt_remove_directory(t, 1, NULL));
    forget_departures(t);
    nt_free(t);
    long long left = (long long)heap_in_use() - (long long)before;
    printf("    after nt_free: heap %+lld bytes\n", left);
    CHECK(left <= (long long)REFUSAL_SLACK);
    free(list);
}

int main(int argc, char **argv) {
    (void)argc;
    require_heap_accounting(argv);
    static const struct test_case tests[] = {
        TEST_CASE(a_refused_peerlist_keeps_no_memory),
        TEST_CASE(a_replaced_list_leaves_memory_bounded_by_what_was_accepted),
        TEST_CASE(freeing_the_tracker_gives_everything_back),
    };
    return run_tests(tests, LENGTH(tests));
}
