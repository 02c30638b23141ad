/*
 * Beyond leave callbacks, through the real library: join and leave events, directory
 * connection state, routing choice (nt_pick_directory), statistics and the log callback.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nick_tracker.h>

#include "check.h"

/* ---- Fixture: a tracker whose events and log messages are recorded as text lines -------- */

struct journal {
    nt_tracker *tracker;
    char lines[32][NT_MAX_NICK_LEN + 96];
    size_t count;
    uint64_t last_seq; /* the seq of the latest event received */
};

static void add_line(struct journal *journal, const char *text) {
    if (CHECK(journal->count < LENGTH(journal->lines)))
        snprintf(journal->lines[journal->count], sizeof journal->lines[0], "%s", text);
    journal->count++;
}

static void record_event(void *user_data, const nt_event *event) {
    struct journal *journal = (struct journal *)user_data;
    char line[NT_MAX_NICK_LEN + 96];
    const char *kind = event->kind == NT_EVENT_KIND_JOIN    ? "join"
                       : event->kind == NT_EVENT_KIND_LEAVE ? "leave"
                                                            : "?";
    snprintf(line, sizeof line, "%s %s %llu", kind, event->nick,
             (unsigned long long)event->directory);
    /* Events are numbered 1, 2, 3... in the order the tracker made them; one thread gets
     * them in that order. */
    CHECK_EQ(event->seq, journal->last_seq + 1);
    journal->last_seq = event->seq;
    /* The tracker already reflects the event (these callbacks change nothing): re-entering
     * it is allowed. */
    bool active = false;
    CHECK_OK(nt_is_active(journal->tracker, event->nick, &active));
    CHECK_EQ(active, event->kind == NT_EVENT_KIND_JOIN);
    add_line(journal, line);
}

static void record_log(void *user_data, nt_log_level level, const char *message) {
    struct journal *journal = (struct journal *)user_data;
    char line[NT_MAX_NICK_LEN + 96];
    snprintf(line, sizeof line, "log%u %s", (unsigned)level, message);
    add_line(journal, line);
}

static struct journal *open_journal(uint32_t pick_mode, uint32_t log_level) {
    struct journal *journal = (struct journal *)calloc(1, sizeof *journal);
    nt_options options;
    if (journal == NULL || nt_options_init(&options, NT_OPTIONS_VERSION) != NT_STATUS_OK)
        exit(EXIT_FAILURE);
    options.on_event = record_event;
    options.event_user_data = journal;
    options.on_log = record_log;
    options.log_user_data = journal;
    options.log_level = log_level;
    options.pick_mode = pick_mode;
    if (nt_new_with_options(&options, &journal->tracker) != NT_STATUS_OK)
        exit(EXIT_FAILURE);
    return journal;
}

static void close_journal(struct journal *journal) {
    nt_free(journal->tracker);
    free(journal);
}

static void check_lines(struct journal *journal, const char *const *expected, size_t count,
                        const char *file, int line) {
    bool same = journal->count == count;
    for (size_t i = 0; same && i < count; i++)
        same = strcmp(journal->lines[i], expected[i]) == 0;
    if (!check_report(same, file, line, "journal holds the expected lines")) {
        for (size_t i = 0; i < journal->count && i < LENGTH(journal->lines); i++)
            fprintf(stderr, "    got: %s\n", journal->lines[i]);
    }
    journal->count = 0;
}

/* CHECK_LINES(journal, "join a 1", ...): exactly these lines since the last check. */
#define CHECK_LINES(journal, ...)                                                          \
    do {                                                                                   \
        const char *const expected_[] = {__VA_ARGS__};                                     \
        check_lines((journal), expected_, LENGTH(expected_), __FILE__, __LINE__);          \
    } while (0)

#define CHECK_NO_LINES(journal) check_lines((journal), NULL, 0, __FILE__, __LINE__)

static nt_stats stats_of(struct journal *journal) {
    nt_stats stats;
    memset(&stats, 0xff, sizeof stats);
    CHECK_OK(nt_get_stats(journal->tracker, &stats));
    /* Every event made so far was delivered: the latest seq counts them all. */
    CHECK_EQ(stats.joins + stats.leaves, journal->last_seq);
    return stats;
}

/* ---- Events ------------------------------------------------------------------------------ */

static void a_nick_joins_and_leaves_once_per_presence_period(void) {
    struct journal *j = open_journal(NT_PICK_MODE_RANDOM, NT_LOG_LEVEL_WARN);
    CHECK_OK(nt_mark_present(j->tracker, "J5alice", 1));
    CHECK_OK(nt_mark_present(j->tracker, "J5alice", 2));
    CHECK_OK(nt_mark_gone(j->tracker, "J5alice", 1));
    CHECK_LINES(j, "join J5alice 1");
    CHECK_OK(nt_mark_gone(j->tracker, "J5alice", 2));
    CHECK_OK(nt_mark_gone(j->tracker, "J5alice", 2));
    CHECK_LINES(j, "leave J5alice 2");
    CHECK_OK(nt_mark_present(j->tracker, "J5alice", 3));
    CHECK_LINES(j, "join J5alice 3");
    close_journal(j);
}

static void a_sync_reports_leaves_in_first_seen_order_then_joins_in_list_order(void) {
    struct journal *j = open_journal(NT_PICK_MODE_RANDOM, NT_LOG_LEVEL_WARN);
    const char *const before[] = {"J5carol", "J5alice", "J5bob"};
    const char *const after[] = {"J5erin", "J5alice", "J5dave"};
    CHECK_OK(nt_sync_peerlist(j->tracker, 1, before, LENGTH(before)));
    CHECK_LINES(j, "join J5carol 1", "join J5alice 1", "join J5bob 1");
    CHECK_OK(nt_sync_peerlist(j->tracker, 1, after, LENGTH(after)));
    CHECK_LINES(j, "leave J5carol 1", "leave J5bob 1", "join J5erin 1", "join J5dave 1");
    close_journal(j);
}

static unsigned leave_calls;

static void count_leave(void *user_data, const char *nick) {
    (void)user_data;
    (void)nick;
    leave_calls++;
}

static void nt_new_still_delivers_only_leaves_to_its_callback(void) {
    nt_tracker *tracker = NULL;
    leave_calls = 0;
    CHECK_OK(nt_new(count_leave, NULL, &tracker));
    CHECK_OK(nt_mark_present(tracker, "J5alice", 1));
    CHECK_EQ(leave_calls, 0);
    CHECK_OK(nt_mark_gone(tracker, "J5alice", 1));
    CHECK_EQ(leave_calls, 1);
    nt_stats stats;
    CHECK_OK(nt_get_stats(tracker, &stats));
    CHECK_EQ(stats.joins, 1); /* counted although nt_new has no join callback */
    CHECK_EQ(stats.leaves, 1);
    nt_free(tracker);
}

/* ---- Directory connection state ---------------------------------------------------------- */

static void a_dropped_directory_counts_as_absent_until_it_reconnects(void) {
    struct journal *j = open_journal(NT_PICK_MODE_ROUND_ROBIN, NT_LOG_LEVEL_WARN);
    const char *const first[] = {"J5alice", "J5bob"};
    CHECK_OK(nt_sync_peerlist(j->tracker, 1, first, LENGTH(first)));
    CHECK_OK(nt_mark_present(j->tracker, "J5bob", 2));
    j->count = 0;

    CHECK_OK(nt_set_directory_connected(j->tracker, 1, false));
    CHECK_LINES(j, "leave J5alice 1");
    nt_stats stats = stats_of(j);
    CHECK_EQ(stats.nicks, 2); /* J5alice's record is kept for directory 1 */
    CHECK_EQ(stats.active_nicks, 1);
    CHECK_EQ(stats.connected_directories, 1);
    uint64_t directory = 0;
    CHECK_ERROR(nt_pick_directory(j->tracker, "J5alice", &directory), NT_STATUS_NICK_NOT_ACTIVE,
                "J5alice");
    CHECK_OK(nt_set_directory_connected(j->tracker, 1, false)); /* no change, no events */
    CHECK_NO_LINES(j);

    CHECK_OK(nt_set_directory_connected(j->tracker, 1, true));
    CHECK_LINES(j, "join J5alice 1");
    /* Its next peerlist has the last word. */
    const char *const second[] = {"J5bob"};
    CHECK_OK(nt_sync_peerlist(j->tracker, 1, second, LENGTH(second)));
    CHECK_LINES(j, "leave J5alice 1");
    stats = stats_of(j);
    CHECK_EQ(stats.nicks, 1);
    close_journal(j);
}

static void an_unknown_directory_can_be_declared_down_before_it_reports(void) {
    struct journal *j = open_journal(NT_PICK_MODE_RANDOM, NT_LOG_LEVEL_WARN);
    CHECK_OK(nt_set_directory_connected(j->tracker, 9, false));
    CHECK_OK(nt_mark_present(j->tracker, "J5alice", 9));
    CHECK_NO_LINES(j);
    CHECK_EQ(stats_of(j).active_nicks, 0);
    CHECK_OK(nt_set_directory_connected(j->tracker, 9, true));
    CHECK_LINES(j, "join J5alice 9");
    size_t gone = 0;
    CHECK_OK(nt_remove_directory(j->tracker, 9, &gone));
    CHECK_EQ(gone, 1);
    CHECK_LINES(j, "leave J5alice 9");
    close_journal(j);
}

/* ---- Routing choice ---------------------------------------------------------------------- */

static void round_robin_picks_cycle_through_active_directories(void) {
    struct journal *j = open_journal(NT_PICK_MODE_ROUND_ROBIN, NT_LOG_LEVEL_WARN);
    const uint64_t order[] = {30, 10, 20};
    for (size_t i = 0; i < LENGTH(order); i++)
        CHECK_OK(nt_mark_present(j->tracker, "J5alice", order[i]));
    const uint64_t expected[] = {30, 10, 20, 30, 10};
    for (size_t i = 0; i < LENGTH(expected); i++) {
        uint64_t directory = 0;
        CHECK_OK(nt_pick_directory(j->tracker, "J5alice", &directory));
        CHECK_EQ(directory, expected[i]);
    }
    close_journal(j);
}

static void random_picks_cover_every_active_directory_and_nothing_else(void) {
    struct journal *j = open_journal(NT_PICK_MODE_RANDOM, NT_LOG_LEVEL_WARN);
    for (uint64_t d = 1; d <= 4; d++)
        CHECK_OK(nt_mark_present(j->tracker, "J5alice", d));
    CHECK_OK(nt_mark_gone(j->tracker, "J5alice", 4));
    unsigned counts[5] = {0};
    for (int i = 0; i < 3000; i++) {
        uint64_t directory = 0;
        CHECK_OK(nt_pick_directory(j->tracker, "J5alice", &directory));
        if (CHECK(directory >= 1 && directory <= 3))
            counts[directory]++;
    }
    /* 1000 expected each; 800 is over 7 standard deviations below. */
    for (int d = 1; d <= 3; d++)
        CHECK(counts[d] > 800);
    close_journal(j);
}

/* ---- Observability ----------------------------------------------------------------------- */

static void stats_count_nicks_directories_and_events(void) {
    struct journal *j = open_journal(NT_PICK_MODE_RANDOM, NT_LOG_LEVEL_WARN);
    const char *const list[] = {"a", "b", "c"};
    CHECK_OK(nt_sync_peerlist(j->tracker, 1, list, LENGTH(list)));
    CHECK_OK(nt_mark_present(j->tracker, "a", 2));
    CHECK_OK(nt_remove_directory(j->tracker, 1, NULL));
    nt_stats stats = stats_of(j);
    CHECK_EQ(stats.nicks, 1);
    CHECK_EQ(stats.active_nicks, 1);
    CHECK_EQ(stats.directories, 1);
    CHECK_EQ(stats.connected_directories, 1);
    CHECK_EQ(stats.joins, 3);
    CHECK_EQ(stats.leaves, 2);
    close_journal(j);
}

static void log_messages_respect_the_level_and_escape_nicks(void) {
    struct journal *j = open_journal(NT_PICK_MODE_RANDOM, NT_LOG_LEVEL_DEBUG);
    CHECK_OK(nt_mark_present(j->tracker, "evil\nINFO fake line", 1));
    CHECK_OK(nt_remove_directory(j->tracker, 1, NULL));
    CHECK_LINES(j, "join evil\nINFO fake line 1",
                "log4 nick \"evil\\nINFO fake line\" is active (directory 1)",
                "leave evil\nINFO fake line 1",
                "log3 nick \"evil\\nINFO fake line\" has left all directories (last: directory 1)",
                "log3 directory 1 removed: 1 nicks left");
    close_journal(j);

    j = open_journal(NT_PICK_MODE_RANDOM, NT_LOG_LEVEL_INFO);
    CHECK_OK(nt_mark_present(j->tracker, "J5alice", 1));
    CHECK_LINES(j, "join J5alice 1"); /* the DEBUG message is filtered out */
    close_journal(j);
}

int main(void) {
    static const struct test_case tests[] = {
        TEST_CASE(a_nick_joins_and_leaves_once_per_presence_period),
        TEST_CASE(a_sync_reports_leaves_in_first_seen_order_then_joins_in_list_order),
        TEST_CASE(nt_new_still_delivers_only_leaves_to_its_callback),
        TEST_CASE(a_dropped_directory_counts_as_absent_until_it_reconnects),
        TEST_CASE(an_unknown_directory_can_be_declared_down_before_it_reports),
        TEST_CASE(round_robin_picks_cycle_through_active_directories),
        TEST_CASE(random_picks_cover_every_active_directory_and_nothing_else),
        TEST_CASE(stats_count_nicks_directories_and_events),
        TEST_CASE(log_messages_respect_the_level_and_escape_nicks),
    };
    return run_tests(tests, LENGTH(tests));
}
