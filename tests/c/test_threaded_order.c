/*
 * Delivery across threads (nt_event): each thread delivers the events of its own calls, so
 * callbacks on two threads may see a tracker's events out of `seq` order, and no call waits
 * for a callback running on another thread. A consumer that keeps, per nick, the seq of the
 * last event it applied and ignores older ones agrees with the tracker once every call has
 * returned.
 *
 * Deterministic, with two threads: a callback on the first thread waits (on a semaphore)
 * until a call on the second thread has returned, so the second thread's later event
 * arrives first. The first test is ../shared/repro/threaded_event_order.c (issue 13, item
 * 2): with 0.2.0 a consumer ended with X active while the tracker had it gone.
 *
 * Every wait has a deadline, so a call that waited for the other thread's callback (a
 * deadlock) fails the test instead of hanging it.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <nick_tracker.h>

#include "check.h"

enum { MAX_EVENTS = 16, WAIT_SECONDS = 20 };

/* ---- Events as they arrive, from both threads -------------------------------------------- */

struct arrival {
    nt_event_kind kind;
    char nick[8];
    uint64_t seq;
    int thread; /* 1: the main thread, 2: the second one */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct arrival arrivals[MAX_EVENTS];
static size_t arrival_count;
static _Thread_local int this_thread = 1;
static _Thread_local uint64_t last_seq_here; /* per thread: seqs must arrive increasing */
static unsigned out_of_order_here;

static nt_tracker *tracker;
static sem_t first_event_reached, second_call_returned;
static const char *blocking_nick; /* the event whose callback waits for the second thread */
static nt_event_kind blocking_kind;
static unsigned timeouts;

/* Waits for `sem` at most WAIT_SECONDS; counts a timeout (a deadlock) instead of hanging. */
static void wait_for(sem_t *sem) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += WAIT_SECONDS;
    int result;
    while ((result = sem_timedwait(sem, &deadline)) != 0 && errno == EINTR)
        ;
    if (result != 0) {
        pthread_mutex_lock(&lock);
        timeouts++;
        pthread_mutex_unlock(&lock);
    }
}

static void on_event(void *user_data, const nt_event *event) {
    (void)user_data;
    pthread_mutex_lock(&lock);
    if (arrival_count < MAX_EVENTS) {
        struct arrival *a = &arrivals[arrival_count];
        a->kind = event->kind;
        snprintf(a->nick, sizeof a->nick, "%s", event->nick);
        a->seq = event->seq;
        a->thread = this_thread;
    }
    arrival_count++;
    if (event->seq <= last_seq_here)
        out_of_order_here++;
    pthread_mutex_unlock(&lock);
    last_seq_here = event->seq;
    if (this_thread == 1 && event->kind == blocking_kind && blocking_nick != NULL &&
        strcmp(event->nick, blocking_nick) == 0) {
        sem_post(&first_event_reached);
        wait_for(&second_call_returned);
    }
}

static void start(const char *nick, nt_event_kind kind) {
    arrival_count = 0;
    out_of_order_here = 0;
    last_seq_here = 0;
    timeouts = 0;
    blocking_nick = nick;
    blocking_kind = kind;
    sem_init(&first_event_reached, 0, 0);
    sem_init(&second_call_returned, 0, 0);
    nt_options options;
    CHECK_OK(nt_options_init(&options, NT_OPTIONS_VERSION));
    options.on_event = on_event;
    CHECK_OK(nt_new_with_options(&options, &tracker));
}

static void finish(void) {
    nt_free(tracker);
    tracker = NULL;
    sem_destroy(&first_event_reached);
    sem_destroy(&second_call_returned);
}

/* The arrival order as "+W#1@1 -X#3@2" (kind, nick, seq, thread). */
static void check_arrivals(const char *expected, const char *file, int line) {
    char got[256] = "";
    size_t used = 0;
    for (size_t i = 0; i < arrival_count && i < MAX_EVENTS; i++) {
        int n = snprintf(got + used, sizeof got - used, "%s%s%s#%llu@%d", i ? " " : "",
                         arrivals[i].kind == NT_EVENT_KIND_JOIN ? "+" : "-", arrivals[i].nick,
                         (unsigned long long)arrivals[i].seq, arrivals[i].thread);
        if (n > 0 && (size_t)n < sizeof got - used)
            used += (size_t)n;
    }
    check_str(got, expected, file, line, "events arrived in this order");
}

#define CHECK_ARRIVALS(expected) check_arrivals((expected), __FILE__, __LINE__)

/* What a consumer concludes about `nick`: with `by_seq`, applying an event only if its seq
 * is newer than the last one applied to the nick; without, applying every event as it
 * arrives. */
static bool consumer_says_active(const char *nick, bool by_seq) {
    bool active = false;
    uint64_t applied = 0;
    for (size_t i = 0; i < arrival_count && i < MAX_EVENTS; i++) {
        if (strcmp(arrivals[i].nick, nick) != 0 || (by_seq && arrivals[i].seq <= applied))
            continue;
        applied = arrivals[i].seq;
        active = arrivals[i].kind == NT_EVENT_KIND_JOIN;
    }
    return active;
}

static bool tracker_says_active(const char *nick) {
    bool active = false;
    CHECK_OK(nt_is_active(tracker, nick, &active));
    return active;
}

/* ---- A LEAVE overtakes its JOIN ---------------------------------------------------------- */

static nt_status second_status;

static void *mark_x_gone(void *arg) {
    (void)arg;
    this_thread = 2;
    wait_for(&first_event_reached); /* thread 1's sync has changed the state */
    second_status = nt_mark_gone(tracker, "X", 1); /* LEAVE X, delivered here and now */
    sem_post(&second_call_returned);
    return NULL;
}

static void a_leave_made_later_on_another_thread_may_arrive_first(void) {
    start("W", NT_EVENT_KIND_JOIN);
    pthread_t second;
    CHECK_EQ(pthread_create(&second, NULL, mark_x_gone, NULL), 0);
    const char *const list[] = {"W", "X"};
    CHECK_OK(nt_sync_peerlist(tracker, 1, list, 2)); /* JOIN W, JOIN X */
    CHECK_EQ(pthread_join(second, NULL), 0);
    CHECK_EQ(timeouts, 0); /* thread 2's call did not wait for thread 1's callback */
    CHECK_OK(second_status);
    CHECK_EQ(out_of_order_here, 0);
    CHECK_ARRIVALS("+W#1@1 -X#3@2 +X#2@1");
    /* Applied as they arrive the events say X is active; by seq, that it left. */
    CHECK(consumer_says_active("X", false));
    CHECK_EQ(consumer_says_active("X", true), tracker_says_active("X"));
    CHECK_EQ(consumer_says_active("W", true), tracker_says_active("W"));
    CHECK(!tracker_says_active("X"));
    nt_stats stats;
    CHECK_OK(nt_get_stats(tracker, &stats));
    CHECK_EQ(stats.joins + stats.leaves, 3);
    finish();
}

/* ---- A JOIN overtakes the LEAVE before it ------------------------------------------------- */

static void *mark_y_present(void *arg) {
    (void)arg;
    this_thread = 2;
    wait_for(&first_event_reached);
    second_status = nt_mark_present(tracker, "Y", 2); /* Y joins again, delivered here */
    sem_post(&second_call_returned);
    return NULL;
}

static void a_join_made_later_on_another_thread_may_arrive_first(void) {
    start("W", NT_EVENT_KIND_LEAVE);
    const char *const list[] = {"W", "Y"};
    CHECK_OK(nt_sync_peerlist(tracker, 1, list, 2));
    pthread_t second;
    CHECK_EQ(pthread_create(&second, NULL, mark_y_present, NULL), 0);
    CHECK_OK(nt_remove_directory(tracker, 1, NULL)); /* LEAVE W, LEAVE Y */
    CHECK_EQ(pthread_join(second, NULL), 0);
    CHECK_EQ(timeouts, 0);
    CHECK_OK(second_status);
    CHECK_EQ(out_of_order_here, 0);
    CHECK_ARRIVALS("+W#1@1 +Y#2@1 -W#3@1 +Y#5@2 -Y#4@1");
    CHECK(!consumer_says_active("Y", false));
    CHECK_EQ(consumer_says_active("Y", true), tracker_says_active("Y"));
    CHECK(tracker_says_active("Y"));
    finish();
}

int main(void) {
    static const struct test_case tests[] = {
        TEST_CASE(a_leave_made_later_on_another_thread_may_arrive_first),
        TEST_CASE(a_join_made_later_on_another_thread_may_arrive_first),
    };
    return run_tests(tests, LENGTH(tests));
}
