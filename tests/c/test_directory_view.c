/*
 * Each directory's own view (issue 17, item 5), through the real library: nt_directories,
 * nt_get_directory_stats (every field of nt_directory_stats), nt_for_each_directory_nick and
 * nt_directory_nicks_packed, with their two-call patterns and NT_STATUS_NOT_FOUND for a
 * directory the tracker does not know.
 */
#include "presence.h"

enum { DIR1 = 1, DIR2 = 2, DIR5 = 5, DIR7 = 7 };

/* ---- nt_directories --------------------------------------------------------------------- */

/* Every directory the tracker knows (made known by a present report, a peerlist, a
 * connection state or a begun peerlist; not by gone reports alone; no longer once removed),
 * in no particular order, with the two-call pattern. */
static void nt_directories_lists_every_known_directory(void) {
    struct world *w = open_world();
    size_t len = 12345;
    CHECK_OK(nt_directories(w->t, NULL, 0, &len));
    CHECK_EQ(len, 0);
    present(w, "J5a", DIR1);
    SYNC(w, DIR2, "J5b");
    CHECK_OK(nt_set_directory_connected(w->t, DIR5, false));
    CHECK_OK(nt_peerlist_begin(w->t, DIR7));
    gone(w, "J5a", 9);
    static const uint8_t flag[] = {0};
    CHECK_OK(nt_update_batch(w->t, 9, PACKED("J5a\0"), flag, 1));
    CHECK_STR(directories(w).s, "1,2,5,7,");
    uint64_t ids[5] = {42, 42, 42, 42, 42};
    CHECK_ERROR(nt_directories(w->t, ids, 3, &len), NT_STATUS_BUFFER_TOO_SMALL, "too small");
    CHECK_EQ(len, 4);
    CHECK_EQ(ids[0], 42); /* untouched */
    CHECK_OK(nt_directories(w->t, ids, LENGTH(ids), &len));
    CHECK_EQ(len, 4);
    CHECK_EQ(ids[4], 42); /* only `len` entries written */
    CHECK_OK(nt_remove_directory(w->t, DIR2, NULL));
    CHECK_OK(nt_remove_directory(w->t, DIR5, NULL));
    CHECK_STR(directories(w).s, "1,7,");
    close_world(w);
}

/* ---- nt_get_directory_stats ------------------------------------------------------------- */

#define CHECK_DIRECTORY_STATS(w, directory, nicks_, connected_, open_, peerlist_ms, report_ms, \
                              peerlists_, reports_)                                          \
    do {                                                                                   \
        nt_directory_stats s_ = directory_stats((w), (directory));                         \
        CHECK_EQ(s_.nicks, (nicks_));                                                      \
        CHECK_EQ(s_.connected, (connected_));                                              \
        CHECK_EQ(s_.snapshot_open, (open_));                                               \
        CHECK_EQ(s_.last_peerlist_ms, (peerlist_ms));                                      \
        CHECK_EQ(s_.last_report_ms, (report_ms));                                          \
        CHECK_EQ(s_.peerlists, (peerlists_));                                              \
        CHECK_EQ(s_.reports, (reports_));                                                  \
    } while (0)

/* Each field through a directory's life: nicks it reports present (connected or not),
 * connection, open peerlist, when its last complete peerlist (synced or committed) and last
 * single report came (0: never), and how many of each since it became known. */
static void directory_stats_follow_every_field(void) {
    struct world *w = open_world();
    CHECK_OK(nt_set_directory_connected(w->t, DIR1, true));
    /*                        nicks conn open  peerlist report  lists reports */
    CHECK_DIRECTORY_STATS(w, DIR1, 0, true, false, 0, 0, 0, 0);
    w->clock.now = 1100;
    present(w, "J5a", DIR1);
    w->clock.now = 1200;
    present(w, "J5b", DIR1);
    gone(w, "J5a", DIR1);
    CHECK_DIRECTORY_STATS(w, DIR1, 1, true, false, 0, 1200, 0, 3);
    w->clock.now = 1300;
    SYNC(w, DIR1, "J5b", "J5c");
    CHECK_DIRECTORY_STATS(w, DIR1, 2, true, false, 1300, 1200, 1, 3);
    w->clock.now = 1400;
    CHECK_OK(nt_peerlist_begin(w->t, DIR1));
    CHECK_OK(nt_peerlist_add(w->t, DIR1, PACKED("J5b\0J5c\0J5d\0")));
    CHECK_DIRECTORY_STATS(w, DIR1, 3, true, true, 1300, 1200, 1, 3);
    w->clock.now = 1500;
    CHECK_OK(nt_peerlist_commit(w->t, DIR1, NULL));
    CHECK_DIRECTORY_STATS(w, DIR1, 3, true, false, 1500, 1200, 2, 3);
    w->clock.now = 1550;
    CHECK_OK(nt_peerlist_begin(w->t, DIR1));
    CHECK_OK(nt_peerlist_abort(w->t, DIR1)); /* an aborted list is not a peerlist */
    CHECK_DIRECTORY_STATS(w, DIR1, 3, true, false, 1500, 1200, 2, 3);
    w->clock.now = 1600;
    static const uint8_t flags[] = {1, 0};
    CHECK_OK(nt_update_batch(w->t, DIR1, PACKED("J5e\0J5b\0"), flags, 2)); /* two reports */
    CHECK_DIRECTORY_STATS(w, DIR1, 3, true, false, 1500, 1600, 2, 5);
    w->clock.now = 1700;
    CHECK_OK(nt_sync_peerlist_packed(w->t, DIR1, PACKED("J5c\0J5d\0J5e\0")));
    CHECK_OK(nt_set_directory_connected(w->t, DIR1, false));
    CHECK_DIRECTORY_STATS(w, DIR1, 3, false, false, 1700, 1600, 3, 5);
    w->clock.now = 1800;
    present(w, "J5f", DIR1); /* recorded while down */
    CHECK_DIRECTORY_STATS(w, DIR1, 4, false, false, 1700, 1800, 3, 6);
    /* Removed and known again: its counts start over. */
    CHECK_OK(nt_remove_directory(w->t, DIR1, NULL));
    nt_directory_stats stats;
    memset(&stats, 0x5a, sizeof stats);
    CHECK_ERROR(nt_get_directory_stats(w->t, DIR1, &stats), NT_STATUS_NOT_FOUND,
                "directory 1 is not known");
    CHECK_EQ(stats.peerlists, 0x5a5a5a5a5a5a5a5aULL); /* untouched */
    w->clock.now = 1900;
    present(w, "J5a", DIR1);
    CHECK_DIRECTORY_STATS(w, DIR1, 1, true, false, 0, 1900, 0, 1);
    close_world(w);
}

/* ---- A directory's nicks ---------------------------------------------------------------- */

struct visits {
    struct world *w;
    struct text text;
    bool change; /* whether the visitor reports each visited nick gone on DIR1 */
};

static void visit_nick(void *user_data, const char *nick) {
    struct visits *visits = (struct visits *)user_data;
    append_text(&visits->text, nick);
    append_text(&visits->text, ",");
    if (visits->change) {
        CHECK_OK(nt_mark_gone(visits->w->t, nick, DIR1));
        CHECK_STR(visits->w->events.s, ""); /* the events come after the last visit */
    }
}

/* The nicks a directory reports present, whether connected or not, neither those it
 * reported gone nor those only other directories report. */
static void each_directory_lists_its_own_nicks(void) {
    struct world *w = open_world();
    SYNC(w, DIR1, "J5a", "J5b", "J5c");
    SYNC(w, DIR2, "J5c", "J5d");
    gone(w, "J5b", DIR1);
    CHECK_OK(nt_set_directory_connected(w->t, DIR2, false));
    CHECK_OK(nt_set_directory_connected(w->t, DIR5, true));
    CHECK_STR(directory_nicks(w, DIR1).s, "J5a,J5c,");
    CHECK_STR(directory_nicks(w, DIR2).s, "J5c,J5d,"); /* kept while disconnected */
    CHECK_STR(directory_nicks(w, DIR5).s, "");         /* known, empty */
    CHECK_STR(directory_nicks(w, DIR7).s, "(not found)");
    CHECK_STR(active(w).s, "J5a,J5c,");
    /* The visitor visits the same nicks as the packed list has. */
    const uint64_t known[] = {DIR1, DIR2, DIR5};
    for (size_t i = 0; i < LENGTH(known); i++) {
        struct visits visits;
        memset(&visits, 0, sizeof visits);
        visits.w = w;
        CHECK_OK(nt_for_each_directory_nick(w->t, known[i], visit_nick, &visits));
        CHECK_STR(sorted(visits.text).s, directory_nicks(w, known[i]).s);
    }
    close_world(w);
}

/* nt_for_each_directory_nick visits a snapshot without the lock, so the visitor may change
 * the tracker, whose events come after the last visit. */
static void the_directory_visitor_sees_a_snapshot_and_may_change_the_tracker(void) {
    struct world *w = open_world();
    SYNC(w, DIR1, "J5a", "J5b", "J5c");
    CHECK_OK(nt_set_directory_connected(w->t, DIR2, true));
    CHECK_EVENTS(w, "join J5a 1; join J5b 1; join J5c 1; ");
    struct visits visits;
    memset(&visits, 0, sizeof visits);
    visits.w = w;
    CHECK_OK(nt_for_each_directory_nick(w->t, DIR2, visit_nick, &visits));
    CHECK_STR(visits.text.s, "");
    CHECK_OK(nt_for_each_directory_nick(w->t, DIR1, visit_nick, &visits));
    CHECK_STR(sorted(visits.text).s, "J5a,J5b,J5c,");
    visits.text.s[0] = '\0';
    visits.change = true;
    CHECK_OK(nt_for_each_directory_nick(w->t, DIR1, visit_nick, &visits));
    CHECK_STR(sorted(visits.text).s, "J5a,J5b,J5c,"); /* all visited, though gone meanwhile */
    struct text leaves; /* one leave per visit, in the order of the visits */
    leaves.s[0] = '\0';
    for (char *nick = strtok(visits.text.s, ","); nick != NULL; nick = strtok(NULL, ",")) {
        append_text(&leaves, "leave ");
        append_text(&leaves, nick);
        append_text(&leaves, " 1; ");
    }
    CHECK_EVENTS(w, leaves.s);
    CHECK_STR(directory_nicks(w, DIR1).s, "");
    visits.text.s[0] = '\0';
    CHECK_ERROR(nt_for_each_directory_nick(w->t, DIR7, visit_nick, &visits),
                NT_STATUS_NOT_FOUND, "directory 7");
    CHECK_STR(visits.text.s, "");
    close_world(w);
}

/* nt_directory_nicks_packed's two-call pattern: a capacity too small (0 with NULL, or one
 * byte short) gets NT_STATUS_BUFFER_TOO_SMALL, the needed length and an untouched buffer;
 * enough gets the list and its exact length, nothing written beyond. */
static void directory_nicks_packed_has_the_two_call_pattern(void) {
    struct world *w = open_world();
    SYNC(w, DIR1, "J5a", "J5bb");
    size_t len = 12345;
    CHECK_ERROR(nt_directory_nicks_packed(w->t, DIR1, NULL, 0, &len),
                NT_STATUS_BUFFER_TOO_SMALL, "too small");
    CHECK_EQ(len, 9);
    char buffer[16];
    memset(buffer, '#', sizeof buffer);
    CHECK_ERROR(nt_directory_nicks_packed(w->t, DIR1, buffer, 8, &len),
                NT_STATUS_BUFFER_TOO_SMALL, "too small");
    CHECK_EQ(len, 9);
    CHECK_EQ(buffer[0], '#');
    CHECK_OK(nt_directory_nicks_packed(w->t, DIR1, buffer, sizeof buffer, &len));
    CHECK_EQ(len, 9);
    CHECK_EQ(buffer[9], '#');
    CHECK_STR(sorted(unpack(buffer, len)).s, "J5a,J5bb,");
    CHECK_OK(nt_directory_nicks_packed(w->t, DIR1, buffer, 9, &len)); /* exactly enough */
    CHECK_OK(nt_set_directory_connected(w->t, DIR2, true));
    len = 12345;
    CHECK_OK(nt_directory_nicks_packed(w->t, DIR2, NULL, 0, &len)); /* empty: fits in 0 */
    CHECK_EQ(len, 0);
    len = 12345;
    CHECK_ERROR(nt_directory_nicks_packed(w->t, DIR7, buffer, sizeof buffer, &len),
                NT_STATUS_NOT_FOUND, "directory 7");
    CHECK_EQ(len, 12345);
    close_world(w);
}

int main(void) {
    static const struct test_case tests[] = {
        TEST_CASE(nt_directories_lists_every_known_directory),
        TEST_CASE(directory_stats_follow_every_field),
        TEST_CASE(each_directory_lists_its_own_nicks),
        TEST_CASE(the_directory_visitor_sees_a_snapshot_and_may_change_the_tracker),
        TEST_CASE(directory_nicks_packed_has_the_two_call_pattern),
    };
    return run_tests(tests, LENGTH(tests));
}
