/*
 * Heap per (nick, directory) pair, beyond the nick bytes, with N nicks of 16 bytes reported
 * by D directories: ../shared/repro/memory_per_pair.c (issue 13, item 4), at N = 1e5 to keep
 * CI quick. Measured with heap accounting (heap.h) in two ways: each directory reports each
 * nick with nt_mark_present, or each directory sends the whole list in one packed peerlist
 * (the tracker then also keeps that list, to compare the directory's next one with it).
 *
 * Printed as a table, and each figure must stay below its ceiling (the measurement with
 * main at 7dc2047 plus about 10%), so that a change that costs memory per pair shows here.
 * "Steady" is after one more change to the tracker, which replaces the events it keeps from
 * its latest change; "just after" includes them.
 *
 * Skipped (exit 77) where the heap cannot be measured.
 */
#define _GNU_SOURCE

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nick_tracker.h>

#include "check.h"
#include "heap.h"

enum { N = 100000, NICK_BYTES = 16 };

static const int DS[] = {1, 2, 3, 16};

/* Ceilings in bytes per pair beyond the nick bytes, steady state, per D in DS: measured
 * 164.7, 111.6, 77.9, 35.6 (mark_present) and 186.5, 133.1, 99.3, 56.9 (packed syncs). */
static const double MARK_PRESENT_CEILING[] = {181, 123, 86, 39};
static const double PACKED_SYNC_CEILING[] = {205, 146, 109, 63};

static char nicks[N][NICK_BYTES + 1];
static char *packed;
static size_t packed_len;

static void make_nicks(void) {
    packed = (char *)malloc((size_t)N * (NICK_BYTES + 1));
    if (packed == NULL)
        exit(EXIT_FAILURE);
    for (size_t i = 0; i < N; i++) {
        snprintf(nicks[i], sizeof nicks[i], "J5%014zu", i);
        memcpy(packed + packed_len, nicks[i], NICK_BYTES + 1);
        packed_len += NICK_BYTES + 1;
    }
}

/* Empties the thread's departures list and makes the tracker replace the events it keeps
 * from its latest change: removing an unknown directory changes nothing else. */
static void settle(nt_tracker *t) { CHECK_OK(nt_remove_directory(t, 999999, NULL)); }

struct figures {
    double just_after, steady; /* bytes per pair beyond the nick bytes */
};

static struct figures measure(int d_count, bool packed_syncs) {
    nt_tracker *t = NULL;
    size_t before = heap_in_use();
    CHECK_OK(nt_new(NULL, NULL, &t));
    for (int d = 1; d <= d_count; d++) {
        if (packed_syncs) {
            CHECK_OK(nt_sync_peerlist_packed(t, (uint64_t)d, packed, packed_len));
        } else {
            for (size_t i = 0; i < N; i++)
                CHECK_OK(nt_mark_present(t, nicks[i], (uint64_t)d));
        }
    }
    double pairs = (double)N * d_count, nick_bytes = (double)N * NICK_BYTES;
    struct figures f;
    f.just_after = ((double)(heap_in_use() - before) - nick_bytes) / pairs;
    settle(t);
    f.steady = ((double)(heap_in_use() - before) - nick_bytes) / pairs;
    nt_stats stats;
    CHECK_OK(nt_get_stats(t, &stats));
    CHECK_EQ(stats.active_nicks, N);
    CHECK_EQ(stats.directories, d_count);
    nt_free(t);
    return f;
}

static void heap_per_pair_stays_below_its_ceiling(void) {
    make_nicks();
    printf("    heap per (nick, directory) pair beyond the %d nick bytes, N = %d:\n",
           NICK_BYTES, N);
    printf("    %-4s %-38s %-38s\n", "D", "mark_present: steady (just after)",
           "packed syncs: steady (just after)");
    for (size_t i = 0; i < LENGTH(DS); i++) {
        struct figures marked = measure(DS[i], false), synced = measure(DS[i], true);
        printf("    %-4d %6.1f B (%6.1f B)  ceiling %5.0f   %6.1f B (%6.1f B)  ceiling %5.0f\n",
               DS[i], marked.steady, marked.just_after, MARK_PRESENT_CEILING[i], synced.steady,
               synced.just_after, PACKED_SYNC_CEILING[i]);
        CHECK(marked.steady <= MARK_PRESENT_CEILING[i]);
        CHECK(synced.steady <= PACKED_SYNC_CEILING[i]);
    }
    free(packed);
}

int main(int argc, char **argv) {
    (void)argc;
    require_heap_accounting(argv);
    static const struct test_case tests[] = {
        TEST_CASE(heap_per_pair_stays_below_its_ceiling),
    };
    return run_tests(tests, LENGTH(tests));
}
