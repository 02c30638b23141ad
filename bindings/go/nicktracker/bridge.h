/*
 * The C half of the Go binding: wrappers around the nt_* calls that can run Go callbacks.
 *
 * Each wrapper passes Go's callback handles (cgo.Handles, integers) to the library as its
 * void *user_data, so no Go pointer is ever stored in C memory, and reports through
 * *out_panic the first panic (as a cgo.Handle, 0 if none) recovered from a Go callback during
 * the call, so the Go caller can re-raise it once the C frames are gone. See callback.go.
 *
 * Every nt_* call that can run a callback (an event, leave, log or visitor callback) must go
 * through one of these wrappers; the others are called from Go directly.
 */
#ifndef NICKTRACKER_GO_BRIDGE_H
#define NICKTRACKER_GO_BRIDGE_H

#include <stddef.h>
#include <stdint.h>

#include <nick_tracker.h>

/* nt_new() with the Go leave callback behind handle on_leave, or no callback if it is 0. */
nt_status nt_go_new(uintptr_t on_leave, nt_tracker **out_tracker);

/*
 * nt_new_with_options() with the Go event and log callbacks behind handles on_event and
 * on_log (0 for none). A log_level of 0 keeps nt_options_init()'s default; the other values
 * are copied into the options as they are, for the library to check.
 */
nt_status nt_go_new_with_options(uintptr_t on_event, uintptr_t on_log, uint32_t log_level,
                                 size_t max_nicks, size_t max_directories, uint32_t pick_mode,
                                 nt_tracker **out_tracker);

nt_status nt_go_update(nt_tracker *tracker, const char *nick, uint64_t directory, bool present,
                       uintptr_t *out_panic);

nt_status nt_go_remove_directory(nt_tracker *tracker, uint64_t directory,
                                 size_t *out_gone_count, uintptr_t *out_panic);

nt_status nt_go_set_directory_connected(nt_tracker *tracker, uint64_t directory, bool connected,
                                        uintptr_t *out_panic);

nt_status nt_go_sync_peerlist_packed(nt_tracker *tracker, uint64_t directory, const char *nicks,
                                     size_t len, uintptr_t *out_panic);

/* nt_for_each_active_nick() with the Go visitor behind handle visit. */
nt_status nt_go_for_each_active_nick(const nt_tracker *tracker, uintptr_t visit,
                                     uintptr_t *out_panic);

#endif /* NICKTRACKER_GO_BRIDGE_H */
