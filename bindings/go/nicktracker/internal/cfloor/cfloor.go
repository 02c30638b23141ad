// Package cfloor times the C library without the binding, for the benchmarks of package
// nicktracker: each method is one bare cgo call of the same C function, with the nicks made
// into C strings beforehand. No Go binding of the library can be quicker per call, so this
// is the floor the binding is measured against.
package cfloor

// #cgo pkg-config: nick_tracker
// #include <stdlib.h>
// #include <nick_tracker.h>
//
// static unsigned long long events;
// static void count_event(void *user_data, const nt_event *event) {
//     (void)user_data;
//     (void)event;
//     events++;
// }
// static nt_status new_counting(nt_tracker **out) {
//     nt_options options;
//     nt_options_init(&options, NT_OPTIONS_VERSION);
//     options.on_event = count_event;
//     return nt_new_with_options(&options, out);
// }
// static unsigned long long counted(void) { return events; }
//
// #include <time.h>
// static long long thread_cpu_ns(void) {
//     struct timespec ts;
//     clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
//     return (long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
// }
import "C"

import (
	"fmt"
	"unsafe"
)

// Tracker is a C tracker and the nicks it is called with, as C strings.
type Tracker struct {
	ptr   *C.nt_tracker
	nicks []*C.char
	dirs  [64]C.uint64_t // a reused output buffer
}

// New makes a tracker without callbacks, or with a C event callback that only counts if
// countEvents, and C strings of nicks.
func New(nicks []string, countEvents bool) *Tracker {
	t := &Tracker{}
	var status C.nt_status
	if countEvents {
		status = C.new_counting(&t.ptr)
	} else {
		status = C.nt_new(nil, nil, &t.ptr)
	}
	if status != C.NT_STATUS_OK {
		panic(fmt.Sprint("nt_new: ", status))
	}
	for _, nick := range nicks {
		t.nicks = append(t.nicks, C.CString(nick))
	}
	return t
}

// Close frees the tracker and the C strings.
func (t *Tracker) Close() {
	C.nt_free(t.ptr)
	for _, nick := range t.nicks {
		C.free(unsafe.Pointer(nick))
	}
}

// ThreadCPUTime is the CPU time the calling OS thread has used, in nanoseconds: unlike the
// time on the clock, it does not grow while other processes have the CPU.
func ThreadCPUTime() int64 { return int64(C.thread_cpu_ns()) }

// Events is how many events the counting C callback has seen, in every tracker.
func Events() uint64 { return uint64(C.counted()) }

// Update calls nt_update with nick number i.
func (t *Tracker) Update(i int, dir uint64, present bool) C.nt_status {
	return C.nt_update(t.ptr, t.nicks[i], C.uint64_t(dir), C.bool(present))
}

// MarkPresent calls nt_mark_present with nick number i.
func (t *Tracker) MarkPresent(i int, dir uint64) C.nt_status {
	return C.nt_mark_present(t.ptr, t.nicks[i], C.uint64_t(dir))
}

// MarkGone calls nt_mark_gone with nick number i.
func (t *Tracker) MarkGone(i int, dir uint64) C.nt_status {
	return C.nt_mark_gone(t.ptr, t.nicks[i], C.uint64_t(dir))
}

// IsActive calls nt_is_active with nick number i.
func (t *Tracker) IsActive(i int) bool {
	var active C.bool
	C.nt_is_active(t.ptr, t.nicks[i], &active)
	return bool(active)
}

// ActiveDirectories calls nt_active_directories with nick number i and returns how many
// directories it wrote into a buffer kept in the Tracker.
func (t *Tracker) ActiveDirectories(i int) int {
	var n C.size_t
	C.nt_active_directories(t.ptr, t.nicks[i], &t.dirs[0], C.size_t(len(t.dirs)), &n)
	return int(n)
}

// PickDirectory calls nt_pick_directory with nick number i.
func (t *Tracker) PickDirectory(i int) uint64 {
	var dir C.uint64_t
	C.nt_pick_directory(t.ptr, t.nicks[i], &dir)
	return uint64(dir)
}

// Packed is a peerlist packed for nt_sync_peerlist_packed, in C memory.
type Packed struct {
	buf *C.char
	len C.size_t
}

// Pack packs nicks into C memory once.
func Pack(nicks []string) Packed {
	var b []byte
	for _, nick := range nicks {
		b = append(b, nick...)
		b = append(b, 0)
	}
	return Packed{buf: (*C.char)(C.CBytes(b)), len: C.size_t(len(b))}
}

// SyncPeerlist calls nt_sync_peerlist_packed with a peerlist packed beforehand.
func (t *Tracker) SyncPeerlist(dir uint64, p Packed) C.nt_status {
	return C.nt_sync_peerlist_packed(t.ptr, C.uint64_t(dir), p.buf, p.len)
}

// RemoveDirectory calls nt_remove_directory.
func (t *Tracker) RemoveDirectory(dir uint64) int {
	var gone C.size_t
	C.nt_remove_directory(t.ptr, C.uint64_t(dir), &gone)
	return int(gone)
}

// BeginPeerlist calls nt_peerlist_begin.
func (t *Tracker) BeginPeerlist(dir uint64) C.nt_status {
	return C.nt_peerlist_begin(t.ptr, C.uint64_t(dir))
}

// AddPeerlistChunk calls nt_peerlist_add with a chunk packed beforehand.
func (t *Tracker) AddPeerlistChunk(dir uint64, p Packed) C.nt_status {
	return C.nt_peerlist_add(t.ptr, C.uint64_t(dir), p.buf, p.len)
}

// CommitPeerlist calls nt_peerlist_commit.
func (t *Tracker) CommitPeerlist(dir uint64) int {
	var gone C.size_t
	C.nt_peerlist_commit(t.ptr, C.uint64_t(dir), &gone)
	return int(gone)
}

// Flags are nt_update_batch's present flags, in C memory.
type Flags struct {
	buf   *C.uint8_t
	count C.size_t
}

// MakeFlags makes count flags, all present or all gone, in C memory once.
func MakeFlags(count int, present bool) Flags {
	b := make([]byte, count)
	if present {
		for i := range b {
			b[i] = 1
		}
	}
	return Flags{buf: (*C.uint8_t)(C.CBytes(b)), count: C.size_t(count)}
}

// UpdateBatch calls nt_update_batch with nicks and flags made beforehand.
func (t *Tracker) UpdateBatch(dir uint64, p Packed, f Flags) C.nt_status {
	return C.nt_update_batch(t.ptr, C.uint64_t(dir), p.buf, p.len, f.buf, f.count)
}

// ActiveNicksPacked calls nt_active_nicks_packed into buf and returns the length.
func (t *Tracker) ActiveNicksPacked(buf []byte) int {
	var n C.size_t
	C.nt_active_nicks_packed(t.ptr, (*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)), &n)
	return int(n)
}
