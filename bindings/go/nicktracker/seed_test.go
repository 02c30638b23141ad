package nicktracker_test

// A port of every case in jmcore's own test suite (tests/test_nick_tracker.py), one test per
// case with the same name in Go's spelling. Directories "dir1".."dir3" become 1..3.

import (
	"testing"

	"github.com/nick-tracker/nick-tracker/bindings/go/nicktracker"
)

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

func TestNickTrackerBasic(t *testing.T) {
	h := newHarness(t)
	h.present("maker1", dir1)
	h.wantActive("maker1", true)
	h.wantDirectories("maker1", dir1)
	h.present("maker1", dir2)
	h.wantActive("maker1", true)
	h.wantDirectories("maker1", dir1, dir2)
}

func TestNickLeaveSingleDirectory(t *testing.T) {
	h := newHarness(t)
	h.present("maker1", dir1)
	h.present("maker1", dir2)
	h.gone("maker1", dir1)
	h.wantActive("maker1", true)
	h.wantDirectories("maker1", dir2)
	h.wantLeft()
}

func TestNickLeaveAllDirectories(t *testing.T) {
	h := newHarness(t)
	h.present("maker1", dir1)
	h.present("maker1", dir2)
	h.gone("maker1", dir1)
	h.wantLeft()
	h.gone("maker1", dir2)
	h.wantActive("maker1", false)
	h.wantDirectories("maker1")
	h.wantLeft("maker1")
}

func TestNickReturnAfterLeaving(t *testing.T) {
	h := newHarness(t)
	h.present("maker1", dir1)
	h.gone("maker1", dir1)
	h.wantLeft("maker1")
	h.wantActive("maker1", false)
	h.present("maker1", dir1)
	h.wantActive("maker1", true)
	h.wantLeft("maker1")
}

func TestSyncWithPeerlist(t *testing.T) {
	h := newHarness(t)
	h.sync(dir1, "maker1", "maker2", "maker3")
	h.wantActiveNicks("maker1", "maker2", "maker3")
	h.sync(dir1, "maker1")
	h.wantLeft("maker2", "maker3")
	h.wantActive("maker1", true)
	h.wantActive("maker2", false)
	h.wantActive("maker3", false)
}

func TestSyncMultiDirectoryPeerlist(t *testing.T) {
	h := newHarness(t)
	h.sync(dir1, "maker1", "maker2")
	h.sync(dir2, "maker1", "maker3")
	h.wantActiveNicks("maker1", "maker2", "maker3")
	h.sync(dir1, "maker2")
	h.wantActive("maker1", true)
	h.wantLeft()
	h.sync(dir2, "maker3")
	h.wantActive("maker1", false)
	h.wantLeft("maker1")
}

func TestRemoveDirectory(t *testing.T) {
	h := newHarness(t)
	h.present("maker1", dir1)
	h.present("maker2", dir1)
	h.present("maker2", dir2)
	h.present("maker3", dir2)
	if gone := h.remove(dir1); gone != 1 {
		t.Fatalf("RemoveDirectory returned %d, want 1", gone)
	}
	h.wantActive("maker1", false)
	h.wantActive("maker2", true)
	h.wantActive("maker3", true)
	h.wantLeft("maker1")
}

func TestMultipleNicksMultipleDirectories(t *testing.T) {
	h := newHarness(t)
	h.sync(dir1, "maker1", "maker2", "maker3")
	h.sync(dir2, "maker1", "maker2", "maker4")
	h.sync(dir3, "maker1", "maker5")
	h.wantActiveNicks("maker1", "maker2", "maker3", "maker4", "maker5")
	h.sync(dir1, "maker1", "maker2")
	h.wantLeft("maker3")
	h.sync(dir1, "maker2")
	h.wantActive("maker1", true)
	h.sync(dir2, "maker2", "maker4")
	h.wantActive("maker1", true)
	h.wantLeft("maker3")
	h.sync(dir3, "maker5")
	h.wantActive("maker1", false)
	h.wantLeft("maker3", "maker1")
}

func TestGetAllActiveNicks(t *testing.T) {
	h := newHarness(t)
	h.present("maker1", dir1)
	h.present("maker2", dir1)
	h.present("maker2", dir2)
	h.present("maker3", dir2)
	h.wantActiveNicks("maker1", "maker2", "maker3")
	h.gone("maker2", dir1)
	h.gone("maker2", dir2)
	h.wantActiveNicks("maker1", "maker3")
}

func TestNoCallback(t *testing.T) {
	tracker := newTracker(t, nil)
	must(t, tracker.MarkPresent("maker1", dir1))
	must(t, tracker.MarkGone("maker1", dir1))
	active, err := tracker.IsActive("maker1")
	must(t, err)
	if active {
		t.Fatal("maker1 is still active")
	}
}

func TestNickReturnsAfterMarkedGoneOnDirectory(t *testing.T) {
	h := newHarness(t)
	h.present("maker1", dir1)
	h.present("maker1", dir2)
	h.gone("maker1", dir1)
	h.wantActive("maker1", true)
	h.present("maker1", dir1)
	h.wantActive("maker1", true)
	// dir1 keeps the place it had before it reported the nick gone.
	h.wantDirectories("maker1", dir1, dir2)
}

func TestRemoveDirectoryNickGoneOnRemaining(t *testing.T) {
	h := newHarness(t)
	h.present("maker1", dir1)
	h.present("maker1", dir2)
	h.gone("maker1", dir2)
	h.wantActive("maker1", true)
	if gone := h.remove(dir1); gone != 1 {
		t.Fatalf("RemoveDirectory returned %d, want 1", gone)
	}
	h.wantLeft("maker1")
	h.wantActive("maker1", false)
}

// TestRepr: jmcore's __repr__ shows the active nick count, which here is ActiveNickCount.
func TestRepr(t *testing.T) {
	h := newHarness(t)
	h.present("maker1", dir1)
	h.present("maker2", dir2)
	count, err := h.tracker.ActiveNickCount()
	must(t, err)
	if count != 2 {
		t.Fatalf("ActiveNickCount() = %d, want 2", count)
	}
}

// The one deliberate difference from jmcore: jmcore stores a "gone" report for a nick it
// never saw present and later announces that nick leaving.
func TestGoneReportForAnUnseenNickIsIgnored(t *testing.T) {
	h := newHarness(t)
	h.gone("ghost", dir1)
	h.present("maker1", dir1)
	h.gone("maker1", dir2)
	h.wantActive("ghost", false)
	if gone := h.remove(dir1); gone != 1 {
		t.Fatalf("RemoveDirectory(dir1) returned %d, want 1", gone)
	}
	if gone := h.remove(dir2); gone != 0 {
		t.Fatalf("RemoveDirectory(dir2) returned %d, want 0: a phantom departure", gone)
	}
	h.wantLeft("maker1")
}
