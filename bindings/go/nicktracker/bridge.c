#include "bridge.h"

#include <stdlib.h>
#include <string.h>

#include "_cgo_export.h"

/* The wrappers' result: for a failure, what explains it, read on this thread now. */
static nt_go_result result(nt_status status, uint64_t value) {
    nt_go_result r = {status, value, 0, NULL};
    if (status != NT_STATUS_OK) {
        r.callback_error = nt_take_callback_error();
        if (status != NT_STATUS_BUFFER_TOO_SMALL) {
            r.message = strdup(nt_last_error_message());
        }
    }
    return r;
}

/*
 * The library-facing callbacks. user_data is the handle of the Tracker's Go callbacks; the
 * library's strings are only borrowed (Go copies them).
 */

static void deliver_leave(void *user_data, const char *nick) {
    ntGoDeliverLeave((uintptr_t)user_data, (char *)nick);
}

static void deliver_event(void *user_data, const nt_event *event) {
    ntGoDeliverEvent((uintptr_t)user_data, (nt_event *)event);
}

static void deliver_log(void *user_data, nt_log_level level, const char *message) {
    ntGoDeliverLog((uintptr_t)user_data, (uint32_t)level, (char *)message);
}

nt_go_result nt_go_new(uintptr_t callbacks, bool leave_only, bool on_event, bool on_log,
                       uint32_t log_level, size_t max_nicks, size_t max_directories,
                       uint32_t pick_mode, nt_tracker **out_tracker) {
    if (leave_only) {
        nt_status status = nt_new(callbacks != 0 ? deliver_leave : NULL, (void *)callbacks,
                                  out_tracker);
        return result(status, 0);
    }
    nt_options options;
    nt_status status = nt_options_init(&options, NT_OPTIONS_VERSION);
    if (status != NT_STATUS_OK) {
        return result(status, 0);
    }
    if (on_event) {
        options.on_event = deliver_event;
        options.event_user_data = (void *)callbacks;
    }
    if (on_log) {
        options.on_log = deliver_log;
        options.log_user_data = (void *)callbacks;
    }
    if (log_level != 0) {
        options.log_level = log_level;
    }
    options.max_nicks = max_nicks;
    options.max_directories = max_directories;
    options.pick_mode = pick_mode;
    return result(nt_new_with_options(&options, out_tracker), 0);
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
