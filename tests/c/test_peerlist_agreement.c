/*
 * A peerlist in chunks ends where the same whole peerlist does (issue 17, item 1:
 * "nt_sync_peerlist stays, as begin + add + commit"), through the real library: two trackers
 * on fake clocks with the same history, one fed whole lists (nt_sync_peerlist, matched as
 * bytes against the last one when resent) and the other the same lists in chunks, must agree
 * on everything observable, with and without expiry.
 */
#include "presence.h"

enum { DIR1 = 1, DIR2 = 2, DIR3 = 3 };

/* nt_sync_peerlist is begin + add + commit: two trackers with the same history, one fed
 * whole lists and the other the same lists in chunks, end alike. */
static void a_chunked_peerlist_ends_where_the_same_full_sync_does(void) {
    struct world *whole = open_world(), *chunked = open_world();
    static const char *const lists[][5] = {
        {"J5a", "J5b", "J5c", "J5d", NULL},
        {"J5c", "J5e", "J5a", NULL, NULL},
        {"J5f", NULL, NULL, NULL, NULL},
        {"J5f", "J5a", "J5b", "J5g", "J5h"},
    };
    for (size_t i = 0; i < LENGTH(lists); i++) {
        size_t count = 0;
        while (count < 5 && lists[i][count] != NULL)
            count++;
        present(whole, "J5z", DIR2);
        present(chunked, "J5z", DIR2);
        CHECK_OK(nt_sync_peerlist(whole->t, DIR1, lists[i], count));
        struct text whole_departed = departed();
        CHECK_OK(nt_peerlist_begin(chunked->t, DIR1));
        for (size_t at = 0; at < count; at += 2) { /* chunks of two nicks */
            char chunk[64] = "";
            size_t len = 0;
            for (size_t k = at; k < at + 2 && k < count; k++) {
                memcpy(chunk + len, lists[i][k], strlen(lists[i][k]) + 1);
                len += strlen(lists[i][k]) + 1;
            }
            CHECK_OK(nt_peerlist_add(chunked->t, DIR1, chunk, len));
        }
        CHECK_OK(nt_peerlist_commit(chunked->t, DIR1, NULL));
        CHECK_STR(departed().s, whole_departed.s);
        CHECK_STR(active(chunked).s, active(whole).s);
        CHECK_STR(directory_nicks(chunked, DIR1).s, directory_nicks(whole, DIR1).s);
        CHECK_EQ(directory_stats(chunked, DIR1).peerlists, i + 1);
        CHECK_EQ(directory_stats(whole, DIR1).peerlists, i + 1);
        /* The same events, except that a whole list delivers its leaves first. */
        CHECK_EQ(tracker_stats(chunked).joins, tracker_stats(whole).joins);
        CHECK_EQ(tracker_stats(chunked).leaves, tracker_stats(whole).leaves);
    }
    close_world(whole);
    close_world(chunked);
}

/* The same in a long history: a fixed pseudo-random sequence of lists (whole to one tracker,
 * in chunks of one to three to the other), single reports, batches, disconnections and
 * removals (and expiry, below) on three directories and eight nicks, the clock advancing. After each step
 * the two agree on everything observable: active nicks in order, each directory's nicks and
 * stats, every pair's last-seen time, the departures. */
static uint32_t lcg_state = 12345;

static uint32_t next_random(uint32_t below) {
    lcg_state = lcg_state * 1103515245u + 12345u;
    return (lcg_state >> 16) % below;
}

static const char *const names[] = {"J5a", "J5b", "J5c", "J5d", "J5e", "J5f", "J5g", "J5h"};

static void check_alike(struct world *one, struct world *other, unsigned step) {
    bool same = strcmp(active(one).s, active(other).s) == 0;
    for (uint64_t d = DIR1; d <= DIR3; d++) {
        same &= strcmp(directory_nicks(one, d).s, directory_nicks(other, d).s) == 0;
        for (size_t n = 0; n < LENGTH(names); n++) {
            uint64_t seen_one = 1, seen_other = 2;
            nt_status s1 = nt_last_seen(one->t, names[n], d, &seen_one);
            nt_status s2 = nt_last_seen(other->t, names[n], d, &seen_other);
            same &= s1 == s2 && (s1 != NT_STATUS_OK || seen_one == seen_other);
        }
    }
    same &= strcmp(directories(one).s, directories(other).s) == 0;
    /* The same events, in another order (a whole list delivers its leaves first). */
    same &= tracker_stats(one).joins == tracker_stats(other).joins;
    same &= tracker_stats(one).leaves == tracker_stats(other).leaves;
    one->events.s[0] = other->events.s[0] = '\0';
    if (!CHECK(same))
        fprintf(stderr, "    the trackers differ after step %u\n", step);
}

static void run_history(struct settings settings, bool expiring) {
    struct world *whole = open_world_with(settings), *chunked = open_world_with(settings);
    struct world *both[2] = {whole, chunked};
    unsigned failures_before = check_failures; /* stops at the first difference */
    for (unsigned step = 0; step < 400 && check_failures == failures_before; step++) {
        uint64_t directory = DIR1 + next_random(3);
        const char *nick = names[next_random(LENGTH(names))];
        uint32_t kind = next_random(expiring ? 12 : 10);
        uint64_t elapsed = next_random(3) * 7;
        whole->clock.now += elapsed;
        chunked->clock.now += elapsed;
        if (kind < 4) { /* a full list */
            const char *list[LENGTH(names)];
            char packed[64];
            size_t count = 0, len = 0;
            for (size_t n = 0; n < LENGTH(names); n++)
                if (next_random(2)) {
                    list[count++] = names[n];
                    memcpy(packed + len, names[n], 4);
                    len += 4;
                }
            CHECK_OK(nt_sync_peerlist(whole->t, directory, list, count));
            struct text gone_whole = departed();
            CHECK_OK(nt_peerlist_begin(chunked->t, directory));
            for (size_t at = 0; at < len;) {
                size_t take = 4 * (1 + next_random(3));
                take = take > len - at ? len - at : take;
                CHECK_OK(nt_peerlist_add(chunked->t, directory, packed + at, take));
                at += take;
            }
            CHECK_OK(nt_peerlist_commit(chunked->t, directory, NULL));
            CHECK_STR(departed().s, gone_whole.s);
        } else if (kind < 7) { /* a single report */
            bool is_present = next_random(2);
            for (int i = 0; i < 2; i++)
                CHECK_OK(nt_update(both[i]->t, nick, directory, is_present));
        } else if (kind < 8) { /* a batch of two */
            char packed[16];
            uint8_t flags[2] = {(uint8_t)next_random(2), (uint8_t)next_random(2)};
            memcpy(packed, nick, 4);
            memcpy(packed + 4, names[next_random(LENGTH(names))], 4);
            for (int i = 0; i < 2; i++)
                CHECK_OK(nt_update_batch(both[i]->t, directory, packed, 8, flags, 2));
        } else if (kind < 9) { /* a connection change */
            bool up = next_random(3) != 0;
            for (int i = 0; i < 2; i++)
                CHECK_OK(nt_set_directory_connected(both[i]->t, directory, up));
        } else if (kind < 10) {
            for (int i = 0; i < 2; i++)
                CHECK_OK(nt_remove_directory(both[i]->t, directory, NULL));
        } else {
            size_t gone_whole = 0, gone_chunked = 0;
            CHECK_OK(nt_expire(whole->t, &gone_whole));
            struct text departed_whole = departed();
            CHECK_OK(nt_expire(chunked->t, &gone_chunked));
            CHECK_EQ(gone_chunked, gone_whole);
            CHECK_STR(departed().s, departed_whole.s);
        }
        check_alike(whole, chunked, step);
    }
    close_world(whole);
    close_world(chunked);
}

static void a_long_history_of_chunked_peerlists_agrees_with_full_syncs(void) {
    struct settings settings;
    memset(&settings, 0, sizeof settings);
    run_history(settings, false);
}

/* The same with expiry (a presence TTL, a gone grace, a disconnected hold) and nt_expire()
 * among the steps: what a list refreshes, cancels or drops is the same either way. */
static void the_same_with_expiry(void) {
    struct settings settings;
    memset(&settings, 0, sizeof settings);
    settings.presence_ttl_ms = 40;
    settings.gone_grace_ms = 15;
    settings.disconnected_hold_ms = 60;
    run_history(settings, true);
}

int main(void) {
    static const struct test_case tests[] = {
        TEST_CASE(a_chunked_peerlist_ends_where_the_same_full_sync_does),
        TEST_CASE(a_long_history_of_chunked_peerlists_agrees_with_full_syncs),
        TEST_CASE(the_same_with_expiry),
    };
    return run_tests(tests, LENGTH(tests));
}
