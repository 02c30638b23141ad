/*
 * Linked into every program of an NT_RUST_SANITIZER=thread build (see CMakeLists.txt).
 *
 * Rust's LLVM turns memcpy/memmove/memset in instrumented code into calls to these
 * functions, which newer ThreadSanitizer runtimes export but gcc 12's libtsan does not. Each
 * forwards to the libc function, which libtsan intercepts to check the whole range: the
 * accesses are still checked. Compiled with -fsanitize=thread, where these calls stay calls.
 */
#include <stddef.h>
#include <string.h>

void *__tsan_memcpy(void *destination, const void *source, size_t size);
void *__tsan_memmove(void *destination, const void *source, size_t size);
void *__tsan_memset(void *destination, int value, size_t size);

void *__tsan_memcpy(void *destination, const void *source, size_t size) {
    return memcpy(destination, source, size);
}

void *__tsan_memmove(void *destination, const void *source, size_t size) {
    return memmove(destination, source, size);
}

void *__tsan_memset(void *destination, int value, size_t size) {
    return memset(destination, value, size);
}
