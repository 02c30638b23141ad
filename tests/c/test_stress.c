/*
 * Stress: several threads hammer ONE tracker with every kind of call at once, while leave
 * callbacks and nt_for_each_active_nick visitors call back into it, changes included.
 *
 * The outcome is checkable under any interleaving because of ownership. Each worker thread
 * owns some directories (only it reports on them or removes them) and some private nicks (only
 * it reports them). All workers also report the shared nicks, each on its own directories.
 * A worker's model of what its directories list is therefore exact for its private nicks and,
 * for the shared nicks, exact about its own directories. The anchored shared nicks are also
 * listed by an anchor directory that the main thread holds until the end, so they must stay
 * active throughout; the contested ones come and go as the workers race.
 *
 * What must hold, from include/nick_tracker.h:
 * - Callbacks run on the thread whose call made the change. A call made from inside a
 *   callback (a visitor's nt_mark_gone, a leave callback that reports the departed private
 *   nick present again) delivers nothing itself; its events come after those still to be
 *   delivered, before the outermost call returns. So a worker's leave callback is only ever
 *   for a nick that its current outermost call, or a call nested in it, took off the last
 *   of its own directories (never an anchored nick); each private nick so dropped leaves
 *   exactly once before the outermost call returns; nt_remove_directory's gone count is the
 *   number of leaves it delivers. The callback checks the nick's state by calling back in.
 * - Event order (nt_event): on each thread, seqs arrive increasing. Across threads they
 *   interleave; a consumer that keeps, per nick, the seq of the last event it applied and
 *   ignores older ones agrees with nt_is_active for every nick once all threads are done.
 *   Sorted by seq, the events are exactly 1..joins+leaves, and each nick's alternate JOIN,
 *   LEAVE, JOIN... starting with a JOIN (no LEAVE without a JOIN before it).
 * - nt_is_active, nt_active_directories (two-call pattern, retried when a concurrent change
 *   outgrows the buffer, which a too-small call must leave untouched), nt_active_nick_count
 *   and nt_for_each_active_nick (whose visitor also changes the tracker) agree with the model.
 * - A failed call changes nothing and its error message is the calling thread's own.
 * - At the end, with every worker directory removed, only the anchored nicks are active; each
 *   contested nick left at least once and at most as often as a worker dropped its last
 *   directory's presence of it (each presence period ends exactly once); removing the anchor
 *   makes the anchored nicks leave, once each, in the order the anchor listed them.
 *
 * Usage: nt_test_c_stress [operations-per-thread [seed]]
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nick_tracker.h>

enum {
    WORKERS = 4,
    DIRS_PER_WORKER = 3,
    ANCHORED = 3,
    CONTESTED = 6,
    SHARED = ANCHORED + CONTESTED,
    PRIVATE = 12,            /* per worker */
    POOL = SHARED + PRIVATE, /* the nicks one worker reports */
    NICKS = SHARED + WORKERS * PRIVATE,
    MAX_REPORTED_FAILURES = 25,
    ROUND = 1000, /* operations per worker between barriers */
};

static const uint64_t ANCHOR_DIRECTORY = 1000;
static const unsigned long DEFAULT_OPERATIONS = 20000;

/* ---- State shared by all threads: written before the workers start, or atomic, or locked -- */

static nt_tracker *tracker;
static int user_data_token;         /* its address is the callbacks' user_data */
static char names[NICKS][24];       /* global nick index -> name */
static atomic_ulong departures[NICKS];

static pthread_mutex_t failure_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long failures;

#define TCHECK(condition, ...) tcheck((condition), __LINE__, __VA_ARGS__)

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static bool tcheck(bool ok, int line, const char *format, ...);

/* Records a failed expectation (thread-safe) and prints the first few. Returns `ok`. */
static bool tcheck(bool ok, int line, const char *format, ...) {
    if (ok)
        return true;
    pthread_mutex_lock(&failure_lock);
    if (++failures <= MAX_REPORTED_FAILURES) {
        va_list args;
        va_start(args, format);
        fprintf(stderr, "%s:%d: check failed: ", __FILE__, line);
        vfprintf(stderr, format, args);
        fputc('\n', stderr);
        va_end(args);
    }
    pthread_mutex_unlock(&failure_lock);
    return false;
}

static bool status_ok(nt_status status, int line, const char *call, const char *nick) {
    return tcheck(status == NT_STATUS_OK, line, "%s(%s) returned %s: %s", call, nick,
                  nt_status_str(status), nt_last_error_message());
}
#define STATUS_OK(status, call, nick) status_ok((status), __LINE__, (call), (nick))

static bool is_anchored(int nick) { return nick < ANCHORED; }
static bool is_contested(int nick) { return nick >= ANCHORED && nick < SHARED; }

static int nick_index(const char *nick) {
    for (int g = 0; g < NICKS; g++)
        if (strcmp(names[g], nick) == 0)
            return g;
    return -1;
}

static bool is_known_directory(uint64_t directory) {
    uint64_t worker = directory / 10, slot = directory % 10;
    return directory == ANCHOR_DIRECTORY ||
           (worker >= 1 && worker <= WORKERS && slot < DIRS_PER_WORKER);
}

/* ---- A worker and its model ---------------------------------------------------------- */

struct worker {
    int id;
    uint32_t random_state;
    uint64_t directories[DIRS_PER_WORKER];
    bool lists[DIRS_PER_WORKER][POOL]; /* the model: which own directory lists which nick */

    /* The outermost call in progress on this worker's thread, for its callbacks: how deep
     * calls are nested (0: none running), which nicks it (or a call nested in it) dropped
     * and have yet to leave, and how many leaves it delivered. */
    bool listed_before[POOL];
    int depth;
    long pending_private[PRIVATE];
    long may_leave_shared[SHARED];
    unsigned long leaves_in_call;
    bool finishing; /* the final removals: callbacks make no more changes */
    unsigned long rejoins;

    unsigned long private_departures_expected[PRIVATE];
    /* How often this worker took a shared nick off the last of its directories. */
    unsigned long last_presence_dropped[SHARED];
    unsigned long operations_done;
};

static struct worker workers[WORKERS];
/* The worker running on this thread; NULL on the main thread. */
static _Thread_local struct worker *self;

/* A worker's pool index j <-> global nick index. */
static int global_index(const struct worker *w, int j) {
    return j < SHARED ? j : SHARED + w->id * PRIVATE + (j - SHARED);
}
static int pool_index(const struct worker *w, int g) {
    if (g < SHARED)
        return g;
    int owner = (g - SHARED) / PRIVATE;
    return owner == w->id ? SHARED + (g - SHARED) % PRIVATE : -1;
}
static const char *pool_name(const struct worker *w, int j) { return names[global_index(w, j)]; }

static bool model_lists(const struct worker *w, int j) {
    for (int k = 0; k < DIRS_PER_WORKER; k++)
        if (w->lists[k][j])
            return true;
    return false;
}

/* xorshift32: each worker does the same operations every run (only the interleaving varies). */
static uint32_t next_random(struct worker *w) {
    uint32_t x = w->random_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return w->random_state = x;
}
static int random_below(struct worker *w, int n) { return (int)(next_random(w) % (uint32_t)n); }

/*
 * A changing call is bracketed by begin_change (before the model is updated), arm_change
 * (after: which nicks may now leave; returns the leaves delivered so far in the outermost
 * call) and end_change (after the call). A nested call (made from a callback) must deliver
 * nothing itself. When the outermost call returns, every private nick dropped during it
 * must have left exactly once; a contested one may have left (if no other worker listed
 * it); an anchored one never leaves, the anchor keeps it.
 */
static void begin_change(struct worker *w) {
    for (int j = 0; j < POOL; j++)
        w->listed_before[j] = model_lists(w, j);
}

static unsigned long arm_change(struct worker *w) {
    for (int j = ANCHORED; j < POOL; j++) {
        if (!w->listed_before[j] || model_lists(w, j))
            continue;
        if (j >= SHARED) {
            w->pending_private[j - SHARED]++;
            w->private_departures_expected[j - SHARED]++;
        } else {
            w->may_leave_shared[j]++;
            w->last_presence_dropped[j]++;
        }
    }
    if (w->depth++ == 0)
        w->leaves_in_call = 0;
    return w->leaves_in_call;
}

/* The outermost call has returned: everything it owed is delivered. */
static void end_outermost(struct worker *w, const char *call) {
    for (int i = 0; i < PRIVATE; i++) {
        TCHECK(w->pending_private[i] == 0, "worker %d: after %s, %s has %ld leaves owing", w->id,
               call, pool_name(w, SHARED + i), w->pending_private[i]);
        w->pending_private[i] = 0;
    }
    for (int j = 0; j < SHARED; j++)
        w->may_leave_shared[j] = 0;
}

static void end_change(struct worker *w, unsigned long leaves_before, nt_status status,
                       const char *call, int j) {
    STATUS_OK(status, call, j >= 0 ? pool_name(w, j) : "-");
    if (--w->depth > 0) {
        TCHECK(w->leaves_in_call == leaves_before,
               "worker %d: %s, nested in a callback, delivered %lu leaves itself", w->id, call,
               w->leaves_in_call - leaves_before);
        return;
    }
    end_outermost(w, call);
}

/* ---- Queries shared by workers and callbacks -------------------------------------------- */

/*
 * nt_active_directories with the two-call pattern: start with `capacity` (0 = NULL buffer),
 * and while a concurrent change makes the buffer too small, grow it to the reported length
 * and ask again. Returns the length; *out is a malloc'd copy (free it), NULL when empty.
 * The buffer has one more slot than the tracker is told, which it must never write.
 */
static size_t active_directories(const char *nick, size_t capacity, uint64_t **out) {
    static const uint64_t SENTINEL = 0xdeadbeefcafef00dull;
    uint64_t *buffer = NULL;
    size_t len = 0;
    for (int attempt = 0;; attempt++) {
        if (capacity > 0) {
            uint64_t *grown = (uint64_t *)realloc(buffer, (capacity + 1) * sizeof *buffer);
            if (!grown)
                abort();
            buffer = grown;
            for (size_t i = 0; i <= capacity; i++)
                buffer[i] = SENTINEL;
        }
        len = SIZE_MAX;
        nt_status status = nt_active_directories(tracker, nick, buffer, capacity, &len);
        if (capacity > 0)
            TCHECK(buffer[capacity] == SENTINEL, "%s: written beyond a capacity of %zu", nick,
                   capacity);
        if (status == NT_STATUS_OK) {
            TCHECK(len <= capacity, "%s: %zu directories in a buffer of %zu", nick, len, capacity);
            break;
        }
        if (!TCHECK(status == NT_STATUS_BUFFER_TOO_SMALL && len > capacity,
                    "nt_active_directories(%s, capacity %zu) returned %s, length %zu", nick,
                    capacity, nt_status_str(status), len) ||
            !TCHECK(attempt < 1000, "%s: buffer still too small after 1000 attempts", nick)) {
            len = 0;
            break;
        }
        for (size_t i = 0; i < capacity; i++)
            TCHECK(buffer[i] == SENTINEL, "%s: a too-small buffer was written", nick);
        capacity = len;
    }
    if (len == 0) {
        free(buffer);
        buffer = NULL;
    }
    *out = buffer;
    return len;
}

/* Checks a directory list against what `w` knows about nick j; returns how many of the
 * directories are w's own. */
static int check_directories(const struct worker *w, int j, const uint64_t *dirs, size_t len) {
    const char *nick = pool_name(w, j);
    int own = 0;
    for (size_t i = 0; i < len; i++) {
        TCHECK(is_known_directory(dirs[i]), "%s: unknown directory %" PRIu64, nick, dirs[i]);
        for (size_t other = 0; other < i; other++)
            TCHECK(dirs[other] != dirs[i], "%s: directory %" PRIu64 " twice", nick, dirs[i]);
        for (int k = 0; k < DIRS_PER_WORKER; k++) {
            if (dirs[i] == w->directories[k]) {
                own++;
                TCHECK(w->lists[k][j], "worker %d: %s on directory %" PRIu64 ", which dropped it",
                       w->id, nick, dirs[i]);
            }
        }
        if (j >= SHARED)
            TCHECK(dirs[i] / 10 == (uint64_t)w->id + 1,
                   "worker %d: private %s on another's directory %" PRIu64, w->id, nick, dirs[i]);
    }
    int expected_own = 0;
    for (int k = 0; k < DIRS_PER_WORKER; k++)
        expected_own += w->lists[k][j];
    TCHECK(own == expected_own, "worker %d: %s is on %d of its directories, expected %d", w->id,
           nick, own, expected_own);
    /* The anchor listed an anchored nick first and never stopped. */
    if (is_anchored(j))
        TCHECK(len > 0 && dirs[0] == ANCHOR_DIRECTORY, "%s: the anchor directory is not first",
               nick);
    return own;
}

/* ---- Callbacks ------------------------------------------------------------------------- */

/* Departures on the main thread, which happen only when it removes the anchor at the end. */
static bool main_expects_departures;
static int main_departures[NICKS];
static size_t main_departure_count;

/* Reports private nick j present again on one of w's directories: a change made from inside
 * a callback, whose JOIN comes after the events still to be delivered. */
static void rejoin(struct worker *w, int j) {
    int k = random_below(w, DIRS_PER_WORKER);
    begin_change(w);
    w->lists[k][j] = true;
    unsigned long before = arm_change(w);
    end_change(w, before, nt_mark_present(tracker, pool_name(w, j), w->directories[k]),
               "nt_mark_present in a leave callback", j);
    w->rejoins++;
}

static void on_leave(void *user_data, const char *nick) {
    TCHECK(user_data == &user_data_token, "the leave callback got the wrong user_data");
    int g = nick_index(nick);
    if (!TCHECK(g >= 0, "leave callback for an unknown nick \"%s\"", nick))
        return;
    atomic_fetch_add(&departures[g], 1);

    struct worker *w = self;
    if (w == NULL) {
        TCHECK(main_expects_departures, "%s left on the main thread", nick);
        if (main_departure_count < NICKS)
            main_departures[main_departure_count++] = g;
        return;
    }
    int j = pool_index(w, g);
    long *owed = j < ANCHORED ? NULL
                 : j >= SHARED ? &w->pending_private[j - SHARED]
                               : &w->may_leave_shared[j];
    if (!TCHECK(w->depth > 0 && owed != NULL && *owed > 0,
                "worker %d: %s left, but no call of its running call dropped it", w->id, nick))
        return;
    (*owed)--;
    w->leaves_in_call++;

    /* Call back in. Nobody else can list the nick on this worker's directories, and nobody
     * else lists a private nick at all: only this callback brings it back, after this. */
    bool active = true;
    if (STATUS_OK(nt_is_active(tracker, nick, &active), "nt_is_active in callback", nick) &&
        j >= SHARED)
        TCHECK(!active, "worker %d: private %s is active in its leave callback", w->id, nick);
    uint64_t *dirs;
    size_t len = active_directories(nick, 0, &dirs);
    check_directories(w, j, dirs, len);
    free(dirs);
    size_t count = 0;
    if (STATUS_OK(nt_active_nick_count(tracker, &count), "nt_active_nick_count in callback", nick))
        TCHECK(count <= NICKS, "%zu active nicks, there are only %d", count, NICKS);
    if (j >= SHARED && !w->finishing && random_below(w, 4) == 0)
        rejoin(w, j);
}

/* ---- The events, in seq order -------------------------------------------------------------- */

/* Every event, as it arrives (any thread), and per nick what a consumer that applies only
 * events newer than the last one it applied concludes. */
struct logged_event {
    uint64_t seq;
    int nick;
    bool join;
};

static pthread_mutex_t events_lock = PTHREAD_MUTEX_INITIALIZER;
static struct logged_event *event_log;
static size_t event_count, event_capacity, late_arrivals;
static uint64_t latest_seq_seen;
static uint64_t applied_seq[NICKS];
static bool active_by_events[NICKS];
static bool active_by_arrival[NICKS]; /* the latest event to arrive, for comparison */
static int naive_disagreements;
static _Thread_local uint64_t last_seq_on_this_thread;

static void on_event(void *user_data, const nt_event *event) {
    TCHECK(user_data == &user_data_token, "the event callback got the wrong user_data");
    int g = nick_index(event->nick);
    if (!TCHECK(g >= 0, "event for an unknown nick \"%s\"", event->nick))
        return;
    TCHECK(event->seq > last_seq_on_this_thread,
           "event #%" PRIu64 " arrived after #%" PRIu64 " on the same thread", event->seq,
           last_seq_on_this_thread);
    last_seq_on_this_thread = event->seq;
    /* Now and then, let the other threads run before this event is recorded: their later
     * events about the contested nicks then arrive first, as they may. */
    if (self != NULL && is_contested(g) && random_below(self, 4) == 0)
        sched_yield();
    bool join = event->kind == NT_EVENT_KIND_JOIN;
    pthread_mutex_lock(&events_lock);
    if (event_count == event_capacity) {
        event_capacity = event_capacity ? 2 * event_capacity : 4096;
        event_log = (struct logged_event *)realloc(event_log, event_capacity * sizeof *event_log);
        if (event_log == NULL)
            abort();
    }
    event_log[event_count].seq = event->seq;
    event_log[event_count].nick = g;
    event_log[event_count].join = join;
    event_count++;
    late_arrivals += event->seq < latest_seq_seen;
    if (event->seq > latest_seq_seen)
        latest_seq_seen = event->seq;
    active_by_arrival[g] = join;
    if (event->seq > applied_seq[g]) {
        applied_seq[g] = event->seq;
        active_by_events[g] = join;
    }
    pthread_mutex_unlock(&events_lock);
}

/* The consumer agrees with the tracker about every nick. Call with no call running. Counts
 * the nicks about which the latest event to arrive is wrong (allowed, and shown). */
static void check_consumer_agrees(const char *when) {
    naive_disagreements = 0;
    for (int g = 0; g < NICKS; g++) {
        bool active = !active_by_events[g];
        STATUS_OK(nt_is_active(tracker, names[g], &active), "nt_is_active", names[g]);
        naive_disagreements += active != active_by_arrival[g];
        TCHECK(active == active_by_events[g],
               "%s: %s is %sactive, but its latest event (#%" PRIu64 ") says otherwise", when,
               names[g], active ? "" : "not ", applied_seq[g]);
    }
}

/* Sorted by seq, the events are 1..joins+leaves, each once, and each nick's alternate
 * JOIN, LEAVE, JOIN... from a JOIN. */
static void check_event_sequence(void) {
    nt_stats stats;
    STATUS_OK(nt_get_stats(tracker, &stats), "nt_get_stats", "-");
    uint64_t total = stats.joins + stats.leaves;
    TCHECK(event_count == total, "%zu events delivered, %" PRIu64 " made", event_count, total);
    struct logged_event *by_seq = (struct logged_event *)calloc(total + 1, sizeof *by_seq);
    if (by_seq == NULL)
        abort();
    for (size_t i = 0; i < event_count; i++) {
        uint64_t seq = event_log[i].seq;
        if (TCHECK(seq >= 1 && seq <= total && by_seq[seq].seq == 0,
                   "event #%" PRIu64 " is out of range or delivered twice", seq))
            by_seq[seq] = event_log[i];
    }
    bool joined[NICKS] = {false};
    for (uint64_t seq = 1; seq <= total; seq++) {
        const struct logged_event *e = &by_seq[seq];
        if (!TCHECK(e->seq == seq, "event #%" PRIu64 " never arrived", seq))
            continue;
        TCHECK(e->join != joined[e->nick], "#%" PRIu64 ": %s %s twice in a row", seq,
               names[e->nick], e->join ? "joined" : "left");
        joined[e->nick] = e->join;
    }
    free(by_seq);
}

struct visit {
    struct worker *w;
    int seen[NICKS];
};

/* Counts the nicks of a snapshot, and (being allowed to) changes the tracker now and then:
 * a private nick of the worker's that it visits may be reported gone by one directory. The
 * visitor counts as a callback: what its changes make leave leaves after the last visit. */
static void visit_nick(void *user_data, const char *nick) {
    struct visit *v = (struct visit *)user_data;
    struct worker *w = v->w;
    TCHECK(w->leaves_in_call == 0, "worker %d: a leave was delivered while visiting", w->id);
    int g = nick_index(nick);
    if (!TCHECK(g >= 0, "visited an unknown nick \"%s\"", nick))
        return;
    v->seen[g]++;
    int j = pool_index(w, g);
    if (j < SHARED)
        return;
    bool active = !model_lists(w, j);
    if (STATUS_OK(nt_is_active(tracker, nick, &active), "nt_is_active in visitor", nick))
        TCHECK(active == model_lists(w, j), "worker %d: private %s active %d, model %d", w->id,
               nick, active, model_lists(w, j));
    if (random_below(w, 4) != 0)
        return;
    for (int k = 0; k < DIRS_PER_WORKER; k++) {
        if (w->lists[k][j]) {
            begin_change(w);
            w->lists[k][j] = false;
            unsigned long before = arm_change(w);
            end_change(w, before, nt_mark_gone(tracker, nick, w->directories[k]),
                       "nt_mark_gone in visitor", j);
            break;
        }
    }
}

/* ---- The operations ------------------------------------------------------------------ */

static void report_one(struct worker *w) {
    int j = random_below(w, POOL), k = random_below(w, DIRS_PER_WORKER);
    int how = random_below(w, 4);
    bool present = how == 0 || (how == 2 && random_below(w, 2));
    begin_change(w);
    w->lists[k][j] = present;
    unsigned long before = arm_change(w);
    const char *nick = pool_name(w, j);
    uint64_t dir = w->directories[k];
    nt_status status = how == 0   ? nt_mark_present(tracker, nick, dir)
                       : how == 1 ? nt_mark_gone(tracker, nick, dir)
                                  : nt_update(tracker, nick, dir, present);
    end_change(w, before, status, present ? "report present" : "report gone", j);
}

static void sync_peerlist(struct worker *w) {
    int k = random_below(w, DIRS_PER_WORKER);
    const char *list[2 * POOL];
    size_t count = 0;
    begin_change(w);
    for (int j = 0; j < POOL; j++) {
        w->lists[k][j] = random_below(w, 2);
        if (w->lists[k][j]) {
            list[count++] = pool_name(w, j);
            if (random_below(w, 8) == 0)
                list[count++] = pool_name(w, j); /* duplicates are harmless */
        }
    }
    unsigned long before = arm_change(w);
    end_change(w, before, nt_sync_peerlist(tracker, w->directories[k], list, count),
               "nt_sync_peerlist", -1);
}

static void remove_directory(struct worker *w, int k) {
    begin_change(w);
    memset(w->lists[k], 0, sizeof w->lists[k]);
    unsigned long before = arm_change(w);
    size_t gone = SIZE_MAX;
    bool want_count = random_below(w, 4) != 0; /* the count is optional */
    nt_status status = nt_remove_directory(tracker, w->directories[k], want_count ? &gone : NULL);
    /* The callbacks only add nicks back: every leave delivered is one of the removal's. */
    unsigned long leaves = w->leaves_in_call;
    end_change(w, before, status, "nt_remove_directory", -1);
    if (want_count)
        TCHECK(gone == leaves, "worker %d: gone count %zu, but %lu leaves delivered", w->id,
               gone, leaves);
}

static void query_is_active(struct worker *w) {
    int j = random_below(w, POOL);
    bool active = false;
    if (!STATUS_OK(nt_is_active(tracker, pool_name(w, j), &active), "nt_is_active",
                   pool_name(w, j)))
        return;
    if (j >= SHARED)
        TCHECK(active == model_lists(w, j), "worker %d: private %s active %d, model %d", w->id,
               pool_name(w, j), active, model_lists(w, j));
    else if (is_anchored(j) || model_lists(w, j))
        TCHECK(active, "worker %d: %s, which it lists, is not active", w->id, pool_name(w, j));
}

static void query_directories(struct worker *w) {
    int j = random_below(w, POOL);
    uint64_t *dirs;
    size_t len = active_directories(pool_name(w, j), (size_t)random_below(w, 3), &dirs);
    int own = check_directories(w, j, dirs, len);
    if (j >= SHARED)
        TCHECK(len == (size_t)own, "worker %d: private %s has %zu directories, expected %d",
               w->id, pool_name(w, j), len, own);
    free(dirs);
}

static void query_count(struct worker *w) {
    size_t lower = ANCHORED;
    for (int j = ANCHORED; j < POOL; j++)
        lower += model_lists(w, j);
    size_t count = 0;
    if (STATUS_OK(nt_active_nick_count(tracker, &count), "nt_active_nick_count", "-"))
        TCHECK(count >= lower && count <= NICKS, "worker %d: %zu active nicks, expected %zu..%d",
               w->id, count, lower, NICKS);
}

static void for_each_active_nick(struct worker *w) {
    bool listed[POOL];
    for (int j = 0; j < POOL; j++)
        listed[j] = model_lists(w, j);
    struct visit v;
    memset(&v, 0, sizeof v);
    v.w = w;
    w->depth++;
    w->leaves_in_call = 0;
    nt_status status = nt_for_each_active_nick(tracker, visit_nick, &v);
    w->depth--;
    end_outermost(w, "nt_for_each_active_nick");
    if (!STATUS_OK(status, "nt_for_each_active_nick", "-"))
        return;
    for (int g = 0; g < NICKS; g++) {
        int j = pool_index(w, g);
        TCHECK(v.seen[g] <= 1, "%s visited %d times", names[g], v.seen[g]);
        if (j >= 0 && (is_anchored(j) || listed[j]))
            TCHECK(v.seen[g] == 1, "worker %d: active %s not visited", w->id, names[g]);
        if (j >= SHARED && !listed[j])
            TCHECK(v.seen[g] == 0, "worker %d: inactive %s visited", w->id, names[g]);
    }
}

/* A failed call changes nothing, and the message is this thread's, whatever others do. */
static void failing_calls(struct worker *w) {
    bool active = true;
    nt_status status = nt_is_active(tracker, "", &active);
    TCHECK(status == NT_STATUS_NICK_EMPTY && active, "nt_is_active(\"\") returned %s",
           nt_status_str(status));
    TCHECK(strstr(nt_last_error_message(), "empty") != NULL, "worker %d: error message \"%s\"",
           w->id, nt_last_error_message());

    /* A peerlist with a bad entry changes nothing: the private nick it names stays as it was. */
    int k = random_below(w, DIRS_PER_WORKER), j = SHARED + random_below(w, PRIVATE);
    const char *list[] = {pool_name(w, j), NULL};
    status = nt_sync_peerlist(tracker, w->directories[k], list, 2);
    TCHECK(status == NT_STATUS_NULL_ARGUMENT, "a peerlist with NULL returned %s",
           nt_status_str(status));
    TCHECK(strstr(nt_last_error_message(), "nicks[1]") != NULL, "worker %d: error message \"%s\"",
           w->id, nt_last_error_message());
    active = !model_lists(w, j);
    if (STATUS_OK(nt_is_active(tracker, pool_name(w, j), &active), "nt_is_active",
                  pool_name(w, j)))
        TCHECK(active == model_lists(w, j), "worker %d: a failed peerlist changed %s", w->id,
               pool_name(w, j));
}

static unsigned long operations = DEFAULT_OPERATIONS;
static pthread_barrier_t lineup;
static pthread_barrier_t pause; /* the workers and the main thread */

static void *run_worker(void *arg) {
    struct worker *w = (struct worker *)arg;
    self = w;
    for (unsigned long op = 0; op < operations; op++) {
        /* Line up now and then: the workers' calls interleave most right after a barrier.
         * (sched_yield would interleave them more, but is slow on a busy machine.) */
        if (op % ROUND == 0)
            pthread_barrier_wait(&lineup);
        int choice = random_below(w, 100);
        if (choice < 30)
            report_one(w);
        else if (choice < 38)
            sync_peerlist(w);
        else if (choice < 40)
            remove_directory(w, random_below(w, DIRS_PER_WORKER));
        else if (choice < 55)
            query_is_active(w);
        else if (choice < 75)
            query_directories(w);
        else if (choice < 87)
            query_count(w);
        else if (choice < 92)
            for_each_active_nick(w);
        else
            failing_calls(w);
        w->operations_done++;
    }
    /* All workers stop here, while the main thread checks the events against the tracker
     * with every nick in whatever state the race left it; then they go on. */
    pthread_barrier_wait(&pause);
    pthread_barrier_wait(&pause);
    /* Disconnect from all directories: the worker's private nicks are gone for good. */
    w->finishing = true;
    for (int k = 0; k < DIRS_PER_WORKER; k++)
        remove_directory(w, k);
    for (int j = SHARED; j < POOL; j++)
        query_is_active(w);
    self = NULL;
    return NULL;
}

/* ---- Main ------------------------------------------------------------------------------ */

static void collect_nick(void *user_data, const char *nick) {
    int *order = (int *)user_data;
    int g = nick_index(nick);
    for (int i = 0; i < NICKS; i++) {
        if (order[i] == -1) {
            order[i] = g;
            return;
        }
    }
}

int main(int argc, char **argv) {
    uint32_t seed = 2463534242u;
    if (argc > 1)
        operations = strtoul(argv[1], NULL, 10);
    if (argc > 2)
        seed = (uint32_t)strtoul(argv[2], NULL, 10);
    for (int g = 0; g < NICKS; g++) {
        if (is_anchored(g))
            snprintf(names[g], sizeof names[g], "J5anchored%d", g);
        else if (is_contested(g))
            snprintf(names[g], sizeof names[g], "J5contested%d", g - ANCHORED);
        else
            snprintf(names[g], sizeof names[g], "J5w%d-private%d", (g - SHARED) / PRIVATE,
                     (g - SHARED) % PRIVATE);
    }

    nt_options options;
    nt_options_init(&options, NT_OPTIONS_VERSION);
    options.on_event = on_event;
    options.on_leave = on_leave;
    options.event_user_data = &user_data_token;
    nt_status status = nt_new_with_options(&options, &tracker);
    if (!STATUS_OK(status, "nt_new_with_options", "-"))
        return EXIT_FAILURE;
    for (int a = 0; a < ANCHORED; a++)
        STATUS_OK(nt_mark_present(tracker, names[a], ANCHOR_DIRECTORY), "nt_mark_present",
                  names[a]);

    pthread_t threads[WORKERS];
    pthread_barrier_init(&lineup, NULL, WORKERS);
    pthread_barrier_init(&pause, NULL, WORKERS + 1);
    for (int t = 0; t < WORKERS; t++) {
        workers[t].id = t;
        workers[t].random_state = seed + 7919u * (uint32_t)t;
        for (int k = 0; k < DIRS_PER_WORKER; k++)
            workers[t].directories[k] = 10u * ((uint64_t)t + 1) + (uint64_t)k;
        if (pthread_create(&threads[t], NULL, run_worker, &workers[t]) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            return EXIT_FAILURE;
        }
    }
    /* Every call has returned, with contested and private nicks in whatever state the race
     * left them: the events, put in order by seq, agree with the tracker. */
    pthread_barrier_wait(&pause);
    check_consumer_agrees("with the workers paused");
    int paused_disagreements = naive_disagreements;
    check_event_sequence();
    pthread_barrier_wait(&pause);
    for (int t = 0; t < WORKERS; t++)
        pthread_join(threads[t], NULL);
    pthread_barrier_destroy(&lineup);
    pthread_barrier_destroy(&pause);
    check_consumer_agrees("after the workers");
    check_event_sequence();

    /* Every worker directory is gone: only the anchored nicks are left. */
    size_t count = SIZE_MAX;
    STATUS_OK(nt_active_nick_count(tracker, &count), "nt_active_nick_count", "-");
    TCHECK(count == ANCHORED, "%zu nicks active after the workers left, expected %d", count,
           ANCHORED);
    int order[NICKS];
    for (int i = 0; i < NICKS; i++)
        order[i] = -1;
    STATUS_OK(nt_for_each_active_nick(tracker, collect_nick, order), "nt_for_each_active_nick",
              "-");
    for (int i = 0; i < NICKS; i++)
        TCHECK(order[i] == (i < ANCHORED ? i : -1), "active nick %d is %d, expected %d", i,
               order[i], i < ANCHORED ? i : -1);

    unsigned long total_operations = 0;
    for (int t = 0; t < WORKERS; t++) {
        total_operations += workers[t].operations_done;
        for (int i = 0; i < PRIVATE; i++) {
            int g = SHARED + t * PRIVATE + i;
            TCHECK(atomic_load(&departures[g]) == workers[t].private_departures_expected[i],
                   "%s left %lu times, expected %lu", names[g], atomic_load(&departures[g]),
                   workers[t].private_departures_expected[i]);
        }
    }
    for (int c = ANCHORED; c < SHARED; c++) {
        unsigned long dropped = 0;
        for (int t = 0; t < WORKERS; t++)
            dropped += workers[t].last_presence_dropped[c];
        unsigned long left = atomic_load(&departures[c]);
        /* Each presence period ends exactly once, in a call that dropped a worker's last
         * presence; every worker dropped all of them at the latest when it disconnected. */
        TCHECK((left == 0) == (dropped == 0) && left <= dropped,
               "%s left %lu times; workers dropped it %lu times", names[c], left, dropped);
        bool active = true;
        STATUS_OK(nt_is_active(tracker, names[c], &active), "nt_is_active", names[c]);
        TCHECK(!active, "%s is still active", names[c]);
    }

    /* The anchor goes: the anchored nicks leave, once each, in the order it listed them. */
    main_expects_departures = true;
    size_t gone = SIZE_MAX;
    STATUS_OK(nt_remove_directory(tracker, ANCHOR_DIRECTORY, &gone), "nt_remove_directory", "-");
    main_expects_departures = false;
    TCHECK(gone == ANCHORED && main_departure_count == ANCHORED,
           "removing the anchor: gone count %zu, %zu callbacks, expected %d", gone,
           main_departure_count, ANCHORED);
    for (size_t i = 0; i < main_departure_count; i++)
        TCHECK(main_departures[i] == (int)i, "departure %zu was %s", i,
               names[main_departures[i]]);
    for (int a = 0; a < ANCHORED; a++)
        TCHECK(atomic_load(&departures[a]) == 1, "%s left %lu times", names[a],
               atomic_load(&departures[a]));
    STATUS_OK(nt_active_nick_count(tracker, &count), "nt_active_nick_count", "-");
    TCHECK(count == 0, "%zu nicks active at the end", count);
    check_consumer_agrees("at the end");
    check_event_sequence();
    nt_free(tracker);

    unsigned long total_departures = 0, rejoins = 0;
    for (int g = 0; g < NICKS; g++)
        total_departures += atomic_load(&departures[g]);
    for (int t = 0; t < WORKERS; t++)
        rejoins += workers[t].rejoins;
    printf("%d threads, %lu operations, %zu events (%zu arrived after a later one; taken in "
           "arrival order they would have left %d nicks wrong at the pause), %lu departures, "
           "%lu re-joins from leave callbacks, %lu failed checks\n",
           WORKERS, total_operations, event_count, late_arrivals, paused_disagreements,
           total_departures, rejoins, failures);
    TCHECK(rejoins > 0, "no leave callback changed the tracker");
    free(event_log);
    return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
