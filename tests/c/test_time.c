/*
 * Time (issue 17, item 3, first half), through the real library: the caller's clock
 * (nt_options' `clock` and `clock_user_data`, here a fake one), a clock that goes backwards
 * (NT_STATUS_CLOCK_WENT_BACKWARDS, nothing changed), and last-seen times per (nick,
 * directory) pair and per nick (nt_last_seen, nt_last_seen_anywhere). Expiry is in
 * test_expiry.c.
 */
#include "presence.h"

enum { DIR1 = 1, DIR2 = 2, DIR3 = 3 };

/* The pair's last-seen time, checked to be known. */
static uint64_t seen(struct world *w, const char *nick, uint64_t directory) {
    uint64_t ms = 0;
    CHECK_OK(nt_last_seen(w->t, nick, directory, &ms));
    return ms;
}

static uint64_t seen_anywhere(struct world *w, const char *nick) {
    uint64_t ms = 0;
    CHECK_OK(nt_last_seen_anywhere(w->t, nick, &ms));
    return ms;
}

/* ---- The clock -------------------------------------------------------------------------- */

/* The tracker reads the caller's clock, with its user data, at most once per call. */
static void the_clock_is_read_with_its_user_data_at_most_once_per_call(void) {
    struct world *w = open_world();
    static const uint8_t flags[] = {1, 0, 1};
    unsigned before = w->clock.reads;
#define AT_MOST_ONE_READ(call)                                                             \
    do {                                                                                   \
        before = w->clock.reads;                                                           \
        CHECK_OK(call);                                                                    \
        CHECK(w->clock.reads - before <= 1);                                               \
    } while (0)
    AT_MOST_ONE_READ(nt_mark_present(w->t, "J5a", DIR1));
    CHECK_EQ(w->clock.reads - before, 1); /* it needed the time: the last-seen time */
    AT_MOST_ONE_READ(nt_mark_gone(w->t, "J5a", DIR1));
    AT_MOST_ONE_READ(nt_update_n(w->t, "J5a", 3, DIR1, true));
    const char *const list[] = {"J5a", "J5b", "J5c"};
    AT_MOST_ONE_READ(nt_sync_peerlist(w->t, DIR1, list, 3));
    AT_MOST_ONE_READ(nt_sync_peerlist(w->t, DIR1, list, 3)); /* resent */
    AT_MOST_ONE_READ(nt_sync_peerlist_packed(w->t, DIR2, PACKED("J5a\0J5d\0")));
    AT_MOST_ONE_READ(nt_peerlist_begin(w->t, DIR1));
    AT_MOST_ONE_READ(nt_peerlist_add(w->t, DIR1, PACKED("J5a\0J5e\0J5a\0")));
    AT_MOST_ONE_READ(nt_peerlist_commit(w->t, DIR1, NULL));
    AT_MOST_ONE_READ(nt_update_batch(w->t, DIR3, PACKED("J5f\0J5f\0J5g\0"), flags, 3));
    AT_MOST_ONE_READ(nt_set_directory_connected(w->t, DIR3, false));
    AT_MOST_ONE_READ(nt_set_directory_connected(w->t, DIR3, true));
    AT_MOST_ONE_READ(nt_expire(w->t, NULL));
    AT_MOST_ONE_READ(nt_remove_directory(w->t, DIR2, NULL));
#undef AT_MOST_ONE_READ
    close_world(w);
}

/* A clock that goes back is refused by every call that needs the time, which then changes
 * nothing (events, nicks, last-seen times, an open peerlist); a reading equal to the last is
 * fine, and the refused reading is not kept: the next must not be earlier than the last
 * reading accepted. */
static void a_clock_that_goes_backwards_is_refused_and_changes_nothing(void) {
    struct world *w = open_world();
    w->clock.now = 5000;
    SYNC(w, DIR1, "J5a", "J5b");
    CHECK_OK(nt_peerlist_begin(w->t, DIR1));
    CHECK_EVENTS(w, "join J5a 1; join J5b 1; ");
    static const uint8_t flags[] = {1, 0};
    const char *const list[] = {"J5c"};
    for (uint64_t back = 4000; back < 5000; back += 999) { /* 4000, then 4999 */
        w->clock.now = back;
        CHECK_ERROR(nt_mark_present(w->t, "J5c", DIR1), NT_STATUS_CLOCK_WENT_BACKWARDS,
                    "after reading 5000 ms");
        CHECK_ERROR(nt_mark_present(w->t, "J5a", DIR1), NT_STATUS_CLOCK_WENT_BACKWARDS,
                    "clock");
        CHECK_ERROR(nt_mark_gone(w->t, "J5a", DIR1), NT_STATUS_CLOCK_WENT_BACKWARDS, "clock");
        CHECK_ERROR(nt_update_n(w->t, "J5c", 3, DIR2, true), NT_STATUS_CLOCK_WENT_BACKWARDS,
                    "clock");
        CHECK_ERROR(nt_sync_peerlist(w->t, DIR1, list, 1), NT_STATUS_CLOCK_WENT_BACKWARDS,
                    "clock");
        CHECK_ERROR(nt_sync_peerlist_packed(w->t, DIR2, PACKED("J5c\0")),
                    NT_STATUS_CLOCK_WENT_BACKWARDS, "clock");
        CHECK_ERROR(nt_peerlist_add(w->t, DIR1, PACKED("J5c\0")),
                    NT_STATUS_CLOCK_WENT_BACKWARDS, "clock");
        CHECK_ERROR(nt_peerlist_commit(w->t, DIR1, NULL), NT_STATUS_CLOCK_WENT_BACKWARDS,
                    "clock");
        CHECK_ERROR(nt_update_batch(w->t, DIR1, PACKED("J5c\0J5a\0"), flags, 2),
                    NT_STATUS_CLOCK_WENT_BACKWARDS, "clock");
        size_t gone_count = 12345;
        CHECK_ERROR(nt_expire(w->t, &gone_count), NT_STATUS_CLOCK_WENT_BACKWARDS, "clock");
        CHECK_EQ(gone_count, 12345);
        CHECK_NO_EVENTS(w);
        CHECK_STR(active(w).s, "J5a,J5b,");
        CHECK_STR(directories(w).s, "1,");
        CHECK(directory_stats(w, DIR1).snapshot_open);
        CHECK_EQ(directory_stats(w, DIR1).peerlists, 1);
        CHECK_EQ(directory_stats(w, DIR1).last_report_ms, 0);
        CHECK_EQ(seen(w, "J5a", DIR1), 5000);
    }
    w->clock.now = 5000; /* the same time again: fine */
    present(w, "J5c", DIR1);
    CHECK_OK(nt_peerlist_commit(w->t, DIR1, NULL));
    CHECK_EVENTS(w, "join J5c 1; leave J5a 1; leave J5b 1; ");
    CHECK_EQ(seen(w, "J5c", DIR1), 5000);
    w->clock.now = 5001;
    present(w, "J5c", DIR1);
    CHECK_EQ(seen(w, "J5c", DIR1), 5001);
    close_world(w);
}

/* Calls that do not need the time succeed whatever the clock says. */
static void queries_and_removals_do_not_need_the_time(void) {
    struct world *w = open_world();
    w->clock.now = 5000;
    SYNC(w, DIR1, "J5a");
    SYNC(w, DIR2, "J5a");
    w->clock.now = 10;
    uint64_t directory = 0;
    CHECK(nick_is_active(w, "J5a"));
    CHECK_OK(nt_pick_directory(w->t, "J5a", &directory));
    CHECK_EQ(seen(w, "J5a", DIR1), 5000);
    CHECK_EQ(directory_stats(w, DIR1).last_peerlist_ms, 5000);
    CHECK_STR(directory_nicks(w, DIR1).s, "J5a,");
    CHECK_OK(nt_remove_directory(w->t, DIR2, NULL));
    CHECK_STR(active_directories(w, "J5a").s, "1,");
    close_world(w);
}

/* ---- Last-seen times -------------------------------------------------------------------- */

/* A pair's last-seen time is that of its latest present report or listing (a full list,
 * resent unchanged or not, a chunk, a batch entry); a gone report does not change it. */
static void last_seen_is_the_latest_present_report_or_listing(void) {
    struct world *w = open_world();
    SYNC(w, DIR1, "J5a", "J5b", "J5c");
    present(w, "J5c", DIR3); /* so that J5c stays held when DIR1 drops it */
    CHECK_EQ(seen(w, "J5a", DIR1), 1000);
    w->clock.now = 1100;
    present(w, "J5b", DIR1);
    present(w, "J5b", DIR2);
    CHECK_EQ(seen(w, "J5b", DIR1), 1100);
    CHECK_EQ(seen(w, "J5a", DIR1), 1000);
    w->clock.now = 1200;
    SYNC(w, DIR1, "J5a", "J5b", "J5c"); /* resent unchanged */
    CHECK_EQ(seen(w, "J5a", DIR1), 1200);
    CHECK_EQ(seen(w, "J5b", DIR1), 1200);
    CHECK_EQ(seen(w, "J5b", DIR2), 1100);
    CHECK_EQ(seen_anywhere(w, "J5b"), 1200);
    w->clock.now = 1300;
    CHECK_OK(nt_peerlist_begin(w->t, DIR1));
    CHECK_OK(nt_peerlist_add(w->t, DIR1, PACKED("J5a\0")));
    CHECK_EQ(seen(w, "J5a", DIR1), 1300);
    CHECK_EQ(seen(w, "J5c", DIR1), 1200); /* not listed (yet) */
    w->clock.now = 1400;
    static const uint8_t flags[] = {1};
    CHECK_OK(nt_update_batch(w->t, DIR2, PACKED("J5b\0"), flags, 1));
    CHECK_EQ(seen(w, "J5b", DIR2), 1400);
    CHECK_EQ(seen_anywhere(w, "J5b"), 1400);
    w->clock.now = 1500;
    gone(w, "J5b", DIR1); /* J5b is still held, through DIR2 */
    CHECK_EQ(seen(w, "J5b", DIR1), 1200);
    CHECK_OK(nt_peerlist_commit(w->t, DIR1, NULL)); /* J5c dropped: its time stays */
    CHECK_EQ(seen(w, "J5c", DIR1), 1200);
    CHECK_EQ(seen_anywhere(w, "J5c"), 1200);
    CHECK_STR(active(w).s, "J5a,J5b,J5c,");
    close_world(w);
}

/* Full lists resent unchanged are matched as bytes against the last one, not looked up nick
 * by nick: a nick they then drop (or a single report then changes) still has the time of its
 * last listing, with or without repeats in the lists. */
static void a_nick_dropped_by_a_full_list_keeps_the_time_of_its_last_listing(void) {
    struct world *w = open_world();
    for (int repeats = 0; repeats < 2; repeats++) {
        uint64_t d = repeats ? DIR2 : DIR1;
        present(w, "J5b", DIR3);
        present(w, "J5c", DIR3);
        w->clock.now += 100;
        const char *const list[] = {"J5a", "J5b", "J5c", "J5a"};
        CHECK_OK(nt_sync_peerlist(w->t, d, list, repeats ? 4 : 3));
        w->clock.now += 100;
        uint64_t listed = w->clock.now;
        CHECK_OK(nt_sync_peerlist(w->t, d, list, repeats ? 4 : 3)); /* resent */
        w->clock.now += 100;
        gone(w, "J5c", d);
        w->clock.now += 100;
        CHECK_OK(nt_sync_peerlist(w->t, d, list, 1)); /* J5b dropped */
        CHECK_EQ(seen(w, "J5a", d), w->clock.now);
        CHECK_EQ(seen(w, "J5b", d), listed);
        CHECK_EQ(seen(w, "J5c", d), listed);
        CHECK_STR(directory_nicks(w, d).s, "J5a,");
    }
    close_world(w);
}

/* NT_STATUS_NOT_FOUND, writing nothing: a directory that has no report of the nick, an
 * unknown directory, an unknown nick, a nick forgotten once no directory reported it present
 * any more. A nick held but not active (only a disconnected directory reports it) still has
 * its times; it is nt_pick_directory that answers NT_STATUS_NICK_NOT_ACTIVE for it. */
static void last_seen_not_found_and_not_active(void) {
    struct world *w = open_world();
    present(w, "J5a", DIR1);
    present(w, "J5b", DIR2);
    uint64_t ms = 42;
    CHECK_ERROR(nt_last_seen(w->t, "J5a", DIR2, &ms), NT_STATUS_NOT_FOUND, "J5a");
    CHECK_ERROR(nt_last_seen(w->t, "J5a", DIR3, &ms), NT_STATUS_NOT_FOUND, "not known");
    CHECK_ERROR(nt_last_seen(w->t, "J5z", DIR1, &ms), NT_STATUS_NOT_FOUND, "not known");
    CHECK_ERROR(nt_last_seen_anywhere(w->t, "J5z", &ms), NT_STATUS_NOT_FOUND, "J5z");
    w->clock.now = 2000;
    gone(w, "J5a", DIR1); /* gone everywhere: forgotten */
    CHECK_ERROR(nt_last_seen(w->t, "J5a", DIR1, &ms), NT_STATUS_NOT_FOUND, "J5a");
    CHECK_ERROR(nt_last_seen_anywhere(w->t, "J5a", &ms), NT_STATUS_NOT_FOUND, "J5a");
    CHECK_EQ(ms, 42);
    CHECK_OK(nt_set_directory_connected(w->t, DIR2, false));
    CHECK(!nick_is_active(w, "J5b"));
    CHECK_EQ(seen(w, "J5b", DIR2), 1000);
    CHECK_EQ(seen_anywhere(w, "J5b"), 1000);
    uint64_t directory = 42;
    CHECK_ERROR(nt_pick_directory(w->t, "J5b", &directory), NT_STATUS_NICK_NOT_ACTIVE, "J5b");
    CHECK_EQ(directory, 42);
    /* Reported again after being forgotten, a nick's times start afresh. */
    w->clock.now = 3000;
    present(w, "J5a", DIR2);
    CHECK_EQ(seen_anywhere(w, "J5a"), 3000);
    CHECK_ERROR(nt_last_seen(w->t, "J5a", DIR1, &ms), NT_STATUS_NOT_FOUND, "J5a");
    close_world(w);
}

/* nt_last_seen_anywhere is the latest nt_last_seen over the nick's directories, connected or
 * not, present or reported gone. */
static void last_seen_anywhere_is_the_latest_over_every_directory(void) {
    struct world *w = open_world();
    present(w, "J5a", DIR1);
    w->clock.now = 3000;
    present(w, "J5a", DIR3);
    w->clock.now = 4000;
    present(w, "J5a", DIR2);
    CHECK_EQ(seen_anywhere(w, "J5a"), 4000);
    w->clock.now = 5000;
    gone(w, "J5a", DIR2);
    CHECK_EQ(seen_anywhere(w, "J5a"), 4000);
    CHECK_OK(nt_set_directory_connected(w->t, DIR3, false));
    CHECK_OK(nt_remove_directory(w->t, DIR2, NULL));
    CHECK_EQ(seen_anywhere(w, "J5a"), 3000);
    close_world(w);
}

/* Without a clock of the caller's, the tracker uses the system's monotonic clock: times are
 * readable and never decrease. */
static void the_default_clock_is_monotonic(void) {
    nt_options options;
    nt_tracker *t = NULL;
    CHECK_OK(nt_options_init(&options, NT_OPTIONS_VERSION));
    CHECK_OK(nt_new_with_options(&options, &t));
    uint64_t previous = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t ms = 0;
        CHECK_OK(nt_mark_present(t, "J5a", DIR1));
        CHECK_OK(nt_last_seen(t, "J5a", DIR1, &ms));
        CHECK(ms >= previous);
        previous = ms;
    }
    CHECK_OK(nt_expire(t, NULL));
    nt_free(t);
}

int main(void) {
    static const struct test_case tests[] = {
        TEST_CASE(the_clock_is_read_with_its_user_data_at_most_once_per_call),
        TEST_CASE(a_clock_that_goes_backwards_is_refused_and_changes_nothing),
        TEST_CASE(queries_and_removals_do_not_need_the_time),
        TEST_CASE(last_seen_is_the_latest_present_report_or_listing),
        TEST_CASE(a_nick_dropped_by_a_full_list_keeps_the_time_of_its_last_listing),
        TEST_CASE(last_seen_not_found_and_not_active),
        TEST_CASE(last_seen_anywhere_is_the_latest_over_every_directory),
        TEST_CASE(the_default_clock_is_monotonic),
    };
    return run_tests(tests, LENGTH(tests));
}
