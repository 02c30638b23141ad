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

/* The nt_nick_callback for every Go callback: user_data is the handle of the Go func. */
static void deliver(void *user_data, const char *nick) {
    ntGoDeliver((uintptr_t)user_data, (char *)nick, &pending_panic);
}

nt_status nt_go_new(uintptr_t on_leave, nt_tracker **out_tracker) {
    return nt_new(on_leave != 0 ? deliver : NULL, (void *)on_leave, out_tracker);
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

nt_status nt_go_sync_peerlist(nt_tracker *tracker, uint64_t directory,
                              const char *const *nicks, size_t count, uintptr_t *out_panic) {
    uintptr_t outer = begin_call();
    nt_status status = nt_sync_peerlist(tracker, directory, nicks, count);
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
