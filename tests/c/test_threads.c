/*
 * One tracker shared by several threads, and the per-thread last-error message.
 *
 * Each writer thread owns one directory and its own private nicks, which only it reports, so
 * it can predict exactly how many of them leave, even though all threads share the tracker
 * (and its lock and tables). All writers also list the same shared nicks, which therefore
 * must stay active until the end, when the main thread removes every directory. Reader
 * threads check that invariant meanwhile. Whatever the interleaving, the counts must match.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <nick_tracker.h>

#include "check.h"

enum {
    WRITERS = 4,
    READERS = 2,
    PRIVATE_NICKS = 24, /* per writer */
    SHARED_NICKS = 8,
    OPERATIONS = 3000, /* per writer */
    READS = 1500,      /* per reader */
};

static nt_tracker *tracker;
static char shared_nicks[SHARED_NICKS][16];
static const char *shared_list[SHARED_NICKS];

/* Which writer this thread is (-1: not a writer), for the leave callback. */
static _Thread_local int current_writer = -1;
/* Departures seen by the callback on each writer's thread; only that writer touches its entry. */
static unsigned long departures[WRITERS];
/* Departures seen on the main thread during the final teardown. */
static unsigned long final_departures;
/* check.h counts failures in a plain variable: threads report through this lock. */
static pthread_mutex_t failure_lock = PTHREAD_MUTEX_INITIALIZER;

static void locked_check(bool ok, const char *what) {
    pthread_mutex_lock(&failure_lock);
    check_report(ok, __FILE__, __LINE__, what);
    pthread_mutex_unlock(&failure_lock);
}

/* During the run, a writer's calls can only make its own private nicks leave, and the callback
 * runs on that writer's thread; shared nicks never leave. Everything left at the end leaves
 * in the final teardown on the main thread. */
static void on_leave(void *user_data, const char *nick) {
    (void)user_data;
    if (current_writer == -1) {
        final_departures++;
        return;
    }
    int owner = -1;
    sscanf(nick, "w%d-", &owner);
    locked_check(owner == current_writer, "only the calling writer's own nicks leave");
    departures[current_writer]++;
    /* Only this thread reports the nick, so nobody can bring it back during the callback. */
    bool active = true;
    locked_check(nt_is_active(tracker, nick, &active) == NT_STATUS_OK && !active,
                 "a nick is inactive during its leave callback");
}

/* xorshift32: a deterministic sequence per writer, so every run does the same operations. */
static uint32_t next_random(uint32_t *state) {
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;
    return *state;
}

struct writer {
    int id;
    uint64_t directory;
    unsigned long expected_departures; /* predicted from its own model */
    bool present[PRIVATE_NICKS];       /* the model: what its directory reports */
};

static void *run_writer(void *arg) {
    struct writer *w = (struct writer *)arg;
    current_writer = w->id;
    uint32_t seed = 2463534242u + (uint32_t)w->id;
    char names[PRIVATE_NICKS][16];
    for (int i = 0; i < PRIVATE_NICKS; i++)
        snprintf(names[i], sizeof names[i], "w%d-nick%d", w->id, i);

    for (int op = 0; op < OPERATIONS; op++) {
        uint32_t choice = next_random(&seed) % 10;
        int i = (int)(next_random(&seed) % PRIVATE_NICKS);
        nt_status status;
        if (choice < 4) {
            status = nt_mark_present(tracker, names[i], w->directory);
            w->present[i] = true;
        } else if (choice < 8) {
            status = nt_update(tracker, names[i], w->directory, false);
            w->expected_departures += w->present[i];
            w->present[i] = false;
        } else {
            /* A peerlist: the shared nicks plus a random subset of the private ones. */
            const char *list[SHARED_NICKS + PRIVATE_NICKS];
            size_t count = 0;
            for (int s = 0; s < SHARED_NICKS; s++)
                list[count++] = shared_list[s];
            for (int p = 0; p < PRIVATE_NICKS; p++) {
                bool listed = next_random(&seed) % 2 == 0;
                if (listed)
                    list[count++] = names[p];
                w->expected_departures += w->present[p] && !listed;
                w->present[p] = listed;
            }
            status = nt_sync_peerlist(tracker, w->directory, list, count);
        }
        locked_check(status == NT_STATUS_OK, "a writer's call succeeds");
    }
    current_writer = -1;
    return NULL;
}

/* Shared nicks are listed by every directory throughout, so they stay active, each on every
 * directory in the order the directories first listed them. */
static void *run_reader(void *arg) {
    (void)arg;
    for (int read = 0; read < READS; read++) {
        const char *nick = shared_list[read % SHARED_NICKS];
        bool active = false;
        size_t count = 0;
        uint64_t directories[WRITERS + 1];
        size_t len = 0;
        locked_check(nt_is_active(tracker, nick, &active) == NT_STATUS_OK && active,
                     "a shared nick stays active");
        locked_check(nt_active_nick_count(tracker, &count) == NT_STATUS_OK &&
                         count >= SHARED_NICKS && count <= SHARED_NICKS + WRITERS * PRIVATE_NICKS,
                     "the active count stays within bounds");
        nt_status status = nt_active_directories(tracker, nick, directories, WRITERS + 1, &len);
        bool in_order = status == NT_STATUS_OK && len == WRITERS;
        for (size_t i = 0; in_order && i < len; i++)
            in_order = directories[i] == i + 1;
        locked_check(in_order, "a shared nick is on every directory, in order");
    }
    return NULL;
}

static void concurrent_writers_and_readers_agree_with_the_model(void) {
    CHECK_OK(nt_new(on_leave, NULL, &tracker));
    for (int s = 0; s < SHARED_NICKS; s++) {
        snprintf(shared_nicks[s], sizeof shared_nicks[s], "shared%d", s);
        shared_list[s] = shared_nicks[s];
    }
    static struct writer writers[WRITERS];
    for (int w = 0; w < WRITERS; w++) {
        writers[w].id = w;
        writers[w].directory = (uint64_t)w + 1;
        CHECK_OK(nt_sync_peerlist(tracker, writers[w].directory, shared_list, SHARED_NICKS));
    }

    pthread_t threads[WRITERS + READERS];
    for (int w = 0; w < WRITERS; w++)
        CHECK_EQ(pthread_create(&threads[w], NULL, run_writer, &writers[w]), 0);
    for (int r = 0; r < READERS; r++)
        CHECK_EQ(pthread_create(&threads[WRITERS + r], NULL, run_reader, NULL), 0);
    for (int t = 0; t < WRITERS + READERS; t++)
        CHECK_EQ(pthread_join(threads[t], NULL), 0);

    size_t still_present = 0;
    for (int w = 0; w < WRITERS; w++) {
        CHECK_EQ(departures[w], writers[w].expected_departures);
        CHECK(writers[w].expected_departures > 0);
        for (int i = 0; i < PRIVATE_NICKS; i++)
            still_present += writers[w].present[i];
    }
    size_t count = 0;
    CHECK_OK(nt_active_nick_count(tracker, &count));
    CHECK_EQ(count, SHARED_NICKS + still_present);

    /* Removing every directory makes everything leave: the remaining private nicks with their
     * directory, the shared nicks with the last one. */
    size_t removed = 0;
    for (int w = 0; w < WRITERS; w++) {
        size_t gone = 0;
        CHECK_OK(nt_remove_directory(tracker, writers[w].directory, &gone));
        removed += gone;
    }
    CHECK_EQ(removed, SHARED_NICKS + still_present);
    CHECK_EQ(final_departures, SHARED_NICKS + still_present);
    CHECK_OK(nt_active_nick_count(tracker, &count));
    CHECK_EQ(count, 0);
    nt_free(tracker);
}

/* ---- The last-error message belongs to the thread ------------------------------------ */

struct error_probe {
    char before[64];   /* nt_last_error_message() when the thread starts */
    char after[64];    /* after its own failed call */
};

static void *probe_last_error(void *arg) {
    struct error_probe *probe = (struct error_probe *)arg;
    snprintf(probe->before, sizeof probe->before, "%s", nt_last_error_message());
    nt_active_nick_count(NULL, NULL); /* fails: "tracker is NULL" */
    snprintf(probe->after, sizeof probe->after, "%s", nt_last_error_message());
    return NULL;
}

static void last_error_message_is_per_thread_and_empty_before_any_failure(void) {
    nt_tracker *t;
    CHECK_OK(nt_new(NULL, NULL, &t));
    CHECK_ERROR(nt_mark_present(t, "", 1), NT_STATUS_NICK_EMPTY, "nick is empty");
    struct error_probe probe;
    pthread_t thread;
    CHECK_EQ(pthread_create(&thread, NULL, probe_last_error, &probe), 0);
    CHECK_EQ(pthread_join(thread, NULL), 0);
    CHECK_STR(probe.before, "");
    CHECK(strstr(probe.after, "tracker") != NULL);
    CHECK(strstr(nt_last_error_message(), "nick is empty") != NULL);
    nt_free(t);
}

int main(void) {
    static const struct test_case tests[] = {
        TEST_CASE(concurrent_writers_and_readers_agree_with_the_model),
        TEST_CASE(last_error_message_is_per_thread_and_empty_before_any_failure),
    };
    return run_tests(tests, LENGTH(tests));
}
