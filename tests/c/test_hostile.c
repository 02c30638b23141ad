/*
 * Hostile input: every way a caller (or a peer, through a caller) can hand the library bad
 * data, each refused with its own status, and each refusal checked to leave the tracker
 * exactly as it was: the full observable state (stats, active nicks in order, each nick's
 * directories and last-seen time, the packed active nicks, each directory's stats, nicks and
 * their last-seen times, and the calling thread's departures list and callback error) is
 * serialised before and after and compared.
 *
 * Out of scope by design: use after nt_free() (undefined behaviour, as for any freed memory;
 * documented in the header), and unwinding out of a callback (longjmp, C++ exceptions).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nick_tracker.h>

#include "check.h"

/* ---- Observing the whole state ---------------------------------------------------------- */

struct state_text {
    nt_tracker *tracker;
    char text[8192];
    size_t used;
};

/* Appends `format` with `text` (for its %s) and `value` (for a %llu after it, if any). */
static void append(struct state_text *state, const char *format, unsigned long long value,
                   const char *text) {
    int written = snprintf(state->text + state->used, sizeof state->text - state->used, format,
                           text ? text : "", value);
    if (CHECK(written >= 0 && (size_t)written < sizeof state->text - state->used))
        state->used += (size_t)written;
}

static void describe_nick(void *user_data, const char *nick) {
    struct state_text *state = (struct state_text *)user_data;
    uint64_t directories[64];
    size_t len = 0;
    CHECK_OK(nt_active_directories(state->tracker, nick, directories, LENGTH(directories), &len));
    append(state, "%s:%llu", len, nick);
    for (size_t i = 0; i < len && i < LENGTH(directories); i++)
        append(state, "%s,%llu", directories[i], NULL);
    uint64_t seen = 0;
    CHECK_OK(nt_last_seen_anywhere(state->tracker, nick, &seen));
    append(state, "%s@%llu;", seen, NULL);
}

static int compare_ids(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int compare_nicks(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Each directory the tracker knows, in id order, with every field of its stats and its
 * nicks (in byte order: they come in no particular order), each with its last-seen time. */
static void describe_directories(struct state_text *state) {
    uint64_t ids[16];
    size_t count = 0;
    CHECK_OK(nt_directories(state->tracker, ids, LENGTH(ids), &count));
    qsort(ids, count, sizeof ids[0], compare_ids);
    for (size_t i = 0; i < count; i++) {
        nt_directory_stats s;
        CHECK_OK(nt_get_directory_stats(state->tracker, ids[i], &s));
        append(state, "%s| dir %llu:", ids[i], NULL);
        append(state, "%s nicks=%llu", s.nicks, NULL);
        append(state, "%s connected=%llu", s.connected, NULL);
        append(state, "%s open=%llu", s.snapshot_open, NULL);
        append(state, "%s last_peerlist=%llu", s.last_peerlist_ms, NULL);
        append(state, "%s last_report=%llu", s.last_report_ms, NULL);
        append(state, "%s peerlists=%llu", s.peerlists, NULL);
        append(state, "%s reports=%llu", s.reports, NULL);
        char packed[2048];
        const char *nicks[128];
        size_t len = 0, n = 0;
        CHECK_OK(nt_directory_nicks_packed(state->tracker, ids[i], packed, sizeof packed, &len));
        for (size_t at = 0; at < len && n < LENGTH(nicks); at += strlen(packed + at) + 1)
            nicks[n++] = packed + at;
        qsort(nicks, n, sizeof nicks[0], compare_nicks);
        for (size_t k = 0; k < n; k++) {
            uint64_t seen = 0;
            CHECK_OK(nt_last_seen(state->tracker, nicks[k], ids[i], &seen));
            append(state, " %s@%llu", seen, nicks[k]);
        }
    }
}

/* Appends a packed list of nicks, each followed by ','. */
static void append_packed(struct state_text *state, const char *packed, size_t len) {
    for (size_t at = 0; at < len; at += strlen(packed + at) + 1)
        append(state, "%s,", 0, packed + at);
}

/* Everything a caller can observe about `tracker`, as one string: its counters, its active
 * nicks in order with their directories and last-seen times (one way, and packed), each
 * directory's view, and this thread's departures list and pending callback error. */
static const char *observe(nt_tracker *tracker, struct state_text *state) {
    nt_stats stats;
    char packed[2048];
    size_t len = 0;
    memset(state, 0, sizeof *state);
    state->tracker = tracker;
    CHECK_OK(nt_departed_nicks(packed, sizeof packed, &len));
    append(state, "%sdeparted(%llu)=", len, NULL);
    append_packed(state, packed, len);
    CHECK_EQ(nt_take_callback_error(), 0);
    CHECK_OK(nt_active_nicks_packed(tracker, packed, sizeof packed, &len));
    append(state, "%s active(%llu)=", len, NULL);
    append_packed(state, packed, len);
    append(state, "%s | ", 0, NULL);
    CHECK_OK(nt_get_stats(tracker, &stats));
    append(state, "%snicks=%llu ", stats.nicks, NULL);
    append(state, "%sactive=%llu ", stats.active_nicks, NULL);
    append(state, "%sdirectories=%llu ", stats.directories, NULL);
    append(state, "%sconnected=%llu ", stats.connected_directories, NULL);
    append(state, "%sjoins=%llu ", stats.joins, NULL);
    append(state, "%sleaves=%llu | ", stats.leaves, NULL);
    CHECK_OK(nt_for_each_active_nick(tracker, describe_nick, state));
    describe_directories(state);
    return state->text;
}

static struct state_text before_state, after_state;

/* CHECK_REFUSED(tracker, call, status, fragment): the call fails as stated and changes nothing
 * the caller can observe. */
#define CHECK_REFUSED(tracker, call, status, fragment)                                      \
    do {                                                                                    \
        observe((tracker), &before_state);                                                  \
        CHECK_ERROR((call), (status), (fragment));                                          \
        CHECK_STR(observe((tracker), &after_state), before_state.text);                     \
    } while (0)

static unsigned events_seen;

static void count_event(void *user_data, const nt_event *event) {
    (void)user_data;
    (void)event;
    events_seen++;
}

/* The trackers' clock: fake, set by the tests. */
static uint64_t fake_now;

static uint64_t read_fake_clock(void *user_data) {
    return *(const uint64_t *)user_data;
}

/* A tracker with some state on three directories, one disconnected, and limits of 8 nicks
 * and 4 directories; on a fake clock at 1000 ms, with a disconnected hold (so that a
 * disconnection needs the time) far off. */
static nt_tracker *populated_tracker(void) {
    nt_options options;
    nt_tracker *tracker = NULL;
    CHECK_OK(nt_options_init(&options, NT_OPTIONS_VERSION));
    options.on_event = count_event;
    options.max_nicks = 8;
    options.max_directories = 4;
    options.clock = read_fake_clock;
    options.clock_user_data = &fake_now;
    options.disconnected_hold_ms = 1000000;
    fake_now = 1000;
    CHECK_OK(nt_new_with_options(&options, &tracker));
    const char *const first[] = {"J5alice", "J5bob", "J5carol"};
    const char *const second[] = {"J5bob", "J5dave"};
    CHECK_OK(nt_sync_peerlist(tracker, 1, first, LENGTH(first)));
    CHECK_OK(nt_sync_peerlist(tracker, 2, second, LENGTH(second)));
    CHECK_OK(nt_mark_present(tracker, "J5erin", 3));
    CHECK_OK(nt_set_directory_connected(tracker, 3, false));
    events_seen = 0;
    return tracker;
}

/* ---- The matrix ------------------------------------------------------------------------- */

static char too_long[NT_MAX_NICK_LEN + 2];
static char longest[NT_MAX_NICK_LEN + 1];

static void make_long_nicks(void) {
    memset(too_long, 'x', NT_MAX_NICK_LEN + 1);
    too_long[NT_MAX_NICK_LEN + 1] = '\0';
    memset(longest, 'y', NT_MAX_NICK_LEN);
    longest[NT_MAX_NICK_LEN] = '\0';
}

struct bad_nick {
    const char *nick;
    uint32_t status;
};

static const struct bad_nick bad_nicks[] = {
    {NULL, NT_STATUS_NULL_ARGUMENT},
    {"", NT_STATUS_NICK_EMPTY},
    {too_long, NT_STATUS_NICK_TOO_LONG},
    {"J5\xff", NT_STATUS_NICK_NOT_UTF8},
    {"\xc0\x80", NT_STATUS_NICK_NOT_UTF8},
    {"J5\xed\xa0\x80", NT_STATUS_NICK_NOT_UTF8},
};

static void every_function_refuses_every_bad_nick_and_changes_nothing(void) {
    make_long_nicks();
    nt_tracker *t = populated_tracker();
    for (size_t i = 0; i < LENGTH(bad_nicks); i++) {
        const char *nick = bad_nicks[i].nick;
        uint32_t status = bad_nicks[i].status;
        const char *const list[] = {"J5alice", nick};
        bool active = true;
        uint64_t directory = 42, directories[4];
        size_t len = 7;
        CHECK_REFUSED(t, nt_update(t, nick, 1, true), status, "nick");
        CHECK_REFUSED(t, nt_update(t, nick, 1, false), status, "nick");
        CHECK_REFUSED(t, nt_mark_present(t, nick, 4), status, "nick");
        CHECK_REFUSED(t, nt_mark_gone(t, nick, 1), status, "nick");
        CHECK_REFUSED(t, nt_sync_peerlist(t, 1, list, 2), status, "nicks[1]");
        CHECK_REFUSED(t, nt_is_active(t, nick, &active), status, "nick");
        CHECK_REFUSED(t, nt_active_directories(t, nick, directories, 4, &len), status, "nick");
        CHECK_REFUSED(t, nt_pick_directory(t, nick, &directory), status, "nick");
        CHECK(active);
        CHECK_EQ(len, 7);
        CHECK_EQ(directory, 42);
    }
    CHECK_EQ(events_seen, 0);
    nt_free(t);
}

/* Nicks given as (pointer, length), to the *_n calls: the same refusals, plus a NUL inside
 * (which a C string cannot hold) and NULL whatever the length. */
struct bad_bytes {
    const char *nick;
    size_t len;
    uint32_t status;
};

static const char with_nul[] = {'J', '5', '\0', 'x'};

static void every_n_call_refuses_every_bad_nick_and_changes_nothing(void) {
    make_long_nicks();
    const struct bad_bytes bad[] = {
        {NULL, 0, NT_STATUS_NULL_ARGUMENT},
        {NULL, 5, NT_STATUS_NULL_ARGUMENT},
        {"J5alice", 0, NT_STATUS_NICK_EMPTY},
        {too_long, NT_MAX_NICK_LEN + 1, NT_STATUS_NICK_TOO_LONG},
        {"J5\xff", 3, NT_STATUS_NICK_NOT_UTF8},
        {"\xc0\x80", 2, NT_STATUS_NICK_NOT_UTF8},
        {"J5\xed\xa0\x80", 5, NT_STATUS_NICK_NOT_UTF8},
        {"J5\xe2\x82", 4, NT_STATUS_NICK_NOT_UTF8},
        {with_nul, sizeof with_nul, NT_STATUS_NICK_CONTAINS_NUL},
        {"J5alice", 8, NT_STATUS_NICK_CONTAINS_NUL}, /* its terminator counted in */
    };
    nt_tracker *t = populated_tracker();
    for (size_t i = 0; i < LENGTH(bad); i++) {
        const char *nick = bad[i].nick;
        size_t n = bad[i].len;
        uint32_t status = bad[i].status;
        bool active = true;
        uint64_t directory = 42, directories[4] = {42, 42, 42, 42};
        size_t len = 7;
        CHECK_REFUSED(t, nt_update_n(t, nick, n, 1, true), status, "nick");
        CHECK_REFUSED(t, nt_update_n(t, nick, n, 1, false), status, "nick");
        CHECK_REFUSED(t, nt_is_active_n(t, nick, n, &active), status, "nick");
        CHECK_REFUSED(t, nt_active_directories_n(t, nick, n, directories, 4, &len), status,
                      "nick");
        CHECK_REFUSED(t, nt_pick_directory_n(t, nick, n, &directory), status, "nick");
        CHECK(active);
        CHECK_EQ(len, 7);
        CHECK_EQ(directory, 42);
        CHECK_EQ(directories[0], 42);
    }
    CHECK_EQ(events_seen, 0);
    nt_free(t);
}

static void the_longest_nick_is_accepted_and_one_more_byte_is_not(void) {
    make_long_nicks();
    nt_tracker *t = populated_tracker();
    const char *const list[] = {longest};
    CHECK_OK(nt_sync_peerlist(t, 2, list, 1));
    bool active = false;
    CHECK_OK(nt_is_active(t, longest, &active));
    CHECK(active);
    const char *const too_long_list[] = {too_long};
    CHECK_REFUSED(t, nt_sync_peerlist(t, 2, too_long_list, 1), NT_STATUS_NICK_TOO_LONG,
                  "nicks[0]");
    nt_free(t);
}

static void control_characters_are_accepted_and_returned_byte_for_byte(void) {
    nt_tracker *t = NULL;
    CHECK_OK(nt_new(NULL, NULL, &t));
    const char *const odd[] = {"tab\there", "line\nbreak", "\x1b[31mred", " ", "\x7f"};
    for (size_t i = 0; i < LENGTH(odd); i++) {
        bool active = false;
        CHECK_OK(nt_mark_present(t, odd[i], 1));
        CHECK_OK(nt_is_active(t, odd[i], &active));
        CHECK(active);
    }
    struct state_text *state = (struct state_text *)calloc(1, sizeof *state);
    CHECK(strstr(observe(t, state), "line\nbreak:1,1@") != NULL);
    free(state);
    nt_free(t);
}

static void null_everywhere_is_refused(void) {
    nt_tracker *t = populated_tracker();
    nt_stats stats;
    nt_options options;
    uint64_t directory = 42;
    size_t len = 7;
    bool active = true;
    CHECK_ERROR(nt_new(NULL, NULL, NULL), NT_STATUS_NULL_ARGUMENT, "out_tracker");
    CHECK_ERROR(nt_new_with_options(NULL, &t), NT_STATUS_NULL_ARGUMENT, "options");
    CHECK_OK(nt_options_init(&options, NT_OPTIONS_VERSION));
    CHECK_ERROR(nt_new_with_options(&options, NULL), NT_STATUS_NULL_ARGUMENT, "out_tracker");
    CHECK_ERROR(nt_options_init(NULL, NT_OPTIONS_VERSION), NT_STATUS_NULL_ARGUMENT, "options");
    CHECK_ERROR(nt_set_directory_connected(NULL, 1, false), NT_STATUS_NULL_ARGUMENT, "tracker");
    CHECK_ERROR(nt_sync_peerlist_packed(NULL, 1, "a", 2), NT_STATUS_NULL_ARGUMENT, "tracker");
    CHECK_ERROR(nt_pick_directory(NULL, "J5alice", &directory), NT_STATUS_NULL_ARGUMENT,
                "tracker");
    CHECK_ERROR(nt_get_stats(NULL, &stats), NT_STATUS_NULL_ARGUMENT, "tracker");
    CHECK_REFUSED(t, nt_get_stats(t, NULL), NT_STATUS_NULL_ARGUMENT, "out_stats");
    CHECK_REFUSED(t, nt_pick_directory(t, "J5alice", NULL), NT_STATUS_NULL_ARGUMENT,
                  "out_directory");
    CHECK_REFUSED(t, nt_sync_peerlist(t, 1, NULL, 2), NT_STATUS_NULL_ARGUMENT, "nicks");
    CHECK_REFUSED(t, nt_sync_peerlist_packed(t, 1, NULL, 2), NT_STATUS_NULL_ARGUMENT, "nicks");
    CHECK_REFUSED(t, nt_is_active(t, "J5alice", NULL), NT_STATUS_NULL_ARGUMENT, "out_active");
    CHECK_REFUSED(t, nt_active_directories(t, "J5alice", NULL, 1, &len),
                  NT_STATUS_NULL_ARGUMENT, "out_directories");
    CHECK_REFUSED(t, nt_active_nick_count(t, NULL), NT_STATUS_NULL_ARGUMENT, "out_count");
    CHECK_REFUSED(t, nt_for_each_active_nick(t, NULL, NULL), NT_STATUS_NULL_ARGUMENT, "visit");
    const char *const with_null[] = {"J5alice", "J5zed", NULL};
    CHECK_REFUSED(t, nt_sync_peerlist(t, 1, with_null, 3), NT_STATUS_NULL_ARGUMENT,
                  "nicks[2]");

    /* The calls added in 0.3: *_n, packed lists, callback errors. */
    uint64_t directories[2] = {42, 42};
    char packed[16] = "untouched";
    CHECK_ERROR(nt_update_n(NULL, "J5alice", 7, 1, true), NT_STATUS_NULL_ARGUMENT, "tracker");
    CHECK_ERROR(nt_is_active_n(NULL, "J5alice", 7, &active), NT_STATUS_NULL_ARGUMENT,
                "tracker");
    CHECK_ERROR(nt_active_directories_n(NULL, "J5alice", 7, directories, 2, &len),
                NT_STATUS_NULL_ARGUMENT, "tracker");
    CHECK_ERROR(nt_pick_directory_n(NULL, "J5alice", 7, &directory), NT_STATUS_NULL_ARGUMENT,
                "tracker");
    CHECK_ERROR(nt_active_nicks_packed(NULL, packed, sizeof packed, &len),
                NT_STATUS_NULL_ARGUMENT, "tracker");
    CHECK_ERROR(nt_report_callback_error(NULL, 5), NT_STATUS_NULL_ARGUMENT, "tracker");
    CHECK_REFUSED(t, nt_is_active_n(t, "J5alice", 7, NULL), NT_STATUS_NULL_ARGUMENT,
                  "out_active");
    CHECK_REFUSED(t, nt_active_directories_n(t, "J5alice", 7, NULL, 1, &len),
                  NT_STATUS_NULL_ARGUMENT, "out_directories");
    CHECK_REFUSED(t, nt_active_directories_n(t, "J5alice", 7, directories, 2, NULL),
                  NT_STATUS_NULL_ARGUMENT, "out_len");
    CHECK_REFUSED(t, nt_pick_directory_n(t, "J5alice", 7, NULL), NT_STATUS_NULL_ARGUMENT,
                  "out_directory");
    CHECK_REFUSED(t, nt_active_nicks_packed(t, NULL, 1, &len), NT_STATUS_NULL_ARGUMENT,
                  "out_nicks");
    CHECK_REFUSED(t, nt_active_nicks_packed(t, packed, sizeof packed, NULL),
                  NT_STATUS_NULL_ARGUMENT, "out_len");
    CHECK_REFUSED(t, nt_departed_nicks(NULL, 1, &len), NT_STATUS_NULL_ARGUMENT, "out_nicks");
    CHECK_REFUSED(t, nt_departed_nicks(packed, sizeof packed, NULL), NT_STATUS_NULL_ARGUMENT,
                  "out_len");
    /* Outside a callback there is no call to attach an error to. */
    CHECK_REFUSED(t, nt_report_callback_error(t, 5), NT_STATUS_INVALID_ARGUMENT,
                  "not running one of its callbacks");
    CHECK_REFUSED(t, nt_report_callback_error(t, 0), NT_STATUS_INVALID_ARGUMENT, "error");
    CHECK_STR(packed, "untouched");
    CHECK_EQ(directories[0], 42);
    CHECK(active);
    CHECK_EQ(len, 7);
    CHECK_EQ(directory, 42);
    nt_free(t);
}

static void malformed_packed_peerlists_are_refused(void) {
    nt_tracker *t = populated_tracker();
    static const char unterminated[] = {'J', '5', 'a'};
    static const char empty_entry[] = "J5alice\0\0J5bob";  /* sizeof includes the final NUL */
    static const char bad_utf8[] = "J5alice\0J5\xff";
    CHECK_REFUSED(t, nt_sync_peerlist_packed(t, 1, unterminated, sizeof unterminated),
                  NT_STATUS_INVALID_ARGUMENT, "must end with a NUL");
    CHECK_REFUSED(t, nt_sync_peerlist_packed(t, 1, empty_entry, sizeof empty_entry),
                  NT_STATUS_NICK_EMPTY, "nicks[1]");
    CHECK_REFUSED(t, nt_sync_peerlist_packed(t, 1, bad_utf8, sizeof bad_utf8),
                  NT_STATUS_NICK_NOT_UTF8, "nicks[1]");
    char *oversized = (char *)malloc(NT_MAX_NICK_LEN + 2);
    memset(oversized, 'z', NT_MAX_NICK_LEN + 1);
    oversized[NT_MAX_NICK_LEN + 1] = '\0';
    CHECK_REFUSED(t, nt_sync_peerlist_packed(t, 1, oversized, NT_MAX_NICK_LEN + 2),
                  NT_STATUS_NICK_TOO_LONG, "nicks[0]");
    free(oversized);
    nt_free(t);
}

static void huge_counts_are_refused_before_anything_is_read(void) {
    nt_tracker *t = populated_tracker();
    const char *const one[] = {"J5alice"};
    CHECK_REFUSED(t, nt_sync_peerlist(t, 1, one, SIZE_MAX), NT_STATUS_INVALID_ARGUMENT,
                  "larger than any array");
    CHECK_REFUSED(t, nt_sync_peerlist(t, 1, one, SIZE_MAX / 8 + 1), NT_STATUS_INVALID_ARGUMENT,
                  "count");
    CHECK_REFUSED(t, nt_sync_peerlist_packed(t, 1, "a", SIZE_MAX), NT_STATUS_INVALID_ARGUMENT,
                  "len");
    /* A huge output capacity is fine: only the needed entries are written. */
    uint64_t directories[2] = {0, 42};
    size_t len = 0;
    CHECK_OK(nt_active_directories(t, "J5alice", directories, SIZE_MAX, &len));
    CHECK_EQ(len, 1);
    CHECK_EQ(directories[1], 42);
    CHECK_OK(nt_active_directories_n(t, "J5alice", 7, directories, SIZE_MAX, &len));
    CHECK_EQ(directories[1], 42);
    char packed[64];
    memset(packed, '#', sizeof packed);
    CHECK_OK(nt_active_nicks_packed(t, packed, SIZE_MAX, &len));
    CHECK_EQ(len, 29); /* J5alice, J5bob, J5carol, J5dave, each with its NUL */
    CHECK_EQ(packed[len], '#');
    memset(packed, '#', sizeof packed);
    CHECK_OK(nt_departed_nicks(packed, SIZE_MAX, &len));
    CHECK_EQ(len, 7); /* J5erin, who left when directory 3 disconnected */
    CHECK_EQ(packed[len], '#');
    nt_free(t);
}

/* A buffer too small gets NT_STATUS_BUFFER_TOO_SMALL and the needed length, is left as it
 * was, and nothing else changes. */
static void too_small_buffers_are_refused_and_left_untouched(void) {
    nt_tracker *t = populated_tracker();
    char packed[8];
    uint64_t directories[1] = {42};
    size_t len = 0;
    memset(packed, '#', sizeof packed);
    CHECK_REFUSED(t, nt_active_nicks_packed(t, packed, sizeof packed, &len),
                  NT_STATUS_BUFFER_TOO_SMALL, "buffer too small");
    CHECK_EQ(len, 29);
    CHECK_REFUSED(t, nt_departed_nicks(packed, 6, &len), NT_STATUS_BUFFER_TOO_SMALL,
                  "buffer too small");
    CHECK_EQ(len, 7);
    CHECK_EQ(packed[0], '#');
    CHECK_EQ(packed[7], '#');
    CHECK_REFUSED(t, nt_active_directories_n(t, "J5bob", 5, directories, 1, &len),
                  NT_STATUS_BUFFER_TOO_SMALL, "buffer too small");
    CHECK_EQ(len, 2);
    CHECK_EQ(directories[0], 42);
    nt_free(t);
}

static void duplicates_in_a_peerlist_count_once_even_against_a_limit(void) {
    nt_tracker *t = populated_tracker(); /* 5 nicks held, limit 8 */
    const char *const repeated[] = {"J5new1", "J5new1", "J5new2", "J5new2", "J5new3", "J5new1"};
    CHECK_OK(nt_sync_peerlist(t, 4, repeated, LENGTH(repeated)));
    nt_stats stats;
    CHECK_OK(nt_get_stats(t, &stats));
    CHECK_EQ(stats.nicks, 8);
    CHECK_EQ(events_seen, 3);
    nt_free(t);
}

static void limits_refuse_floods_and_change_nothing(void) {
    nt_tracker *t = populated_tracker(); /* 5 of 8 nicks, 3 of 4 directories */
    /* Directory 1 keeps its three nicks and adds four: 9 would be held. */
    const char *const flood[] = {"J5alice", "J5bob", "J5carol", "F1", "F2", "F3", "F4"};
    static const char packed_flood[] = "J5alice\0J5bob\0J5carol\0F1\0F2\0F3\0F4";
    CHECK_REFUSED(t, nt_sync_peerlist(t, 1, flood, LENGTH(flood)), NT_STATUS_NICK_LIMIT,
                  "nick limit reached");
    CHECK_REFUSED(t, nt_sync_peerlist_packed(t, 1, packed_flood, sizeof packed_flood),
                  NT_STATUS_NICK_LIMIT, "limit is 8");
    /* Replacing nicks only directory 1 lists is fine at the limit: 5 - 2 + 4 = 7. */
    const char *const replaced[] = {"J5bob", "F1", "F2", "F3", "F4"};
    CHECK_OK(nt_sync_peerlist(t, 1, replaced, LENGTH(replaced)));
    CHECK_OK(nt_sync_peerlist(t, 1, flood, 3)); /* back to alice, bob, carol */
    CHECK_OK(nt_mark_present(t, "J5alice", 4)); /* the fourth directory */
    CHECK_REFUSED(t, nt_mark_present(t, "J5alice", 5), NT_STATUS_DIRECTORY_LIMIT,
                  "directory limit");
    CHECK_REFUSED(t, nt_set_directory_connected(t, 5, true), NT_STATUS_DIRECTORY_LIMIT,
                  "directory limit");
    const char *const known[] = {"J5alice"};
    CHECK_REFUSED(t, nt_sync_peerlist(t, 5, known, 1), NT_STATUS_DIRECTORY_LIMIT,
                  "directory limit");
    /* Refusals do not stick: after making room, the same change succeeds. */
    CHECK_OK(nt_remove_directory(t, 4, NULL));
    CHECK_OK(nt_mark_present(t, "J5alice", 5));
    nt_free(t);
}

/* ---- The 0.3 calls ---------------------------------------------------------------------- */

/* A packed list "J5alice\0<nick>\0" in `buffer`: the bad nick is entry 1. */
static size_t pack_after_alice(char *buffer, const char *nick) {
    memcpy(buffer, "J5alice", 8);
    memcpy(buffer + 8, nick, strlen(nick) + 1);
    return 8 + strlen(nick) + 1;
}

static void every_0_3_call_refuses_every_bad_nick_and_changes_nothing(void) {
    make_long_nicks();
    nt_tracker *t = populated_tracker();
    CHECK_OK(nt_peerlist_begin(t, 1)); /* so that chunks reach their nicks' validation */
    static const uint8_t flags[] = {1, 0};
    for (size_t i = 0; i < LENGTH(bad_nicks); i++) {
        const char *nick = bad_nicks[i].nick;
        uint32_t status = bad_nicks[i].status;
        uint64_t ms = 42;
        CHECK_REFUSED(t, nt_last_seen(t, nick, 1, &ms), status, "nick");
        CHECK_REFUSED(t, nt_last_seen_anywhere(t, nick, &ms), status, "nick");
        CHECK_EQ(ms, 42);
        if (nick == NULL)
            continue; /* packed lists hold no NULL entry */
        char packed[NT_MAX_NICK_LEN + 16];
        size_t len = pack_after_alice(packed, nick);
        CHECK_REFUSED(t, nt_peerlist_add(t, 1, packed, len), status, "nicks[1]");
        CHECK_REFUSED(t, nt_update_batch(t, 1, packed, len, flags, 2), status, "nicks[1]");
        CHECK_REFUSED(t, nt_update_batch(t, 4, packed, len, flags, 2), status, "nicks[1]");
    }
    CHECK_EQ(events_seen, 0);
    nt_free(t);
}

static void null_arguments_to_the_0_3_calls_are_refused(void) {
    nt_tracker *t = populated_tracker();
    nt_directory_stats stats;
    memset(&stats, 0x5a, sizeof stats);
    uint64_t ms = 42, ids[4] = {42, 42, 42, 42};
    size_t len = 7;
    char packed[16] = "untouched";
    static const uint8_t flags[] = {1};
    CHECK_ERROR(nt_peerlist_begin(NULL, 1), NT_STATUS_NULL_ARGUMENT, "tracker");
    CHECK_ERROR(nt_peerlist_add(NULL, 1, "J5a", 4), NT_STATUS_NULL_ARGUMENT, "tracker");
    CHECK_ERROR(nt_peerlist_commit(NULL, 1, &len), NT_STATUS_NULL_ARGUMENT, "tracker");
    CHECK_ERROR(nt_peerlist_abort(NULL, 1), NT_STATUS_NULL_ARGUMENT, "tracker");
    CHECK_ERROR(nt_update_batch(NULL, 1, "J5a", 4, flags, 1), NT_STATUS_NULL_ARGUMENT,
                "tracker");
    CHECK_ERROR(nt_expire(NULL, &len), NT_STATUS_NULL_ARGUMENT, "tracker");
    CHECK_ERROR(nt_last_seen(NULL, "J5alice", 1, &ms), NT_STATUS_NULL_ARGUMENT, "tracker");
    CHECK_ERROR(nt_last_seen_anywhere(NULL, "J5alice", &ms), NT_STATUS_NULL_ARGUMENT,
                "tracker");
    CHECK_ERROR(nt_get_directory_stats(NULL, 1, &stats), NT_STATUS_NULL_ARGUMENT, "tracker");
    CHECK_ERROR(nt_for_each_directory_nick(NULL, 1, describe_nick, NULL),
                NT_STATUS_NULL_ARGUMENT, "tracker");
    CHECK_ERROR(nt_directory_nicks_packed(NULL, 1, packed, sizeof packed, &len),
                NT_STATUS_NULL_ARGUMENT, "tracker");
    CHECK_ERROR(nt_directories(NULL, ids, 4, &len), NT_STATUS_NULL_ARGUMENT, "tracker");
    CHECK_OK(nt_peerlist_begin(t, 1));
    CHECK_REFUSED(t, nt_peerlist_add(t, 1, NULL, 4), NT_STATUS_NULL_ARGUMENT, "nicks");
    CHECK_REFUSED(t, nt_update_batch(t, 1, NULL, 4, flags, 1), NT_STATUS_NULL_ARGUMENT,
                  "nicks");
    CHECK_REFUSED(t, nt_update_batch(t, 1, "J5a", 4, NULL, 1), NT_STATUS_NULL_ARGUMENT,
                  "present");
    CHECK_REFUSED(t, nt_last_seen(t, "J5alice", 1, NULL), NT_STATUS_NULL_ARGUMENT, "out_ms");
    CHECK_REFUSED(t, nt_last_seen_anywhere(t, "J5alice", NULL), NT_STATUS_NULL_ARGUMENT,
                  "out_ms");
    CHECK_REFUSED(t, nt_get_directory_stats(t, 1, NULL), NT_STATUS_NULL_ARGUMENT, "out_stats");
    CHECK_REFUSED(t, nt_for_each_directory_nick(t, 1, NULL, NULL), NT_STATUS_NULL_ARGUMENT,
                  "visit");
    CHECK_REFUSED(t, nt_directory_nicks_packed(t, 1, NULL, 1, &len), NT_STATUS_NULL_ARGUMENT,
                  "out_nicks");
    CHECK_REFUSED(t, nt_directory_nicks_packed(t, 1, packed, sizeof packed, NULL),
                  NT_STATUS_NULL_ARGUMENT, "out_len");
    CHECK_REFUSED(t, nt_directories(t, NULL, 1, &len), NT_STATUS_NULL_ARGUMENT,
                  "out_directories");
    CHECK_REFUSED(t, nt_directories(t, ids, 4, NULL), NT_STATUS_NULL_ARGUMENT, "out_len");
    CHECK_EQ(stats.peerlists, 0x5a5a5a5a5a5a5a5aULL);
    CHECK_EQ(ms, 42);
    CHECK_EQ(ids[0], 42);
    CHECK_EQ(len, 7);
    CHECK_STR(packed, "untouched");
    CHECK_EQ(events_seen, 0);
    nt_free(t);
}

/* NT_STATUS_NOT_FOUND for a directory (or pair) the tracker does not know, and
 * NT_STATUS_NO_SNAPSHOT for chunks, commits and aborts without an open peerlist: before a
 * begin, on an unknown directory (which does not become known), after a commit or abort. */
static void unknown_directories_and_missing_peerlists_are_refused(void) {
    nt_tracker *t = populated_tracker();
    nt_directory_stats stats;
    memset(&stats, 0x5a, sizeof stats);
    uint64_t ms = 42;
    size_t len = 7, gone_count = 7;
    char packed[16] = "untouched";
    CHECK_REFUSED(t, nt_get_directory_stats(t, 99, &stats), NT_STATUS_NOT_FOUND,
                  "directory 99");
    CHECK_REFUSED(t, nt_for_each_directory_nick(t, 99, describe_nick, NULL),
                  NT_STATUS_NOT_FOUND, "directory 99");
    CHECK_REFUSED(t, nt_directory_nicks_packed(t, 99, packed, sizeof packed, &len),
                  NT_STATUS_NOT_FOUND, "directory 99");
    CHECK_REFUSED(t, nt_last_seen(t, "J5alice", 99, &ms), NT_STATUS_NOT_FOUND, "not known");
    CHECK_REFUSED(t, nt_last_seen(t, "J5alice", 2, &ms), NT_STATUS_NOT_FOUND, "not known");
    CHECK_REFUSED(t, nt_last_seen(t, "J5zed", 1, &ms), NT_STATUS_NOT_FOUND, "not known");
    CHECK_REFUSED(t, nt_last_seen_anywhere(t, "J5zed", &ms), NT_STATUS_NOT_FOUND, "J5zed");
    for (int round = 0; round < 3; round++) {
        uint64_t directory = round == 0 ? 99 : 1;
        if (round == 1) {
            CHECK_OK(nt_peerlist_begin(t, 1));
            CHECK_OK(nt_peerlist_add(t, 1, "J5alice\0J5bob\0J5carol", 22)); /* as it was */
            CHECK_OK(nt_peerlist_commit(t, 1, NULL));
        } else if (round == 2) {
            CHECK_OK(nt_peerlist_begin(t, 1));
            CHECK_OK(nt_peerlist_abort(t, 1));
        }
        CHECK_REFUSED(t, nt_peerlist_add(t, directory, "J5zed", 6), NT_STATUS_NO_SNAPSHOT,
                      "has no peerlist open");
        CHECK_REFUSED(t, nt_peerlist_add(t, directory, NULL, 0), NT_STATUS_NO_SNAPSHOT,
                      "has no peerlist open");
        CHECK_REFUSED(t, nt_peerlist_commit(t, directory, &gone_count), NT_STATUS_NO_SNAPSHOT,
                      "has no peerlist open");
        CHECK_REFUSED(t, nt_peerlist_abort(t, directory), NT_STATUS_NO_SNAPSHOT,
                      "has no peerlist open");
    }
    CHECK_EQ(stats.peerlists, 0x5a5a5a5a5a5a5a5aULL);
    CHECK_EQ(ms, 42);
    CHECK_EQ(len, 7);
    CHECK_EQ(gone_count, 7);
    CHECK_STR(packed, "untouched");
    CHECK_EQ(events_seen, 0);
    nt_free(t);
}

/* Every call that needs the time refuses a clock that went backwards, changing nothing. */
static void a_clock_going_backwards_is_refused_by_every_call_that_reads_it(void) {
    nt_tracker *t = populated_tracker();
    CHECK_OK(nt_peerlist_begin(t, 1));
    fake_now = 999;
    const char *const list[] = {"J5alice"};
    static const uint8_t flags[] = {1, 0};
    size_t gone_count = 7;
    CHECK_REFUSED(t, nt_update(t, "J5zed", 1, true), NT_STATUS_CLOCK_WENT_BACKWARDS,
                  "after reading 1000 ms");
    CHECK_REFUSED(t, nt_update(t, "J5alice", 1, false), NT_STATUS_CLOCK_WENT_BACKWARDS,
                  "clock");
    CHECK_REFUSED(t, nt_mark_present(t, "J5alice", 2), NT_STATUS_CLOCK_WENT_BACKWARDS,
                  "clock");
    CHECK_REFUSED(t, nt_mark_gone(t, "J5bob", 2), NT_STATUS_CLOCK_WENT_BACKWARDS, "clock");
    CHECK_REFUSED(t, nt_update_n(t, "J5zed", 5, 1, true), NT_STATUS_CLOCK_WENT_BACKWARDS,
                  "clock");
    CHECK_REFUSED(t, nt_sync_peerlist(t, 2, list, 1), NT_STATUS_CLOCK_WENT_BACKWARDS, "clock");
    CHECK_REFUSED(t, nt_sync_peerlist_packed(t, 2, "J5alice", 8),
                  NT_STATUS_CLOCK_WENT_BACKWARDS, "clock");
    CHECK_REFUSED(t, nt_peerlist_add(t, 1, "J5zed", 6), NT_STATUS_CLOCK_WENT_BACKWARDS,
                  "clock");
    CHECK_REFUSED(t, nt_peerlist_commit(t, 1, &gone_count), NT_STATUS_CLOCK_WENT_BACKWARDS,
                  "clock");
    CHECK_REFUSED(t, nt_update_batch(t, 2, "J5zed\0J5bob", 12, flags, 2),
                  NT_STATUS_CLOCK_WENT_BACKWARDS, "clock");
    CHECK_REFUSED(t, nt_expire(t, &gone_count), NT_STATUS_CLOCK_WENT_BACKWARDS, "clock");
    CHECK_REFUSED(t, nt_set_directory_connected(t, 2, false), NT_STATUS_CLOCK_WENT_BACKWARDS,
                  "clock");
    CHECK_EQ(gone_count, 7);
    CHECK_EQ(events_seen, 0);
    nt_free(t);
}

static void malformed_chunks_and_batches_are_refused(void) {
    nt_tracker *t = populated_tracker();
    CHECK_OK(nt_peerlist_begin(t, 1));
    static const char unterminated[] = {'J', '5', 'a'};
    static const char empty_entry[] = "J5alice\0\0J5bob"; /* sizeof: the final NUL too */
    static const uint8_t flags[] = {1, 1, 1, 1};
    CHECK_REFUSED(t, nt_peerlist_add(t, 1, unterminated, sizeof unterminated),
                  NT_STATUS_INVALID_ARGUMENT, "must end with a NUL");
    CHECK_REFUSED(t, nt_peerlist_add(t, 1, empty_entry, sizeof empty_entry),
                  NT_STATUS_NICK_EMPTY, "nicks[1]");
    CHECK_REFUSED(t, nt_peerlist_add(t, 1, "a", SIZE_MAX), NT_STATUS_INVALID_ARGUMENT, "len");
    CHECK_REFUSED(t, nt_update_batch(t, 1, unterminated, sizeof unterminated, flags, 1),
                  NT_STATUS_INVALID_ARGUMENT, "must end with a NUL");
    CHECK_REFUSED(t, nt_update_batch(t, 1, empty_entry, sizeof empty_entry, flags, 3),
                  NT_STATUS_NICK_EMPTY, "nicks[1]");
    CHECK_REFUSED(t, nt_update_batch(t, 1, "a", SIZE_MAX, flags, 1),
                  NT_STATUS_INVALID_ARGUMENT, "len");
    CHECK_REFUSED(t, nt_update_batch(t, 1, "J5zed", 6, flags, SIZE_MAX),
                  NT_STATUS_INVALID_ARGUMENT, "larger than any array");
    /* Another number of flags than nicks: more, fewer, none. */
    CHECK_REFUSED(t, nt_update_batch(t, 1, "J5zed\0J5bob", 12, flags, 3),
                  NT_STATUS_INVALID_ARGUMENT, "2 nicks but 3 present flags");
    CHECK_REFUSED(t, nt_update_batch(t, 1, "J5zed\0J5bob", 12, flags, 1),
                  NT_STATUS_INVALID_ARGUMENT, "count");
    CHECK_REFUSED(t, nt_update_batch(t, 1, "J5zed\0J5bob", 12, NULL, 0),
                  NT_STATUS_INVALID_ARGUMENT, "count");
    CHECK_REFUSED(t, nt_update_batch(t, 1, NULL, 0, flags, 1), NT_STATUS_INVALID_ARGUMENT,
                  "count");
    CHECK_EQ(events_seen, 0);
    nt_free(t);
}

static void too_small_buffers_for_the_0_3_calls_are_refused_and_left_untouched(void) {
    nt_tracker *t = populated_tracker();
    uint64_t ids[2] = {42, 42};
    char packed[8];
    size_t len = 0;
    memset(packed, '#', sizeof packed);
    CHECK_REFUSED(t, nt_directories(t, ids, 2, &len), NT_STATUS_BUFFER_TOO_SMALL,
                  "buffer too small");
    CHECK_EQ(len, 3);
    CHECK_EQ(ids[0], 42);
    CHECK_REFUSED(t, nt_directories(t, NULL, 0, &len), NT_STATUS_BUFFER_TOO_SMALL,
                  "buffer too small");
    CHECK_REFUSED(t, nt_directory_nicks_packed(t, 1, packed, sizeof packed, &len),
                  NT_STATUS_BUFFER_TOO_SMALL, "buffer too small");
    CHECK_EQ(len, 22); /* J5alice, J5bob, J5carol, each with its NUL */
    CHECK_REFUSED(t, nt_directory_nicks_packed(t, 1, NULL, 0, &len),
                  NT_STATUS_BUFFER_TOO_SMALL, "buffer too small");
    CHECK_EQ(packed[0], '#');
    CHECK_EQ(packed[7], '#');
    nt_free(t);
}

/* Chunks and batches are refused whole beyond the nick limit; begins and batches that would
 * make a fifth directory known beyond the directory limit. */
static void limits_refuse_chunks_batches_and_begins(void) {
    nt_tracker *t = populated_tracker(); /* 5 of 8 nicks, 3 of 4 directories */
    static const uint8_t flags[] = {1, 1, 0, 1, 1};
    static const char four_new[] = "F1\0F2\0J5alice\0F3\0F4"; /* sizeof: final NUL too */
    CHECK_OK(nt_peerlist_begin(t, 1));
    CHECK_REFUSED(t, nt_peerlist_add(t, 1, four_new, sizeof four_new), NT_STATUS_NICK_LIMIT,
                  "limit is 8");
    CHECK_REFUSED(t, nt_update_batch(t, 2, four_new, sizeof four_new, flags, 5),
                  NT_STATUS_NICK_LIMIT, "limit is 8");
    CHECK_OK(nt_mark_present(t, "J5alice", 4)); /* the fourth directory */
    CHECK_REFUSED(t, nt_peerlist_begin(t, 5), NT_STATUS_DIRECTORY_LIMIT, "directory limit");
    CHECK_REFUSED(t, nt_update_batch(t, 5, "J5alice", 8, flags, 1), NT_STATUS_DIRECTORY_LIMIT,
                  "directory limit");
    CHECK_OK(nt_update_batch(t, 5, "J5alice", 8, flags + 2, 1)); /* gone only: no directory */
    nt_free(t);
}

static void bad_options_are_refused_and_create_nothing(void) {
    nt_options options;
    nt_tracker *t = NULL;
    CHECK_OK(nt_options_init(&options, NT_OPTIONS_VERSION));
    options.version = NT_OPTIONS_VERSION + 1;
    CHECK_ERROR(nt_new_with_options(&options, &t), NT_STATUS_INVALID_ARGUMENT,
                "options.version");
    CHECK_OK(nt_options_init(&options, NT_OPTIONS_VERSION));
    options.log_level = 0;
    CHECK_ERROR(nt_new_with_options(&options, &t), NT_STATUS_INVALID_ARGUMENT,
                "options.log_level");
    CHECK_OK(nt_options_init(&options, NT_OPTIONS_VERSION));
    options.pick_mode = 7;
    CHECK_ERROR(nt_new_with_options(&options, &t), NT_STATUS_INVALID_ARGUMENT,
                "options.pick_mode");
    /* 0.3: the first pick mode after NT_PICK_MODE_STICKY, the largest values, version 0, a
     * log level past DEBUG; the new fields take any value (0 = off), so none is bad. */
    static const uint32_t bad_picks[] = {NT_PICK_MODE_STICKY + 1, UINT32_MAX};
    for (size_t i = 0; i < LENGTH(bad_picks); i++) {
        CHECK_OK(nt_options_init(&options, NT_OPTIONS_VERSION));
        options.pick_mode = bad_picks[i];
        CHECK_ERROR(nt_new_with_options(&options, &t), NT_STATUS_INVALID_ARGUMENT,
                    "is not an nt_pick_mode");
    }
    CHECK_OK(nt_options_init(&options, NT_OPTIONS_VERSION));
    options.log_level = NT_LOG_LEVEL_DEBUG + 1;
    CHECK_ERROR(nt_new_with_options(&options, &t), NT_STATUS_INVALID_ARGUMENT,
                "options.log_level");
    CHECK_OK(nt_options_init(&options, NT_OPTIONS_VERSION));
    options.version = 0;
    CHECK_ERROR(nt_new_with_options(&options, &t), NT_STATUS_INVALID_ARGUMENT,
                "options.version");
    CHECK_OK(nt_options_init(&options, NT_OPTIONS_VERSION));
    options.pick_mode = NT_PICK_MODE_STICKY + 1;
    options.version = 1; /* a version-1 struct is checked the same */
    CHECK_ERROR(nt_new_with_options(&options, &t), NT_STATUS_INVALID_ARGUMENT,
                "options.pick_mode");
    /* nt_options_init with a version it does not know writes nothing. */
    memset(&options, 0x77, sizeof options);
    CHECK_ERROR(nt_options_init(&options, 0), NT_STATUS_INVALID_ARGUMENT, "version");
    CHECK_ERROR(nt_options_init(&options, NT_OPTIONS_VERSION + 1), NT_STATUS_INVALID_ARGUMENT,
                "version");
    CHECK_EQ(options.version, 0x77777777);
    CHECK_EQ(options.gone_grace_ms, 0x7777777777777777ULL);
    CHECK(t == NULL);
}

static void unknown_status_codes_still_have_a_description(void) {
    CHECK_STR(nt_status_str(12345), "unknown nt_status value");
    CHECK_STR(nt_status_str(NT_STATUS_NICK_LIMIT), "the tracker's nick limit is reached");
}

int main(void) {
    static const struct test_case tests[] = {
        TEST_CASE(every_function_refuses_every_bad_nick_and_changes_nothing),
        TEST_CASE(every_n_call_refuses_every_bad_nick_and_changes_nothing),
        TEST_CASE(the_longest_nick_is_accepted_and_one_more_byte_is_not),
        TEST_CASE(control_characters_are_accepted_and_returned_byte_for_byte),
        TEST_CASE(null_everywhere_is_refused),
        TEST_CASE(malformed_packed_peerlists_are_refused),
        TEST_CASE(huge_counts_are_refused_before_anything_is_read),
        TEST_CASE(too_small_buffers_are_refused_and_left_untouched),
        TEST_CASE(duplicates_in_a_peerlist_count_once_even_against_a_limit),
        TEST_CASE(limits_refuse_floods_and_change_nothing),
        TEST_CASE(every_0_3_call_refuses_every_bad_nick_and_changes_nothing),
        TEST_CASE(null_arguments_to_the_0_3_calls_are_refused),
        TEST_CASE(unknown_directories_and_missing_peerlists_are_refused),
        TEST_CASE(a_clock_going_backwards_is_refused_by_every_call_that_reads_it),
        TEST_CASE(malformed_chunks_and_batches_are_refused),
        TEST_CASE(too_small_buffers_for_the_0_3_calls_are_refused_and_left_untouched),
        TEST_CASE(limits_refuse_chunks_batches_and_begins),
        TEST_CASE(bad_options_are_refused_and_create_nothing),
        TEST_CASE(unknown_status_codes_still_have_a_description),
    };
    return run_tests(tests, LENGTH(tests));
}
