package nicktracker

// What the Tracker offers for directories as JoinMarket clients meet them: peerlists that
// arrive in chunks, messages of several reports, time (last-seen times and expiry) and each
// directory's own view.

// #include <stdlib.h>
// #include "bridge.h"
import "C"

import (
	"strings"
	"time"
	"unsafe"
)

// BeginPeerlist begins receiving directory dir's peerlist in chunks (JoinMarket directories
// send theirs as many messages of about 20 entries, with no end marker): AddPeerlistChunk
// for each chunk, then CommitPeerlist once the list is complete, or AbortPeerlist if it never
// will be. Beginning while one is open restarts it. An unknown directory becomes known
// (ErrDirectoryLimit if that would exceed Options.MaxDirectories).
//
// Until the commit, nothing becomes gone, however long the list takes. SyncPeerlist,
// a disconnection (SetDirectoryConnected) or a removal of dir closes the open peerlist.
func (t *Tracker) BeginPeerlist(dir uint64) error {
	if !t.acquire() {
		return ErrClosed
	}
	defer t.release()
	return check(C.nt_go_peerlist_begin(t.ptr, C.uint64_t(dir)))
}

// AddPeerlistChunk adds a chunk to directory dir's open peerlist: each nick becomes present
// on dir at once, and the callbacks run (joins, in list order) before it returns. It is all
// or nothing, like SyncPeerlist: an invalid nick (named by its index in the chunk, e.g.
// "nicks[3]: nick is empty") or new nicks beyond Options.MaxNicks refuse the whole chunk,
// and the peerlist stays open. ErrNoSnapshot if no peerlist is open on dir.
func (t *Tracker) AddPeerlistChunk(dir uint64, nicks []string) error {
	buf, packed, err := packNicks(nicks)
	if err != nil {
		return err
	}
	defer putPackBuffer(buf)
	if !t.acquire() {
		return ErrClosed
	}
	defer t.release()
	return check(C.nt_go_peerlist_add(t.ptr, C.uint64_t(dir), first(packed), C.size_t(len(packed))))
}

// CommitPeerlist completes directory dir's open peerlist: every nick dir reported present
// that was neither listed in a chunk nor reported present on dir since the peerlist began
// becomes gone on it. It returns the nicks that left as a result, in the order the tracker
// first saw them, after their callbacks have run. ErrNoSnapshot if no peerlist is open on
// dir.
func (t *Tracker) CommitPeerlist(dir uint64) ([]string, error) {
	if !t.acquire() {
		return nil, ErrClosed
	}
	defer t.release()
	return departed(C.nt_go_peerlist_commit(t.ptr, C.uint64_t(dir)))
}

// AbortPeerlist drops directory dir's open peerlist, as when its refresh failed halfway:
// what its chunks listed stays present, and nothing becomes gone. ErrNoSnapshot if no
// peerlist is open on dir.
func (t *Tracker) AbortPeerlist(dir uint64) error {
	if !t.acquire() {
		return ErrClosed
	}
	defer t.release()
	return check(C.nt_go_peerlist_abort(t.ptr, C.uint64_t(dir)))
}

// Report is one report of a directory about a nick, for UpdateMany: present, or gone.
type Report struct {
	Nick    string
	Present bool
}

// UpdateMany applies several reports from directory dir in one call, in order, each as
// Update(r.Nick, dir, r.Present) would: the shape of a JoinMarket PEERLIST message with ";D"
// entries ("nick;location" present, "nick;location;D" gone). It returns the nicks that left
// as a result, after the callbacks have run (in the order the events happened).
//
// It is all or nothing: an invalid nick (named by its index in reports, e.g. "nicks[3]:
// nick is empty") or new nicks (reported present) beyond Options.MaxNicks refuse the whole
// batch. One call into the library for all of them: prefer it to Update in a loop whenever
// reports come several at a time.
func (t *Tracker) UpdateMany(dir uint64, reports []Report) ([]string, error) {
	// The nicks packed as for SyncPeerlist, then one flag byte per report.
	size := 0
	for _, r := range reports {
		size += len(r.Nick) + 1
	}
	buf := getPackBuffer(size + len(reports))
	defer putPackBuffer(buf)
	packed := (*buf)[:size+len(reports)]
	at := 0
	for i, r := range reports {
		at += copy(packed[at:], r.Nick)
		packed[at] = 0
		at++
		flag := byte(0)
		if r.Present {
			flag = 1
		}
		packed[size+i] = flag
	}
	if err := checkPacked(packed[:size], len(reports), func(i int) string { return reports[i].Nick }); err != nil {
		return nil, err
	}
	if !t.acquire() {
		return nil, ErrClosed
	}
	defer t.release()
	return departed(C.nt_go_update_batch(t.ptr, C.uint64_t(dir), first(packed[:size]), C.size_t(size),
		(*C.uint8_t)(unsafe.Pointer(first(packed[size:]))), C.size_t(len(reports))))
}

// Expire acts on every deadline due now (see Options.PresenceTTL, GoneGrace and
// DisconnectedHold): held-back gone reports whose grace passed take effect, pairs not seen
// within the TTL become gone on their directory, directories disconnected for longer than
// the hold are removed. It returns the nicks that left as a result, after the callbacks have
// run.
//
// Nothing expires except in this call: call it as often as expiry should be precise, say
// every second. It costs what is due (each deadline waits in a queue in deadline order), not
// what the Tracker holds.
func (t *Tracker) Expire() ([]string, error) {
	if !t.acquire() {
		return nil, ErrClosed
	}
	defer t.release()
	return departed(C.nt_go_expire(t.ptr))
}

// departed turns the result of a call that reports departures into the nicks that left.
func departed(d C.nt_go_departures) ([]string, error) {
	if err := check(d.result); err != nil {
		return nil, err
	}
	if d.departed_len == 0 {
		return nil, nil
	}
	if d.departed == nil {
		panic("nicktracker: out of memory in C")
	}
	all := string(unsafe.Slice((*byte)(unsafe.Pointer(d.departed)), d.departed_len))
	C.free(unsafe.Pointer(d.departed))
	return split(all), nil
}

// LastSeen returns when directory dir last reported nick present or listed it, as a time of
// the Tracker's clock: the time since its origin, in whole milliseconds (see
// Options.Clock). A gone report does not change it. ErrNotFound if dir has no report of
// nick (since the Tracker last forgot the nick).
func (t *Tracker) LastSeen(nick string, dir uint64) (time.Duration, error) {
	return t.lastSeen(nick, dir, false)
}

// LastSeenAnywhere returns the latest time any directory reported nick present or listed
// it: the latest LastSeen over its directories. ErrNotFound if the Tracker does not hold
// nick.
func (t *Tracker) LastSeenAnywhere(nick string) (time.Duration, error) {
	return t.lastSeen(nick, 0, true)
}

func (t *Tracker) lastSeen(nick string, dir uint64, anywhere bool) (time.Duration, error) {
	// The library takes this nick NUL-terminated: a NUL would cut it short.
	if strings.IndexByte(nick, 0) >= 0 {
		return 0, containsNUL("nick")
	}
	if !t.acquire() {
		return 0, ErrClosed
	}
	defer t.release()
	r := C.nt_go_last_seen(t.ptr, nickData(nick), C.size_t(len(nick)), C.uint64_t(dir), C.bool(anywhere))
	if err := check(r); err != nil {
		return 0, err
	}
	return fromClock(uint64(r.value), t.clockOffset), nil
}

// Directories returns every directory the Tracker knows (reported by, synced, given a
// connection state, and not removed), in no particular order.
func (t *Tracker) Directories() ([]uint64, error) {
	if !t.acquire() {
		return nil, ErrClosed
	}
	defer t.release()
	// The first guess is the last call's count, plus some: another goroutine may add
	// directories between the two calls of the two-call pattern.
	capacity := t.directoryCount.Load() + 8
	for {
		dirs := make([]uint64, capacity)
		r := C.nt_go_directories(t.ptr, (*C.uint64_t)(unsafe.Pointer(&dirs[0])), C.size_t(len(dirs)))
		if r.status == C.NT_STATUS_BUFFER_TOO_SMALL {
			capacity = int64(r.value) + 8
			continue
		}
		if err := check(r); err != nil {
			return nil, err
		}
		t.directoryCount.Store(int64(r.value))
		return dirs[:r.value:r.value], nil
	}
}

// DirectoryNicks returns the nicks directory dir reports present, whether it is connected or
// not (its own list, in no particular order). They are copied out of the library in one call
// and share one allocation, as for ActiveNicks. ErrNotFound if the Tracker does not know dir.
func (t *Tracker) DirectoryNicks(dir uint64) ([]string, error) {
	if !t.acquire() {
		return nil, ErrClosed
	}
	defer t.release()
	capacity := t.directoryNicksSize.Load()
	capacity += capacity/8 + 64
	for {
		buf := make([]byte, capacity)
		r := C.nt_go_directory_nicks_packed(t.ptr, C.uint64_t(dir), (*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)))
		if r.status == C.NT_STATUS_BUFFER_TOO_SMALL {
			capacity = int64(r.value) + int64(r.value)/8
			continue
		}
		if err := check(r); err != nil {
			return nil, err
		}
		t.directoryNicksSize.Store(int64(r.value))
		return unpack(buf[:r.value]), nil
	}
}

// DirectoryStats returns directory dir's view and health, all taken at one instant.
// ErrNotFound if the Tracker does not know dir.
func (t *Tracker) DirectoryStats(dir uint64) (DirectoryStats, error) {
	if !t.acquire() {
		return DirectoryStats{}, ErrClosed
	}
	defer t.release()
	var s C.nt_directory_stats
	if err := check(C.nt_go_get_directory_stats(t.ptr, C.uint64_t(dir), &s)); err != nil {
		return DirectoryStats{}, err
	}
	return DirectoryStats{
		Nicks:        int(s.nicks),
		Connected:    bool(s.connected),
		SnapshotOpen: bool(s.snapshot_open),
		LastPeerlist: fromClock(uint64(s.last_peerlist_ms), t.clockOffset),
		LastReport:   fromClock(uint64(s.last_report_ms), t.clockOffset),
		Peerlists:    uint64(s.peerlists),
		Reports:      uint64(s.reports),
	}, nil
}
