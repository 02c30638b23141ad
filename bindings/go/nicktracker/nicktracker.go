// Package nicktracker tells a peer-to-peer client which peer nicks are still reachable when
// it is connected to several directory servers. It wraps the nick_tracker C library.
//
// A nick is active while at least one connected directory reports it present. It leaves
// only when every directory that reported it present has reported it gone, stopped listing
// it (SyncPeerlist, CommitPeerlist), been removed (RemoveDirectory) or been disconnected
// (SetDirectoryConnected), or, if configured, its presence there expired (Expire); then the
// leave callback runs once. One flapping directory
// connection therefore never produces a false "peer left" event. A "gone" report from a
// directory that never reported the nick present is ignored.
//
// A disconnected directory's reports are kept but do not count until it is connected again;
// the tracker forgets a nick only once no directory, connected or not, reports it present.
//
// New makes a Tracker with just a leave callback. NewWithOptions adds join events, log
// messages, limits on the nicks and directories held, the way PickDirectory chooses a
// directory to reach a nick through, the clock and expiry.
//
// # JoinMarket directories
//
// A JoinMarket directory sends its peerlist as many messages of about 20 entries, with no
// end marker: BeginPeerlist, AddPeerlistChunk per message (its nicks are present at once),
// then CommitPeerlist once the list is complete (it drops what no chunk listed), or
// AbortPeerlist if the refresh failed (nothing is dropped). A message of single reports,
// "nick;location" and "nick;location;D" entries, is one UpdateMany, all or nothing.
//
// Time comes from the Tracker's clock (Options.Clock, or the library's monotonic one) in
// milliseconds, reported as a time.Duration since the clock's origin: LastSeen,
// LastSeenAnywhere, DirectoryStats. Options.PresenceTTL (for directories that never send
// peerlists), GoneGrace (a gone report followed by a reconnection) and DisconnectedHold act
// only in Expire, which returns the nicks that left; call it every second or so.
// PickSticky keeps a nick's directory while the nick stays there. Directories,
// DirectoryNicks and DirectoryStats give each directory's own view and health.
//
// Nicks are UTF-8 strings of 1 to MaxNickLen bytes without NUL bytes. Directories are
// uint64 ids chosen by the caller. A method given an invalid nick returns an *Error, which
// errors.Is matches against ErrNickEmpty and the other sentinels, and changes nothing; so
// does a change refused by a limit (ErrNickLimit, ErrDirectoryLimit) or by the clock
// (ErrClockWentBackwards). Every method but Close returns ErrClosed after Close.
//
// # Concurrency and callbacks
//
// The callbacks are New's leave callback and Options.OnEvent and Options.OnLog; they all
// follow the same rules. (Options.Clock is not a callback: it runs with the library's lock
// held and must not call the Tracker.)
//
// A Tracker's methods may be called from many goroutines at once. A callback runs in the
// goroutine whose call caused the event or message, before that call returns, and outside
// the library's lock, so it may call the Tracker's methods again, except Close, which
// returns ErrCloseInCallback there rather than wait for its own call.
//
// # Order of events
//
// Events are numbered (Event.Seq) in the order the Tracker made its changes. The callbacks
// run by one goroutine's call see the Tracker's events in Seq order, also when a callback
// changes the Tracker: a call made from inside a callback returns without running any
// callback, its events are queued behind those still to be delivered, and the outermost
// call delivers them all before it returns. Log messages go with the events of the same
// change, after them.
//
// Calls in different goroutines deliver their own events, so callbacks may run in several
// goroutines at once, and one goroutine may see an event after another goroutine has
// already seen a later one of the same nick. A consumer that keeps, per nick, the Seq of
// the last event it applied and ignores older events ends in agreement with the Tracker
// once the calls have returned. No call waits for a callback running in another goroutine.
//
// # Panics in callbacks
//
// A panic in a callback is recovered before it reaches the C library, the remaining events
// are still delivered, and then the panic is raised again, with the same value, by the call
// that delivered the callback: the outermost call of the Tracker in that goroutine (a call
// made from inside a callback delivers nothing, so it never raises a callback's panic). The
// Tracker stays consistent and usable. If several callbacks panic during one call, the
// first panic is raised and the others are dropped. A callback must not call
// runtime.Goexit (so not t.FailNow or t.Fatal in a test), which would unwind through C.
//
// A panic in Options.Clock is raised again by the call that read the clock, which changes
// nothing.
package nicktracker

// #include <stdlib.h>
// #include "bridge.h"
import "C"

import (
	"bytes"
	"reflect"
	"runtime/cgo"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
	ptr       *C.nt_tracker // freed by Close once no call uses it
	callbacks cgo.Handle    // the *callbacks C passes back to Go; 0 if none; set once

	// Close must not free the C tracker while a call is using it, and a callback must be able
	// to call the Tracker again while its own call is in flight. A sync.RWMutex cannot do
	// both: a callback's nested RLock would deadlock behind a Close waiting for Lock. So calls
	// count themselves in and out, and once Close has begun they fail with ErrClosed instead
	// of waiting. An atomic counter rather than a mutex keeps that off the cost of each call.
	calls   atomic.Int64  // calls in flight, plus closing once Close has begun
	idle    chan struct{} // receives when the last call in flight after Close began ends
	closeMu sync.Mutex    // serialises Close
	closed  bool          // guarded by closeMu

	activeNicksSize    atomic.Int64 // bytes the latest ActiveNicks needed: the next one's guess
	directoryNicksSize atomic.Int64 // the same for DirectoryNicks
	directoryCount     atomic.Int64 // the same for Directories, in directories

	// Milliseconds the library's clock is ahead of Options.Clock: 1 with a Go clock (see
	// ntGoReadClock), 0 with the library's own.
	clockOffset uint64
}

// closing is added to Tracker.calls by Close: negative however many calls are in flight.
const closing = -1 << 40

// New creates a Tracker. onLeave, which may be nil, is called with each nick that leaves.
// For join events, log messages, limits, the pick mode, a clock or expiry, use
// NewWithOptions.
func New(onLeave func(nick string)) (*Tracker, error) {
	var cb *callbacks
	if onLeave != nil {
		cb = &callbacks{onLeave: onLeave}
	}
	return create(cb, &C.nt_go_options{leave_only: true})
}

// create makes a Tracker with the callbacks cb (nil for none) and options o, whose
// callbacks field it fills in.
func create(cb *callbacks, o *C.nt_go_options) (*Tracker, error) {
	t := &Tracker{idle: make(chan struct{}, 1)}
	if cb != nil {
		t.callbacks = cgo.NewHandle(cb)
		if cb.clock != nil {
			t.clockOffset = 1
		}
	}
	o.callbacks = C.uintptr_t(t.callbacks)
	created := false
	defer func() {
		if !created { // an error, or the clock's panic raised again by check
			t.deleteHandle()
		}
	}()
	var ptr *C.nt_tracker
	if err := check(C.nt_go_new(o, &ptr)); err != nil {
		return nil, err
	}
	created = true
	t.ptr = ptr
	if cb != nil {
		cb.tracker = t.ptr
	}
	return t, nil
}

// Close frees the tracker; later calls return ErrClosed. It waits for calls in progress in
// other goroutines to finish, so once it returns no callback is ever called again. Closing
// again does nothing, and returns nil.
//
// Called from inside one of the Tracker's callbacks (or its clock), Close would wait for its
// own call: it returns ErrCloseInCallback instead, and the Tracker stays open. That is the
// only error it returns. A callback that waits for a Close in another goroutine still
// deadlocks with it, since that Close waits for the callback's call.
func (t *Tracker) Close() error {
	// The calls in progress include the one running the callback, if Close was called from
	// one, and nothing in Go says which goroutine that call is in. bridge.c knows which
	// thread is running a callback of which Tracker (it marks each callback's frame), and a
	// callback's goroutine stays on the thread running it until it returns: so one cgo call
	// asks the thread Close runs on. It is made before closeMu, which another goroutine's
	// Close may hold while it waits for this goroutine's call.
	if t.callbacks != 0 && C.nt_go_in_callback(C.uintptr_t(t.callbacks)) {
		return ErrCloseInCallback
	}
	t.closeMu.Lock()
	defer t.closeMu.Unlock()
	if t.closed {
		return nil
	}
	t.closed = true
	if t.calls.Add(closing) != closing {
		<-t.idle
	}
	C.nt_free(t.ptr)
	t.deleteHandle()
	return nil
}

// deleteHandle deletes the handle of the callbacks, once no call can use it. The field
// keeps its value, which Close reads without a lock (a handle's value is never reused).
func (t *Tracker) deleteHandle() {
	if t.callbacks != 0 {
		t.callbacks.Delete()
	}
}

// acquire counts a call in, unless Close has begun. A true result must be followed by
// release once the call no longer uses t.ptr.
func (t *Tracker) acquire() bool {
	if t.calls.Add(1) > 0 {
		return true
	}
	t.release()
	return false
}

// release counts a call out, and tells a waiting Close when it was the last one.
func (t *Tracker) release() {
	if t.calls.Add(-1) == closing {
		select {
		case t.idle <- struct{}{}:
		default:
		}
	}
}

// nickData returns a pointer to nick's bytes for the library's *_n functions, which take
// a length and no terminator. cgo lets C read Go memory during a call as long as it holds
// no Go pointers, and a string's bytes hold none. An empty nick gets a valid pointer too,
// so that the library answers ErrNickEmpty rather than a NULL argument.
//
// reflect.StringHeader is the way to reach a string's bytes in Go 1.19, which this module
// supports because Debian 12 ships it; unsafe.StringData replaces it from Go 1.20 on.
func nickData(nick string) *C.char {
	if len(nick) == 0 {
		return &emptyNick
	}
	return (*C.char)(unsafe.Pointer((*reflect.StringHeader)(unsafe.Pointer(&nick)).Data))
}

var emptyNick C.char

// Update records that directory dir reports nick present or gone. If that makes the nick
// join (it was not active and dir is connected) or leave (it is now present on no connected
// directory), the callback is called before Update returns. A presence report from a
// directory not seen before makes it known, as connected.
//
// With Options.GoneGrace, a gone report takes effect only at an Expire once the grace has
// passed without a present report of the same pair. A new nick or directory beyond the
// Tracker's limits is refused with ErrNickLimit or ErrDirectoryLimit.
func (t *Tracker) Update(nick string, dir uint64, present bool) error {
	if !t.acquire() {
		return ErrClosed
	}
	defer t.release()
	return check(C.nt_go_update(t.ptr, nickData(nick), C.size_t(len(nick)), C.uint64_t(dir), C.bool(present)))
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
// unknown directory is not an error. It closes dir's open peerlist (BeginPeerlist), if
// any. For a connection that may come back, use SetDirectoryConnected instead.
func (t *Tracker) RemoveDirectory(dir uint64) (int, error) {
	if !t.acquire() {
		return 0, ErrClosed
	}
	defer t.release()
	r := C.nt_go_remove_directory(t.ptr, C.uint64_t(dir))
	return int(r.value), check(r)
}

// SetDirectoryConnected marks directory dir's connection as up or down.
//
// While dir is down its reports are kept but do not count: nicks that no other connected
// directory reports present leave. When it is up again they count again and those nicks
// join, until its next peerlist (SyncPeerlist) says otherwise. Reports and peerlists that
// arrive while it is down are recorded the same way. A disconnection closes dir's open
// peerlist (BeginPeerlist), if any. The callbacks run before SetDirectoryConnected returns. An unknown directory becomes known in the given state
// (ErrDirectoryLimit if that would exceed Options.MaxDirectories); setting the state it
// already has does nothing.
func (t *Tracker) SetDirectoryConnected(dir uint64, connected bool) error {
	if !t.acquire() {
		return ErrClosed
	}
	defer t.release()
	return check(C.nt_go_set_directory_connected(t.ptr, C.uint64_t(dir), C.bool(connected)))
}

// SyncPeerlist makes directory dir's view match the peerlist it just sent: every nick in
// nicks becomes present on dir, and every nick dir reported present but no longer lists
// becomes gone on it. The callbacks run before SyncPeerlist returns: leaves in the order
// the tracker first saw the nicks, then joins in list order. Duplicates are harmless. It
// closes a peerlist being received in chunks (BeginPeerlist), if one is open.
//
// It is all or nothing: if any nick is invalid, nothing changes and the error names it,
// e.g. "nicks[3]: nick is empty"; nor does anything change if the new nicks or directory
// would exceed the Tracker's limits.
func (t *Tracker) SyncPeerlist(dir uint64, nicks []string) error {
	buf, packed, err := packNicks(nicks)
	if err != nil {
		return err
	}
	defer putPackBuffer(buf)
	if !t.acquire() {
		return ErrClosed
	}
	defer t.release()
	return check(C.nt_go_sync_peerlist_packed(t.ptr, C.uint64_t(dir), first(packed), C.size_t(len(packed))))
}

// packNicks packs nicks for the library: back to back, each followed by a NUL, in a buffer
// from packBuffers (release it with putPackBuffer). C only reads the buffer during the call,
// and it holds no Go pointers, so cgo lets C read it in place.
func packNicks(nicks []string) (*[]byte, []byte, error) {
	size := 0
	for _, nick := range nicks {
		size += len(nick) + 1
	}
	buf := getPackBuffer(size)
	packed := (*buf)[:size]
	at := 0
	for _, nick := range nicks {
		at += copy(packed[at:], nick)
		packed[at] = 0
		at++
	}
	if err := checkPacked(packed, len(nicks), func(i int) string { return nicks[i] }); err != nil {
		putPackBuffer(buf)
		return nil, nil, err
	}
	return buf, packed, nil
}

// checkPacked refuses a packed list of count nicks that has more NULs than nicks: a nick
// with a NUL in it would be read as two. One count over the whole buffer rather than a
// search per nick; nick(i) finds the culprit.
func checkPacked(packed []byte, count int, nick func(i int) string) error {
	if bytes.Count(packed, nul) == count {
		return nil
	}
	for i := 0; i < count; i++ {
		if strings.IndexByte(nick(i), 0) >= 0 {
			return containsNUL("nicks[" + strconv.Itoa(i) + "]")
		}
	}
	return nil
}

// packBuffers holds the buffers of packNicks (*[]byte) for reuse, up to maxPooledPack bytes
// (some 70,000 nicks): a rare larger list gets a buffer of its own, which the garbage
// collector frees.
var packBuffers = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledPack = 1 << 20

func getPackBuffer(size int) *[]byte {
	buf := packBuffers.Get().(*[]byte)
	if cap(*buf) < size {
		*buf = make([]byte, size+size/8)
	}
	return buf
}

func putPackBuffer(buf *[]byte) {
	if cap(*buf) <= maxPooledPack {
		packBuffers.Put(buf)
	}
}

var nul = []byte{0}

// first is a pointer to packed's first byte for C, or nil if it is empty.
func first(packed []byte) *C.char {
	if len(packed) == 0 {
		return nil
	}
	return (*C.char)(unsafe.Pointer(&packed[0]))
}

// IsActive reports whether at least one connected directory reports nick present.
func (t *Tracker) IsActive(nick string) (bool, error) {
	if !t.acquire() {
		return false, ErrClosed
	}
	defer t.release()
	r := C.nt_go_is_active(t.ptr, nickData(nick), C.size_t(len(nick)))
	return r.value != 0, check(r)
}

// ActiveDirectories returns the connected directories that report nick present, in the order
// they first reported it; it is empty if the nick is not active.
func (t *Tracker) ActiveDirectories(nick string) ([]uint64, error) {
	if !t.acquire() {
		return nil, ErrClosed
	}
	defer t.release()
	// A nick is usually on a few directories, so a first guess mostly saves the second call
	// of the two-call pattern. The loop covers the nick gaining directories in between.
	dirs := make([]uint64, 8)
	for {
		r := C.nt_go_active_directories(t.ptr, nickData(nick), C.size_t(len(nick)),
			(*C.uint64_t)(unsafe.Pointer(&dirs[0])), C.size_t(len(dirs)))
		if r.status == C.NT_STATUS_BUFFER_TOO_SMALL {
			dirs = make([]uint64, r.value)
			continue
		}
		if err := check(r); err != nil {
			return nil, err
		}
		return dirs[:r.value:r.value], nil
	}
}

// PickDirectory chooses one of nick's active directories to send it a private message
// through, as Options.PickMode says (at random for a Tracker made by New). If no connected
// directory reports nick present, the error matches ErrNickNotActive.
func (t *Tracker) PickDirectory(nick string) (uint64, error) {
	if !t.acquire() {
		return 0, ErrClosed
	}
	defer t.release()
	r := C.nt_go_pick_directory(t.ptr, nickData(nick), C.size_t(len(nick)))
	return uint64(r.value), check(r)
}

// Stats returns the Tracker's counters, all taken at one instant.
func (t *Tracker) Stats() (Stats, error) {
	if !t.acquire() {
		return Stats{}, ErrClosed
	}
	defer t.release()
	var s C.nt_stats
	if err := check(C.nt_go_get_stats(t.ptr, &s)); err != nil {
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
	if !t.acquire() {
		return 0, ErrClosed
	}
	defer t.release()
	r := C.nt_go_active_nick_count(t.ptr)
	return int(r.value), check(r)
}

// ActiveNicks returns the active nicks, in the order the tracker first saw them. They are
// copied out of the library in one call and share one allocation, which stays in memory as
// long as any of them does.
func (t *Tracker) ActiveNicks() ([]string, error) {
	if !t.acquire() {
		return nil, ErrClosed
	}
	defer t.release()
	// The library copies every nick, NUL-terminated, into one buffer. The first guess is
	// the size the last call needed, plus some: another goroutine may add nicks between
	// two calls of the two-call pattern.
	capacity := t.activeNicksSize.Load()
	capacity += capacity/8 + 64
	for {
		buf := make([]byte, capacity)
		r := C.nt_go_active_nicks_packed(t.ptr, (*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)))
		if r.status == C.NT_STATUS_BUFFER_TOO_SMALL {
			capacity = int64(r.value) + int64(r.value)/8
			continue
		}
		if err := check(r); err != nil {
			return nil, err
		}
		t.activeNicksSize.Store(int64(r.value))
		return unpack(buf[:r.value]), nil
	}
}

// unpack splits packed nicks ("alice\x00bob\x00") into strings. They share one string made
// from buf without a copy, so buf must not be used afterwards.
func unpack(buf []byte) []string {
	return split(*(*string)(unsafe.Pointer(&buf)))
}

// split splits packed nicks ("alice\x00bob\x00") into strings that share all's memory.
func split(all string) []string {
	nicks := make([]string, 0, strings.Count(all, "\x00"))
	for len(all) > 0 {
		end := strings.IndexByte(all, 0)
		nicks = append(nicks, all[:end])
		all = all[end+1:]
	}
	return nicks
}
