// Package nicktracker tells a peer-to-peer client which peer nicks are still reachable when
// it is connected to several directory servers. It wraps the nick_tracker C library.
//
// A nick is active while at least one connected directory reports it present. It leaves
// only when every directory that reported it present has reported it gone, stopped listing
// it (SyncPeerlist), been removed (RemoveDirectory) or been disconnected
// (SetDirectoryConnected); then the leave callback runs once. One flapping directory
// connection therefore never produces a false "peer left" event. A "gone" report from a
// directory that never reported the nick present is ignored.
//
// A disconnected directory's reports are kept but do not count until it is connected again;
// the tracker forgets a nick only once no directory, connected or not, reports it present.
//
// New makes a Tracker with just a leave callback. NewWithOptions adds join events, log
// messages, limits on the nicks and directories held, and the way PickDirectory chooses a
// directory to reach a nick through.
//
// Nicks are UTF-8 strings of 1 to MaxNickLen bytes without NUL bytes. Directories are
// uint64 ids chosen by the caller. A method given an invalid nick returns an *Error, which
// errors.Is matches against ErrNickEmpty and the other sentinels, and changes nothing; so
// does a change refused by a limit (ErrNickLimit, ErrDirectoryLimit). Every method but Close
// returns ErrClosed after Close.
//
// # Concurrency and callbacks
//
// The callbacks are New's leave callback and Options.OnEvent and Options.OnLog; they all
// follow the same rules.
//
// A Tracker's methods may be called from many goroutines at once. A callback runs in the
// goroutine whose call caused the event or message, before that call returns, and outside
// the library's lock, so it may call the Tracker's methods again (except Close). It may run
// in several goroutines at once if they make changes at the same time.
//
// A panic in a callback is recovered before it reaches the C library, the C call is allowed
// to finish (the remaining callbacks of a batch still run), and then the panic is raised
// again, with the same value, in the goroutine that made the call. The tracker stays
// consistent and usable. If several callbacks of one call panic, the first panic is raised
// and the others are dropped. A callback must not call runtime.Goexit (so not t.FailNow or
// t.Fatal in a test), which would unwind through C.
package nicktracker

// #cgo pkg-config: nick_tracker
// #include <stdlib.h>
// #include "bridge.h"
import "C"

import (
	"runtime"
	"runtime/cgo"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

// MaxNickLen is the longest nick accepted, in bytes (256, the C header's NT_MAX_NICK_LEN).
const MaxNickLen = C.NT_MAX_NICK_LEN

// Version returns the C library's version, "MAJOR.MINOR.PATCH".
func Version() string {
	return C.GoString(C.nt_version())
}

// Tracker tracks which nicks are active across directories. Create one with New or
// NewWithOptions and release it with Close: the C tracker is not garbage collected, so a
// Tracker dropped without Close leaks it.
type Tracker struct {
	handles []cgo.Handle // the callbacks the C tracker holds, deleted once it is freed

	// Close must not free the C tracker while a call is using it, and a callback must be able
	// to call the Tracker again while its own call is in flight. A sync.RWMutex cannot do
	// both: a callback's nested RLock would deadlock behind a Close waiting for Lock. So calls
	// count themselves in and out, and once Close has begun they fail with ErrClosed instead
	// of waiting.
	mu       sync.Mutex    // guards ptr and inFlight
	idle     sync.Cond     // signalled when inFlight drops to 0
	ptr      *C.nt_tracker // nil once Close has begun
	inFlight int           // calls that are using ptr
}

// New creates a Tracker. onLeave, which may be nil, is called with each nick that leaves.
// For join events, log messages, limits or the pick mode, use NewWithOptions.
func New(onLeave func(nick string)) (*Tracker, error) {
	var handles []cgo.Handle
	var leave cgo.Handle
	if onLeave != nil {
		leave = cgo.NewHandle(onLeave)
		handles = append(handles, leave)
	}
	return create(handles, func(out **C.nt_tracker) C.nt_status {
		return C.nt_go_new(C.uintptr_t(leave), out)
	})
}

// create makes a Tracker with newC, a C constructor whose callbacks are behind handles.
func create(handles []cgo.Handle, newC func(out **C.nt_tracker) C.nt_status) (*Tracker, error) {
	t := &Tracker{handles: handles}
	t.idle.L = &t.mu
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var ptr *C.nt_tracker
	if status := newC(&ptr); status != C.NT_STATUS_OK {
		t.deleteHandles()
		return nil, lastError(status)
	}
	t.ptr = ptr
	return t, nil
}

// Close frees the tracker; later calls return ErrClosed. It waits for calls in progress in
// other goroutines to finish, so once it returns no callback is ever called again. That is
// also why a callback must not call Close: it would wait for its own call.
// Closing again does nothing. The error is always nil; it is there for io.Closer.
func (t *Tracker) Close() error {
	t.mu.Lock()
	ptr := t.ptr
	t.ptr = nil
	for t.inFlight > 0 {
		t.idle.Wait()
	}
	t.mu.Unlock()
	if ptr != nil {
		C.nt_free(ptr)
		t.deleteHandles()
	}
	return nil
}

func (t *Tracker) deleteHandles() {
	for _, handle := range t.handles {
		handle.Delete()
	}
	t.handles = nil
}

// Update records that directory dir reports nick present or gone. If that makes the nick
// join (it was not active and dir is connected) or leave (it is now present on no connected
// directory), the callback is called before Update returns. A presence report from a
// directory not seen before makes it known, as connected.
//
// A new nick or directory beyond the Tracker's limits is refused with ErrNickLimit or
// ErrDirectoryLimit.
func (t *Tracker) Update(nick string, dir uint64, present bool) error {
	return t.callNick(nick, func(ptr *C.nt_tracker, cnick *C.char, pending *C.uintptr_t) C.nt_status {
		return C.nt_go_update(ptr, cnick, C.uint64_t(dir), C.bool(present), pending)
	})
}

// MarkPresent is Update(nick, dir, true).
func (t *Tracker) MarkPresent(nick string, dir uint64) error {
	return t.Update(nick, dir, true)
}

// MarkGone is Update(nick, dir, false).
func (t *Tracker) MarkGone(nick string, dir uint64) error {
	return t.Update(nick, dir, false)
}

// RemoveDirectory forgets everything directory dir reported, as when it is dropped for good,
// and returns how many nicks left as a result. The leave callback is called for each of them,
// in the order the tracker first saw them, before RemoveDirectory returns. Removing an
// unknown directory is not an error. For a connection that may come back, use
// SetDirectoryConnected instead.
func (t *Tracker) RemoveDirectory(dir uint64) (int, error) {
	var gone C.size_t
	err := t.call(func(ptr *C.nt_tracker, pending *C.uintptr_t) C.nt_status {
		return C.nt_go_remove_directory(ptr, C.uint64_t(dir), &gone, pending)
	})
	return int(gone), err
}

// SetDirectoryConnected marks directory dir's connection as up or down.
//
// While dir is down its reports are kept but do not count: nicks that no other connected
// directory reports present leave. When it is up again they count again and those nicks
// join, until its next peerlist (SyncPeerlist) says otherwise. Reports and peerlists that
// arrive while it is down are recorded the same way. The callbacks run before
// SetDirectoryConnected returns. An unknown directory becomes known in the given state
// (ErrDirectoryLimit if that would exceed Options.MaxDirectories); setting the state it
// already has does nothing.
func (t *Tracker) SetDirectoryConnected(dir uint64, connected bool) error {
	return t.call(func(ptr *C.nt_tracker, pending *C.uintptr_t) C.nt_status {
		return C.nt_go_set_directory_connected(ptr, C.uint64_t(dir), C.bool(connected), pending)
	})
}

// SyncPeerlist makes directory dir's view match the peerlist it just sent: every nick in
// nicks becomes present on dir, and every nick dir reported present but no longer lists
// becomes gone on it. The callbacks run before SyncPeerlist returns: leaves in the order
// the tracker first saw the nicks, then joins in list order. Duplicates are harmless.
//
// It is all or nothing: if any nick is invalid, nothing changes and the error names it,
// e.g. "nicks[3]: nick is empty"; nor does anything change if the new nicks or directory
// would exceed the Tracker's limits.
func (t *Tracker) SyncPeerlist(dir uint64, nicks []string) error {
	// The library takes the peerlist as one buffer of NUL-terminated nicks, so a nick with
	// a NUL in it must be refused here: it would be read as two.
	size := 0
	for i, nick := range nicks {
		if strings.IndexByte(nick, 0) >= 0 {
			return containsNUL("nicks[" + strconv.Itoa(i) + "]")
		}
		size += len(nick) + 1
	}
	packed := make([]byte, 0, size)
	for _, nick := range nicks {
		packed = append(packed, nick...)
		packed = append(packed, 0)
	}
	// The buffer holds no Go pointers, so cgo lets C read it in place during the call.
	var first *C.char
	if size > 0 {
		first = (*C.char)(unsafe.Pointer(&packed[0]))
	}
	return t.call(func(ptr *C.nt_tracker, pending *C.uintptr_t) C.nt_status {
		return C.nt_go_sync_peerlist_packed(ptr, C.uint64_t(dir), first, C.size_t(size), pending)
	})
}

// IsActive reports whether at least one connected directory reports nick present.
func (t *Tracker) IsActive(nick string) (bool, error) {
	var active C.bool
	err := t.callNick(nick, func(ptr *C.nt_tracker, cnick *C.char, _ *C.uintptr_t) C.nt_status {
		return C.nt_is_active(ptr, cnick, &active)
	})
	return bool(active), err
}

// ActiveDirectories returns the connected directories that report nick present, in the order
// they first reported it; it is empty if the nick is not active.
func (t *Tracker) ActiveDirectories(nick string) ([]uint64, error) {
	// A nick is usually on a few directories, so a first guess mostly saves the second call
	// of the two-call pattern. The loop covers the nick gaining directories in between.
	dirs := make([]uint64, 4)
	err := t.callNick(nick, func(ptr *C.nt_tracker, cnick *C.char, _ *C.uintptr_t) C.nt_status {
		for {
			var n C.size_t
			status := C.nt_active_directories(ptr, cnick, (*C.uint64_t)(unsafe.Pointer(&dirs[0])), C.size_t(len(dirs)), &n)
			if status != C.NT_STATUS_BUFFER_TOO_SMALL {
				dirs = dirs[:n]
				return status
			}
			dirs = make([]uint64, n)
		}
	})
	if err != nil {
		return nil, err
	}
	return dirs, nil
}

// PickDirectory chooses one of nick's active directories to send it a private message
// through, as Options.PickMode says (at random for a Tracker made by New). If no connected
// directory reports nick present, the error matches ErrNickNotActive.
func (t *Tracker) PickDirectory(nick string) (uint64, error) {
	var dir C.uint64_t
	err := t.callNick(nick, func(ptr *C.nt_tracker, cnick *C.char, _ *C.uintptr_t) C.nt_status {
		return C.nt_pick_directory(ptr, cnick, &dir)
	})
	return uint64(dir), err
}

// Stats returns the Tracker's counters, all taken at one instant.
func (t *Tracker) Stats() (Stats, error) {
	var s C.nt_stats
	err := t.call(func(ptr *C.nt_tracker, _ *C.uintptr_t) C.nt_status {
		return C.nt_get_stats(ptr, &s)
	})
	if err != nil {
		return Stats{}, err
	}
	return Stats{
		Nicks:                int(s.nicks),
		ActiveNicks:          int(s.active_nicks),
		Directories:          int(s.directories),
		ConnectedDirectories: int(s.connected_directories),
		Joins:                uint64(s.joins),
		Leaves:               uint64(s.leaves),
	}, nil
}

// ActiveNickCount returns how many nicks are active.
func (t *Tracker) ActiveNickCount() (int, error) {
	var count C.size_t
	err := t.call(func(ptr *C.nt_tracker, _ *C.uintptr_t) C.nt_status {
		return C.nt_active_nick_count(ptr, &count)
	})
	return int(count), err
}

// ActiveNicks returns the active nicks, in the order the tracker first saw them.
func (t *Tracker) ActiveNicks() ([]string, error) {
	var nicks []string
	// A handle per call, so concurrent and nested calls each collect into their own slice.
	collect := cgo.NewHandle(func(nick string) { nicks = append(nicks, nick) })
	defer collect.Delete()
	err := t.call(func(ptr *C.nt_tracker, pending *C.uintptr_t) C.nt_status {
		return C.nt_go_for_each_active_nick(ptr, C.uintptr_t(collect), pending)
	})
	if err != nil {
		return nil, err
	}
	return nicks, nil
}

// callNick is call for a C function taking one nick.
func (t *Tracker) callNick(nick string, f func(ptr *C.nt_tracker, cnick *C.char, pending *C.uintptr_t) C.nt_status) error {
	if err := checkNick("nick", nick); err != nil {
		return err
	}
	cnick := C.CString(nick)
	defer C.free(unsafe.Pointer(cnick))
	return t.call(func(ptr *C.nt_tracker, pending *C.uintptr_t) C.nt_status {
		return f(ptr, cnick, pending)
	})
}

// call runs f, one C call on the tracker, keeping Close from freeing the tracker meanwhile.
// f passes pending to the bridge.c wrapper if its call can run callbacks; a callback's panic
// recorded there is raised again once the call has returned. A failure status becomes an
// *Error, read on the OS thread that made the call, where the library keeps the message.
func (t *Tracker) call(f func(ptr *C.nt_tracker, pending *C.uintptr_t) C.nt_status) error {
	ptr, err := t.acquire()
	if err != nil {
		return err
	}
	defer t.release()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var pending C.uintptr_t
	status := f(ptr, &pending)
	rethrow(pending)
	if status != C.NT_STATUS_OK {
		return lastError(status)
	}
	return nil
}

func (t *Tracker) acquire() (*C.nt_tracker, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ptr == nil {
		return nil, ErrClosed
	}
	t.inFlight++
	return t.ptr, nil
}

func (t *Tracker) release() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.inFlight--
	if t.inFlight == 0 {
		t.idle.Broadcast()
	}
}
