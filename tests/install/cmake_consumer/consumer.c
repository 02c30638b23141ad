/* A small program using an installed nick_tracker; built by the install tests both with CMake
 * (find_package) and with pkg-config. Exits 0 only if the library behaves. */
#include <stdio.h>
#include <string.h>

#include <nick_tracker.h>

static void count_departure(void *user_data, const char *nick) {
    (void)nick;
    ++*(int *)user_data;
}

int main(void) {
    char header_version[32];
    snprintf(header_version, sizeof header_version, "%d.%d.%d", NT_VERSION_MAJOR,
             NT_VERSION_MINOR, NT_VERSION_PATCH);
    if (strcmp(header_version, nt_version()) != 0) {
        fprintf(stderr, "header is version %s, library is %s\n", header_version, nt_version());
        return 1;
    }

    int departures = 0;
    nt_tracker *tracker;
    if (nt_new(count_departure, &departures, &tracker) != NT_STATUS_OK)
        return 1;
    int ok = nt_mark_present(tracker, "J5alice", 1) == NT_STATUS_OK &&
             nt_mark_present(tracker, "J5alice", 2) == NT_STATUS_OK &&
             nt_mark_gone(tracker, "J5alice", 1) == NT_STATUS_OK && departures == 0 &&
             nt_remove_directory(tracker, 2, NULL) == NT_STATUS_OK && departures == 1;
    nt_free(tracker);
    printf("nick_tracker %s: %s\n", nt_version(), ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
