package nicktracker_test

import (
	"testing"

	nicktracker "github.com/nick-tracker/nick-tracker/bindings/go"
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
