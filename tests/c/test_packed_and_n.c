/*
 * The calls that pass nicks packed or with a length instead of a terminator:
 * - nt_departed_nicks: the nicks that left in this thread's latest successful call that
 *   reports departures, packed; a call made from inside a callback does not replace the list
 *   of the call that runs the callback;
 * - nt_active_nicks_packed: every active nick in one call;
 * - nt_update_n, nt_is_active_n, nt_active_directories_n, nt_pick_directory_n: a nick as
 *   (pointer, length). Each nick here sits in a heap block of exactly its length, with no
 *   terminator after it, so a read past it fails the test under valgrind and ASan.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nick_tracker.h>

#include "check.h"

/* ---- Helpers ---------------------------------------------------------------------------- */

/* A packed list as text for messages and comparisons: "a\0b\0" becomes "a,b," . */
static void unpack(const char *packed, size_t len, char *text, size_t size) {
    size_t at = 0;
    for (size_t i = 0; i < len && at + 1 < size; i++)
        text[at++] = packed[i] == '\0' ? ',' : packed[i];
    text[at] = '\0';
}

/* The departures list as text, fetched with the two-call pattern. */
static void departed(char *text, size_t size) {
    size_t len = 12345;
    nt_status status = nt_departed_nicks(NULL, 0, &len);
    CHECK(status == NT_STATUS_OK || status == NT_STATUS_BUFFER_TOO_SMALL);
    CHECK_EQ(status == NT_STATUS_OK, len == 0);
    char *buffer = (char *)malloc(len + 1);
    size_t again = 0;
    CHECK_OK(nt_departed_nicks(buffer, len, &again));
    CHECK_EQ(again, len);
    unpack(buffer, len, text, size);
    free(buffer);
}

#define CHECK_DEPARTED(expected)                                                           \
    do {                                                                                   \
        char departed_[256];                                                               \
        departed(departed_, sizeof departed_);                                             \
        CHECK_STR(departed_, (expected));                                                  \
    } while (0)

static void active_nicks(nt_tracker *t, char *text, size_t size) {
    size_t len = 12345;
    nt_status status = nt_active_nicks_packed(t, NULL, 0, &len);
    CHECK_EQ(status, len == 0 ? NT_STATUS_OK : NT_STATUS_BUFFER_TOO_SMALL);
    char *buffer = (char *)malloc(len + 1);
    size_t again = 0;
    CHECK_OK(nt_active_nicks_packed(t, buffer, len, &again));
    CHECK_EQ(again, len);
    unpack(buffer, len, text, size);
    free(buffer);
}

#define CHECK_ACTIVE(t, expected)                                                          \
    do {                                                                                   \
        char active_[256];                                                                 \
        active_nicks((t), active_, sizeof active_);                                        \
        CHECK_STR(active_, (expected));                                                    \
    } while (0)

/* A copy of `nick` without terminator, in a heap block of exactly its length. */
static char *exact(const char *nick, size_t len) {
    char *copy = (char *)malloc(len > 0 ? len : 1);
    memcpy(copy, nick, len);
    return copy;
}

static nt_tracker *new_tracker(void) {
    nt_tracker *t = NULL;
    CHECK_OK(nt_new(NULL, NULL, &t));
    return t;
}

/* ---- nt_departed_nicks ------------------------------------------------------------------- */

static void departures_are_those_of_the_latest_call_that_reports_them(void) {
    nt_tracker *t = new_tracker();
    const char *const list[] = {"J5zed", "J5amy", "J5bob"};
    CHECK_OK(nt_sync_peerlist(t, 1, list, 3));
    CHECK_OK(nt_mark_present(t, "J5bob", 2));
    CHECK_DEPARTED(""); /* the sync had no departures */

    CHECK_OK(nt_remove_directory(t, 1, NULL));
    CHECK_DEPARTED("J5zed,J5amy,"); /* in first-seen order, not J5bob (still on 2) */
    CHECK_OK(nt_mark_gone(t, "J5bob", 2)); /* not a call that reports departures */
    CHECK_DEPARTED("J5zed,J5amy,");
    CHECK_ERROR(nt_sync_peerlist_packed(t, 2, "x", 1), NT_STATUS_INVALID_ARGUMENT, "NUL");
    CHECK_DEPARTED("J5zed,J5amy,"); /* a refused call changes nothing */

    CHECK_OK(nt_sync_peerlist_packed(t, 3, "J5a\0J5b\0", 8));
    CHECK_OK(nt_sync_peerlist_packed(t, 3, "J5b\0", 4));
    CHECK_DEPARTED("J5a,");
    CHECK_OK(nt_set_directory_connected(t, 3, false));
    CHECK_DEPARTED("J5b,");
    CHECK_OK(nt_set_directory_connected(t, 3, true)); /* joins only */
    CHECK_DEPARTED("");
    const char *const b[] = {"J5b"};
    CHECK_OK(nt_sync_peerlist(t, 4, b, 1));
    CHECK_OK(nt_sync_peerlist(t, 3, NULL, 0)); /* J5b stays, through directory 4 */
    CHECK_DEPARTED("");
    nt_free(t);
}

static void departures_follow_the_two_call_pattern(void) {
    nt_tracker *t = new_tracker();
    CHECK_OK(nt_sync_peerlist_packed(t, 1, "J5alice\0J5bob\0", 14));
    CHECK_OK(nt_remove_directory(t, 1, NULL));
    char buffer[16];
    memset(buffer, '#', sizeof buffer);
    size_t len = 0;
    CHECK_ERROR(nt_departed_nicks(buffer, 13, &len), NT_STATUS_BUFFER_TOO_SMALL, "buffer");
    CHECK_EQ(len, 14);
    CHECK_EQ(buffer[0], '#'); /* untouched */
    CHECK_OK(nt_departed_nicks(buffer, sizeof buffer, &len));
    CHECK_EQ(len, 14);
    CHECK(memcmp(buffer, "J5alice\0J5bob\0##", 16) == 0);
    CHECK_ERROR(nt_departed_nicks(buffer, sizeof buffer, NULL), NT_STATUS_NULL_ARGUMENT,
                "out_len");
    CHECK_ERROR(nt_departed_nicks(NULL, 1, &len), NT_STATUS_NULL_ARGUMENT, "out_nicks");
    nt_free(t);
}

/* A leave callback that removes another directory, and looks at the list meanwhile. */
struct nested {
    nt_tracker *tracker;
    char inside[64];
};

static void remove_directory_2_on_first_leave(void *user_data, const char *nick) {
    struct nested *n = (struct nested *)user_data;
    if (strcmp(nick, "J5a") != 0)
        return;
    size_t gone = 99;
    CHECK_OK(nt_remove_directory(n->tracker, 2, &gone));
    CHECK_EQ(gone, 1);
    /* The nested call has returned: its list is the latest, though its departure is still
     * to be delivered. */
    departed(n->inside, sizeof n->inside);
}

static void a_nested_call_does_not_replace_the_outer_calls_departures(void) {
    struct nested n;
    memset(&n, 0, sizeof n);
    CHECK_OK(nt_new(remove_directory_2_on_first_leave, &n, &n.tracker));
    CHECK_OK(nt_sync_peerlist_packed(n.tracker, 1, "J5a\0J5b\0", 8));
    CHECK_OK(nt_sync_peerlist_packed(n.tracker, 2, "J5c\0", 4));
    CHECK_OK(nt_remove_directory(n.tracker, 1, NULL)); /* J5a, J5b; nested: J5c */
    CHECK_STR(n.inside, "J5c,");
    CHECK_DEPARTED("J5a,J5b,");
    nt_free(n.tracker);
}

static void *departures_on_another_thread(void *arg) {
    char *text = (char *)arg;
    departed(text, 64);
    return NULL;
}

static void departures_belong_to_the_thread(void) {
    nt_tracker *t = new_tracker();
    CHECK_OK(nt_sync_peerlist_packed(t, 1, "J5a\0", 4));
    CHECK_OK(nt_remove_directory(t, 1, NULL));
    char elsewhere[64] = "unset";
    pthread_t thread;
    CHECK_EQ(pthread_create(&thread, NULL, departures_on_another_thread, elsewhere), 0);
    CHECK_EQ(pthread_join(thread, NULL), 0);
    CHECK_STR(elsewhere, "");
    CHECK_DEPARTED("J5a,");
    nt_free(t);
}

/* ---- nt_active_nicks_packed --------------------------------------------------------------- */

static void active_nicks_come_packed_in_first_seen_order(void) {
    nt_tracker *t = new_tracker();
    CHECK_ACTIVE(t, "");
    size_t len = 99;
    CHECK_OK(nt_active_nicks_packed(t, NULL, 0, &len));
    CHECK_EQ(len, 0);
    CHECK_OK(nt_mark_present(t, "J5bob", 1));
    CHECK_OK(nt_mark_present(t, "J5al", 2));
    CHECK_OK(nt_mark_present(t, "J5zoe", 1));
    CHECK_OK(nt_mark_gone(t, "J5bob", 1));
    CHECK_OK(nt_mark_present(t, "J5bob", 1)); /* back: seen anew, so now last */
    CHECK_ACTIVE(t, "J5al,J5zoe,J5bob,");

    char buffer[24];
    memset(buffer, '#', sizeof buffer);
    CHECK_ERROR(nt_active_nicks_packed(t, buffer, 16, &len), NT_STATUS_BUFFER_TOO_SMALL,
                "buffer");
    CHECK_EQ(len, 17);
    CHECK_EQ(buffer[0], '#');
    CHECK_OK(nt_active_nicks_packed(t, buffer, sizeof buffer, &len));
    CHECK_EQ(len, 17);
    CHECK(memcmp(buffer, "J5al\0J5zoe\0J5bob\0#", 18) == 0);
    CHECK_ERROR(nt_active_nicks_packed(t, buffer, sizeof buffer, NULL), NT_STATUS_NULL_ARGUMENT,
                "out_len");
    CHECK_ERROR(nt_active_nicks_packed(t, NULL, 4, &len), NT_STATUS_NULL_ARGUMENT, "out_nicks");
    CHECK_ERROR(nt_active_nicks_packed(NULL, buffer, 4, &len), NT_STATUS_NULL_ARGUMENT,
                "tracker");
    /* Inactive nicks held for a disconnected directory are not listed. */
    CHECK_OK(nt_set_directory_connected(t, 2, false));
    CHECK_ACTIVE(t, "J5zoe,J5bob,");
    nt_free(t);
}

/* ---- The *_n calls ------------------------------------------------------------------------ */

static void n_calls_read_exactly_the_length_given(void) {
    nt_tracker *t = NULL;
    nt_options options;
    CHECK_OK(nt_options_init(&options, NT_OPTIONS_VERSION));
    options.pick_mode = NT_PICK_MODE_ROUND_ROBIN;
    CHECK_OK(nt_new_with_options(&options, &t));
    char *alice = exact("J5alice", 7);
    char *prefix = exact("J5alice and more", 16); /* the first 7 bytes: J5alice again */
    char *longest = (char *)malloc(NT_MAX_NICK_LEN);
    memset(longest, 'z', NT_MAX_NICK_LEN);

    CHECK_OK(nt_update_n(t, alice, 7, 1, true));
    CHECK_OK(nt_update_n(t, prefix, 7, 2, true));
    CHECK_OK(nt_update_n(t, longest, NT_MAX_NICK_LEN, 1, true));
    bool active = false;
    CHECK_OK(nt_is_active_n(t, prefix, 7, &active));
    CHECK(active);
    CHECK_OK(nt_is_active(t, "J5alice", &active)); /* the same nick as a C string */
    CHECK(active);
    CHECK_OK(nt_is_active_n(t, prefix, 9, &active)); /* "J5alice a": another nick */
    CHECK(!active);
    CHECK_OK(nt_is_active_n(t, longest, NT_MAX_NICK_LEN, &active));
    CHECK(active);

    uint64_t directories[3] = {0, 0, 42};
    size_t len = 0;
    CHECK_ERROR(nt_active_directories_n(t, alice, 7, directories, 1, &len),
                NT_STATUS_BUFFER_TOO_SMALL, "buffer");
    CHECK_EQ(len, 2);
    CHECK_OK(nt_active_directories_n(t, alice, 7, directories, 2, &len));
    CHECK(len == 2 && directories[0] == 1 && directories[1] == 2 && directories[2] == 42);
    uint64_t picked = 0;
    CHECK_OK(nt_pick_directory_n(t, alice, 7, &picked));
    CHECK_EQ(picked, 1);
    CHECK_OK(nt_pick_directory_n(t, prefix, 7, &picked));
    CHECK_EQ(picked, 2);
    CHECK_ERROR(nt_pick_directory_n(t, prefix, 9, &picked), NT_STATUS_NICK_NOT_ACTIVE,
                "not active");

    CHECK_OK(nt_update_n(t, alice, 7, 1, false));
    CHECK_OK(nt_update_n(t, alice, 7, 2, false));
    CHECK_OK(nt_is_active_n(t, alice, 7, &active));
    CHECK(!active);
    free(alice);
    free(prefix);
    free(longest);
    nt_free(t);
}

static void n_calls_refuse_what_a_c_string_cannot_hold(void) {
    nt_tracker *t = new_tracker();
    CHECK_OK(nt_mark_present(t, "J5a", 1));
    char *with_nul = exact("J5a\0b", 5);
    char *too_long = (char *)malloc(NT_MAX_NICK_LEN + 1);
    memset(too_long, 'z', NT_MAX_NICK_LEN + 1);
    char *not_utf8 = exact("J5\xff", 3);
    bool active = true;
    uint64_t directory = 42, directories[1] = {42};
    size_t len = 7;
    CHECK_ERROR(nt_update_n(t, with_nul, 5, 1, true), NT_STATUS_NICK_CONTAINS_NUL, "nick");
    CHECK_ERROR(nt_update_n(t, with_nul, 0, 1, true), NT_STATUS_NICK_EMPTY, "nick");
    CHECK_ERROR(nt_update_n(t, NULL, 0, 1, true), NT_STATUS_NULL_ARGUMENT, "nick");
    CHECK_ERROR(nt_update_n(t, too_long, NT_MAX_NICK_LEN + 1, 1, true), NT_STATUS_NICK_TOO_LONG,
                "nick");
    CHECK_ERROR(nt_update_n(t, not_utf8, 3, 1, true), NT_STATUS_NICK_NOT_UTF8, "nick");
    CHECK_ERROR(nt_is_active_n(t, with_nul, 5, &active), NT_STATUS_NICK_CONTAINS_NUL, "nick");
    CHECK_ERROR(nt_active_directories_n(t, with_nul, 5, directories, 1, &len),
                NT_STATUS_NICK_CONTAINS_NUL, "nick");
    CHECK_ERROR(nt_pick_directory_n(t, with_nul, 5, &directory), NT_STATUS_NICK_CONTAINS_NUL,
                "nick");
    CHECK_ERROR(nt_update_n(NULL, with_nul, 3, 1, true), NT_STATUS_NULL_ARGUMENT, "tracker");
    CHECK(active);
    CHECK_EQ(directory, 42);
    CHECK_EQ(directories[0], 42);
    CHECK_EQ(len, 7);
    CHECK_ACTIVE(t, "J5a,");
    free(with_nul);
    free(too_long);
    free(not_utf8);
    nt_free(t);
}

int main(void) {
    static const struct test_case tests[] = {
        TEST_CASE(departures_are_those_of_the_latest_call_that_reports_them),
        TEST_CASE(departures_follow_the_two_call_pattern),
        TEST_CASE(a_nested_call_does_not_replace_the_outer_calls_departures),
        TEST_CASE(departures_belong_to_the_thread),
        TEST_CASE(active_nicks_come_packed_in_first_seen_order),
        TEST_CASE(n_calls_read_exactly_the_length_given),
        TEST_CASE(n_calls_refuse_what_a_c_string_cannot_hold),
    };
    return run_tests(tests, LENGTH(tests));
}
