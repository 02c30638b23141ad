package nicktracker_test

import (
	"fmt"
	"testing"

	"github.com/nick-tracker/nick-tracker/bindings/go/nicktracker"
)

// newTracker returns a tracker that is closed when the test ends.
func newTracker(t *testing.T, onLeave func(nick string)) *nicktracker.Tracker {
	t.Helper()
	tracker, err := nicktracker.New(onLeave)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { tracker.Close() })
	return tracker
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// check is must for callbacks, which must not call t.Fatal: its runtime.Goexit would unwind
// through the C library.
func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Error(err)
	}
}

func wantSlice[T comparable](t *testing.T, what string, got []T, want ...T) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s = %v, want %v", what, got, want)
		}
	}
}

// catchPanic runs f and reports whether it panicked and with what.
func catchPanic(f func()) (panicked bool, value any) {
	defer func() {
		if panicked {
			value = recover()
		}
	}()
	panicked = true
	f()
	panicked = false
	return
}

// newTrackerWith is newTracker for NewWithOptions.
func newTrackerWith(t *testing.T, options nicktracker.Options) *nicktracker.Tracker {
	t.Helper()
	tracker, err := nicktracker.NewWithOptions(options)
	if err != nil {
		t.Fatalf("NewWithOptions: %v", err)
	}
	t.Cleanup(func() { tracker.Close() })
	return tracker
}

// recorder collects a tracker's events as "join alice 1" and its log messages as
// "INFO message". Callbacks run in the goroutine that made the call, so single-goroutine
// tests need no lock.
type recorder struct {
	events []string
	logs   []string
}

func (r *recorder) onEvent(e nicktracker.Event) {
	r.events = append(r.events, fmt.Sprintf("%v %s %d", e.Kind, e.Nick, e.Directory))
}

func (r *recorder) onLog(level nicktracker.LogLevel, message string) {
	r.logs = append(r.logs, fmt.Sprintf("%v %s", level, message))
}

// takeEvents returns the events since the last call.
func (r *recorder) takeEvents() []string {
	events := r.events
	r.events = nil
	return events
}

// wantEvents checks the events since the last call to wantEvents or takeEvents.
func (r *recorder) wantEvents(t *testing.T, want ...string) {
	t.Helper()
	wantSlice(t, "events", r.takeEvents(), want...)
}

func stats(t *testing.T, tracker *nicktracker.Tracker) nicktracker.Stats {
	t.Helper()
	s, err := tracker.Stats()
	must(t, err)
	return s
}

func wantStats(t *testing.T, tracker *nicktracker.Tracker, want nicktracker.Stats) {
	t.Helper()
	if got := stats(t, tracker); got != want {
		t.Fatalf("Stats() = %+v\n                want %+v", got, want)
	}
}

const (
	dir1 uint64 = 1
	dir2 uint64 = 2
	dir3 uint64 = 3
)

// harness is a tracker plus every nick its leave callback has seen, in order. Callbacks run
// in the goroutine that made the call, so the single-goroutine tests need no lock.
type harness struct {
	t       *testing.T
	tracker *nicktracker.Tracker
	left    []string
}

func newHarness(t *testing.T) *harness {
	h := &harness{t: t}
	h.tracker = newTracker(t, func(nick string) { h.left = append(h.left, nick) })
	return h
}

func (h *harness) present(nick string, dir uint64) {
	h.t.Helper()
	must(h.t, h.tracker.MarkPresent(nick, dir))
}

func (h *harness) gone(nick string, dir uint64) {
	h.t.Helper()
	must(h.t, h.tracker.MarkGone(nick, dir))
}

func (h *harness) sync(dir uint64, nicks ...string) {
	h.t.Helper()
	must(h.t, h.tracker.SyncPeerlist(dir, nicks))
}

func (h *harness) remove(dir uint64) int {
	h.t.Helper()
	gone, err := h.tracker.RemoveDirectory(dir)
	must(h.t, err)
	return gone
}

func (h *harness) wantActive(nick string, want bool) {
	h.t.Helper()
	active, err := h.tracker.IsActive(nick)
	must(h.t, err)
	if active != want {
		h.t.Fatalf("IsActive(%q) = %v, want %v", nick, active, want)
	}
}

func (h *harness) wantDirectories(nick string, want ...uint64) {
	h.t.Helper()
	dirs, err := h.tracker.ActiveDirectories(nick)
	must(h.t, err)
	wantSlice(h.t, "ActiveDirectories("+nick+")", dirs, want...)
}

func (h *harness) wantActiveNicks(want ...string) {
	h.t.Helper()
	nicks, err := h.tracker.ActiveNicks()
	must(h.t, err)
	wantSlice(h.t, "ActiveNicks()", nicks, want...)
}

func (h *harness) wantLeft(want ...string) {
	h.t.Helper()
	wantSlice(h.t, "nicks left", h.left, want...)
}
