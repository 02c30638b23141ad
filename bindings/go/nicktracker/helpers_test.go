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
