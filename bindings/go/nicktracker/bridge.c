#include "bridge.h"

#include <stdlib.h>
#include <string.h>

#include "_cgo_export.h"

/*
 * The Go callbacks running on this thread, innermost first: each library-facing callback
 * below pushes a frame on entry and pops it on return. Go cannot tell which goroutine is
 * inside a call of a Tracker, but C can tell which thread is, and while a Go callback runs
 * its goroutine stays on the thread that called it (cgo locks it there until the callback
 * returns), so a Close made from a callback, directly or through nested calls, asks from
 * that thread and finds the frame: nt_go_in_callback.
 */
typedef struct running_frame {
    uintptr_t callbacks;
    const struct running_frame *outer;
} running_frame;

static _Thread_local const running_frame *running;

static void enter(running_frame *frame, void *user_data) {
    frame->callbacks = (uintptr_t)user_data;
    frame->outer = running;
    running = frame;
}

static void leave(const running_frame *frame) {
    running = frame->outer;
}

bool nt_go_in_callback(uintptr_t callbacks) {
    for (const running_frame *frame = running; frame != NULL; frame = frame->outer) {
        if (frame->callbacks == callbacks) {
            return true;
        }
    }
    return false;
}

/*
 * What the Go clock left for the call that read it on this thread, when it panicked or its
 * reading was refused: a cgo.Handle, which the call's wrapper takes (see result).
 */
static _Thread_local uintptr_t clock_failure;

/* The wrappers' result: for a failure, what explains it, read on this thread now. */
static nt_go_result result(nt_status status, uint64_t value) {
    nt_go_result r = {status, value, 0, NULL};
    if (status != NT_STATUS_OK) {
        r.callback_error = nt_take_callback_error();
        if (clock_failure != 0) {
            /* A failed reading refuses the call, so no callback of it ran: callback_error
             * was 0. */
            r.callback_error = clock_failure;
            clock_failure = 0;
        }
        if (status != NT_STATUS_BUFFER_TOO_SMALL) {
            r.message = strdup(nt_last_error_message());
        }
    }
    return r;
}

/* The result of a call that reports departures: if it succeeded, the nicks that left. */
static nt_go_departures departures(nt_status status, uint64_t gone) {
    nt_go_departures d = {result(status, gone), NULL, 0};
    size_t len = 0;
    if (status == NT_STATUS_OK &&
        nt_departed_nicks(NULL, 0, &len) == NT_STATUS_BUFFER_TOO_SMALL) {
        d.departed_len = len;
        d.departed = malloc(len);
        if (d.departed != NULL) {
            nt_departed_nicks(d.departed, len, &len);
        }
    }
    return d;
}

/*
 * The library-facing callbacks. user_data is the handle of the Tracker's Go callbacks; the
 * library's strings are only borrowed (Go copies them).
 */

static void deliver_leave(void *user_data, const char *nick) {
    running_frame frame;
    enter(&frame, user_data);
    ntGoDeliverLeave((uintptr_t)user_data, (char *)nick);
    leave(&frame);
}

static void deliver_event(void *user_data, const nt_event *event) {
    running_frame frame;
    enter(&frame, user_data);
    ntGoDeliverEvent((uintptr_t)user_data, (nt_event *)event);
    leave(&frame);
}

static void deliver_log(void *user_data, nt_log_level level, const char *message) {
    running_frame frame;
    enter(&frame, user_data);
    ntGoDeliverLog((uintptr_t)user_data, (uint32_t)level, (char *)message);
    leave(&frame);
}

/*
 * The clock: Options.Clock's reading in milliseconds, plus one. When the Go clock panics or
 * its reading is refused (negative, or earlier than the one before), it returns 0 and leaves
 * a handle explaining why in clock_failure; the library then refuses the call as a clock
 * that went backwards, since every reading after the first (made by nt_go_new) is at least
 * 1, and the call's wrapper takes the handle.
 */
static uint64_t read_clock(void *user_data) {
    running_frame frame;
    enter(&frame, user_data);
    uintptr_t failure = 0;
    uint64_t now = ntGoReadClock((uintptr_t)user_data, &failure);
    leave(&frame);
    if (failure != 0) {
        clock_failure = failure;
        return 0;
    }
    return now;
}

nt_go_result nt_go_new(const nt_go_options *o, nt_tracker **out_tracker) {
    void *callbacks = (void *)o->callbacks;
    if (o->leave_only) {
        nt_status status = nt_new(callbacks != NULL ? deliver_leave : NULL, callbacks,
                                  out_tracker);
        return result(status, 0);
    }
    nt_options options;
    nt_status status = nt_options_init(&options, NT_OPTIONS_VERSION);
    if (status != NT_STATUS_OK) {
        return result(status, 0);
    }
    if (o->on_event) {
        options.on_event = deliver_event;
        options.event_user_data = callbacks;
    }
    if (o->on_log) {
        options.on_log = deliver_log;
        options.log_user_data = callbacks;
    }
    if (o->clock) {
        options.clock = read_clock;
        options.clock_user_data = callbacks;
    }
    if (o->log_level != 0) {
        options.log_level = o->log_level;
    }
    options.max_nicks = o->max_nicks;
    options.max_directories = o->max_directories;
    options.pick_mode = o->pick_mode;
    options.presence_ttl_ms = o->presence_ttl_ms;
    options.gone_grace_ms = o->gone_grace_ms;
    options.disconnected_hold_ms = o->disconnected_hold_ms;
    status = nt_new_with_options(&options, out_tracker);
    if (status != NT_STATUS_OK || !o->clock) {
        return result(status, 0);
    }
    /* The first reading (a new tracker has nothing to expire). */
    status = nt_expire(*out_tracker, NULL);
    if (status == NT_STATUS_OK && clock_failure == 0) {
        return result(status, 0);
    }
    /* The library accepts any first reading, 0 included: clock_failure says what went
     * wrong. */
    nt_go_result r = result(status != NT_STATUS_OK ? status : NT_STATUS_CLOCK_WENT_BACKWARDS, 0);
    nt_free(*out_tracker);
    *out_tracker = NULL;
    return r;
}

nt_go_result nt_go_update(nt_tracker *tracker, const char *nick, size_t nick_len,
                          uint64_t directory, bool present) {
    return result(nt_update_n(tracker, nick, nick_len, directory, present), 0);
}

nt_go_result nt_go_remove_directory(nt_tracker *tracker, uint64_t directory) {
    size_t gone = 0;
    nt_status status = nt_remove_directory(tracker, directory, &gone);
    return result(status, gone);
}

nt_go_result nt_go_set_directory_connected(nt_tracker *tracker, uint64_t directory,
                                           bool connected) {
    return result(nt_set_directory_connected(tracker, directory, connected), 0);
}

nt_go_result nt_go_sync_peerlist_packed(nt_tracker *tracker, uint64_t directory,
                                        const char *nicks, size_t len) {
    return result(nt_sync_peerlist_packed(tracker, directory, nicks, len), 0);
}

nt_go_result nt_go_peerlist_begin(nt_tracker *tracker, uint64_t directory) {
    return result(nt_peerlist_begin(tracker, directory), 0);
}

nt_go_result nt_go_peerlist_add(nt_tracker *tracker, uint64_t directory, const char *nicks,
                                size_t len) {
    return result(nt_peerlist_add(tracker, directory, nicks, len), 0);
}

nt_go_departures nt_go_peerlist_commit(nt_tracker *tracker, uint64_t directory) {
    size_t gone = 0;
    nt_status status = nt_peerlist_commit(tracker, directory, &gone);
    return departures(status, gone);
}

nt_go_result nt_go_peerlist_abort(nt_tracker *tracker, uint64_t directory) {
    return result(nt_peerlist_abort(tracker, directory), 0);
}

nt_go_departures nt_go_update_batch(nt_tracker *tracker, uint64_t directory,
                                    const char *nicks, size_t len, const uint8_t *present,
                                    size_t count) {
    nt_status status = nt_update_batch(tracker, directory, nicks, len, present, count);
    return departures(status, 0);
}

nt_go_departures nt_go_expire(nt_tracker *tracker) {
    size_t gone = 0;
    nt_status status = nt_expire(tracker, &gone);
    return departures(status, gone);
}

nt_go_result nt_go_is_active(const nt_tracker *tracker, const char *nick, size_t nick_len) {
    bool active = false;
    nt_status status = nt_is_active_n(tracker, nick, nick_len, &active);
    return result(status, active);
}

nt_go_result nt_go_active_directories(const nt_tracker *tracker, const char *nick,
                                      size_t nick_len, uint64_t *out, size_t capacity) {
    size_t len = 0;
    nt_status status = nt_active_directories_n(tracker, nick, nick_len, out, capacity, &len);
    return result(status, len);
}

nt_go_result nt_go_pick_directory(nt_tracker *tracker, const char *nick, size_t nick_len) {
    uint64_t directory = 0;
    nt_status status = nt_pick_directory_n(tracker, nick, nick_len, &directory);
    return result(status, directory);
}

nt_go_result nt_go_active_nick_count(const nt_tracker *tracker) {
    size_t count = 0;
    nt_status status = nt_active_nick_count(tracker, &count);
    return result(status, count);
}

nt_go_result nt_go_active_nicks_packed(const nt_tracker *tracker, char *out, size_t capacity) {
    size_t len = 0;
    nt_status status = nt_active_nicks_packed(tracker, out, capacity, &len);
    return result(status, len);
}

nt_go_result nt_go_get_stats(const nt_tracker *tracker, nt_stats *out) {
    return result(nt_get_stats(tracker, out), 0);
}

nt_go_result nt_go_last_seen(const nt_tracker *tracker, const char *nick, size_t nick_len,
                             uint64_t directory, bool anywhere) {
    /* The library has no nt_last_seen_n: terminate a copy. Beyond NT_MAX_NICK_LEN + 1 bytes
     * the library stops looking for the terminator and refuses the nick as too long, so
     * that is all the copy needs. */
    char terminated[NT_MAX_NICK_LEN + 2];
    size_t n = nick_len < sizeof terminated - 1 ? nick_len : sizeof terminated - 1;
    memcpy(terminated, nick, n);
    terminated[n] = '\0';
    uint64_t ms = 0;
    nt_status status = anywhere ? nt_last_seen_anywhere(tracker, terminated, &ms)
                                : nt_last_seen(tracker, terminated, directory, &ms);
    return result(status, ms);
}

nt_go_result nt_go_directories(const nt_tracker *tracker, uint64_t *out, size_t capacity) {
    size_t len = 0;
    nt_status status = nt_directories(tracker, out, capacity, &len);
    return result(status, len);
}

nt_go_result nt_go_directory_nicks_packed(const nt_tracker *tracker, uint64_t directory,
                                          char *out, size_t capacity) {
    size_t len = 0;
    nt_status status = nt_directory_nicks_packed(tracker, directory, out, capacity, &len);
    return result(status, len);
}

nt_go_result nt_go_get_directory_stats(const nt_tracker *tracker, uint64_t directory,
                                       nt_directory_stats *out) {
    return result(nt_get_directory_stats(tracker, directory, out), 0);
}
