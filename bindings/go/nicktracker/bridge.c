#include "bridge.h"

#include "_cgo_export.h"

/*
 * The first panic recovered from a Go callback during the innermost wrapped call on this
 * thread, as a cgo.Handle, or 0. The library runs callbacks on the thread that made the call,
 * so a thread-local slot attributes every panic to the call whose callback raised it, even
 * with many goroutines calling at once. A callback may itself call into a tracker, so each
 * wrapper saves the slot on entry and restores it on exit: nested calls nest like a stack.
 */
static _Thread_local uintptr_t pending_panic;

static uintptr_t begin_call(void) {
    uintptr_t outer = pending_panic;
    pending_panic = 0;
    return outer;
}

static uintptr_t end_call(uintptr_t outer) {
    uintptr_t panic = pending_panic;
    pending_panic = outer;
    return panic;
}

/*
 * The library-facing callbacks, one per callback type. user_data is the handle of the Go
 * func; the library's strings are only borrowed (the Go side copies them).
 */

/* The nt_nick_callback: nt_new()'s leave callback and nt_for_each_active_nick()'s visitor. */
static void deliver(void *user_data, const char *nick) {
    ntGoDeliver((uintptr_t)user_data, (char *)nick, &pending_panic);
}

/* The nt_event_callback. */
static void deliver_event(void *user_data, const nt_event *event) {
    ntGoDeliverEvent((uintptr_t)user_data, (uint32_t)event->kind, (char *)event->nick,
                     event->directory, &pending_panic);
}

/* The nt_log_callback. */
static void deliver_log(void *user_data, nt_log_level level, const char *message) {
    ntGoDeliverLog((uintptr_t)user_data, (uint32_t)level, (char *)message, &pending_panic);
}

nt_status nt_go_new(uintptr_t on_leave, nt_tracker **out_tracker) {
    return nt_new(on_leave != 0 ? deliver : NULL, (void *)on_leave, out_tracker);
}

nt_status nt_go_new_with_options(uintptr_t on_event, uintptr_t on_log, uint32_t log_level,
                                 size_t max_nicks, size_t max_directories, uint32_t pick_mode,
                                 nt_tracker **out_tracker) {
    nt_options options;
    nt_status status = nt_options_init(&options, NT_OPTIONS_VERSION);
    if (status != NT_STATUS_OK) {
        return status;
    }
    if (on_event != 0) {
        options.on_event = deliver_event;
        options.event_user_data = (void *)on_event;
    }
    if (on_log != 0) {
        options.on_log = deliver_log;
        options.log_user_data = (void *)on_log;
    }
    if (log_level != 0) {
        options.log_level = log_level;
    }
    options.max_nicks = max_nicks;
    options.max_directories = max_directories;
    options.pick_mode = pick_mode;
    return nt_new_with_options(&options, out_tracker);
}

nt_status nt_go_update(nt_tracker *tracker, const char *nick, uint64_t directory, bool present,
                       uintptr_t *out_panic) {
    uintptr_t outer = begin_call();
    nt_status status = nt_update(tracker, nick, directory, present);
    *out_panic = end_call(outer);
    return status;
}

nt_status nt_go_remove_directory(nt_tracker *tracker, uint64_t directory,
                                 size_t *out_gone_count, uintptr_t *out_panic) {
    uintptr_t outer = begin_call();
    nt_status status = nt_remove_directory(tracker, directory, out_gone_count);
    *out_panic = end_call(outer);
    return status;
}

nt_status nt_go_set_directory_connected(nt_tracker *tracker, uint64_t directory, bool connected,
                                        uintptr_t *out_panic) {
    uintptr_t outer = begin_call();
    nt_status status = nt_set_directory_connected(tracker, directory, connected);
    *out_panic = end_call(outer);
    return status;
}

nt_status nt_go_sync_peerlist_packed(nt_tracker *tracker, uint64_t directory, const char *nicks,
                                     size_t len, uintptr_t *out_panic) {
    uintptr_t outer = begin_call();
    nt_status status = nt_sync_peerlist_packed(tracker, directory, nicks, len);
    *out_panic = end_call(outer);
    return status;
}

nt_status nt_go_for_each_active_nick(const nt_tracker *tracker, uintptr_t visit,
                                     uintptr_t *out_panic) {
    uintptr_t outer = begin_call();
    nt_status status = nt_for_each_active_nick(tracker, deliver, (void *)visit);
    *out_panic = end_call(outer);
    return status;
}
