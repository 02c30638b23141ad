/*
 * Peerlists in chunks (issue 17, item 1), through the real library: nt_peerlist_begin, _add,
 * _commit and _abort, as a JoinMarket directory sends its peerlist in ~20-entry messages with
 * no end marker. A chunk's nicks are present at once; only the commit makes anything gone,
 * and then exactly the nicks that neither a chunk listed nor a present report named since the
 * peerlist began; abandoning it (an abort, a disconnection, a removal) drops nothing, and a
 * full sync replaces it. test_peerlist_agreement.c compares chunks with whole peerlists.
 */
#include "presence.h"

enum { DIR1 = 1, DIR2 = 2, DIR3 = 3 };

static nt_status add(struct world *w, uint64_t directory, const char *chunk, size_t len) {
    return nt_peerlist_add(w->t, directory, chunk, len);
}

static bool snapshot_open(struct world *w, uint64_t directory) {
    return directory_stats(w, directory).snapshot_open;
}

/* ---- Chunks and the commit -------------------------------------------------------------- */

static void chunks_join_at_once_and_only_the_commit_makes_nicks_gone(void) {
    struct world *w = open_world();
    SYNC(w, DIR1, "J5a", "J5b", "J5c");
    CHECK_EVENTS(w, "join J5a 1; join J5b 1; join J5c 1; ");
    CHECK_OK(nt_peerlist_begin(w->t, DIR1));
    CHECK_NO_EVENTS(w); /* nothing changes until chunks come */
    CHECK(snapshot_open(w, DIR1));
    CHECK_OK(add(w, DIR1, PACKED("J5d\0J5a\0")));
    CHECK_EVENTS(w, "join J5d 1; "); /* delivered before nt_peerlist_add returned */
    CHECK_STR(active(w).s, "J5a,J5b,J5c,J5d,"); /* nothing gone meanwhile */
    CHECK_OK(add(w, DIR1, PACKED("J5b\0")));
    CHECK_NO_EVENTS(w);
    size_t gone_count = 12345;
    CHECK_OK(nt_peerlist_commit(w->t, DIR1, &gone_count));
    CHECK_EQ(gone_count, 1);
    CHECK_EVENTS(w, "leave J5c 1; ");
    CHECK_STR(departed().s, "J5c,");
    CHECK_STR(active(w).s, "J5a,J5b,J5d,");
    CHECK_STR(directory_nicks(w, DIR1).s, "J5a,J5b,J5d,");
    CHECK(!snapshot_open(w, DIR1));
    CHECK_ERROR(add(w, DIR1, PACKED("J5e\0")), NT_STATUS_NO_SNAPSHOT, "no peerlist open");
    close_world(w);
}

/* The commit drops, on its directory only, exactly the nicks the directory reported present
 * that no chunk listed and that no present report (single or batched) named after the
 * begin; a present report before the begin does not count. gone_count counts leaves. */
static void the_commit_drops_exactly_what_was_neither_listed_nor_reported_since_begin(void) {
    struct world *w = open_world();
    SYNC(w, DIR1, "J5a", "J5b", "J5c", "J5d", "J5e", "J5f", "J5g");
    SYNC(w, DIR2, "J5c", "J5f");
    present(w, "J5e", DIR1); /* before the begin: does not count */
    CHECK_OK(nt_peerlist_begin(w->t, DIR1));
    CHECK_OK(add(w, DIR1, PACKED("J5a\0")));
    present(w, "J5b", DIR1); /* after the begin: counts as listed */
    static const uint8_t flags[] = {1};
    CHECK_OK(nt_update_batch(w->t, DIR1, PACKED("J5d\0"), flags, 1)); /* so does a batch */
    present(w, "J5g", DIR2); /* on another directory: does not count for DIR1 */
    gone(w, "J5x", DIR1);    /* an unknown nick: ignored */
    CHECK_EVENTS(w, "join J5a 1; join J5b 1; join J5c 1; join J5d 1; join J5e 1; join J5f 1; "
                    "join J5g 1; ");
    size_t gone_count = 12345;
    CHECK_OK(nt_peerlist_commit(w->t, DIR1, &gone_count));
    /* Dropped on DIR1: c, e, f and g; c, f and g stay active through DIR2, e leaves. */
    CHECK_EQ(gone_count, 1);
    CHECK_EVENTS(w, "leave J5e 1; ");
    CHECK_STR(departed().s, "J5e,");
    CHECK_STR(directory_nicks(w, DIR1).s, "J5a,J5b,J5d,");
    CHECK_STR(directory_nicks(w, DIR2).s, "J5c,J5f,J5g,");
    CHECK_STR(active_directories(w, "J5c").s, "2,");
    CHECK_STR(active(w).s, "J5a,J5b,J5c,J5d,J5f,J5g,");
    close_world(w);
}

/* A nick reported gone after the begin stays gone (the commit revives nothing), and one
 * reported gone and then present again, or listed again, is kept. */
static void reports_after_begin_are_kept_by_the_commit(void) {
    struct world *w = open_world();
    SYNC(w, DIR1, "J5a", "J5b", "J5c");
    CHECK_OK(nt_peerlist_begin(w->t, DIR1));
    CHECK_OK(add(w, DIR1, PACKED("J5a\0J5b\0J5c\0")));
    gone(w, "J5a", DIR1);
    gone(w, "J5b", DIR1);
    present(w, "J5b", DIR1);
    gone(w, "J5c", DIR1);
    CHECK_OK(add(w, DIR1, PACKED("J5c\0")));
    CHECK_EVENTS(w, "join J5a 1; join J5b 1; join J5c 1; "
                    "leave J5a 1; leave J5b 1; join J5b 1; leave J5c 1; join J5c 1; ");
    size_t gone_count = 12345;
    CHECK_OK(nt_peerlist_commit(w->t, DIR1, &gone_count));
    CHECK_EQ(gone_count, 0);
    CHECK_NO_EVENTS(w);
    CHECK_STR(departed().s, "");
    CHECK_STR(active(w).s, "J5b,J5c,");
    close_world(w);
}

/* Leaves at a commit come in the order the nicks were first seen, whatever the chunks. */
static void commit_leaves_come_in_first_seen_order(void) {
    struct world *w = open_world();
    present(w, "J5z", DIR1);
    present(w, "J5m", DIR1);
    present(w, "J5a", DIR1);
    present(w, "J5k", DIR1);
    CHECK_EVENTS(w, "join J5z 1; join J5m 1; join J5a 1; join J5k 1; ");
    CHECK_OK(nt_peerlist_begin(w->t, DIR1));
    CHECK_OK(add(w, DIR1, PACKED("J5m\0")));
    CHECK_OK(nt_peerlist_commit(w->t, DIR1, NULL)); /* the count may be NULL */
    CHECK_EVENTS(w, "leave J5z 1; leave J5a 1; leave J5k 1; ");
    CHECK_STR(departed().s, "J5z,J5a,J5k,");
    close_world(w);
}

/* A callback that reports an error makes the chunk or the commit return
 * NT_STATUS_CALLBACK_FAILED, having done everything it was asked: the change made, every
 * event delivered, the gone count and the departures written. */
static void a_callback_error_is_reported_after_the_whole_change(void) {
    struct world *w = open_world();
    SYNC(w, DIR1, "J5a", "J5b", "J5c");
    CHECK_OK(nt_peerlist_begin(w->t, DIR1));
    CHECK_EVENTS(w, "join J5a 1; join J5b 1; join J5c 1; ");
    w->fail_with = 71;
    CHECK_ERROR(add(w, DIR1, PACKED("J5d\0J5e\0J5a\0")), NT_STATUS_CALLBACK_FAILED,
                "callback");
    CHECK_EQ(nt_take_callback_error(), 71);
    CHECK_EVENTS(w, "join J5d 1; join J5e 1; ");
    w->fail_with = 72;
    size_t gone_count = 12345;
    CHECK_ERROR(nt_peerlist_commit(w->t, DIR1, &gone_count), NT_STATUS_CALLBACK_FAILED,
                "callback");
    CHECK_EQ(nt_take_callback_error(), 72);
    CHECK_EQ(gone_count, 2);
    CHECK_EVENTS(w, "leave J5b 1; leave J5c 1; ");
    CHECK_STR(departed().s, "J5b,J5c,");
    CHECK(!snapshot_open(w, DIR1));
    CHECK_STR(active(w).s, "J5a,J5d,J5e,");
    close_world(w);
}

/* ---- Restart, abort, and what closes an open peerlist ------------------------------------ */

/* Beginning while a peerlist is open restarts it: what was listed or reported before the
 * second begin must be listed again. */
static void beginning_again_restarts_the_peerlist(void) {
    struct world *w = open_world();
    SYNC(w, DIR1, "J5a", "J5b", "J5c");
    CHECK_OK(nt_peerlist_begin(w->t, DIR1));
    CHECK_OK(add(w, DIR1, PACKED("J5a\0")));
    present(w, "J5b", DIR1);
    CHECK_OK(nt_peerlist_begin(w->t, DIR1));
    CHECK(snapshot_open(w, DIR1));
    CHECK_OK(add(w, DIR1, PACKED("J5c\0")));
    size_t gone_count = 0;
    CHECK_OK(nt_peerlist_commit(w->t, DIR1, &gone_count));
    CHECK_EQ(gone_count, 2);
    CHECK_EVENTS(w, "join J5a 1; join J5b 1; join J5c 1; leave J5a 1; leave J5b 1; ");
    CHECK_STR(active(w).s, "J5c,");
    close_world(w);
}

/* Abort (a refresh that failed halfway) drops nothing; what its chunks listed stays. */
static void abort_drops_nothing_and_closes_the_peerlist(void) {
    struct world *w = open_world();
    SYNC(w, DIR1, "J5a", "J5b");
    CHECK_OK(nt_peerlist_begin(w->t, DIR1));
    CHECK_OK(add(w, DIR1, PACKED("J5c\0")));
    CHECK_OK(nt_peerlist_abort(w->t, DIR1));
    CHECK_EVENTS(w, "join J5a 1; join J5b 1; join J5c 1; ");
    CHECK_STR(active(w).s, "J5a,J5b,J5c,");
    CHECK(!snapshot_open(w, DIR1));
    CHECK_EQ(directory_stats(w, DIR1).peerlists, 1); /* an aborted list is no peerlist */
    size_t gone_count = 12345;
    CHECK_ERROR(add(w, DIR1, PACKED("J5d\0")), NT_STATUS_NO_SNAPSHOT, "directory 1");
    CHECK_ERROR(nt_peerlist_commit(w->t, DIR1, &gone_count), NT_STATUS_NO_SNAPSHOT,
                "no peerlist open");
    CHECK_EQ(gone_count, 12345); /* no output on failure */
    CHECK_ERROR(nt_peerlist_abort(w->t, DIR1), NT_STATUS_NO_SNAPSHOT, "no peerlist open");
    CHECK_NO_EVENTS(w);
    close_world(w);
}

/* Without a begin, or on another directory than the one begun, there is nothing to add to,
 * commit or abort; an unknown directory does not become known that way. */
static void chunks_need_a_peerlist_begun_on_their_directory(void) {
    struct world *w = open_world();
    SYNC(w, DIR1, "J5a");
    CHECK_OK(nt_peerlist_begin(w->t, DIR2));
    CHECK_ERROR(add(w, DIR1, PACKED("J5b\0")), NT_STATUS_NO_SNAPSHOT, "directory 1");
    CHECK_ERROR(nt_peerlist_commit(w->t, DIR1, NULL), NT_STATUS_NO_SNAPSHOT, "directory 1");
    CHECK_ERROR(nt_peerlist_abort(w->t, DIR1), NT_STATUS_NO_SNAPSHOT, "directory 1");
    CHECK_ERROR(add(w, DIR3, PACKED("J5b\0")), NT_STATUS_NO_SNAPSHOT, "directory 3");
    CHECK_ERROR(nt_peerlist_commit(w->t, DIR3, NULL), NT_STATUS_NO_SNAPSHOT, "directory 3");
    CHECK_ERROR(nt_peerlist_abort(w->t, DIR3), NT_STATUS_NO_SNAPSHOT, "directory 3");
    CHECK_STR(directories(w).s, "1,2,"); /* begin made DIR2 known, DIR3 is not */
    nt_directory_stats stats = directory_stats(w, DIR2);
    CHECK_EQ(stats.nicks, 0);
    CHECK(stats.connected);
    CHECK(stats.snapshot_open);
    CHECK_STR(active(w).s, "J5a,");
    CHECK_EVENTS(w, "join J5a 1; ");
    close_world(w);
}

/* Each directory has its own peerlist: committing one leaves the other open. */
static void peerlists_of_several_directories_are_independent(void) {
    struct world *w = open_world();
    SYNC(w, DIR1, "J5a", "J5b");
    SYNC(w, DIR2, "J5a", "J5b");
    CHECK_OK(nt_peerlist_begin(w->t, DIR1));
    CHECK_OK(nt_peerlist_begin(w->t, DIR2));
    CHECK_OK(add(w, DIR1, PACKED("J5a\0")));
    CHECK_OK(add(w, DIR2, PACKED("J5b\0")));
    CHECK_OK(nt_peerlist_commit(w->t, DIR2, NULL));
    CHECK_STR(directory_nicks(w, DIR2).s, "J5b,");
    CHECK_STR(directory_nicks(w, DIR1).s, "J5a,J5b,");
    CHECK(snapshot_open(w, DIR1));
    CHECK_OK(nt_peerlist_commit(w->t, DIR1, NULL));
    CHECK_STR(directory_nicks(w, DIR1).s, "J5a,");
    CHECK_EVENTS(w, "join J5a 1; join J5b 1; ");
    CHECK_STR(active(w).s, "J5a,J5b,");
    close_world(w);
}

static void removing_the_directory_discards_its_open_peerlist(void) {
    struct world *w = open_world();
    SYNC(w, DIR1, "J5a", "J5b");
    CHECK_OK(nt_peerlist_begin(w->t, DIR1));
    CHECK_OK(add(w, DIR1, PACKED("J5c\0")));
    CHECK_OK(nt_peerlist_begin(w->t, DIR2));
    size_t gone_count = 0;
    CHECK_OK(nt_remove_directory(w->t, DIR1, &gone_count));
    CHECK_EQ(gone_count, 3);
    CHECK_EVENTS(w, "join J5a 1; join J5b 1; join J5c 1; "
                    "leave J5a 1; leave J5b 1; leave J5c 1; ");
    CHECK_ERROR(add(w, DIR1, PACKED("J5a\0")), NT_STATUS_NO_SNAPSHOT, "directory 1");
    /* Known again, DIR1 has no peerlist open; DIR2's is still open. */
    present(w, "J5d", DIR1);
    CHECK(!snapshot_open(w, DIR1));
    CHECK_ERROR(nt_peerlist_commit(w->t, DIR1, NULL), NT_STATUS_NO_SNAPSHOT, "directory 1");
    CHECK(snapshot_open(w, DIR2));
    CHECK_STR(active(w).s, "J5d,");
    close_world(w);
}

/* A disconnection discards the open peerlist (its nicks leave as usual, and come back with
 * the reconnection, the peerlist still closed). Connecting a connected directory does
 * nothing, so its peerlist stays open. */
static void disconnecting_the_directory_discards_its_open_peerlist(void) {
    struct world *w = open_world();
    SYNC(w, DIR1, "J5a", "J5b");
    CHECK_OK(nt_peerlist_begin(w->t, DIR1));
    CHECK_OK(add(w, DIR1, PACKED("J5c\0")));
    CHECK_OK(nt_set_directory_connected(w->t, DIR1, true));
    CHECK(snapshot_open(w, DIR1));
    CHECK_OK(nt_set_directory_connected(w->t, DIR1, false));
    CHECK(!snapshot_open(w, DIR1));
    CHECK_EVENTS(w, "join J5a 1; join J5b 1; join J5c 1; "
                    "leave J5a 1; leave J5b 1; leave J5c 1; ");
    CHECK_ERROR(nt_peerlist_commit(w->t, DIR1, NULL), NT_STATUS_NO_SNAPSHOT, "directory 1");
    CHECK_OK(nt_set_directory_connected(w->t, DIR1, true));
    CHECK_EVENTS(w, "join J5a 1; join J5b 1; join J5c 1; ");
    CHECK(!snapshot_open(w, DIR1));
    CHECK_ERROR(add(w, DIR1, PACKED("J5a\0")), NT_STATUS_NO_SNAPSHOT, "directory 1");
    CHECK_STR(directory_nicks(w, DIR1).s, "J5a,J5b,J5c,");
    close_world(w);
}

/* A peerlist received while the directory is down is recorded the same way, without
 * events; it counts once the directory is back. */
static void a_peerlist_received_while_disconnected_is_recorded_without_events(void) {
    struct world *w = open_world();
    SYNC(w, DIR1, "J5a", "J5b");
    CHECK_OK(nt_set_directory_connected(w->t, DIR1, false));
    CHECK_EVENTS(w, "join J5a 1; join J5b 1; leave J5a 1; leave J5b 1; ");
    CHECK_OK(nt_peerlist_begin(w->t, DIR1));
    CHECK_OK(add(w, DIR1, PACKED("J5b\0J5c\0")));
    size_t gone_count = 12345;
    CHECK_OK(nt_peerlist_commit(w->t, DIR1, &gone_count));
    CHECK_EQ(gone_count, 0);
    CHECK_NO_EVENTS(w);
    CHECK_STR(directory_nicks(w, DIR1).s, "J5b,J5c,");
    CHECK_OK(nt_set_directory_connected(w->t, DIR1, true));
    CHECK_EVENTS(w, "join J5b 1; join J5c 1; ");
    close_world(w);
}

/* A full sync replaces the open peerlist and has the last word; a refused one changes
 * nothing, so the peerlist stays open. */
static void a_full_sync_closes_the_open_peerlist(void) {
    struct world *w = open_world();
    SYNC(w, DIR1, "J5a", "J5b");
    CHECK_OK(nt_peerlist_begin(w->t, DIR1));
    CHECK_OK(add(w, DIR1, PACKED("J5c\0")));
    const char *const bad[] = {"J5a", ""};
    CHECK_ERROR(nt_sync_peerlist(w->t, DIR1, bad, 2), NT_STATUS_NICK_EMPTY, "nicks[1]");
    CHECK(snapshot_open(w, DIR1));
    SYNC(w, DIR1, "J5a");
    CHECK_EVENTS(w, "join J5a 1; join J5b 1; join J5c 1; leave J5b 1; leave J5c 1; ");
    CHECK(!snapshot_open(w, DIR1));
    CHECK_ERROR(nt_peerlist_commit(w->t, DIR1, NULL), NT_STATUS_NO_SNAPSHOT, "directory 1");
    /* The packed form too. */
    CHECK_OK(nt_peerlist_begin(w->t, DIR1));
    CHECK_OK(nt_sync_peerlist_packed(w->t, DIR1, PACKED("J5d\0")));
    CHECK(!snapshot_open(w, DIR1));
    CHECK_ERROR(add(w, DIR1, PACKED("J5a\0")), NT_STATUS_NO_SNAPSHOT, "directory 1");
    CHECK_EVENTS(w, "leave J5a 1; join J5d 1; ");
    CHECK_STR(active(w).s, "J5d,");
    close_world(w);
}

/* ---- All or nothing --------------------------------------------------------------------- */

/* A bad chunk is refused whole: none of its nicks counts as listed or becomes present, and
 * the peerlist stays open for the next chunk. */
static void a_bad_chunk_changes_nothing_and_the_peerlist_stays_open(void) {
    struct settings settings;
    memset(&settings, 0, sizeof settings);
    settings.max_nicks = 4;
    struct world *w = open_world_with(settings);
    SYNC(w, DIR1, "J5a", "J5b");
    CHECK_EVENTS(w, "join J5a 1; join J5b 1; ");
    CHECK_OK(nt_peerlist_begin(w->t, DIR1));
    char too_long[NT_MAX_NICK_LEN + 8];
    memset(too_long, 'x', sizeof too_long);
    memcpy(too_long, "J5a", 4);
    too_long[sizeof too_long - 1] = '\0';
    CHECK_ERROR(add(w, DIR1, PACKED("J5a\0J5n\0\xff\0")), NT_STATUS_NICK_NOT_UTF8, "nicks[2]");
    CHECK_ERROR(add(w, DIR1, PACKED("J5a\0\0")), NT_STATUS_NICK_EMPTY, "nicks[1]");
    CHECK_ERROR(add(w, DIR1, PACKED("J5a\0J5n")), NT_STATUS_INVALID_ARGUMENT, "NUL");
    CHECK_ERROR(add(w, DIR1, too_long, sizeof too_long), NT_STATUS_NICK_TOO_LONG, "nicks[1]");
    CHECK_ERROR(add(w, DIR1, PACKED("J5a\0J5n\0J5o\0J5p\0")), NT_STATUS_NICK_LIMIT, "limit");
    w->clock.now = 999; /* the clock went back */
    CHECK_ERROR(add(w, DIR1, PACKED("J5a\0J5n\0")), NT_STATUS_CLOCK_WENT_BACKWARDS, "clock");
    w->clock.now = 1000;
    CHECK_NO_EVENTS(w);
    CHECK_STR(active(w).s, "J5a,J5b,");
    CHECK(snapshot_open(w, DIR1));
    CHECK_OK(add(w, DIR1, PACKED("J5b\0J5n\0J5n\0"))); /* a repeat counts once */
    CHECK_OK(nt_peerlist_commit(w->t, DIR1, NULL));
    CHECK_EVENTS(w, "join J5n 1; leave J5a 1; "); /* J5a was only in refused chunks */
    CHECK_STR(directory_nicks(w, DIR1).s, "J5b,J5n,");
    close_world(w);
}

/* Empty chunks are fine (NULL when the length is 0); a begin on an unknown directory beyond
 * the directory limit is refused. */
static void empty_chunks_and_the_directory_limit(void) {
    struct settings settings;
    memset(&settings, 0, sizeof settings);
    settings.max_directories = 1;
    struct world *w = open_world_with(settings);
    SYNC(w, DIR1, "J5a");
    CHECK_ERROR(nt_peerlist_begin(w->t, DIR2), NT_STATUS_DIRECTORY_LIMIT, "directory limit");
    CHECK_STR(directories(w).s, "1,");
    CHECK_OK(nt_peerlist_begin(w->t, DIR1));
    CHECK_OK(add(w, DIR1, NULL, 0));
    CHECK_OK(add(w, DIR1, PACKED("")));
    size_t gone_count = 0;
    CHECK_OK(nt_peerlist_commit(w->t, DIR1, &gone_count)); /* an empty list: all gone */
    CHECK_EQ(gone_count, 1);
    CHECK_EVENTS(w, "join J5a 1; leave J5a 1; ");
    close_world(w);
}

int main(void) {
    static const struct test_case tests[] = {
        TEST_CASE(chunks_join_at_once_and_only_the_commit_makes_nicks_gone),
        TEST_CASE(the_commit_drops_exactly_what_was_neither_listed_nor_reported_since_begin),
        TEST_CASE(reports_after_begin_are_kept_by_the_commit),
        TEST_CASE(commit_leaves_come_in_first_seen_order),
        TEST_CASE(a_callback_error_is_reported_after_the_whole_change),
        TEST_CASE(beginning_again_restarts_the_peerlist),
        TEST_CASE(abort_drops_nothing_and_closes_the_peerlist),
        TEST_CASE(chunks_need_a_peerlist_begun_on_their_directory),
        TEST_CASE(peerlists_of_several_directories_are_independent),
        TEST_CASE(removing_the_directory_discards_its_open_peerlist),
        TEST_CASE(disconnecting_the_directory_discards_its_open_peerlist),
        TEST_CASE(a_peerlist_received_while_disconnected_is_recorded_without_events),
        TEST_CASE(a_full_sync_closes_the_open_peerlist),
        TEST_CASE(a_bad_chunk_changes_nothing_and_the_peerlist_stays_open),
        TEST_CASE(empty_chunks_and_the_directory_limit),
    };
    return run_tests(tests, LENGTH(tests));
}
