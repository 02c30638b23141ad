/*
 * A fixture for the tests of the 0.3 presence calls (chunked peerlists, batches, time and
 * expiry, sticky picks, each directory's view): a tracker on a fake clock whose events are
 * recorded as text, and helpers that read its lists back as text, "J5a,J5b," for the packed
 * list "J5a\0J5b\0". Everything is static inline so that each test uses what it needs.
 */
#ifndef NT_TEST_PRESENCE_H
#define NT_TEST_PRESENCE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nick_tracker.h>

#include "check.h"

/* A packed list written as a string literal with its NULs: PACKED("J5a\0J5b\0") is the
 * pointer and the length, 8 (the literal's own terminator is not part of the list). */
#define PACKED(literal) (literal), (sizeof(literal) - 1)

/* ---- The fake clock --------------------------------------------------------------------- */

struct fake_clock {
    uint64_t now;   /* what the next reading returns */
    unsigned reads; /* how many times the tracker read it */
};

static inline uint64_t read_fake_clock(void *user_data) {
    struct fake_clock *clock = (struct fake_clock *)user_data;
    clock->reads++;
    return clock->now;
}

/* ---- The fixture ------------------------------------------------------------------------ */

/* What a test may choose for its tracker; zero for the defaults. */
struct settings {
    uint32_t pick_mode;
    size_t max_nicks, max_directories;
    uint64_t presence_ttl_ms, gone_grace_ms, disconnected_hold_ms;
};

struct text {
    char s[1024];
};

struct world {
    nt_tracker *t;
    struct fake_clock clock;
    struct text events; /* "join J5a 1; leave J5b 2; " since the last CHECK_EVENTS */
    uint64_t last_seq;
    size_t fail_with; /* if not 0, every event callback reports this error */
};

static inline void append_text(struct text *text, const char *piece) {
    size_t used = strlen(text->s);
    if (CHECK(used + strlen(piece) < sizeof text->s))
        memcpy(text->s + used, piece, strlen(piece) + 1);
}

static inline void record_presence_event(void *user_data, const nt_event *event) {
    struct world *w = (struct world *)user_data;
    char line[NT_MAX_NICK_LEN + 64];
    const char *kind = event->kind == NT_EVENT_KIND_JOIN    ? "join"
                       : event->kind == NT_EVENT_KIND_LEAVE ? "leave"
                                                            : "?";
    CHECK_EQ(event->seq, w->last_seq + 1);
    w->last_seq = event->seq;
    snprintf(line, sizeof line, "%s %s %llu; ", kind, event->nick,
             (unsigned long long)event->directory);
    append_text(&w->events, line);
    if (w->fail_with != 0) /* only the first error of a call is kept */
        (void)nt_report_callback_error(w->t, w->fail_with);
}

/* A tracker with `settings`, its clock at 1000 ms (so that 0, "never", is not a time). */
static inline struct world *open_world_with(struct settings settings) {
    struct world *w = (struct world *)calloc(1, sizeof *w);
    nt_options options;
    if (w == NULL || nt_options_init(&options, NT_OPTIONS_VERSION) != NT_STATUS_OK)
        exit(EXIT_FAILURE);
    w->clock.now = 1000;
    options.on_event = record_presence_event;
    options.event_user_data = w;
    options.clock = read_fake_clock;
    options.clock_user_data = &w->clock;
    options.pick_mode = settings.pick_mode;
    options.max_nicks = settings.max_nicks;
    options.max_directories = settings.max_directories;
    options.presence_ttl_ms = settings.presence_ttl_ms;
    options.gone_grace_ms = settings.gone_grace_ms;
    options.disconnected_hold_ms = settings.disconnected_hold_ms;
    if (nt_new_with_options(&options, &w->t) != NT_STATUS_OK) {
        fprintf(stderr, "cannot create a tracker: %s\n", nt_last_error_message());
        exit(EXIT_FAILURE);
    }
    return w;
}

static inline struct world *open_world(void) {
    struct settings defaults;
    memset(&defaults, 0, sizeof defaults);
    return open_world_with(defaults);
}

static inline void close_world(struct world *w) {
    nt_free(w->t);
    free(w);
}

/* CHECK_EVENTS(w, "join J5a 1; leave J5b 2; "): exactly these events since the last check. */
#define CHECK_EVENTS(w, expected)                \
    do {                                         \
        CHECK_STR((w)->events.s, (expected));    \
        (w)->events.s[0] = '\0';                 \
    } while (0)

#define CHECK_NO_EVENTS(w) CHECK_EVENTS(w, "")

/* ---- Reading lists back as text --------------------------------------------------------- */

/* "J5a\0J5b\0" as "J5a,J5b,". */
static inline struct text unpack(const char *packed, size_t len) {
    struct text text;
    size_t at = 0;
    for (size_t i = 0; i < len && at + 1 < sizeof text.s; i++)
        text.s[at++] = packed[i] == '\0' ? ',' : packed[i];
    text.s[at] = '\0';
    return text;
}

static inline int compare_strings(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The entries of a text ("b,a,") in byte order ("a,b,"), for lists in no particular order. */
static inline struct text sorted(struct text text) {
    char *entries[128];
    size_t count = 0;
    for (char *at = text.s; *at != '\0' && count < LENGTH(entries); count++) {
        entries[count] = at;
        at = strchr(at, ',');
        *at++ = '\0';
    }
    qsort(entries, count, sizeof entries[0], compare_strings);
    struct text result;
    result.s[0] = '\0';
    for (size_t i = 0; i < count; i++) {
        append_text(&result, entries[i]);
        append_text(&result, ",");
    }
    return result;
}

/* This thread's departures list (nt_departed_nicks), with the two-call pattern. */
static inline struct text departed(void) {
    size_t len = 12345, again = 0;
    nt_status status = nt_departed_nicks(NULL, 0, &len);
    CHECK_EQ(status, len == 0 ? NT_STATUS_OK : NT_STATUS_BUFFER_TOO_SMALL);
    char *buffer = (char *)malloc(len + 1);
    CHECK_OK(nt_departed_nicks(buffer, len, &again));
    CHECK_EQ(again, len);
    struct text text = unpack(buffer, len);
    free(buffer);
    return text;
}

/* The active nicks in the order the tracker first saw them (nt_active_nicks_packed). */
static inline struct text active(struct world *w) {
    size_t len = 12345, again = 0;
    nt_status status = nt_active_nicks_packed(w->t, NULL, 0, &len);
    CHECK_EQ(status, len == 0 ? NT_STATUS_OK : NT_STATUS_BUFFER_TOO_SMALL);
    char *buffer = (char *)malloc(len + 1);
    CHECK_OK(nt_active_nicks_packed(w->t, buffer, len, &again));
    CHECK_EQ(again, len);
    struct text text = unpack(buffer, len);
    free(buffer);
    return text;
}

/* The nicks `directory` reports present, sorted (nt_directory_nicks_packed, two calls);
 * "(not found)" if the tracker does not know the directory. */
static inline struct text directory_nicks(struct world *w, uint64_t directory) {
    size_t len = 12345, again = 0;
    nt_status status = nt_directory_nicks_packed(w->t, directory, NULL, 0, &len);
    struct text text;
    if (status == NT_STATUS_NOT_FOUND) {
        CHECK_EQ(len, 12345); /* nothing written */
        snprintf(text.s, sizeof text.s, "(not found)");
        return text;
    }
    CHECK_EQ(status, len == 0 ? NT_STATUS_OK : NT_STATUS_BUFFER_TOO_SMALL);
    char *buffer = (char *)malloc(len + 1);
    CHECK_OK(nt_directory_nicks_packed(w->t, directory, buffer, len, &again));
    CHECK_EQ(again, len);
    text = sorted(unpack(buffer, len));
    free(buffer);
    return text;
}

/* The known directories, sorted ("1,2,"), with nt_directories' two-call pattern. */
static inline struct text directories(struct world *w) {
    uint64_t ids[64];
    size_t len = 12345, again = 0;
    nt_status status = nt_directories(w->t, NULL, 0, &len);
    CHECK_EQ(status, len == 0 ? NT_STATUS_OK : NT_STATUS_BUFFER_TOO_SMALL);
    struct text text;
    text.s[0] = '\0';
    if (!CHECK(len <= LENGTH(ids)))
        return text;
    CHECK_OK(nt_directories(w->t, ids, len, &again));
    CHECK_EQ(again, len);
    for (size_t i = 0; i < len; i++) {
        char id[32];
        snprintf(id, sizeof id, "%llu,", (unsigned long long)ids[i]);
        append_text(&text, id);
    }
    return sorted(text);
}

/* A nick's active directories, in order ("1,2,"). */
static inline struct text active_directories(struct world *w, const char *nick) {
    uint64_t ids[16];
    size_t len = 0;
    struct text text;
    text.s[0] = '\0';
    CHECK_OK(nt_active_directories(w->t, nick, ids, LENGTH(ids), &len));
    for (size_t i = 0; i < len && i < LENGTH(ids); i++) {
        char id[32];
        snprintf(id, sizeof id, "%llu,", (unsigned long long)ids[i]);
        append_text(&text, id);
    }
    return text;
}

static inline nt_directory_stats directory_stats(struct world *w, uint64_t directory) {
    nt_directory_stats stats;
    memset(&stats, 0xab, sizeof stats);
    CHECK_OK(nt_get_directory_stats(w->t, directory, &stats));
    return stats;
}

static inline nt_stats tracker_stats(struct world *w) {
    nt_stats stats;
    memset(&stats, 0xab, sizeof stats);
    CHECK_OK(nt_get_stats(w->t, &stats));
    return stats;
}

static inline bool nick_is_active(struct world *w, const char *nick) {
    bool is = false;
    CHECK_OK(nt_is_active(w->t, nick, &is));
    return is;
}

/* Shorthands for the calls the tests make most, each checked to succeed. */
static inline void present(struct world *w, const char *nick, uint64_t directory) {
    CHECK_OK(nt_mark_present(w->t, nick, directory));
}

static inline void gone(struct world *w, const char *nick, uint64_t directory) {
    CHECK_OK(nt_mark_gone(w->t, nick, directory));
}

/* SYNC(w, directory, "J5a", "J5b"): a whole peerlist, accepted. */
#define SYNC(w, directory, ...)                                                            \
    do {                                                                                   \
        const char *const nicks_[] = {__VA_ARGS__};                                        \
        CHECK_OK(nt_sync_peerlist((w)->t, (directory), nicks_, LENGTH(nicks_)));           \
    } while (0)

/* nt_expire, checked to succeed; returns its gone count. */
static inline size_t expire(struct world *w) {
    size_t gone_count = 12345;
    CHECK_OK(nt_expire(w->t, &gone_count));
    return gone_count;
}

#endif /* NT_TEST_PRESENCE_H */
