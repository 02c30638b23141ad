/*
 * The C half of the Go binding: one wrapper per nt_* call the binding makes, and the
 * library-facing callbacks that hand events and log messages to Go.
 *
 * A wrapper returns an nt_go_result by value, so Go passes no pointer for the outputs. When
 * the call fails, the wrapper reads what explains it in the same C call, on the same thread,
 * where the library keeps it per thread: a copy of nt_last_error_message() and
 * nt_take_callback_error() (the cgo.Handle of a Go callback's recovered panic). Go is then
 * free to move the goroutine to another thread between calls: no runtime.LockOSThread.
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
    /* The call's output (an active flag, a directory, a count or a length); 0 if none. */
    uint64_t value;
    /* If status is not NT_STATUS_OK: nt_take_callback_error(), else 0. */
    uintptr_t callback_error;
    /* If status is neither NT_STATUS_OK nor NT_STATUS_BUFFER_TOO_SMALL: a malloc'd copy of
     * nt_last_error_message() (NULL if out of memory), which Go frees; else NULL. */
    char *message;
} nt_go_result;

/*
 * Creates a tracker whose callbacks are the Go ones behind handle callbacks: the leave
 * callback only if leave_only (nt_new()), otherwise those of on_event and on_log that are
 * set, with the other options (nt_new_with_options(); a log_level of 0 keeps the default).
 */
nt_go_result nt_go_new(uintptr_t callbacks, bool leave_only, bool on_event, bool on_log,
                       uint32_t log_level, size_t max_nicks, size_t max_directories,
                       uint32_t pick_mode, nt_tracker **out_tracker);

nt_go_result nt_go_update(nt_tracker *tracker, const char *nick, size_t nick_len,
                          uint64_t directory, bool present);
nt_go_result nt_go_remove_directory(nt_tracker *tracker, uint64_t directory);
nt_go_result nt_go_set_directory_connected(nt_tracker *tracker, uint64_t directory,
                                           bool connected);
nt_go_result nt_go_sync_peerlist_packed(nt_tracker *tracker, uint64_t directory,
                                        const char *nicks, size_t len);

nt_go_result nt_go_is_active(const nt_tracker *tracker, const char *nick, size_t nick_len);
nt_go_result nt_go_active_directories(const nt_tracker *tracker, const char *nick,
                                      size_t nick_len, uint64_t *out, size_t capacity);
nt_go_result nt_go_pick_directory(nt_tracker *tracker, const char *nick, size_t nick_len);
nt_go_result nt_go_active_nick_count(const nt_tracker *tracker);
nt_go_result nt_go_active_nicks_packed(const nt_tracker *tracker, char *out, size_t capacity);
nt_go_result nt_go_get_stats(const nt_tracker *tracker, nt_stats *out);

#endif /* NICKTRACKER_GO_BRIDGE_H */
