/*
 * Heap accounting for the memory tests, through glibc's mallinfo2(): the bytes the process
 * has allocated and not freed (small chunks plus mmap'd ones), the library's included.
 *
 * It only means something where glibc's malloc serves every allocation. AddressSanitizer,
 * ThreadSanitizer and valgrind replace malloc, so there the tests exit with
 * HEAP_SKIP_RETURN_CODE, which CTest reports as skipped (SKIP_RETURN_CODE). The plain build
 * sets NT_HEAP_ACCOUNTING=required, which turns a heap that cannot be measured into a
 * failure: there the tests must run.
 *
 * glibc's per-thread cache of freed chunks (tcache) counts as in use: a few KB come and go
 * with it whatever the library does. require_heap_accounting() therefore runs the test
 * again (exec) with the cache off (GLIBC_TUNABLES=glibc.malloc.tcache_count=0).
 */
#ifndef NT_TEST_HEAP_H
#define NT_TEST_HEAP_H

#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HEAP_SKIP_RETURN_CODE 77

/* Bytes in use on the heap (chunk headers included). */
static inline size_t heap_in_use(void) {
    struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
}

/* Where the probe's blocks go, so the compiler cannot drop the malloc/free pairs. */
static void *volatile heap_probe_sink[2];

/* Whether heap_in_use() sees allocations: a small and a large (mmap'd) block must show at
 * their size, plus chunk headers, and vanish when freed. */
static inline bool heap_accounting_works(void) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return false;
#else
    const size_t small = 4000, large = (size_t)4 << 20;
    heap_probe_sink[0] = malloc(1); /* the first malloc sets up the thread's cache */
    free(heap_probe_sink[0]);
    size_t before = heap_in_use();
    heap_probe_sink[0] = malloc(small);
    heap_probe_sink[1] = malloc(large);
    size_t during = heap_in_use();
    free(heap_probe_sink[0]);
    free(heap_probe_sink[1]);
    size_t after = heap_in_use();
    return during >= before + small + large && during <= before + small + large + 8192 &&
           after == before;
#endif
}

/* Runs this program again with glibc's thread cache off, unless it is off already. If that
 * fails, the program goes on with the cache on (and may see noise of a few KB). */
static inline void heap_without_thread_cache(char **argv) {
    static const char setting[] = "glibc.malloc.tcache_count=0";
    const char *tunables = getenv("GLIBC_TUNABLES");
    if (tunables != NULL && strstr(tunables, setting) != NULL)
        return;
    char value[1024];
    snprintf(value, sizeof value, "%s%s%s", tunables ? tunables : "", tunables ? ":" : "",
             setting);
    if (setenv("GLIBC_TUNABLES", value, 1) == 0) {
        fflush(stdout);
        execv("/proc/self/exe", argv);
    }
    fprintf(stderr, "cannot turn glibc's thread cache off: measurements may be noisier\n");
}

/* Exits with HEAP_SKIP_RETURN_CODE (or fails, where NT_HEAP_ACCOUNTING=required) unless the
 * heap can be measured, or if NT_HEAP_ACCOUNTING=off (set for the valgrind runs, which
 * would also be too slow for these sizes); then turns the thread cache off. Call it first
 * thing in main, with main's argv. */
static inline void require_heap_accounting(char **argv) {
    const char *setting = getenv("NT_HEAP_ACCOUNTING");
    bool off = setting != NULL && strcmp(setting, "off") == 0;
    bool required = setting != NULL && strcmp(setting, "required") == 0;
    if (!off && heap_accounting_works()) {
        heap_without_thread_cache(argv);
        return;
    }
    if (required) {
        fprintf(stderr, "heap accounting through mallinfo2() does not work here, and "
                        "NT_HEAP_ACCOUNTING=required\n");
        exit(EXIT_FAILURE);
    }
    printf("skipped: the heap cannot be measured here (malloc is not glibc's, or "
           "NT_HEAP_ACCOUNTING=off)\n");
    exit(HEAP_SKIP_RETURN_CODE);
}

#endif /* NT_TEST_HEAP_H */
