package nicktracker_test

// Tests of peerlists in chunks, batches of reports, the clock (a fake one through
// Options.Clock), expiry, last-seen times, sticky picks and each directory's view.

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nick-tracker/nick-tracker/bindings/go/nicktracker"
)

// fakeClock is a clock for Options.Clock that moves only when a test moves it. The tracker
// may read it from several goroutines, hence the atomic.
type fakeClock struct{ now atomic.Int64 }

func (c *fakeClock) read() time.Duration     { return time.Duration(c.now.Load()) }
func (c *fakeClock) set(now time.Duration)   { c.now.Store(int64(now)) }
func (c *fakeClock) advance(d time.Duration) { c.now.Add(int64(d)) }

// newClocked returns a tracker reading a fake clock, which starts at 0, with events
// recorded.
func newClocked(t *testing.T, options nicktracker.Options) (*nicktracker.Tracker, *recorder, *fakeClock) {
	t.Helper()
	clock := &fakeClock{}
	options.Clock = clock.read
	tracker, r := newRecorded(t, options)
	return tracker, r, clock
}

func wantSorted[T string | uint64](t *testing.T, what string, got []T, want ...T) {
	t.Helper()
	wantSlice(t, what, sorted(got), sorted(want)...)
}

func wantGone(t *testing.T, what string, gone []string, err error, want ...string) {
	t.Helper()
	must(t, err)
	wantSlice(t, what, gone, want...)
}

func wantErr(t *testing.T, what string, err, want error, message string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: error = %v, want %v", what, err, want)
	}
	if message != "" && err.Error() != "nicktracker: "+message {
		t.Fatalf("%s: message = %q, want %q", what, err.Error(), "nicktracker: "+message)
	}
}

func (h *harness) directoryNicks(dir uint64) []string {
	h.t.Helper()
	nicks, err := h.tracker.DirectoryNicks(dir)
	must(h.t, err)
	return nicks
}

// Chunks make their nicks present at once (joins now), and nothing becomes gone before the
// commit, which drops exactly the nicks neither listed nor reported present since the
// peerlist began, and returns them.
func TestPeerlistChunksJoinAtOnceAndDropOnlyAtCommit(t *testing.T) {
	tracker, r := newRecorded(t, nicktracker.Options{})
	must(t, tracker.SyncPeerlist(dir1, []string{"amy", "bob", "cat", "dan", "eve"}))
	must(t, tracker.MarkPresent("eve", dir2))
	r.takeEvents()

	must(t, tracker.BeginPeerlist(dir1))
	r.wantEvents(t)
	must(t, tracker.AddPeerlistChunk(dir1, []string{"amy", "new1"}))
	r.wantEvents(t, "join new1 1")
	must(t, tracker.AddPeerlistChunk(dir1, []string{"new2", "bob", "new1"}))
	r.wantEvents(t, "join new2 1")
	must(t, tracker.MarkPresent("dan", dir1)) // reported present since the peerlist began
	h := &harness{t: t, tracker: tracker}
	h.wantActiveNicks("amy", "bob", "cat", "dan", "eve", "new1", "new2") // nothing gone yet
	s, err := tracker.DirectoryStats(dir1)
	must(t, err)
	if !s.SnapshotOpen || s.Peerlists != 1 {
		t.Fatalf("DirectoryStats during the peerlist = %+v", s)
	}

	gone, err := tracker.CommitPeerlist(dir1)
	wantGone(t, "CommitPeerlist", gone, err, "cat") // eve is still on directory 2
	r.wantEvents(t, "leave cat 1")
	wantSorted(t, "DirectoryNicks(1)", h.directoryNicks(dir1), "amy", "bob", "dan", "new1", "new2")
	h.wantDirectories("eve", dir2)
	s, err = tracker.DirectoryStats(dir1)
	must(t, err)
	if s.SnapshotOpen || s.Peerlists != 2 || s.Nicks != 5 {
		t.Fatalf("DirectoryStats after the commit = %+v", s)
	}
	// The commit closed the peerlist.
	_, err = tracker.CommitPeerlist(dir1)
	wantErr(t, "a second CommitPeerlist", err, nicktracker.ErrNoSnapshot,
		"directory 1 has no peerlist open (BeginPeerlist first)")
}

// An aborted peerlist keeps what its chunks listed and drops nothing.
func TestAbortPeerlistDropsNothing(t *testing.T) {
	tracker, r := newRecorded(t, nicktracker.Options{})
	must(t, tracker.SyncPeerlist(dir1, []string{"amy", "bob"}))
	must(t, tracker.BeginPeerlist(dir1))
	must(t, tracker.AddPeerlistChunk(dir1, []string{"cat"}))
	must(t, tracker.AbortPeerlist(dir1))
	r.wantEvents(t, "join amy 1", "join bob 1", "join cat 1")
	h := &harness{t: t, tracker: tracker}
	h.wantActiveNicks("amy", "bob", "cat")
	wantErr(t, "AddPeerlistChunk after AbortPeerlist", tracker.AddPeerlistChunk(dir1, []string{"dan"}),
		nicktracker.ErrNoSnapshot, "")
	wantErr(t, "AbortPeerlist after AbortPeerlist", tracker.AbortPeerlist(dir1), nicktracker.ErrNoSnapshot, "")
	r.wantEvents(t)
}

// Beginning again restarts the peerlist: what the first one listed no longer counts.
func TestBeginPeerlistAgainRestartsIt(t *testing.T) {
	tracker, r := newRecorded(t, nicktracker.Options{})
	must(t, tracker.SyncPeerlist(dir1, []string{"amy", "bob"}))
	must(t, tracker.BeginPeerlist(dir1))
	must(t, tracker.AddPeerlistChunk(dir1, []string{"amy"}))
	must(t, tracker.BeginPeerlist(dir1))
	must(t, tracker.AddPeerlistChunk(dir1, []string{"bob"}))
	gone, err := tracker.CommitPeerlist(dir1)
	wantGone(t, "CommitPeerlist", gone, err, "amy")
	r.wantEvents(t, "join amy 1", "join bob 1", "leave amy 1")
}

// Without an open peerlist, chunks, commits and aborts fail with ErrNoSnapshot and change
// nothing; a full sync, a disconnection and a removal each close an open one.
func TestPeerlistCallsWithoutAnOpenPeerlistFailWithErrNoSnapshot(t *testing.T) {
	closers := map[string]func(tracker *nicktracker.Tracker) error{
		"never begun":  func(*nicktracker.Tracker) error { return nil },
		"SyncPeerlist": func(tr *nicktracker.Tracker) error { return tr.SyncPeerlist(dir1, []string{"amy"}) },
		"disconnected": func(tr *nicktracker.Tracker) error { return tr.SetDirectoryConnected(dir1, false) },
		"removed": func(tr *nicktracker.Tracker) error {
			_, err := tr.RemoveDirectory(dir1)
			return err
		},
	}
	for name, closePeerlist := range closers {
		t.Run(name, func(t *testing.T) {
			tracker, r := newRecorded(t, nicktracker.Options{})
			must(t, tracker.MarkPresent("amy", dir1))
			if name != "never begun" {
				must(t, tracker.BeginPeerlist(dir1))
			}
			must(t, closePeerlist(tracker))
			r.takeEvents()
			before := stats(t, tracker)
			wantErr(t, "AddPeerlistChunk", tracker.AddPeerlistChunk(dir1, []string{"bob"}), nicktracker.ErrNoSnapshot,
				"directory 1 has no peerlist open (BeginPeerlist first)")
			gone, err := tracker.CommitPeerlist(dir1)
			wantErr(t, "CommitPeerlist", err, nicktracker.ErrNoSnapshot, "")
			if gone != nil {
				t.Fatalf("CommitPeerlist returned %v with its error", gone)
			}
			wantErr(t, "AbortPeerlist", tracker.AbortPeerlist(dir1), nicktracker.ErrNoSnapshot, "")
			r.wantEvents(t)
			wantStats(t, tracker, before)
		})
	}
}

// A chunk is validated whole: a bad nick refuses all of it, names the nick by its index in
// the chunk, and the peerlist stays open.
func TestAddPeerlistChunkIsAllOrNothingAndKeepsThePeerlistOpen(t *testing.T) {
	bad := []struct {
		nick, message string
		want          error
	}{
		{"", "nicks[1]: nick is empty", nicktracker.ErrNickEmpty},
		{"cat\x00dan", "nicks[1]: nick contains a NUL byte", nicktracker.ErrNickContainsNUL},
		{"cat\xff", "nicks[1]: nick is not valid UTF-8", nicktracker.ErrNickNotUTF8},
		{strings.Repeat("x", nicktracker.MaxNickLen+1), "nicks[1]: nick is longer than 256 bytes", nicktracker.ErrNickTooLong},
	}
	tracker, r := newRecorded(t, nicktracker.Options{MaxNicks: 3})
	must(t, tracker.SyncPeerlist(dir1, []string{"amy"}))
	must(t, tracker.BeginPeerlist(dir1))
	r.takeEvents()
	for _, b := range bad {
		err := tracker.AddPeerlistChunk(dir1, []string{"bob", b.nick, "eve"})
		wantErr(t, fmt.Sprintf("AddPeerlistChunk with %q", b.nick), err, b.want, b.message)
	}
	// Three new nicks where the limit leaves room for two.
	wantErr(t, "AddPeerlistChunk beyond MaxNicks",
		tracker.AddPeerlistChunk(dir1, []string{"bob", "cat", "dan"}), nicktracker.ErrNickLimit, "")
	r.wantEvents(t)
	wantStats(t, tracker, nicktracker.Stats{Nicks: 1, ActiveNicks: 1, Directories: 1, ConnectedDirectories: 1, Joins: 1})
	must(t, tracker.AddPeerlistChunk(dir1, []string{"bob"}))
	gone, err := tracker.CommitPeerlist(dir1)
	wantGone(t, "CommitPeerlist", gone, err, "amy")
	r.wantEvents(t, "join bob 1", "leave amy 1")
}

// UpdateMany applies its reports in order, as Update would one by one, and returns the
// nicks that left.
func TestUpdateManyAppliesReportsInOrderAndReturnsTheNicksThatLeft(t *testing.T) {
	tracker, r := newRecorded(t, nicktracker.Options{})
	must(t, tracker.MarkPresent("dan", dir1))
	must(t, tracker.MarkPresent("eve", dir1))
	must(t, tracker.MarkPresent("eve", dir2))
	r.takeEvents()
	gone, err := tracker.UpdateMany(dir1, []nicktracker.Report{
		{Nick: "amy", Present: true},
		{Nick: "bob", Present: true},
		{Nick: "amy", Present: false},
		{Nick: "eve", Present: false}, // still on directory 2
		{Nick: "dan", Present: false},
		{Nick: "zed", Present: false}, // never reported: ignored
		{Nick: "amy", Present: true},
	})
	wantGone(t, "UpdateMany", gone, err, "amy", "dan")
	r.wantEvents(t, "join amy 1", "join bob 1", "leave amy 1", "leave dan 1", "join amy 1")
	h := &harness{t: t, tracker: tracker}
	h.wantActiveNicks("eve", "bob", "amy")
	s, err := tracker.DirectoryStats(dir1)
	must(t, err)
	// Two from MarkPresent, six from the batch: zed's gone report is ignored, as
	// Update would ignore it, so it is not counted.
	if s.Reports != 2+6 {
		t.Fatalf("DirectoryStats(1).Reports = %d, want 8", s.Reports)
	}

	gone, err = tracker.UpdateMany(dir1, nil)
	wantGone(t, "UpdateMany of no reports", gone, err)
	// Gone reports only, from an unknown directory: nothing to record, no directory made.
	gone, err = tracker.UpdateMany(dir3, []nicktracker.Report{{Nick: "amy"}})
	wantGone(t, "UpdateMany of gone reports from an unknown directory", gone, err)
	dirs, err := tracker.Directories()
	must(t, err)
	wantSorted(t, "Directories()", dirs, dir1, dir2)
}

// A batch is all or nothing: a bad nick (named by its index in reports) or a new nick beyond
// the limit refuses all of it.
func TestUpdateManyIsAllOrNothing(t *testing.T) {
	tracker, r := newRecorded(t, nicktracker.Options{MaxNicks: 3})
	must(t, tracker.MarkPresent("amy", dir1))
	must(t, tracker.MarkPresent("bob", dir1))
	r.takeEvents()
	before := stats(t, tracker)
	batches := []struct {
		reports []nicktracker.Report
		want    error
		message string
	}{
		{[]nicktracker.Report{{"amy", false}, {"cat", true}, {"", true}}, nicktracker.ErrNickEmpty, "nicks[2]: nick is empty"},
		{[]nicktracker.Report{{"amy", false}, {"b\x00b", false}}, nicktracker.ErrNickContainsNUL, "nicks[1]: nick contains a NUL byte"},
		{[]nicktracker.Report{{"amy", false}, {"\xc3", false}}, nicktracker.ErrNickNotUTF8, "nicks[1]: nick is not valid UTF-8"},
		{[]nicktracker.Report{{"amy", false}, {"cat", true}, {"dan", true}}, nicktracker.ErrNickLimit, ""},
	}
	for _, b := range batches {
		gone, err := tracker.UpdateMany(dir1, b.reports)
		wantErr(t, fmt.Sprint("UpdateMany(", b.reports, ")"), err, b.want, b.message)
		if gone != nil {
			t.Fatalf("UpdateMany returned %v with its error", gone)
		}
		r.wantEvents(t)
		wantStats(t, tracker, before)
	}
	// The same nick reported present twice counts once against the limit.
	gone, err := tracker.UpdateMany(dir1, []nicktracker.Report{{"cat", true}, {"amy", false}, {"cat", true}})
	wantGone(t, "UpdateMany", gone, err, "amy")
}

// Time from a fake clock: last-seen times per pair and per nick, in the clock's terms
// (its origin, 0, included), changed by present reports and listings but not by gone ones.
func TestLastSeenIsInTheClocksTerms(t *testing.T) {
	tracker, _, clock := newClocked(t, nicktracker.Options{})
	wantSeen := func(nick string, dir uint64, want time.Duration) {
		t.Helper()
		var got time.Duration
		var err error
		if dir == 0 {
			got, err = tracker.LastSeenAnywhere(nick)
		} else {
			got, err = tracker.LastSeen(nick, dir)
		}
		must(t, err)
		if got != want {
			t.Fatalf("last seen %s on %d = %v, want %v", nick, dir, got, want)
		}
	}
	must(t, tracker.MarkPresent("amy", dir1)) // at the clock's origin
	wantSeen("amy", dir1, 0)
	clock.set(5*time.Second + 900*time.Microsecond) // truncated to whole milliseconds
	must(t, tracker.MarkPresent("amy", dir2))
	wantSeen("amy", dir2, 5*time.Second)
	wantSeen("amy", 0, 5*time.Second)
	clock.set(7 * time.Second)
	must(t, tracker.MarkGone("amy", dir1))
	wantSeen("amy", dir1, 0)
	clock.set(9 * time.Second)
	must(t, tracker.SyncPeerlist(dir3, []string{"amy"}))
	wantSeen("amy", dir3, 9*time.Second)
	wantSeen("amy", 0, 9*time.Second)
	clock.set(time.Hour)
	must(t, tracker.BeginPeerlist(dir3))
	must(t, tracker.AddPeerlistChunk(dir3, []string{"amy"}))
	wantSeen("amy", dir3, time.Hour)

	_, err := tracker.LastSeen("amy", 99)
	wantErr(t, "LastSeen on an unknown directory", err, nicktracker.ErrNotFound,
		`nick "amy" on directory 99 is not known to the tracker`)
	_, err = tracker.LastSeen("bob", dir1)
	wantErr(t, "LastSeen of an unknown nick", err, nicktracker.ErrNotFound, "")
	_, err = tracker.LastSeenAnywhere("bob")
	wantErr(t, "LastSeenAnywhere of an unknown nick", err, nicktracker.ErrNotFound,
		`nick "bob" is not known to the tracker`)
	for _, bad := range []struct {
		nick    string
		want    error
		message string
	}{
		{"", nicktracker.ErrNickEmpty, "nick: nick is empty"},
		{"amy\x00", nicktracker.ErrNickContainsNUL, "nick: nick contains a NUL byte"},
		{"amy\xff", nicktracker.ErrNickNotUTF8, "nick: nick is not valid UTF-8"},
		{strings.Repeat("y", nicktracker.MaxNickLen+1), nicktracker.ErrNickTooLong, "nick: nick is longer than 256 bytes"},
		{strings.Repeat("y", 5000), nicktracker.ErrNickTooLong, "nick: nick is longer than 256 bytes"},
	} {
		_, err := tracker.LastSeen(bad.nick, dir1)
		wantErr(t, "LastSeen", err, bad.want, bad.message)
		_, err = tracker.LastSeenAnywhere(bad.nick)
		wantErr(t, "LastSeenAnywhere", err, bad.want, bad.message)
	}
	longest := strings.Repeat("é", nicktracker.MaxNickLen/2)
	must(t, tracker.MarkPresent(longest, dir1))
	wantSeen(longest, dir1, time.Hour)
}

// With the library's own clock, times are of the system's monotonic clock: positive, and
// they do not go back.
func TestLastSeenWithTheLibrarysClock(t *testing.T) {
	tracker := newTrackerWith(t, nicktracker.Options{})
	must(t, tracker.MarkPresent("amy", dir1))
	first, err := tracker.LastSeen("amy", dir1)
	must(t, err)
	time.Sleep(20 * time.Millisecond)
	must(t, tracker.MarkPresent("amy", dir1))
	second, err := tracker.LastSeenAnywhere("amy")
	must(t, err)
	if first <= 0 || second < first+10*time.Millisecond {
		t.Fatalf("last seen %v, then %v 20ms later", first, second)
	}
}

// A pair not seen within PresenceTTL becomes gone at the next Expire; a report or a listing
// refreshes it.
func TestExpireDropsPairsNotSeenWithinThePresenceTTL(t *testing.T) {
	tracker, r, clock := newClocked(t, nicktracker.Options{PresenceTTL: 30 * time.Minute})
	must(t, tracker.MarkPresent("amy", dir1))
	must(t, tracker.MarkPresent("amy", dir2))
	must(t, tracker.MarkPresent("bob", dir1))
	clock.set(10 * time.Minute)
	must(t, tracker.MarkPresent("bob", dir1))
	must(t, tracker.SyncPeerlist(dir3, []string{"cat"}))
	r.takeEvents()

	clock.set(30*time.Minute - time.Millisecond)
	gone, err := tracker.Expire()
	wantGone(t, "Expire before the TTL", gone, err)
	clock.set(30 * time.Minute)
	gone, err = tracker.Expire()
	wantGone(t, "Expire at the TTL", gone, err, "amy")
	r.wantEvents(t, "leave amy 2") // gone on directory 1, then on 2, its last
	h := &harness{t: t, tracker: tracker}
	h.wantActiveNicks("bob", "cat")
	clock.set(40 * time.Minute)
	gone, err = tracker.Expire()
	wantGone(t, "Expire at 40 minutes", gone, err, "bob", "cat")
	r.wantEvents(t, "leave bob 1", "leave cat 3")
	h.wantActiveNicks()
}

// A single gone report waits for GoneGrace: a present report within it cancels it; full
// peerlists act at once.
func TestGoneGraceHoldsSingleGoneReportsBack(t *testing.T) {
	tracker, r, clock := newClocked(t, nicktracker.Options{GoneGrace: 5 * time.Second})
	h := &harness{t: t, tracker: tracker}
	must(t, tracker.SyncPeerlist(dir1, []string{"amy", "bob", "cat"}))
	r.takeEvents()

	must(t, tracker.MarkGone("amy", dir1))
	_, err := tracker.UpdateMany(dir1, []nicktracker.Report{{"bob", false}})
	must(t, err)
	r.wantEvents(t)
	h.wantActiveNicks("amy", "bob", "cat")
	clock.set(2 * time.Second)
	must(t, tracker.MarkPresent("amy", dir1)) // the peer's new connection is up
	clock.set(5 * time.Second)
	gone, err := tracker.Expire()
	wantGone(t, "Expire after the grace", gone, err, "bob")
	r.wantEvents(t, "leave bob 1")
	h.wantActiveNicks("amy", "cat")

	must(t, tracker.SyncPeerlist(dir1, []string{"amy"}))
	r.wantEvents(t, "leave cat 1")
	clock.set(time.Minute)
	gone, err = tracker.Expire()
	wantGone(t, "Expire a minute later", gone, err)
	h.wantActiveNicks("amy")
}

// A directory disconnected for DisconnectedHold is removed at the next Expire; one that
// reconnects in time is kept.
func TestDisconnectedHoldRemovesDirectoriesAwayTooLong(t *testing.T) {
	tracker, r, clock := newClocked(t, nicktracker.Options{DisconnectedHold: time.Minute})
	must(t, tracker.SyncPeerlist(dir1, []string{"amy"}))
	must(t, tracker.SyncPeerlist(dir2, []string{"bob"}))
	must(t, tracker.SetDirectoryConnected(dir1, false))
	must(t, tracker.SetDirectoryConnected(dir2, false))
	r.wantEvents(t, "join amy 1", "join bob 2", "leave amy 1", "leave bob 2")
	clock.set(30 * time.Second)
	must(t, tracker.SetDirectoryConnected(dir2, true))
	r.wantEvents(t, "join bob 2")
	clock.set(time.Minute)
	gone, err := tracker.Expire()
	wantGone(t, "Expire", gone, err) // amy had already left with the disconnection
	dirs, err := tracker.Directories()
	must(t, err)
	wantSlice(t, "Directories()", dirs, dir2)
	_, err = tracker.DirectoryStats(dir1)
	wantErr(t, "DirectoryStats of the removed directory", err, nicktracker.ErrNotFound,
		"directory 1 is not known to the tracker")
	must(t, tracker.SetDirectoryConnected(dir1, true))
	h := &harness{t: t, tracker: tracker}
	h.wantActiveNicks("bob") // directory 1 came back empty
	s := stats(t, tracker)
	if s.Nicks != 1 {
		t.Fatalf("Stats().Nicks = %d, want 1", s.Nicks)
	}
}

// The clock must not go back: a call that reads an earlier time is refused with
// ErrClockWentBackwards, in the clock's terms, and changes nothing. So is a negative time.
func TestAClockThatGoesBackRefusesTheCall(t *testing.T) {
	tracker, r, clock := newClocked(t, nicktracker.Options{})
	clock.set(10 * time.Second)
	must(t, tracker.MarkPresent("amy", dir1))
	r.takeEvents()
	before := stats(t, tracker)
	clock.set(5 * time.Second)
	wantErr(t, "MarkPresent", tracker.MarkPresent("bob", dir1), nicktracker.ErrClockWentBackwards,
		"Options.Clock went backwards: it read 5s after reading 10s")
	_, err := tracker.Expire()
	wantErr(t, "Expire", err, nicktracker.ErrClockWentBackwards, "")
	clock.set(-time.Second)
	wantErr(t, "SyncPeerlist", tracker.SyncPeerlist(dir1, nil), nicktracker.ErrClockWentBackwards,
		"Options.Clock returned -1s, before its origin")
	r.wantEvents(t)
	wantStats(t, tracker, before)
	clock.set(10 * time.Second) // as late as before: accepted
	must(t, tracker.MarkPresent("bob", dir1))
	r.wantEvents(t, "join bob 1")

	_, err = nicktracker.NewWithOptions(nicktracker.Options{Clock: func() time.Duration { return -time.Millisecond }})
	wantErr(t, "NewWithOptions with a negative clock", err, nicktracker.ErrClockWentBackwards,
		"Options.Clock returned -1ms, before its origin")
}

// A panic in the clock is raised again by the call that read it, which changes nothing; the
// tracker stays usable. One at NewWithOptions' first reading is raised by NewWithOptions.
func TestClockPanicIsRaisedByTheCallThatReadIt(t *testing.T) {
	var panicking atomic.Bool
	boom := errors.New("clock broke")
	clock := func() time.Duration {
		if panicking.Load() {
			panic(boom)
		}
		return time.Second
	}
	tracker, r := newRecorded(t, nicktracker.Options{Clock: clock})
	must(t, tracker.MarkPresent("amy", dir1))
	r.takeEvents()
	before := stats(t, tracker)
	panicking.Store(true)
	for name, call := range map[string]func(){
		"MarkPresent": func() { tracker.MarkPresent("bob", dir1) },
		"UpdateMany":  func() { tracker.UpdateMany(dir1, []nicktracker.Report{{"amy", false}}) },
		"Expire":      func() { tracker.Expire() },
	} {
		if panicked, value := catchPanic(call); !panicked || value != boom {
			t.Fatalf("%s: panicked=%v with %v, want a panic with %v", name, panicked, value, boom)
		}
	}
	r.wantEvents(t)
	wantStats(t, tracker, before)
	panicking.Store(false)
	must(t, tracker.MarkPresent("bob", dir1))
	r.wantEvents(t, "join bob 1")

	panicked, value := catchPanic(func() {
		nicktracker.NewWithOptions(nicktracker.Options{Clock: func() time.Duration { panic(boom) }})
	})
	if !panicked || value != boom {
		t.Fatalf("NewWithOptions: panicked=%v with %v, want a panic with %v", panicked, value, boom)
	}
}

// A call made from a callback whose clock panics raises the panic in the callback; the
// callback's own call raises it in turn, after delivering everything.
func TestClockPanicInANestedCallIsRaisedByTheOutermostCall(t *testing.T) {
	var panicking atomic.Bool
	var tracker *nicktracker.Tracker
	var left []string
	tracker = newTrackerWith(t, nicktracker.Options{
		Clock: func() time.Duration {
			if panicking.Load() {
				panic("clock")
			}
			return 0
		},
		OnEvent: func(e nicktracker.Event) {
			if e.Kind != nicktracker.EventLeave {
				return
			}
			left = append(left, e.Nick)
			if e.Nick == "amy" {
				panicking.Store(true)
				check(t, tracker.MarkGone("bob", dir1)) // reads the clock, which panics
				t.Error("MarkGone returned")
			}
		},
	})
	must(t, tracker.SyncPeerlist(dir1, []string{"bob"}))
	must(t, tracker.SyncPeerlist(dir2, []string{"amy", "cat"}))
	panicked, value := catchPanic(func() { tracker.SyncPeerlist(dir2, nil) })
	if !panicked || value != "clock" {
		t.Fatalf("SyncPeerlist: panicked=%v with %v, want a panic with clock", panicked, value)
	}
	panicking.Store(false)
	wantSlice(t, "nicks left", left, "amy", "cat")
	h := &harness{t: t, tracker: tracker}
	h.wantActiveNicks("bob")
}

// Sticky picks keep a nick's directory while the nick stays active there, then fail over to
// another of its active directories and keep that one.
func TestStickyPicksKeepTheDirectoryWhileTheNickStaysThere(t *testing.T) {
	tracker := newTrackerWith(t, nicktracker.Options{PickMode: nicktracker.PickSticky})
	for _, dir := range []uint64{dir1, dir2, dir3} {
		must(t, tracker.MarkPresent("amy", dir))
	}
	pick := func() uint64 {
		t.Helper()
		dir, err := tracker.PickDirectory("amy")
		must(t, err)
		return dir
	}
	first := pick()
	for i := 0; i < 50; i++ {
		if got := pick(); got != first {
			t.Fatalf("pick %d = %d, want %d (sticky)", i, got, first)
		}
	}
	must(t, tracker.MarkGone("amy", first))
	second := pick()
	if second == first {
		t.Fatalf("picked %d, where amy is gone", second)
	}
	for i := 0; i < 50; i++ {
		if got := pick(); got != second {
			t.Fatalf("pick %d = %d after the failover, want %d", i, got, second)
		}
	}
	must(t, tracker.MarkPresent("amy", first)) // back: the pick stays where it is
	if got := pick(); got != second {
		t.Fatalf("pick = %d after %d came back, want %d", got, first, second)
	}
}

// Each directory's own list and health, connected or not, and ErrNotFound for one the
// tracker does not know.
func TestDirectoryViewAndStats(t *testing.T) {
	tracker, _, clock := newClocked(t, nicktracker.Options{})
	h := &harness{t: t, tracker: tracker}
	clock.set(time.Second)
	must(t, tracker.SyncPeerlist(dir1, []string{"amy", "bob"}))
	clock.set(2 * time.Second)
	must(t, tracker.MarkPresent("cat", dir1))
	must(t, tracker.MarkPresent("amy", dir2))
	must(t, tracker.SetDirectoryConnected(dir2, false))
	must(t, tracker.SetDirectoryConnected(dir3, true)) // known, with nothing

	dirs, err := tracker.Directories()
	must(t, err)
	wantSorted(t, "Directories()", dirs, dir1, dir2, dir3)
	wantSorted(t, "DirectoryNicks(1)", h.directoryNicks(dir1), "amy", "bob", "cat")
	wantSorted(t, "DirectoryNicks(2)", h.directoryNicks(dir2), "amy") // disconnected, kept
	wantSorted(t, "DirectoryNicks(3)", h.directoryNicks(dir3))
	want := map[uint64]nicktracker.DirectoryStats{
		dir1: {Nicks: 3, Connected: true, LastPeerlist: time.Second, LastReport: 2 * time.Second, Peerlists: 1, Reports: 1},
		dir2: {Nicks: 1, LastReport: 2 * time.Second, Reports: 1},
		dir3: {Connected: true},
	}
	for dir, w := range want {
		got, err := tracker.DirectoryStats(dir)
		must(t, err)
		if got != w {
			t.Fatalf("DirectoryStats(%d) = %+v\n                  want %+v", dir, got, w)
		}
	}
	_, err = tracker.DirectoryNicks(99)
	wantErr(t, "DirectoryNicks of an unknown directory", err, nicktracker.ErrNotFound,
		"directory 99 is not known to the tracker")
	_, err = tracker.DirectoryStats(99)
	wantErr(t, "DirectoryStats of an unknown directory", err, nicktracker.ErrNotFound, "")
}

// More directories and nicks than the first guesses of Directories and DirectoryNicks.
func TestDirectoryViewGrowsItsBuffers(t *testing.T) {
	h := newHarness(t)
	var dirs []uint64
	var nicks []string
	for i := 0; i < 100; i++ {
		dirs = append(dirs, uint64(1000+i))
		nicks = append(nicks, fmt.Sprintf("J5maker%03d", i))
		h.present(nicks[i], dirs[i])
		h.present(nicks[i], dir1)
	}
	got, err := h.tracker.Directories()
	must(t, err)
	wantSorted(t, "Directories()", got, append(dirs, dir1)...)
	wantSorted(t, "DirectoryNicks(1)", h.directoryNicks(dir1), nicks...)
	wantSorted(t, "DirectoryNicks(1000)", h.directoryNicks(1000), nicks[0])
	wantSorted(t, "DirectoryNicks(1) again", h.directoryNicks(dir1), nicks...)
}

// The departures CommitPeerlist, UpdateMany and Expire return are those of their own call,
// also when callbacks make calls that report departures of their own.
func TestDeparturesAreThoseOfTheCallsOwn(t *testing.T) {
	var tracker *nicktracker.Tracker
	var nested []string
	tracker, r, clock := newClocked(t, nicktracker.Options{
		PresenceTTL: time.Second,
		OnEvent: func(e nicktracker.Event) {
			if e.Kind == nicktracker.EventLeave && e.Nick == "amy" {
				gone, err := tracker.UpdateMany(dir2, []nicktracker.Report{{"zed", false}})
				check(t, err)
				nested = append(nested, gone...)
			}
		},
	})
	must(t, tracker.MarkPresent("zed", dir2))
	must(t, tracker.MarkPresent("amy", dir1))
	must(t, tracker.MarkPresent("bob", dir1))
	must(t, tracker.BeginPeerlist(dir1))
	must(t, tracker.AddPeerlistChunk(dir1, []string{"bob"}))
	gone, err := tracker.CommitPeerlist(dir1)
	wantGone(t, "CommitPeerlist", gone, err, "amy")
	wantSlice(t, "the nested call's departures", nested, "zed")
	r.takeEvents()
	clock.set(time.Second)
	gone, err = tracker.Expire()
	wantGone(t, "Expire", gone, err, "bob")
}

// Close from inside any of the tracker's callbacks, its clock included, returns
// ErrCloseInCallback instead of waiting for its own call; the call completes and the
// tracker stays usable, and closes normally afterwards.
func TestCloseInsideACallbackReturnsErrCloseInCallback(t *testing.T) {
	kinds := []string{"leave", "OnEvent", "OnLog", "Clock"}
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			var tracker *nicktracker.Tracker
			var armed atomic.Bool
			var closeErrs []error
			tryClose := func() {
				if armed.CompareAndSwap(true, false) {
					closeErrs = append(closeErrs, tracker.Close())
				}
			}
			var err error
			switch kind {
			case "leave":
				tracker, err = nicktracker.New(func(string) { tryClose() })
			case "OnEvent":
				tracker, err = nicktracker.NewWithOptions(nicktracker.Options{OnEvent: func(nicktracker.Event) { tryClose() }})
			case "OnLog":
				tracker, err = nicktracker.NewWithOptions(nicktracker.Options{OnLog: func(nicktracker.LogLevel, string) { tryClose() }})
			case "Clock":
				tracker, err = nicktracker.NewWithOptions(nicktracker.Options{Clock: func() time.Duration { tryClose(); return 0 }})
			}
			must(t, err)
			must(t, tracker.MarkPresent("amy", dir1))
			armed.Store(true)
			done := make(chan struct{})
			go func() {
				defer close(done)
				check(t, tracker.MarkGone("amy", dir1)) // a leave, a log message, a reading
			}()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("deadlock: Close inside the callback waited for its own call")
			}
			if len(closeErrs) != 1 || closeErrs[0] != nicktracker.ErrCloseInCallback {
				t.Fatalf("Close inside the callback returned %v, want ErrCloseInCallback", closeErrs)
			}
			active, err := tracker.IsActive("amy")
			must(t, err)
			if active {
				t.Fatal("amy is still active")
			}
			must(t, tracker.Close())
			must(t, tracker.Close())
		})
	}
}

// Close is refused in a callback reached through another tracker's call too (the first
// tracker's call is still in progress on this goroutine), and allowed for a tracker with
// no call in progress.
func TestCloseInsideNestedCallbacksOfTwoTrackers(t *testing.T) {
	var outer, inner, idle *nicktracker.Tracker
	var results []error
	idle = newTracker(t, func(string) {})
	inner = newTracker(t, func(string) {
		results = append(results, outer.Close(), inner.Close(), idle.Close())
	})
	outer = newTracker(t, func(string) {
		check(t, inner.MarkPresent("bob", dir1))
		check(t, inner.MarkGone("bob", dir1))
	})
	must(t, outer.MarkPresent("amy", dir1))
	must(t, outer.MarkGone("amy", dir1))
	if len(results) != 3 || results[0] != nicktracker.ErrCloseInCallback ||
		results[1] != nicktracker.ErrCloseInCallback || results[2] != nil {
		t.Fatalf("Close of outer, inner, idle from inner's callback = %v", results)
	}
	_, err := idle.IsActive("amy")
	wantErr(t, "idle tracker after its Close", err, nicktracker.ErrClosed, "")
	must(t, outer.MarkPresent("amy", dir1))
}

// A callback's Close while another goroutine's Close is waiting for the callback's call
// returns ErrCloseInCallback at once: it does not wait for the other Close either.
func TestCloseInsideACallbackWhileAnotherGoroutineCloses(t *testing.T) {
	var tracker *nicktracker.Tracker
	inCallback := make(chan struct{})
	var closeErr error
	tracker = newTracker(t, func(nick string) {
		close(inCallback)
		for { // until the other goroutine's Close has begun
			if _, err := tracker.IsActive(nick); err != nil {
				break
			}
			runtime.Gosched()
		}
		closeErr = tracker.Close()
	})
	must(t, tracker.MarkPresent("amy", dir1))
	closed := make(chan struct{})
	go func() {
		<-inCallback
		check(t, tracker.Close())
		close(closed)
	}()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		check(t, tracker.MarkGone("amy", dir1))
	}()
	within(t, &wg, 20*time.Second)
	<-closed
	if closeErr != nicktracker.ErrCloseInCallback {
		t.Fatalf("Close in the callback = %v, want ErrCloseInCallback", closeErr)
	}
}

// Goroutines use chunks, batches and expiry on shared nicks with a fake clock that moves,
// while callbacks call back in: every event arrives once, the Seq consumer agrees with the
// tracker, and the race detector sees the clock read from several goroutines.
func TestConcurrentPeerlistsBatchesAndExpiry(t *testing.T) {
	const goroutines, rounds = 4, 300
	nicks := []string{"amy", "bob", "cat", "dan", "eve", "fay"}
	consumer := newSeqConsumer()
	clock := &fakeClock{}
	var tracker *nicktracker.Tracker
	tracker = newTrackerWith(t, nicktracker.Options{
		Clock:       clock.read,
		PresenceTTL: 50 * time.Millisecond,
		GoneGrace:   10 * time.Millisecond,
		OnEvent: func(e nicktracker.Event) {
			consumer.apply(t, e)
			if e.Seq%11 == 0 {
				_, err := tracker.UpdateMany(e.Directory, []nicktracker.Report{{e.Nick, e.Kind == nicktracker.EventLeave}})
				check(t, err)
			}
		},
	})
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		g := g
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := 0; round < rounds; round++ {
				dir := uint64(round % 3)
				var err error
				switch (g + round) % 5 {
				case 0:
					err = tracker.BeginPeerlist(dir)
				case 1:
					err = tracker.AddPeerlistChunk(dir, nicks[round%len(nicks):])
				case 2:
					_, err = tracker.CommitPeerlist(dir)
				case 3:
					_, err = tracker.UpdateMany(dir, []nicktracker.Report{
						{nicks[round%len(nicks)], true}, {nicks[(round+g)%len(nicks)], false},
					})
				default:
					clock.advance(time.Millisecond)
					_, err = tracker.Expire()
				}
				if err != nil && !errors.Is(err, nicktracker.ErrNoSnapshot) {
					t.Error(err)
					return
				}
			}
		}()
	}
	within(t, &wg, time.Minute)
	consumer.agrees(t, tracker, nicks)
}
