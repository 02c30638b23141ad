/*
 * NT_PICK_MODE_STICKY (issue 17, item 4), through the real library: nt_pick_directory keeps
 * returning the same directory for a nick while the nick stays active there (as a taker
 * keeps the directory of a private-message session), and when it does not, fails over to
 * another of the nick's active directories, chosen at random, and keeps that one.
 */
#include "presence.h"

enum { DIR1 = 1, DIR2 = 2, DIR3 = 3, DIR4 = 4 };

static struct world *open_sticky(void) {
    struct settings settings;
    memset(&settings, 0, sizeof settings);
    settings.pick_mode = NT_PICK_MODE_STICKY;
    settings.presence_ttl_ms = 100;
    return open_world_with(settings);
}

static uint64_t pick(struct world *w, const char *nick) {
    uint64_t directory = 0;
    CHECK_OK(nt_pick_directory(w->t, nick, &directory));
    return directory;
}

/* Whether `directory` is one of the nick's active directories. */
static bool is_active_on(struct world *w, const char *nick, uint64_t directory) {
    char id[32];
    struct text list;
    snprintf(id, sizeof id, ",%llu,", (unsigned long long)directory);
    strcpy(list.s, ",");
    append_text(&list, active_directories(w, nick).s);
    return strstr(list.s, id) != NULL;
}

/* `count` more picks all give `expected`. */
static void check_picks(struct world *w, const char *nick, uint64_t expected, int count) {
    int same = 0;
    for (int i = 0; i < count; i++) {
        uint64_t directory = 0;
        CHECK_OK(nt_pick_directory_n(w->t, nick, strlen(nick), &directory));
        same += directory == expected;
    }
    CHECK_EQ(same, count);
}

/* While the nick stays active on the picked directory, every pick gives it, whatever the
 * nick's other directories do. */
static void the_pick_stays_while_the_nick_stays_active_there(void) {
    struct world *w = open_sticky();
    present(w, "J5a", DIR1);
    present(w, "J5a", DIR2);
    present(w, "J5a", DIR3);
    uint64_t first = pick(w, "J5a");
    CHECK(is_active_on(w, "J5a", first));
    check_picks(w, "J5a", first, 50);
    /* The nick's other directories: one reports it gone, one disconnects, a new one reports
     * it, and then the TTL takes every pair but the picked one, refreshed meanwhile. */
    uint64_t others[2], *other = others;
    for (uint64_t d = DIR1; d <= DIR3; d++)
        if (d != first)
            *other++ = d;
    gone(w, "J5a", others[0]);
    check_picks(w, "J5a", first, 10);
    CHECK_OK(nt_set_directory_connected(w->t, others[1], false));
    check_picks(w, "J5a", first, 10);
    present(w, "J5a", DIR4);
    check_picks(w, "J5a", first, 10);
    w->clock.now = 1050;
    present(w, "J5a", first);
    w->clock.now = 1120;
    CHECK_EQ(expire(w), 0);
    char only[32];
    snprintf(only, sizeof only, "%llu,", (unsigned long long)first);
    CHECK_STR(active_directories(w, "J5a").s, only);
    check_picks(w, "J5a", first, 20);
    close_world(w);
}

/* Every way a nick stops being active on its picked directory makes the next pick fail
 * over to another active directory, which then sticks, also once the first is back. */
static void the_pick_fails_over_when_the_nick_is_no_longer_active_there(void) {
    static const char *const ways[] = {"gone report", "disconnection", "removal",
                                       "full list",   "commit",        "presence TTL"};
    for (size_t way = 0; way < LENGTH(ways); way++) {
        struct world *w = open_sticky();
        present(w, "J5a", DIR1);
        present(w, "J5a", DIR2);
        present(w, "J5a", DIR3);
        present(w, "J5b", DIR1);
        present(w, "J5b", DIR2);
        present(w, "J5b", DIR3);
        uint64_t first = pick(w, "J5a");
        switch (way) {
        case 0: gone(w, "J5a", first); break;
        case 1: CHECK_OK(nt_set_directory_connected(w->t, first, false)); break;
        case 2: CHECK_OK(nt_remove_directory(w->t, first, NULL)); break;
        case 3: SYNC(w, first, "J5b"); break;
        case 4:
            CHECK_OK(nt_peerlist_begin(w->t, first));
            CHECK_OK(nt_peerlist_add(w->t, first, PACKED("J5b\0")));
            CHECK_OK(nt_peerlist_commit(w->t, first, NULL));
            break;
        default:
            w->clock.now = 1050;
            for (uint64_t d = DIR1; d <= DIR3; d++)
                if (d != first)
                    present(w, "J5a", d);
            w->clock.now = 1120;
            CHECK_OK(nt_expire(w->t, NULL)); /* J5a gone on `first`, J5b everywhere */
        }
        CHECK(!is_active_on(w, "J5a", first));
        uint64_t second = pick(w, "J5a");
        if (!CHECK(second != first && is_active_on(w, "J5a", second)))
            fprintf(stderr, "    after a %s: %llu, then %llu\n", ways[way],
                    (unsigned long long)first, (unsigned long long)second);
        check_picks(w, "J5a", second, 20);
        /* The first directory back: the pick stays where it went. */
        CHECK_OK(nt_set_directory_connected(w->t, first, true));
        present(w, "J5a", first);
        CHECK(is_active_on(w, "J5a", first));
        check_picks(w, "J5a", second, 20);
        close_world(w);
    }
}

/* The directory failed over to is chosen at random among the nick's other active
 * directories: over 200 nicks on four directories, each failover avoids the lost directory
 * and every directory is chosen (the chance that one of four never is, by luck, is below
 * 4 * (3/4)^200, about 1e-24). */
static void the_failover_is_random_among_the_other_active_directories(void) {
    struct world *w = open_sticky();
    unsigned chosen[DIR4 + 1] = {0};
    for (int i = 0; i < 200; i++) {
        char nick[16];
        snprintf(nick, sizeof nick, "J5n%d", i);
        for (uint64_t d = DIR1; d <= DIR4; d++)
            present(w, nick, d);
        uint64_t first = pick(w, nick);
        gone(w, nick, first);
        uint64_t second = pick(w, nick);
        CHECK(second != first && second >= DIR1 && second <= DIR4);
        if (second <= DIR4)
            chosen[second]++;
        w->events.s[0] = '\0'; /* (not looked at here) */
    }
    for (uint64_t d = DIR1; d <= DIR4; d++)
        CHECK(chosen[d] > 0);
    close_world(w);
}

/* A nick with no connected directory reporting it is not active: the pick is refused and
 * writes nothing. Back on one directory, that one is picked. */
static void a_nick_that_is_not_active_has_no_pick(void) {
    struct world *w = open_sticky();
    uint64_t directory = 42;
    CHECK_ERROR(nt_pick_directory(w->t, "J5a", &directory), NT_STATUS_NICK_NOT_ACTIVE, "J5a");
    present(w, "J5a", DIR1);
    present(w, "J5a", DIR2);
    uint64_t first = pick(w, "J5a");
    CHECK_OK(nt_set_directory_connected(w->t, DIR1, false));
    CHECK_OK(nt_set_directory_connected(w->t, DIR2, false));
    CHECK_ERROR(nt_pick_directory(w->t, "J5a", &directory), NT_STATUS_NICK_NOT_ACTIVE, "J5a");
    CHECK_ERROR(nt_pick_directory_n(w->t, "J5a", 3, &directory), NT_STATUS_NICK_NOT_ACTIVE,
                "J5a");
    CHECK_EQ(directory, 42);
    present(w, "J5a", DIR3);
    check_picks(w, "J5a", DIR3, 10);
    /* Its first directory back: the pick stays on DIR3 while J5a is active there. */
    CHECK_OK(nt_set_directory_connected(w->t, first, true));
    check_picks(w, "J5a", DIR3, 10);
    close_world(w);
}

int main(void) {
    static const struct test_case tests[] = {
        TEST_CASE(the_pick_stays_while_the_nick_stays_active_there),
        TEST_CASE(the_pick_fails_over_when_the_nick_is_no_longer_active_there),
        TEST_CASE(the_failover_is_random_among_the_other_active_directories),
        TEST_CASE(a_nick_that_is_not_active_has_no_pick),
    };
    return run_tests(tests, LENGTH(tests));
}
