/*
 * The memory of a peerlist received in chunks, measured with heap accounting (heap.h): issue
 * 17, item 1, "a snapshot holds no more memory than its nicks need".
 *
 * - A directory's whole list (1e5 nicks it already reports) sent again in 20-nick chunks,
 *   then committed or aborted, leaves the heap where it was: an open peerlist keeps no copy
 *   of what it was sent.
 * - 1e5 new nicks received in chunks take no more heap than the same nicks reported one by
 *   one with nt_update().
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

enum { NICKS = 100000, CHUNK = 20, NICK_LEN = 16 };

/* Growth allowed where nothing of the list's size may stay: the calls' small buffers (the
 * last events, a log-free tracker's bookkeeping) come and go. */
static const size_t SLACK = 16384;

static char packed[(size_t)NICKS * (NICK_LEN + 1)];

static void make_nicks(void) {
    for (size_t i = 0; i < NICKS; i++)
        snprintf(packed + i * (NICK_LEN + 1), NICK_LEN + 1, "J5snapshot%06zu", i);
}

static const char *nick_at(size_t i) {
    return packed + i * (NICK_LEN + 1);
}

static nt_tracker *new_tracker(void) {
    nt_tracker *t = NULL;
    CHECK_OK(nt_new(NULL, NULL, &t));
    return t;
}

/* Sends every nick to `directory`'s open peerlist in chunks of CHUNK. */
static void add_in_chunks(nt_tracker *t, uint64_t directory) {
    for (size_t i = 0; i < NICKS; i += CHUNK)
        CHECK_OK(nt_peerlist_add(t, directory, nick_at(i), CHUNK * (NICK_LEN + 1)));
}

/* A change with no event, after which the tracker keeps nothing of the previous call. */
static void settle(nt_tracker *t) {
    CHECK_OK(nt_mark_present(t, nick_at(0), 1));
}

static void a_resent_list_in_chunks_keeps_nothing(void) {
    nt_tracker *t = new_tracker();
    CHECK_OK(nt_sync_peerlist_packed(t, 1, packed, sizeof packed));
    for (int round = 0; round < 2; round++) {
        settle(t);
        size_t before = heap_in_use();
        CHECK_OK(nt_peerlist_begin(t, 1));
        add_in_chunks(t, 1);
        size_t open = heap_in_use();
        if (round == 0)
            CHECK_OK(nt_peerlist_commit(t, 1, NULL));
        else
            CHECK_OK(nt_peerlist_abort(t, 1));
        settle(t);
        size_t after = heap_in_use();
        printf("%s: %zu nicks resent in chunks: heap %+ld while open, %+ld after\n",
               round == 0 ? "commit" : "abort", (size_t)NICKS, (long)open - (long)before,
               (long)after - (long)before);
        CHECK(open <= before + SLACK);
        CHECK(after <= before + SLACK);
    }
    size_t count = 0;
    CHECK_OK(nt_active_nick_count(t, &count));
    CHECK_EQ(count, NICKS);
    nt_free(t);
}

static void new_nicks_in_chunks_take_no_more_than_the_same_single_reports(void) {
    size_t start = heap_in_use();
    nt_tracker *single = new_tracker();
    for (size_t i = 0; i < NICKS; i++)
        CHECK_OK(nt_mark_present(single, nick_at(i), 1));
    settle(single);
    size_t by_reports = heap_in_use() - start;
    nt_free(single);

    start = heap_in_use();
    nt_tracker *chunked = new_tracker();
    CHECK_OK(nt_peerlist_begin(chunked, 1));
    add_in_chunks(chunked, 1);
    size_t by_chunks_open = heap_in_use() - start;
    CHECK_OK(nt_peerlist_commit(chunked, 1, NULL));
    settle(chunked);
    size_t by_chunks = heap_in_use() - start;
    nt_free(chunked);
    printf("%zu new nicks: %zu bytes by single reports, %zu in chunks (%zu while open)\n",
           (size_t)NICKS, by_reports, by_chunks, by_chunks_open);
    CHECK(by_chunks_open <= by_reports + SLACK);
    CHECK(by_chunks <= by_reports + SLACK);
}

int main(int argc, char **argv) {
    (void)argc;
    require_heap_accounting(argv);
    make_nicks();
    static const struct test_case tests[] = {
        TEST_CASE(a_resent_list_in_chunks_keeps_nothing),
        TEST_CASE(new_nicks_in_chunks_take_no_more_than_the_same_single_reports),
    };
    return run_tests(tests, LENGTH(tests));
}
