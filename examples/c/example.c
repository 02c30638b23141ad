/*
 * nick_tracker_example: a client connected to three directory servers follows which peers are
 * reachable while peerlists and single join/leave messages arrive, and one directory is dropped
 * for good. A peer counts as gone only once no directory lists it any more.
 *
 * Its output is checked against examples/c/expected_output.txt by CTest.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <nick_tracker.h>

#define LENGTH(array) (sizeof(array) / sizeof((array)[0]))

/* The directory servers, identified to the tracker by ids of our choosing. */
enum { ALPHA = 1, BETA = 2, GAMMA = 3 };

static const char *directory_name(uint64_t id) {
    switch (id) {
    case ALPHA: return "alpha.onion";
    case BETA: return "beta.onion";
    case GAMMA: return "gamma.onion";
    default: return "(unknown directory)";
    }
}

/* Exits with a report if a call failed: the status says what kind of error it was,
 * nt_last_error_message() which argument was at fault. */
static void check(nt_status status, const char *call) {
    if (status == NT_STATUS_OK)
        return;
    fprintf(stderr, "%s failed: %s (%s)\n", call, nt_status_str(status), nt_last_error_message());
    exit(EXIT_FAILURE);
}

/* The leave callback's user_data: state of ours that the callback updates. */
struct leave_log {
    unsigned events;
};

/* Runs once for each nick that no directory lists any more, before the call that caused it
 * returns. */
static void on_leave(void *user_data, const char *nick) {
    struct leave_log *log = user_data;
    log->events++;
    printf("  leave event #%u: %s is on no directory any more\n", log->events, nick);
}

/* A directory sent its whole peerlist: whoever it listed before but not now is gone from it. */
static void receive_peerlist(nt_tracker *tracker, uint64_t directory,
                             const char *const *nicks, size_t count) {
    printf("%s sends its peerlist:", directory_name(directory));
    for (size_t i = 0; i < count; i++)
        printf(" %s", nicks[i]);
    printf("\n");
    check(nt_sync_peerlist(tracker, directory, nicks, count), "nt_sync_peerlist");
}

/* Prints the directories listing `nick` with the two-call pattern: the first call, with no
 * buffer, learns how many there are; the next fills a buffer of that size. It loops because in
 * a multi-threaded program another directory could list the nick between the two calls. */
static void print_directories(const nt_tracker *tracker, const char *nick) {
    uint64_t *directories = NULL;
    size_t capacity = 0;
    size_t len;
    nt_status status;
    while ((status = nt_active_directories(tracker, nick, directories, capacity, &len)) ==
           NT_STATUS_BUFFER_TOO_SMALL) {
        free(directories);
        capacity = len;
        directories = malloc(capacity * sizeof *directories);
        if (directories == NULL) {
            fprintf(stderr, "out of memory\n");
            exit(EXIT_FAILURE);
        }
    }
    check(status, "nt_active_directories");
    printf("  %s is listed by", nick);
    for (size_t i = 0; i < len; i++)
        printf(" %s", directory_name(directories[i]));
    printf("\n");
    free(directories);
}

/* Visitor for nt_for_each_active_nick. It visits a snapshot with the tracker unlocked, so it
 * may call back into the tracker (user_data), as print_directories does. */
static void print_nick_and_directories(void *user_data, const char *nick) {
    print_directories(user_data, nick);
}

static void print_active_nick_count(const nt_tracker *tracker) {
    size_t count;
    check(nt_active_nick_count(tracker, &count), "nt_active_nick_count");
    printf("  %zu nicks are active\n", count);
}

static void print_whether_active(const nt_tracker *tracker, const char *nick) {
    bool active;
    check(nt_is_active(tracker, nick, &active), "nt_is_active");
    printf("  %s is %s\n", nick, active ? "active" : "not active");
}

int main(void) {
    /* Programs built against one major version must not run with another. */
    if (strtoul(nt_version(), NULL, 10) != NT_VERSION_MAJOR) {
        fprintf(stderr, "built for nick-tracker %d.x, running with %s\n", NT_VERSION_MAJOR,
                nt_version());
        return EXIT_FAILURE;
    }

    struct leave_log log = {0};
    nt_tracker *tracker;
    check(nt_new(on_leave, &log, &tracker), "nt_new");

    printf("== Connected to three directories\n");
    static const char *const alpha_peers[] = {"J5alice", "J5bob", "J5carol"};
    static const char *const beta_peers[] = {"J5alice", "J5bob", "J5dave"};
    static const char *const gamma_peers[] = {"J5bob", "J5dave", "J5erin"};
    receive_peerlist(tracker, ALPHA, alpha_peers, LENGTH(alpha_peers));
    receive_peerlist(tracker, BETA, beta_peers, LENGTH(beta_peers));
    receive_peerlist(tracker, GAMMA, gamma_peers, LENGTH(gamma_peers));
    print_active_nick_count(tracker);
    print_directories(tracker, "J5bob");

    printf("== Single messages\n");
    printf("gamma.onion: J5frank joined\n");
    check(nt_mark_present(tracker, "J5frank", GAMMA), "nt_mark_present");
    printf("beta.onion: J5alice disconnected\n");
    check(nt_mark_gone(tracker, "J5alice", BETA), "nt_mark_gone");
    print_directories(tracker, "J5alice");

    printf("== alpha.onion refreshes its peerlist\n");
    static const char *const alpha_peers_later[] = {"J5bob", "J5frank"};
    receive_peerlist(tracker, ALPHA, alpha_peers_later, LENGTH(alpha_peers_later));

    printf("== Dropped gamma.onion for good\n");
    size_t gone;
    check(nt_remove_directory(tracker, GAMMA, &gone), "nt_remove_directory");
    printf("  %zu nick(s) left with it\n", gone);

    printf("== Who is still reachable\n");
    check(nt_for_each_active_nick(tracker, print_nick_and_directories, tracker),
          "nt_for_each_active_nick");
    print_active_nick_count(tracker);
    print_whether_active(tracker, "J5dave");
    print_whether_active(tracker, "J5erin");

    printf("== A malformed peerlist is rejected as a whole\n");
    static const char *const malformed_peers[] = {"J5bob", ""};
    nt_status status = nt_sync_peerlist(tracker, BETA, malformed_peers, LENGTH(malformed_peers));
    if (status == NT_STATUS_OK) {
        fprintf(stderr, "a peerlist with an empty nick was accepted\n");
        return EXIT_FAILURE;
    }
    printf("  nt_sync_peerlist: %s (%s)\n", nt_status_str(status), nt_last_error_message());
    printf("  nothing changed: J5dave, missing from that list, is still there\n");
    print_directories(tracker, "J5dave");

    /* Freeing the tracker runs no callbacks: the peers still listed did not leave. */
    nt_free(tracker);
    printf("Done after %u leave events\n", log.events);
    return EXIT_SUCCESS;
}
