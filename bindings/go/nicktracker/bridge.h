/*
 * The C half of the Go binding: one wrapper per nt_* call the binding makes, and the
 * library-facing callbacks that hand events, log messages and clock readings to Go.
 *
 * A wrapper returns an nt_go_result by value, so Go passes no pointer for the outputs. When
 * the call fails, the wrapper reads what explains it in the same C call, on the same thread,
 * where the library keeps it per thread: a copy of nt_last_error_message() and
 * nt_take_callback_error() (the cgo.Handle of a Go callback's recovered panic), or what the
 * Go clock left for the call (see read_clock in bridge.c). A wrapper of a call that reports
 * departures also copies nt_departed_nicks() when it succeeds. Go is then free to move the
 * goroutine to another thread between calls: no runtime.LockOSThread.
 *
 * Callbacks get the cgo.Handle of the Tracker's callbacks as their void *user_data (an
 * integer: C never holds a Go pointer).
 */
#ifndef NICKTRACKER_GO_BRIDGE_H
#define NICKTRACKER_GO_BRIDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nick_tracker.h>

typedef struct {
    nt_status status;
    /* The call's output (an active flag, a directory, a count, a length or a time); 0 if
     * none. */
    uint64_t value;
    /* If status is not NT_STATUS_OK: nt_take_callback_error(), or else what the Go clock
     * left for this call (a cgo.Handle of its panic or of its error), else 0. */
    uintptr_t callback_error;
    /* If status is neither NT_STATUS_OK nor NT_STATUS_BUFFER_TOO_SMALL: a malloc'd copy of
     * nt_last_error_message() (NULL if out of memory), which Go frees; else NULL. */
    char *message;
} nt_go_result;

/* The result of a call that reports departures. */
typedef struct {
    nt_go_result result;
    /* If the call succeeded and nicks left: a malloc'd copy of nt_departed_nicks() (NULL if
     * out of memory), departed_len bytes, which Go frees; else NULL and 0. */
    char *departed;
    size_t departed_len;
} nt_go_departures;

/* What NewWithOptions and New pass to nt_go_new. */
typedef struct {
    /* The cgo.Handle of the Tracker's callbacks, or 0 if it has none. */
    uintptr_t callbacks;
    /* nt_new() with the leave callback (if callbacks is not 0), ignoring the rest. */
    bool leave_only;
    /* Which of the Go callbacks behind callbacks are set. */
    bool on_event, on_log, clock;
    /* As in nt_options; a log_level of 0 keeps the default. */
    uint32_t log_level;
    size_t max_nicks, max_directories;
    uint32_t pick_mode;
    uint64_t presence_ttl_ms, gone_grace_ms, disconnected_hold_ms;
} nt_go_options;

/*
 * Creates a tracker (nt_new() or nt_new_with_options()). With a Go clock it also reads the
 * clock once (nt_expire()), so that every later reading of 0, which read_clock returns when
 * the Go clock fails, is refused as going backwards; if that first reading fails, the
 * tracker is freed and the result says why.
 */
nt_go_result nt_go_new(const nt_go_options *options, nt_tracker **out_tracker);

/*
 * Whether one of the Go callbacks behind the handle callbacks (an event, leave or log
 * callback, or the clock) is running on this thread, that is, whether the calling goroutine
 * is inside a call of that Tracker: Close asks, and refuses rather than wait for itself.
 */
bool nt_go_in_callback(uintptr_t callbacks);

nt_go_result nt_go_update(nt_tracker *tracker, const char *nick, size_t nick_len,
                          uint64_t directory, bool present);
nt_go_result nt_go_remove_directory(nt_tracker *tracker, uint64_t directory);
nt_go_result nt_go_set_directory_connected(nt_tracker *tracker, uint64_t directory,
                                           bool connected);
nt_go_result nt_go_sync_peerlist_packed(nt_tracker *tracker, uint64_t directory,
                                        const char *nicks, size_t len);
nt_go_result nt_go_peerlist_begin(nt_tracker *tracker, uint64_t directory);
nt_go_result nt_go_peerlist_add(nt_tracker *tracker, uint64_t directory, const char *nicks,
                                size_t len);
nt_go_departures nt_go_peerlist_commit(nt_tracker *tracker, uint64_t directory);
nt_go_result nt_go_peerlist_abort(nt_tracker *tracker, uint64_t directory);
nt_go_departures nt_go_update_batch(nt_tracker *tracker, uint64_t directory,
                                    const char *nicks, size_t len, const uint8_t *present,
                                    size_t count);
nt_go_departures nt_go_expire(nt_tracker *tracker);

nt_go_result nt_go_is_active(const nt_tracker *tracker, const char *nick, size_t nick_len);
nt_go_result nt_go_active_directories(const nt_tracker *tracker, const char *nick,
                                      size_t nick_len, uint64_t *out, size_t capacity);
nt_go_result nt_go_pick_directory(nt_tracker *tracker, const char *nick, size_t nick_len);
nt_go_result nt_go_active_nick_count(const nt_tracker *tracker);
nt_go_result nt_go_active_nicks_packed(const nt_tracker *tracker, char *out, size_t capacity);
nt_go_result nt_go_get_stats(const nt_tracker *tracker, nt_stats *out);
/* nt_last_seen(), or nt_last_seen_anywhere() if anywhere (directory is then ignored). The
 * nick has no NUL byte (Go checks), but no terminator either: it is copied to add one. */
nt_go_result nt_go_last_seen(const nt_tracker *tracker, const char *nick, size_t nick_len,
                             uint64_t directory, bool anywhere);
nt_go_result nt_go_directories(const nt_tracker *tracker, uint64_t *out, size_t capacity);
nt_go_result nt_go_directory_nicks_packed(const nt_tracker *tracker, uint64_t directory,
                                          char *out, size_t capacity);
nt_go_result nt_go_get_directory_stats(const nt_tracker *tracker, uint64_t directory,
                                       nt_directory_stats *out);

#endif /* NICKTRACKER_GO_BRIDGE_H */
