/*
 * replay.c - replays a nick-tracker trace (benches/trace/FORMAT.md) through the C ABI.
 *
 *     cc -O2 -Wall -Wextra -Werror -std=c11 -Iinclude benches/trace/replay.c \
 *        -Ltarget/release -lnick_tracker -o replay_c
 *     ./replay_c TRACE [--runs K] [--wait]
 *
 * The whole file is read and parsed into memory first (nicks point into the file buffer, and
 * each peerlist is one packed buffer in it, every nick followed by a NUL, as a C client holding
 * a received peerlist would have it), and peerlists go to nt_sync_peerlist_packed(), the
 * ABI's one-call form for them; only the replay itself is timed. Each run uses a fresh tracker and prints one JSON line.
 * Any status other than NT_STATUS_OK aborts the replay (exit status 1).
 *
 * With --wait (used by run.py to interleave implementations) it prints {"ready": true} once
 * the trace is parsed, then reads one line from stdin before each run, stopping at EOF.
 */

#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nick_tracker.h>

#define TRACE_HEADER "nick-tracker-trace\t1"
#define FNV_OFFSET UINT64_C(0xcbf29ce484222325)
#define FNV_PRIME UINT64_C(0x100000001b3)

enum op_kind { OP_UPDATE, OP_SYNC, OP_REMOVE, OP_IS_ACTIVE, OP_ACTIVE_DIRECTORIES, OP_ACTIVE_COUNT };

struct op {
    enum op_kind kind;
    bool present;            /* OP_UPDATE */
    uint64_t directory;      /* OP_UPDATE, OP_SYNC, OP_REMOVE */
    const char *nick;        /* OP_UPDATE, OP_IS_ACTIVE, OP_ACTIVE_DIRECTORIES */
    const char *packed;      /* OP_SYNC: the nicks, each followed by a NUL (NULL if none) */
    size_t packed_len;
};

struct trace {
    char *text; /* the file, NUL-terminated, with every TAB and LF replaced by NUL */
    struct op *ops;
    size_t len, cap;
    uint64_t nick_refs;
};

/* What one replay observed (FORMAT.md, "Checksum"). */
struct checksum {
    uint64_t leaves, leaves_fnv;
    uint64_t active_true, active_fnv;
    uint64_t dirs_total, dirs_fnv;
    uint64_t count_sum, count_fnv;
};

static uint64_t fnv_bytes(uint64_t h, const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= FNV_PRIME;
    }
    return h;
}

static uint64_t fnv_u64(uint64_t h, uint64_t v) {
    for (int i = 0; i < 8; i++) {
        h ^= (v >> (8 * i)) & 0xff;
        h *= FNV_PRIME;
    }
    return h;
}

static void on_leave(void *user_data, const char *nick) {
    struct checksum *c = user_data;
    c->leaves++;
    /* the nick's bytes and its terminating NUL */
    c->leaves_fnv = fnv_bytes(c->leaves_fnv, (const unsigned char *)nick, strlen(nick) + 1);
}

/* ---- parsing ---------------------------------------------------------------------------- */

static void trace_free(struct trace *t) {
    free(t->ops);
    free(t->text);
    memset(t, 0, sizeof *t);
}

static int fail(const char *path, size_t line, const char *what) {
    fprintf(stderr, "replay_c: %s:%zu: %s\n", path, line, what);
    return -1;
}

static bool parse_u64(const char *s, uint64_t *out) {
    uint64_t v = 0;
    if (*s == '\0') return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return false;
        unsigned digit = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - digit) / 10) return false;
        v = v * 10 + digit;
    }
    *out = v;
    return true;
}

static bool valid_nick(const char *s) {
    size_t n = strlen(s);
    return n >= 1 && n <= NT_MAX_NICK_LEN;
}

static struct op *push_op(struct trace *t) {
    if (t->len == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 1024;
        struct op *ops = realloc(t->ops, cap * sizeof *ops);
        if (ops == NULL) return NULL;
        t->ops = ops;
        t->cap = cap;
    }
    struct op *op = &t->ops[t->len++];
    memset(op, 0, sizeof *op);
    return op;
}

/* Splits `line` (already NUL-terminated) at TABs in place; returns the number of fields and
 * stores up to `max` field pointers. */
static size_t split_fields(char *line, char **fields, size_t max) {
    size_t n = 0;
    for (char *p = line;;) {
        if (n < max) fields[n] = p;
        n++;
        char *tab = strchr(p, '\t');
        if (tab == NULL) break;
        *tab = '\0';
        p = tab + 1;
    }
    return n;
}

static int read_file(const char *path, char **out_text, size_t *out_size) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "replay_c: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 1 << 20, size = 0;
    char *text = malloc(cap + 1);
    while (text != NULL) {
        size += fread(text + size, 1, cap - size, f);
        if (size < cap) break;
        char *bigger = realloc(text, 2 * cap + 1);
        if (bigger == NULL) {
            free(text);
            text = NULL;
            break;
        }
        text = bigger;
        cap *= 2;
    }
    int error = ferror(f);
    fclose(f);
    if (text == NULL || error) {
        fprintf(stderr, "replay_c: %s: %s\n", path, text == NULL ? "out of memory" : "read error");
        free(text);
        return -1;
    }
    text[size] = '\0';
    *out_text = text;
    *out_size = size;
    return 0;
}

/* Parses "sync" arguments `args` (DIR TAB COUNT [TAB NICK]...), split in place. */
static int parse_sync(const char *path, size_t line_no, char *args, size_t size, struct trace *t) {
    char *tab = args ? strchr(args, '\t') : NULL;
    if (tab == NULL) return fail(path, line_no, "sync needs DIR COUNT NICK...");
    *tab = '\0';
    char *count_field = tab + 1;
    char *nicks = strchr(count_field, '\t');
    if (nicks != NULL) *nicks++ = '\0';
    uint64_t directory, count;
    if (!parse_u64(args, &directory)) return fail(path, line_no, "bad directory");
    if (!parse_u64(count_field, &count)) return fail(path, line_no, "bad count");
    if (count > size) return fail(path, line_no, "count larger than the file");
    if ((count == 0) != (nicks == NULL)) return fail(path, line_no, "count does not match the nicks");
    struct op *op = push_op(t);
    if (op == NULL) return fail(path, line_no, "out of memory");
    op->kind = OP_SYNC;
    op->directory = directory;
    if (count == 0) return 0;
    /* The line is NUL-terminated: with its TABs replaced by NULs, the nicks are packed. */
    uint64_t listed = 0;
    char *p = nicks;
    for (;;) {
        char *next = strchr(p, '\t');
        if (next != NULL) *next = '\0';
        if (!valid_nick(p)) return fail(path, line_no, "bad nick");
        listed++;
        if (next == NULL) break;
        p = next + 1;
    }
    if (listed != count) return fail(path, line_no, "count does not match the nicks");
    op->packed = nicks;
    op->packed_len = (size_t)(p + strlen(p) + 1 - nicks);
    t->nick_refs += count;
    return 0;
}

/* Reads and parses the whole trace; on failure prints why and returns -1 (the caller still
 * calls trace_free). */
static int parse_trace(const char *path, struct trace *t) {
    size_t size;
    memset(t, 0, sizeof *t);
    if (read_file(path, &t->text, &size) != 0) return -1;
    if (memchr(t->text, '\0', size) != NULL) return fail(path, 0, "the file contains a NUL byte");

    char *p = t->text, *end = t->text + size;
    size_t line_no = 0;
    while (p < end) {
        line_no++;
        char *line = p;
        char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl != NULL) {
            *nl = '\0';
            p = nl + 1;
        } else {
            p = end; /* last line without LF: already NUL-terminated */
        }
        if (line_no == 1) {
            if (strcmp(line, TRACE_HEADER) != 0) return fail(path, 1, "not a nick-tracker-trace 1 file");
            continue;
        }
        if (line[0] == '\0' || line[0] == '#') continue;

        char *args = strchr(line, '\t');
        if (args != NULL) *args++ = '\0';
        if (strcmp(line, "sync") == 0) {
            if (parse_sync(path, line_no, args, size, t) != 0) return -1;
            continue;
        }
        char *f[3];
        size_t nargs = args == NULL ? 0 : split_fields(args, f, 3);
        struct op *op = push_op(t);
        if (op == NULL) return fail(path, line_no, "out of memory");
        if (strcmp(line, "update") == 0) {
            if (nargs != 3) return fail(path, line_no, "update needs NICK DIR PRESENT");
            if (!valid_nick(f[0])) return fail(path, line_no, "bad nick");
            if (!parse_u64(f[1], &op->directory)) return fail(path, line_no, "bad directory");
            if (strcmp(f[2], "0") != 0 && strcmp(f[2], "1") != 0)
                return fail(path, line_no, "present must be 0 or 1");
            op->kind = OP_UPDATE;
            op->nick = f[0];
            op->present = f[2][0] == '1';
        } else if (strcmp(line, "is_active") == 0 || strcmp(line, "active_directories") == 0) {
            if (nargs != 1) return fail(path, line_no, "a query needs NICK");
            if (!valid_nick(f[0])) return fail(path, line_no, "bad nick");
            op->kind = line[0] == 'i' ? OP_IS_ACTIVE : OP_ACTIVE_DIRECTORIES;
            op->nick = f[0];
        } else if (strcmp(line, "remove") == 0) {
            if (nargs != 1) return fail(path, line_no, "remove needs DIR");
            if (!parse_u64(f[0], &op->directory)) return fail(path, line_no, "bad directory");
            op->kind = OP_REMOVE;
        } else if (strcmp(line, "active_count") == 0) {
            if (nargs != 0) return fail(path, line_no, "active_count takes no arguments");
            op->kind = OP_ACTIVE_COUNT;
        } else {
            return fail(path, line_no, "unknown operation");
        }
    }
    if (line_no == 0) return fail(path, 1, "empty file");
    return 0;
}

/* ---- replay ----------------------------------------------------------------------------- */

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int check(nt_status status, size_t index) {
    if (status == NT_STATUS_OK) return 0;
    fprintf(stderr, "replay_c: operation %zu: %s: %s\n", index, nt_status_str(status),
            nt_last_error_message());
    return -1;
}

/* One replay on a fresh tracker. Returns 0 and fills `c` and `elapsed`, or -1. */
static int replay(const struct trace *t, struct checksum *c, double *elapsed) {
    memset(c, 0, sizeof *c);
    c->leaves_fnv = c->active_fnv = c->dirs_fnv = c->count_fnv = FNV_OFFSET;
    size_t dirs_cap = 64;
    uint64_t *dirs = malloc(dirs_cap * sizeof *dirs);
    nt_tracker *tracker = NULL;
    int result = -1;
    if (dirs == NULL) {
        fprintf(stderr, "replay_c: out of memory\n");
        return -1;
    }
    if (check(nt_new(on_leave, c, &tracker), 0) != 0) goto out;

    double start = now_seconds();
    for (size_t i = 0; i < t->len; i++) {
        const struct op *op = &t->ops[i];
        switch (op->kind) {
        case OP_SYNC:
            if (check(nt_sync_peerlist_packed(tracker, op->directory, op->packed, op->packed_len), i) != 0) goto out;
            break;
        case OP_UPDATE:
            if (check(nt_update(tracker, op->nick, op->directory, op->present), i) != 0) goto out;
            break;
        case OP_IS_ACTIVE: {
            bool active = false;
            if (check(nt_is_active(tracker, op->nick, &active), i) != 0) goto out;
            c->active_true += active;
            c->active_fnv = (c->active_fnv ^ (active ? 1u : 0u)) * FNV_PRIME;
            break;
        }
        case OP_ACTIVE_DIRECTORIES: {
            size_t len = 0;
            nt_status s = nt_active_directories(tracker, op->nick, dirs, dirs_cap, &len);
            if (s == NT_STATUS_BUFFER_TOO_SMALL) {
                uint64_t *bigger = realloc(dirs, len * sizeof *dirs);
                if (bigger == NULL) {
                    fprintf(stderr, "replay_c: out of memory\n");
                    goto out;
                }
                dirs = bigger;
                dirs_cap = len;
                s = nt_active_directories(tracker, op->nick, dirs, dirs_cap, &len);
            }
            if (check(s, i) != 0) goto out;
            c->dirs_total += len;
            c->dirs_fnv = fnv_u64(c->dirs_fnv, len);
            for (size_t k = 0; k < len; k++) c->dirs_fnv = fnv_u64(c->dirs_fnv, dirs[k]);
            break;
        }
        case OP_REMOVE:
            if (check(nt_remove_directory(tracker, op->directory, NULL), i) != 0) goto out;
            break;
        case OP_ACTIVE_COUNT: {
            size_t count = 0;
            if (check(nt_active_nick_count(tracker, &count), i) != 0) goto out;
            c->count_sum += count;
            c->count_fnv = fnv_u64(c->count_fnv, count);
            break;
        }
        }
    }
    *elapsed = now_seconds() - start;
    result = 0;
out:
    nt_free(tracker);
    free(dirs);
    return result;
}

int main(int argc, char **argv) {
    const char *path = NULL;
    long runs = 1;
    bool wait = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--wait") == 0) {
            wait = true;
        } else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            char *endp;
            runs = strtol(argv[++i], &endp, 10);
            if (*endp != '\0' || runs < 1) {
                fprintf(stderr, "replay_c: --runs needs a positive integer\n");
                return 2;
            }
        } else if (path == NULL && argv[i][0] != '-') {
            path = argv[i];
        } else {
            fprintf(stderr, "usage: %s TRACE [--runs K] [--wait]\n", argv[0]);
            return 2;
        }
    }
    if (path == NULL) {
        fprintf(stderr, "usage: %s TRACE [--runs K] [--wait]\n", argv[0]);
        return 2;
    }

    struct trace t;
    int status = 0;
    if (parse_trace(path, &t) != 0) {
        status = 1;
    } else {
        if (wait) {
            printf("{\"ready\": true}\n");
            fflush(stdout);
        }
        for (long run = 1; run <= runs && status == 0; run++) {
            struct checksum c;
            double elapsed;
            char go[64];
            if (wait && fgets(go, sizeof go, stdin) == NULL) break;
            if (replay(&t, &c, &elapsed) != 0) {
                status = 1;
                break;
            }
            printf("{\"impl\": \"c\", \"run\": %ld, \"elapsed_s\": %.9f, \"checksum\": {"
                   "\"ops\": %zu, \"nick_refs\": %" PRIu64 ", "
                   "\"leaves\": %" PRIu64 ", \"leaves_fnv\": \"%016" PRIx64 "\", "
                   "\"active_true\": %" PRIu64 ", \"active_fnv\": \"%016" PRIx64 "\", "
                   "\"dirs_total\": %" PRIu64 ", \"dirs_fnv\": \"%016" PRIx64 "\", "
                   "\"count_sum\": %" PRIu64 ", \"count_fnv\": \"%016" PRIx64 "\"}, "
                   "\"library_version\": \"%s\"}\n",
                   run, elapsed, t.len, t.nick_refs, c.leaves, c.leaves_fnv, c.active_true,
                   c.active_fnv, c.dirs_total, c.dirs_fnv, c.count_sum, c.count_fnv,
                   nt_version());
            fflush(stdout);
        }
    }
    trace_free(&t);
    return status;
}
