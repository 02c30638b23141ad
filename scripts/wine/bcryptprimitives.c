/*
 * A stand-in for Windows' bcryptprimitives.dll, for running Rust programs under wine older
 * than 8.13 (Debian 12 ships wine 8.0), which lacks that DLL.
 *
 * Rust's standard library (1.78 and later) imports ProcessPrng from bcryptprimitives.dll for
 * its random numbers (here: the keys of the hash tables), so nick_tracker.dll does too. Every
 * Windows that Rust supports (10 and later) has the DLL; wine gained it in 8.13.
 * scripts/test-windows.sh builds this file and copies the DLL into its own wine prefix's
 * system32, only when wine lacks the real one. It is never installed or shipped.
 *
 * ProcessPrng fills the buffer with random bytes and returns TRUE; this one gets them from
 * RtlGenRandom (advapi32's SystemFunction036), which every wine version has, and returns FALSE
 * only if that fails.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
