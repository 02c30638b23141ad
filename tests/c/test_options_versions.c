/*
 * nt_options versions, through the real library: a program compiled against the 0.2 header
 * passes a version-1 struct, which ends at `pick_mode`; nt_options_init and
 * nt_new_with_options must accept it, write and read no further than it goes, and give the
 * fields added in version 2 (the clock, presence_ttl_ms, gone_grace_ms,
 * disconnected_hold_ms) their defaults. The version-1 layout is declared here as 0.2's
 * header had it (git show a5072e3:include/nick_tracker.h), nt_event included. The structs
 * sit in heap blocks of exactly their size, so valgrind and ASan catch any access past them.
 */
#include <stddef.h>

#include "presence.h"

/* ---- The 0.2 header's declarations ------------------------------------------------------ */

typedef struct {
    nt_event_kind kind;
    const char *nick;
    uint64_t directory;
} nt_event_v1;

typedef void (*nt_event_callback_v1)(void *user_data, const nt_event_v1 *event);

typedef struct {
    uint32_t version;
    nt_event_callback_v1 on_event;
    nt_nick_callback on_leave;
    void *event_user_data;
    nt_log_callback on_log;
    void *log_user_data;
    uint32_t log_level;
    size_t max_nicks;
    size_t max_directories;
    uint32_t pick_mode;
} nt_options_v1;

/* ---- Helpers ---------------------------------------------------------------------------- */

/* A 0.2 program's event callback: it knows the 0.2 nt_event only. */
static void record_v1_event(void *user_data, const nt_event_v1 *event) {
    struct text *events = (struct text *)user_data;
    char line[NT_MAX_NICK_LEN + 64];
    snprintf(line, sizeof line, "%s %s %llu; ",
             event->kind == NT_EVENT_KIND_JOIN ? "join" : "leave", event->nick,
             (unsigned long long)event->directory);
    append_text(events, line);
}

static uint64_t forbidden_clock(void *user_data) {
    (void)user_data;
    CHECK(!"the clock past a version-1 struct was called");
    return 0;
}

/* ---- Layouts and nt_options_init -------------------------------------------------------- */

/* Version 2 keeps version 1's fields where they were and adds its own after them. */
static void the_version_2_layout_extends_the_version_1_layout(void) {
    CHECK_EQ(NT_OPTIONS_VERSION, 2);
    CHECK_EQ(offsetof(nt_options, on_event), offsetof(nt_options_v1, on_event));
    CHECK_EQ(offsetof(nt_options, on_leave), offsetof(nt_options_v1, on_leave));
    CHECK_EQ(offsetof(nt_options, event_user_data), offsetof(nt_options_v1, event_user_data));
    CHECK_EQ(offsetof(nt_options, on_log), offsetof(nt_options_v1, on_log));
    CHECK_EQ(offsetof(nt_options, log_user_data), offsetof(nt_options_v1, log_user_data));
    CHECK_EQ(offsetof(nt_options, log_level), offsetof(nt_options_v1, log_level));
    CHECK_EQ(offsetof(nt_options, max_nicks), offsetof(nt_options_v1, max_nicks));
    CHECK_EQ(offsetof(nt_options, max_directories), offsetof(nt_options_v1, max_directories));
    CHECK_EQ(offsetof(nt_options, pick_mode), offsetof(nt_options_v1, pick_mode));
    CHECK(offsetof(nt_options, clock) >= sizeof(nt_options_v1));
    /* And nt_event kept 0.2's fields where they were. */
    CHECK_EQ(offsetof(nt_event, nick), offsetof(nt_event_v1, nick));
    CHECK_EQ(offsetof(nt_event, directory), offsetof(nt_event_v1, directory));
}

static void options_init_version_2_sets_every_default(void) {
    nt_options options;
    memset(&options, 0xff, sizeof options);
    CHECK_OK(nt_options_init(&options, NT_OPTIONS_VERSION));
    CHECK_EQ(options.version, 2);
    CHECK(options.on_event == NULL && options.on_leave == NULL && options.on_log == NULL);
    CHECK(options.event_user_data == NULL && options.log_user_data == NULL);
    CHECK_EQ(options.log_level, NT_LOG_LEVEL_INFO);
    CHECK_EQ(options.max_nicks, 0);
    CHECK_EQ(options.max_directories, 0);
    CHECK_EQ(options.pick_mode, NT_PICK_MODE_RANDOM);
    CHECK(options.clock == NULL);
    CHECK(options.clock_user_data == NULL);
    CHECK_EQ(options.presence_ttl_ms, 0);
    CHECK_EQ(options.gone_grace_ms, 0);
    CHECK_EQ(options.disconnected_hold_ms, 0);
}

/* Version 1 fills a version-1 struct with its defaults and writes nothing after it. */
static void options_init_version_1_fills_only_the_version_1_layout(void) {
    unsigned char *block = (unsigned char *)malloc(sizeof(nt_options_v1) + 64);
    memset(block, 0xa5, sizeof(nt_options_v1) + 64);
    nt_options_v1 *v1 = (nt_options_v1 *)block;
    CHECK_OK(nt_options_init((nt_options *)v1, 1));
    CHECK_EQ(v1->version, 1);
    CHECK(v1->on_event == NULL && v1->on_leave == NULL && v1->on_log == NULL);
    CHECK(v1->event_user_data == NULL && v1->log_user_data == NULL);
    CHECK_EQ(v1->log_level, NT_LOG_LEVEL_INFO);
    CHECK_EQ(v1->max_nicks, 0);
    CHECK_EQ(v1->max_directories, 0);
    CHECK_EQ(v1->pick_mode, NT_PICK_MODE_RANDOM);
    size_t untouched = 0;
    for (size_t i = sizeof(nt_options_v1); i < sizeof(nt_options_v1) + 64; i++)
        untouched += block[i] == 0xa5;
    CHECK_EQ(untouched, 64);
    free(block);
    /* And in a block of exactly its size (valgrind and ASan see any write past it). */
    v1 = (nt_options_v1 *)malloc(sizeof *v1);
    CHECK_OK(nt_options_init((nt_options *)v1, 1));
    CHECK_EQ(v1->version, 1);
    free(v1);
}

/* ---- Trackers from version-1 options ---------------------------------------------------- */

/* A version-1 struct's fields take effect; the version-2 fields are at their defaults: the
 * monotonic clock, and no expiry (a gone report acts at once, nt_expire() finds nothing, a
 * disconnected directory stays). */
static void a_version_1_struct_makes_a_tracker_with_defaults_for_the_new_fields(void) {
    struct text *events = (struct text *)calloc(1, sizeof *events);
    nt_options_v1 *v1 = (nt_options_v1 *)malloc(sizeof *v1);
    CHECK_OK(nt_options_init((nt_options *)v1, 1));
    v1->on_event = record_v1_event;
    v1->event_user_data = events;
    v1->max_nicks = 2;
    v1->pick_mode = NT_PICK_MODE_ROUND_ROBIN;
    nt_tracker *t = NULL;
    CHECK_OK(nt_new_with_options((const nt_options *)v1, &t));
    free(v1); /* the options are copied */
    CHECK_OK(nt_mark_present(t, "J5a", 1));
    CHECK_OK(nt_mark_present(t, "J5a", 2));
    CHECK_OK(nt_mark_present(t, "J5b", 3));
    CHECK_ERROR(nt_mark_present(t, "J5c", 3), NT_STATUS_NICK_LIMIT, "limit is 2");
    uint64_t picks[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++)
        CHECK_OK(nt_pick_directory(t, "J5a", &picks[i]));
    CHECK(picks[0] == 1 && picks[1] == 2 && picks[2] == 1);
    CHECK_OK(nt_mark_gone(t, "J5a", 1));
    CHECK_OK(nt_mark_gone(t, "J5a", 2)); /* no grace: leaves at once */
    CHECK_OK(nt_set_directory_connected(t, 3, false));
    CHECK_STR(events->s, "join J5a 1; join J5b 3; leave J5a 2; leave J5b 3; ");
    size_t gone_count = 12345;
    CHECK_OK(nt_expire(t, &gone_count));
    CHECK_EQ(gone_count, 0);
    nt_directory_stats stats;
    CHECK_OK(nt_get_directory_stats(t, 3, &stats));
    CHECK_EQ(stats.nicks, 1);
    uint64_t seen = 0, again = 0;
    CHECK_OK(nt_last_seen(t, "J5b", 3, &seen));
    CHECK_OK(nt_mark_present(t, "J5b", 4)); /* the monotonic clock goes on */
    CHECK_OK(nt_last_seen(t, "J5b", 4, &again));
    CHECK(again >= seen);
    nt_free(t);
    free(events);
}

/* Whatever follows a version-1 struct in memory is not read: here, version-2 fields that
 * would hold back gone reports for 1000 s, expire everything after 1 ms and call a clock
 * that fails the test. */
static void a_version_1_struct_is_read_no_further_than_it_goes(void) {
    nt_options options;
    CHECK_OK(nt_options_init(&options, NT_OPTIONS_VERSION));
    options.version = 1;
    options.clock = forbidden_clock;
    options.gone_grace_ms = 1000000;
    options.presence_ttl_ms = 1;
    options.disconnected_hold_ms = 1;
    nt_tracker *t = NULL;
    CHECK_OK(nt_new_with_options(&options, &t));
    CHECK_OK(nt_mark_present(t, "J5a", 1));
    CHECK_OK(nt_mark_present(t, "J5b", 1));
    CHECK_OK(nt_mark_gone(t, "J5a", 1));
    bool is_active = true;
    CHECK_OK(nt_is_active(t, "J5a", &is_active));
    CHECK(!is_active); /* gone at once: no grace */
    CHECK_OK(nt_set_directory_connected(t, 2, false));
    CHECK_OK(nt_expire(t, NULL));
    size_t count = 0;
    CHECK_OK(nt_active_nick_count(t, &count));
    CHECK_EQ(count, 1);
    CHECK_EQ(nt_directories(t, NULL, 0, &count), NT_STATUS_BUFFER_TOO_SMALL);
    CHECK_EQ(count, 2); /* directory 2 is still known: no hold */
    nt_free(t);
}

/* Versions the library does not know are refused, and nothing is written or created. */
static void unknown_options_versions_are_refused(void) {
    static const uint32_t versions[] = {0, NT_OPTIONS_VERSION + 1, UINT32_MAX};
    for (size_t i = 0; i < LENGTH(versions); i++) {
        nt_options options;
        memset(&options, 0x3c, sizeof options);
        CHECK_ERROR(nt_options_init(&options, versions[i]), NT_STATUS_INVALID_ARGUMENT,
                    "version");
        CHECK_EQ(options.max_nicks, (size_t)0x3c3c3c3c3c3c3c3cULL);
        CHECK_OK(nt_options_init(&options, NT_OPTIONS_VERSION));
        options.version = versions[i];
        nt_tracker *t = NULL;
        CHECK_ERROR(nt_new_with_options(&options, &t), NT_STATUS_INVALID_ARGUMENT,
                    "options.version");
        CHECK(t == NULL);
    }
}

int main(void) {
    static const struct test_case tests[] = {
        TEST_CASE(the_version_2_layout_extends_the_version_1_layout),
        TEST_CASE(options_init_version_2_sets_every_default),
        TEST_CASE(options_init_version_1_fills_only_the_version_1_layout),
        TEST_CASE(a_version_1_struct_makes_a_tracker_with_defaults_for_the_new_fields),
        TEST_CASE(a_version_1_struct_is_read_no_further_than_it_goes),
        TEST_CASE(unknown_options_versions_are_refused),
    };
    return run_tests(tests, LENGTH(tests));
}
