package nicktracker_test

// Tests of what NewWithOptions adds: join and leave events, directory connection state,
// directory picks, stats, limits and log messages, and the packed peerlist.

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nick-tracker/nick-tracker/bindings/go/nicktracker"
)

// newRecorded returns a tracker with options whose OnEvent and OnLog (if not set) record
// into the returned recorder.
func newRecorded(t *testing.T, options nicktracker.Options) (*nicktracker.Tracker, *recorder) {
	t.Helper()
	r := &recorder{}
	if options.OnEvent == nil {
		options.OnEvent = r.onEvent
	}
	if options.OnLog == nil {
		options.OnLog = r.onLog
	}
	return newTrackerWith(t, options), r
}

func TestEventsReportJoinsAndLeavesWithTheirDirectory(t *testing.T) {
	tracker, r := newRecorded(t, nicktracker.Options{})
	must(t, tracker.MarkPresent("alice", dir1))
	r.wantEvents(t, "join alice 1")
	must(t, tracker.MarkPresent("alice", dir2))
	must(t, tracker.MarkPresent("alice", dir2))
	must(t, tracker.MarkGone("alice", dir1))
	r.wantEvents(t)
	must(t, tracker.Update("alice", dir2, false))
	r.wantEvents(t, "leave alice 2")
	must(t, tracker.Update("alice", dir3, true))
	r.wantEvents(t, "join alice 3")
	gone, err := tracker.RemoveDirectory(dir3)
	must(t, err)
	if gone != 1 {
		t.Fatalf("RemoveDirectory returned %d, want 1", gone)
	}
	r.wantEvents(t, "leave alice 3")
	wantStats(t, tracker, nicktracker.Stats{Directories: 2, ConnectedDirectories: 2, Joins: 2, Leaves: 2})
}

// One call's events: leaves in the order the nicks were first seen, then joins in the order
// they happened (for a peerlist, list order).
func TestSyncPeerlistEventsAreLeavesInFirstSeenOrderThenJoinsInListOrder(t *testing.T) {
	tracker, r := newRecorded(t, nicktracker.Options{})
	must(t, tracker.SyncPeerlist(dir1, []string{"zed", "amy", "kim", "lee"}))
	r.wantEvents(t, "join zed 1", "join amy 1", "join kim 1", "join lee 1")
	must(t, tracker.SyncPeerlist(dir1, []string{"new2", "kim", "new1", "new2"}))
	r.wantEvents(t, "leave zed 1", "leave amy 1", "leave lee 1", "join new2 1", "join new1 1")
	nicks, err := tracker.ActiveNicks()
	must(t, err)
	wantSlice(t, "ActiveNicks()", nicks, "kim", "new2", "new1")
	must(t, tracker.SyncPeerlist(dir1, nil))
	r.wantEvents(t, "leave kim 1", "leave new2 1", "leave new1 1")
}

func TestEventKindAndLogLevelStrings(t *testing.T) {
	for value, want := range map[fmt.Stringer]string{
		nicktracker.EventJoin:           "join",
		nicktracker.EventLeave:          "leave",
		nicktracker.EventKind(7):        "EventKind(7)",
		nicktracker.LevelError:          "ERROR",
		nicktracker.LevelWarn:           "WARN",
		nicktracker.LevelInfo:           "INFO",
		nicktracker.LevelDebug:          "DEBUG",
		nicktracker.LogLevel(0):         "LogLevel(0)",
		nicktracker.StatusNickLimit:     "the tracker's nick limit is reached",
		nicktracker.StatusNickNotActive: "nick is not active",
	} {
		if got := value.String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}

// A dropped directory's nicks leave unless another connected directory has them, but are
// kept; when it comes back they join again, until its next peerlist says otherwise.
func TestDisconnectLeavesAndReconnectJoins(t *testing.T) {
	tracker, r := newRecorded(t, nicktracker.Options{})
	must(t, tracker.SyncPeerlist(dir1, []string{"alice", "bob"}))
	must(t, tracker.MarkPresent("bob", dir2))
	r.takeEvents()

	must(t, tracker.SetDirectoryConnected(dir1, false))
	r.wantEvents(t, "leave alice 1")
	h := &harness{t: t, tracker: tracker}
	h.wantActive("alice", false)
	h.wantActive("bob", true)
	h.wantActive("zed", false) // never seen
	h.wantDirectories("alice")
	h.wantDirectories("bob", dir2)
	h.wantActiveNicks("bob")
	wantStats(t, tracker, nicktracker.Stats{
		Nicks: 2, ActiveNicks: 1, Directories: 2, ConnectedDirectories: 1, Joins: 2, Leaves: 1,
	})

	// Setting the state it already has does nothing.
	must(t, tracker.SetDirectoryConnected(dir1, false))
	must(t, tracker.SetDirectoryConnected(dir2, true))
	r.wantEvents(t)

	// Reports while down are recorded without events.
	must(t, tracker.MarkPresent("carol", dir1))
	must(t, tracker.MarkGone("bob", dir1))
	must(t, tracker.MarkPresent("bob", dir1))
	r.wantEvents(t)
	h.wantActive("carol", false)

	must(t, tracker.SetDirectoryConnected(dir1, true))
	r.wantEvents(t, "join alice 1", "join carol 1")
	h.wantDirectories("bob", dir1, dir2) // dir1 keeps its place
	h.wantActiveNicks("bob", "alice", "carol")

	// The next peerlist has the last word.
	must(t, tracker.SyncPeerlist(dir1, []string{"carol"}))
	r.wantEvents(t, "leave alice 1")
	h.wantDirectories("bob", dir2)
	wantStats(t, tracker, nicktracker.Stats{
		Nicks: 2, ActiveNicks: 2, Directories: 2, ConnectedDirectories: 2, Joins: 4, Leaves: 2,
	})
}

// A peerlist from a disconnected directory is recorded and counts from its reconnection.
func TestPeerlistWhileDisconnectedCountsOnReconnect(t *testing.T) {
	tracker, r := newRecorded(t, nicktracker.Options{})
	must(t, tracker.SyncPeerlist(dir1, []string{"alice", "bob"}))
	must(t, tracker.SetDirectoryConnected(dir1, false))
	r.takeEvents()
	must(t, tracker.SyncPeerlist(dir1, []string{"bob", "carol"}))
	r.wantEvents(t)
	// alice is listed nowhere any more, so she is forgotten.
	wantStats(t, tracker, nicktracker.Stats{
		Nicks: 2, Directories: 1, Joins: 2, Leaves: 2,
	})

	must(t, tracker.SetDirectoryConnected(dir1, true))
	// The order among these joins is the library's business (see the README); each nick
	// joins once, from dir1.
	got := r.takeEvents()
	wantSlice(t, "sorted events", sorted(got), "join bob 1", "join carol 1")
	// ActiveNicks lists nicks in the order they became active: the order of the joins.
	nicks, err := tracker.ActiveNicks()
	must(t, err)
	var joined []string
	for _, event := range got {
		joined = append(joined, strings.TrimSuffix(strings.TrimPrefix(event, "join "), " 1"))
	}
	wantSlice(t, "ActiveNicks()", nicks, joined...)
}

// sorted returns a sorted copy of s.
func sorted[T string | uint64](s []T) []T {
	out := append([]T(nil), s...)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func TestDisconnectedDirectoryEdgeCases(t *testing.T) {
	t.Run("unknown directory becomes known in the given state", func(t *testing.T) {
		tracker, r := newRecorded(t, nicktracker.Options{})
		must(t, tracker.SetDirectoryConnected(5, false))
		wantStats(t, tracker, nicktracker.Stats{Directories: 1})
		must(t, tracker.MarkPresent("alice", 5))
		r.wantEvents(t)
		must(t, tracker.SetDirectoryConnected(5, true))
		r.wantEvents(t, "join alice 5")
		must(t, tracker.SetDirectoryConnected(6, true))
		wantStats(t, tracker, nicktracker.Stats{
			Nicks: 1, ActiveNicks: 1, Directories: 2, ConnectedDirectories: 2, Joins: 1,
		})
	})
	t.Run("nick gone everywhere while down is forgotten silently", func(t *testing.T) {
		tracker, r := newRecorded(t, nicktracker.Options{})
		must(t, tracker.MarkPresent("alice", dir1))
		must(t, tracker.SetDirectoryConnected(dir1, false))
		r.wantEvents(t, "join alice 1", "leave alice 1")
		must(t, tracker.MarkGone("alice", dir1))
		wantStats(t, tracker, nicktracker.Stats{Directories: 1, Joins: 1, Leaves: 1})
		must(t, tracker.SetDirectoryConnected(dir1, true))
		r.wantEvents(t)
	})
	t.Run("removing a disconnected directory announces nothing", func(t *testing.T) {
		tracker, r := newRecorded(t, nicktracker.Options{})
		must(t, tracker.SyncPeerlist(dir1, []string{"alice", "bob"}))
		must(t, tracker.MarkPresent("bob", dir2))
		must(t, tracker.SetDirectoryConnected(dir1, false))
		r.takeEvents()
		gone, err := tracker.RemoveDirectory(dir1)
		must(t, err)
		if gone != 0 {
			t.Fatalf("RemoveDirectory returned %d, want 0", gone)
		}
		r.wantEvents(t)
		wantStats(t, tracker, nicktracker.Stats{
			Nicks: 1, ActiveNicks: 1, Directories: 1, ConnectedDirectories: 1, Joins: 2, Leaves: 1,
		})
	})
	t.Run("a tracker made by New gets the leaves", func(t *testing.T) {
		h := newHarness(t)
		h.present("alice", dir1)
		h.present("bob", dir1)
		h.present("bob", dir2)
		must(t, h.tracker.SetDirectoryConnected(dir1, false))
		h.wantLeft("alice")
		must(t, h.tracker.SetDirectoryConnected(dir2, false))
		h.wantLeft("alice", "bob")
		must(t, h.tracker.SetDirectoryConnected(dir1, true))
		h.wantActiveNicks("alice", "bob")
		h.wantLeft("alice", "bob")
	})
}

func TestPickDirectoryRoundRobinCyclesInActiveDirectoriesOrder(t *testing.T) {
	tracker := newTrackerWith(t, nicktracker.Options{PickMode: nicktracker.PickRoundRobin})
	for _, dir := range []uint64{3, 1, 2} {
		must(t, tracker.MarkPresent("alice", dir))
	}
	must(t, tracker.MarkPresent("bob", 2))
	must(t, tracker.MarkPresent("bob", 1))
	picks := func(nick string, n int) []uint64 {
		t.Helper()
		var got []uint64
		for i := 0; i < n; i++ {
			dir, err := tracker.PickDirectory(nick)
			must(t, err)
			got = append(got, dir)
		}
		return got
	}
	wantSlice(t, "alice's picks", picks("alice", 7), 3, 1, 2, 3, 1, 2, 3)
	// Each nick has its own turn.
	wantSlice(t, "bob's picks", picks("bob", 3), 2, 1, 2)

	// A disconnected directory is skipped; the others keep alternating.
	must(t, tracker.SetDirectoryConnected(1, false))
	got := picks("alice", 6)
	for i, dir := range got {
		if dir != 2 && dir != 3 || i > 0 && dir == got[i-1] {
			t.Fatalf("alice's picks without directory 1 = %v, want 2 and 3 alternating", got)
		}
	}
	wantSlice(t, "bob's picks", picks("bob", 2), 2, 2)
	must(t, tracker.SetDirectoryConnected(1, true))
	got = picks("alice", 3)
	wantSlice(t, "alice's picks back on 3 directories", sorted(got), 1, 2, 3)
}

func TestPickDirectoryRandomCoversActiveDirectoriesOnly(t *testing.T) {
	for name, tracker := range map[string]*nicktracker.Tracker{
		"New":            newTracker(t, nil),
		"NewWithOptions": newTrackerWith(t, nicktracker.Options{PickMode: nicktracker.PickRandom}),
	} {
		t.Run(name, func(t *testing.T) {
			for dir := uint64(1); dir <= 6; dir++ {
				must(t, tracker.MarkPresent("alice", dir))
			}
			must(t, tracker.MarkGone("alice", 4))
			must(t, tracker.SetDirectoryConnected(5, false))
			_, err := tracker.RemoveDirectory(6)
			must(t, err)
			must(t, tracker.MarkPresent("bob", 7)) // a directory alice is not on
			counts := map[uint64]int{}
			for i := 0; i < 3000; i++ {
				dir, err := tracker.PickDirectory("alice")
				must(t, err)
				counts[dir]++
			}
			// Each of 3 directories expects 1000 picks; 800 is more than 7 sigma below.
			if len(counts) != 3 || counts[1] < 800 || counts[2] < 800 || counts[3] < 800 {
				t.Fatalf("picks per directory = %v, want about 1000 each for 1, 2 and 3 only", counts)
			}
		})
	}
}

func TestPickDirectoryOfAnInactiveNickFailsWithErrNickNotActive(t *testing.T) {
	tracker := newTrackerWith(t, nicktracker.Options{PickMode: nicktracker.PickRoundRobin})
	must(t, tracker.MarkPresent("left", dir1))
	must(t, tracker.MarkGone("left", dir1))
	must(t, tracker.MarkPresent("offline", dir2))
	must(t, tracker.SetDirectoryConnected(dir2, false))
	for _, nick := range []string{"unknown", "left", "offline"} {
		dir, err := tracker.PickDirectory(nick)
		if !errors.Is(err, nicktracker.ErrNickNotActive) || dir != 0 {
			t.Fatalf("PickDirectory(%q) = %d, %v; want ErrNickNotActive", nick, dir, err)
		}
		var e *nicktracker.Error
		if !errors.As(err, &e) || e.Status != nicktracker.StatusNickNotActive || !strings.Contains(e.Message, nick) {
			t.Fatalf("PickDirectory(%q): error %#v does not name the nick", nick, err)
		}
		if errors.Is(err, nicktracker.ErrNickEmpty) || errors.Is(err, nicktracker.ErrClosed) {
			t.Fatalf("PickDirectory(%q): %v matches another sentinel", nick, err)
		}
	}
}

func TestStatsCountEverything(t *testing.T) {
	tracker := newTracker(t, nil)
	wantStats(t, tracker, nicktracker.Stats{})
	must(t, tracker.SyncPeerlist(dir1, []string{"a", "b"}))
	must(t, tracker.MarkPresent("b", dir2))
	must(t, tracker.SetDirectoryConnected(dir2, false))
	must(t, tracker.SyncPeerlist(dir1, nil))
	wantStats(t, tracker, nicktracker.Stats{
		Nicks: 1, ActiveNicks: 0, Directories: 2, ConnectedDirectories: 1, Joins: 2, Leaves: 2,
	})
	must(t, tracker.SetDirectoryConnected(dir2, true))
	must(t, tracker.MarkPresent("c", dir3))
	count, err := tracker.ActiveNickCount()
	must(t, err)
	s := stats(t, tracker)
	if s.ActiveNicks != count || s != (nicktracker.Stats{
		Nicks: 2, ActiveNicks: 2, Directories: 3, ConnectedDirectories: 3, Joins: 4, Leaves: 2,
	}) {
		t.Fatalf("Stats() = %+v with ActiveNickCount() = %d", s, count)
	}
}

// A change beyond a limit fails with the limit's error and changes nothing: same stats, same
// active nicks, no events; it is logged as a warning.
func TestLimitsRefuseChangesWithoutChangingAnything(t *testing.T) {
	tracker, r := newRecorded(t, nicktracker.Options{MaxNicks: 3, MaxDirectories: 2})
	must(t, tracker.SyncPeerlist(dir1, []string{"a", "b"}))
	must(t, tracker.MarkPresent("c", dir2))
	must(t, tracker.SetDirectoryConnected(dir2, false)) // c is held, though not active
	r.takeEvents()
	r.logs = nil

	refused := []struct {
		name string
		call func() error
		want error
	}{
		{"MarkPresent new nick", func() error { return tracker.MarkPresent("d", dir1) }, nicktracker.ErrNickLimit},
		{"Update new nick", func() error { return tracker.Update("d", dir2, true) }, nicktracker.ErrNickLimit},
		{"SyncPeerlist new nick", func() error {
			// Keeping a and b and adding d would hold 4 (dropping b for d would fit).
			return tracker.SyncPeerlist(dir1, []string{"a", "b", "d"})
		}, nicktracker.ErrNickLimit},
		{"SyncPeerlist new nick listed twice", func() error {
			return tracker.SyncPeerlist(dir1, []string{"a", "b", "d", "e", "d"})
		}, nicktracker.ErrNickLimit},
		{"MarkPresent new directory", func() error { return tracker.MarkPresent("a", dir3) }, nicktracker.ErrDirectoryLimit},
		{"SetDirectoryConnected new directory", func() error { return tracker.SetDirectoryConnected(dir3, true) }, nicktracker.ErrDirectoryLimit},
		{"SyncPeerlist new directory", func() error { return tracker.SyncPeerlist(dir3, []string{"a"}) }, nicktracker.ErrDirectoryLimit},
		{"empty SyncPeerlist new directory", func() error { return tracker.SyncPeerlist(dir3, nil) }, nicktracker.ErrDirectoryLimit},
	}
	for _, c := range refused {
		before := stats(t, tracker)
		err := c.call()
		if !errors.Is(err, c.want) {
			t.Fatalf("%s: error = %v, want %v", c.name, err, c.want)
		}
		for _, other := range []error{nicktracker.ErrNickLimit, nicktracker.ErrDirectoryLimit} {
			if other != c.want && errors.Is(err, other) {
				t.Fatalf("%s: error %v also matches %v", c.name, err, other)
			}
		}
		wantStats(t, tracker, before)
		h := &harness{t: t, tracker: tracker}
		h.wantActiveNicks("a", "b")
		h.wantDirectories("b", dir1)
		r.wantEvents(t)
		if len(r.logs) != 1 || !strings.HasPrefix(r.logs[0], "WARN ") || !strings.Contains(r.logs[0], "limit") {
			t.Fatalf("%s: logs = %q, want one warning about the limit", c.name, r.logs)
		}
		r.logs = nil
	}

	// Known nicks and directories never hit a limit; a gone report for a new nick is ignored.
	must(t, tracker.MarkPresent("c", dir1))
	must(t, tracker.SyncPeerlist(dir2, []string{"a", "b", "c", "a"}))
	must(t, tracker.MarkGone("d", dir1))
	r.wantEvents(t, "join c 1")
	// Once a nick is forgotten there is room again.
	must(t, tracker.SyncPeerlist(dir1, nil))
	must(t, tracker.SyncPeerlist(dir2, []string{"a", "b"}))
	must(t, tracker.SetDirectoryConnected(dir2, true))
	r.takeEvents()
	must(t, tracker.MarkPresent("d", dir1))
	r.wantEvents(t, "join d 1")
	wantStats(t, tracker, nicktracker.Stats{
		Nicks: 3, ActiveNicks: 3, Directories: 2, ConnectedDirectories: 2, Joins: 7, Leaves: 4,
	})
}

func TestInvalidOptionsAreRefused(t *testing.T) {
	cases := []struct {
		options nicktracker.Options
		message string
	}{
		{nicktracker.Options{LogLevel: nicktracker.LevelDebug + 1}, "Options.LogLevel: 5 is not a LogLevel"},
		{nicktracker.Options{PickMode: nicktracker.PickSticky + 1}, "Options.PickMode: 3 is not a PickMode"},
		{nicktracker.Options{MaxNicks: -1}, "Options.MaxNicks: -1 is negative (0 means no limit)"},
		{nicktracker.Options{MaxDirectories: -2}, "Options.MaxDirectories: -2 is negative (0 means no limit)"},
		{nicktracker.Options{PresenceTTL: -time.Second}, "Options.PresenceTTL: -1s is negative (0 means off)"},
		{nicktracker.Options{GoneGrace: -time.Millisecond}, "Options.GoneGrace: -1ms is negative (0 means off)"},
		{nicktracker.Options{DisconnectedHold: -1}, "Options.DisconnectedHold: -1ns is negative (0 means off)"},
	}
	for _, c := range cases {
		tracker, err := nicktracker.NewWithOptions(c.options)
		if tracker != nil || !errors.Is(err, nicktracker.ErrInvalidArgument) {
			t.Errorf("NewWithOptions(%+v) = %v, %v; want ErrInvalidArgument", c.options, tracker, err)
			continue
		}
		if want := "nicktracker: " + c.message; err.Error() != want {
			t.Errorf("NewWithOptions(%+v): message %q, want %q", c.options, err.Error(), want)
		}
	}
	// The zero Options is valid: no callbacks, no limits, random picks, no expiry.
	tracker := newTrackerWith(t, nicktracker.Options{})
	must(t, tracker.SyncPeerlist(dir1, []string{"alice"}))
	dir, err := tracker.PickDirectory("alice")
	must(t, err)
	if dir != dir1 {
		t.Fatalf("PickDirectory = %d, want %d", dir, dir1)
	}
}

// Each threshold passes its own level and the more severe ones.
func TestLogCallbackGetsMessagesAtOrAboveItsLevel(t *testing.T) {
	scenario := func(t *testing.T, level nicktracker.LogLevel) []string {
		tracker, r := newRecorded(t, nicktracker.Options{LogLevel: level, MaxNicks: 1})
		must(t, tracker.MarkPresent("alice", dir1))         // DEBUG: alice is active
		must(t, tracker.MarkGone("alice", dir1))            // INFO: alice left
		must(t, tracker.SetDirectoryConnected(dir2, false)) // INFO: directory 2 disconnected
		must(t, tracker.MarkPresent("bob", dir1))           // DEBUG: bob is active
		err := tracker.MarkPresent("carol", dir1)           // WARN: refused
		if !errors.Is(err, nicktracker.ErrNickLimit) {
			t.Fatalf("MarkPresent beyond MaxNicks: %v", err)
		}
		for _, line := range r.logs {
			if strings.ContainsAny(line, "\n\x00") {
				t.Errorf("log line %q has a newline or NUL", line)
			}
		}
		return r.logs
	}
	levelsOf := func(logs []string) []string {
		var levels []string
		for _, line := range logs {
			levels = append(levels, strings.SplitN(line, " ", 2)[0])
		}
		return levels
	}
	all := scenario(t, nicktracker.LevelDebug)
	wantSlice(t, "levels at DEBUG", levelsOf(all), "DEBUG", "INFO", "INFO", "DEBUG", "WARN")
	for i, nick := range []string{"alice", "alice", "directory 2", "bob", "limit"} {
		if !strings.Contains(all[i], nick) {
			t.Errorf("log line %q does not mention %q", all[i], nick)
		}
	}
	for level, want := range map[nicktracker.LogLevel][]string{
		0:                      {"INFO", "INFO", "WARN"}, // the default
		nicktracker.LevelInfo:  {"INFO", "INFO", "WARN"},
		nicktracker.LevelWarn:  {"WARN"},
		nicktracker.LevelError: nil,
	} {
		t.Run(fmt.Sprint(level), func(t *testing.T) {
			wantSlice(t, "levels", levelsOf(scenario(t, level)), want...)
		})
	}
}

// The packed peerlist must not let a NUL split a nick, and every other error still names
// the entry exactly as the library would for separate strings.
func TestSyncPeerlistErrorsNameTheEntryAndChangeNothing(t *testing.T) {
	long := strings.Repeat("x", nicktracker.MaxNickLen+1)
	many := make([]string, 20)
	for i := range many {
		many[i] = fmt.Sprint("maker", i)
	}
	cases := []struct {
		name    string
		nicks   []string
		want    error
		message string
	}{
		{"NUL inside", []string{"alice", "b\x00c"}, nicktracker.ErrNickContainsNUL, "nicks[1]: nick contains a NUL byte"},
		{"NUL at the end", []string{"alice\x00"}, nicktracker.ErrNickContainsNUL, "nicks[0]: nick contains a NUL byte"},
		{"NUL at the start", []string{"alice", "bob", "\x00bob"}, nicktracker.ErrNickContainsNUL, "nicks[2]: nick contains a NUL byte"},
		{"only NUL", []string{"\x00"}, nicktracker.ErrNickContainsNUL, "nicks[0]: nick contains a NUL byte"},
		{"NUL after a later bad nick", []string{"", "a\x00"}, nicktracker.ErrNickContainsNUL, "nicks[1]: nick contains a NUL byte"},
		{"empty last", []string{"alice", ""}, nicktracker.ErrNickEmpty, "nicks[1]: nick is empty"},
		{"empty only", []string{""}, nicktracker.ErrNickEmpty, "nicks[0]: nick is empty"},
		{"too long", append(append([]string{}, many...), long), nicktracker.ErrNickTooLong, "nicks[20]: nick is longer than 256 bytes"},
		{"not UTF-8", append(append([]string{}, many[:13]...), "\xffbob"), nicktracker.ErrNickNotUTF8, "nicks[13]: nick is not valid UTF-8"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tracker, r := newRecorded(t, nicktracker.Options{})
			must(t, tracker.SyncPeerlist(dir1, []string{"alice", "carol"}))
			r.takeEvents()
			before := stats(t, tracker)
			err := tracker.SyncPeerlist(dir1, c.nicks)
			if !errors.Is(err, c.want) || err.Error() != "nicktracker: "+c.message {
				t.Fatalf("error = %v, want %q", err, c.message)
			}
			wantStats(t, tracker, before)
			r.wantEvents(t)
			(&harness{t: t, tracker: tracker}).wantActiveNicks("alice", "carol")
		})
	}
	t.Run("longest nick and empty peerlists", func(t *testing.T) {
		tracker, r := newRecorded(t, nicktracker.Options{})
		longest := strings.Repeat("é", nicktracker.MaxNickLen/2)
		must(t, tracker.SyncPeerlist(dir1, []string{"a", longest, "b"}))
		r.wantEvents(t, "join a 1", "join "+longest+" 1", "join b 1")
		must(t, tracker.SyncPeerlist(dir1, []string{}))
		r.wantEvents(t, "leave a 1", "leave "+longest+" 1", "leave b 1")
		must(t, tracker.SyncPeerlist(dir1, nil))
		r.wantEvents(t)
	})
	t.Run("a large peerlist", func(t *testing.T) {
		tracker := newTracker(t, nil)
		nicks := make([]string, 10000)
		for i := range nicks {
			nicks[i] = fmt.Sprintf("J5maker%05d", i)
		}
		must(t, tracker.SyncPeerlist(dir1, nicks))
		got, err := tracker.ActiveNicks()
		must(t, err)
		wantSlice(t, "ActiveNicks()", got, nicks...)
	})
}

// A panic in OnEvent or OnLog is handled like one in a leave callback: the call finishes,
// every event is delivered, and the first panic is raised in the caller.
func TestEventAndLogCallbackPanicsAreRaisedAfterTheCall(t *testing.T) {
	boom := errors.New("boom")
	t.Run("OnEvent", func(t *testing.T) {
		var events []string
		tracker := newTrackerWith(t, nicktracker.Options{OnEvent: func(e nicktracker.Event) {
			events = append(events, fmt.Sprint(e.Kind, " ", e.Nick))
			if e.Nick == "bob" {
				panic(boom)
			}
		}})
		panicked, value := catchPanic(func() { tracker.SyncPeerlist(dir1, []string{"alice", "bob", "carol"}) })
		if !panicked || value != boom {
			t.Fatalf("SyncPeerlist: panicked=%v with %v, want %v", panicked, value, boom)
		}
		wantSlice(t, "events", events, "join alice", "join bob", "join carol")
		panicked, value = catchPanic(func() { tracker.SetDirectoryConnected(dir1, false) })
		if !panicked || value != boom {
			t.Fatalf("SetDirectoryConnected: panicked=%v with %v, want %v", panicked, value, boom)
		}
		wantSlice(t, "events", events[3:], "leave alice", "leave bob", "leave carol")
		wantStats(t, tracker, nicktracker.Stats{Nicks: 3, Directories: 1, Joins: 3, Leaves: 3})
		must(t, tracker.MarkPresent("dave", dir2))
		must(t, tracker.Close())
	})
	t.Run("OnLog", func(t *testing.T) {
		var logs []nicktracker.LogLevel
		tracker := newTrackerWith(t, nicktracker.Options{
			MaxNicks: 1,
			OnLog: func(level nicktracker.LogLevel, message string) {
				logs = append(logs, level)
				if level == nicktracker.LevelWarn {
					panic(message)
				}
			},
		})
		must(t, tracker.MarkPresent("alice", dir1))
		panicked, value := catchPanic(func() { tracker.MarkPresent("bob", dir1) })
		if message, _ := value.(string); !panicked || !strings.Contains(message, "limit") {
			t.Fatalf("MarkPresent beyond the limit: panicked=%v with %v, want the warning", panicked, value)
		}
		active, err := tracker.IsActive("bob")
		must(t, err)
		if active || len(logs) != 1 {
			t.Fatalf("bob active = %v, logs %v", active, logs)
		}
	})
	t.Run("first of OnEvent and OnLog", func(t *testing.T) {
		var calls []string
		tracker := newTrackerWith(t, nicktracker.Options{
			OnEvent: func(e nicktracker.Event) {
				calls = append(calls, fmt.Sprint(e.Kind, " ", e.Nick))
				if e.Kind == nicktracker.EventLeave {
					panic("event " + e.Nick)
				}
			},
			OnLog: func(_ nicktracker.LogLevel, message string) {
				calls = append(calls, "log")
				panic("log")
			},
		})
		must(t, tracker.MarkPresent("alice", dir1)) // a join is logged at DEBUG only
		must(t, tracker.MarkPresent("bob", dir1))
		// Two leaves, then their two log messages and the directory's.
		_, value := catchPanic(func() { tracker.SetDirectoryConnected(dir1, false) })
		if value != "event alice" {
			t.Fatalf("raised %v, want the first event's panic", value)
		}
		wantSlice(t, "calls", calls, "join alice", "join bob", "leave alice", "leave bob", "log", "log", "log")
	})
	t.Run("panic(nil)", func(t *testing.T) {
		tracker := newTrackerWith(t, nicktracker.Options{OnEvent: func(nicktracker.Event) { panic(nil) }})
		if panicked, _ := catchPanic(func() { tracker.MarkPresent("alice", dir1) }); !panicked {
			t.Fatal("MarkPresent returned normally")
		}
	})
}

// OnEvent and OnLog may call the tracker, including calls that produce events and messages
// of their own: those are delivered after the events and messages of the outer call.
func TestEventAndLogCallbacksMayCallTheTrackerAgain(t *testing.T) {
	var tracker *nicktracker.Tracker
	var trace []string
	tracker = newTrackerWith(t, nicktracker.Options{
		PickMode: nicktracker.PickRoundRobin,
		OnEvent: func(e nicktracker.Event) {
			trace = append(trace, fmt.Sprint("enter ", e.Kind, " ", e.Nick))
			active, err := tracker.IsActive(e.Nick)
			check(t, err)
			dir, err := tracker.PickDirectory(e.Nick)
			if e.Kind == nicktracker.EventJoin {
				check(t, err)
				trace = append(trace, fmt.Sprintf("%s active=%v via %d", e.Nick, active, dir))
			} else if !errors.Is(err, nicktracker.ErrNickNotActive) {
				t.Errorf("PickDirectory(%s) after it left: %v", e.Nick, err)
			}
			if e.Kind == nicktracker.EventLeave && e.Nick == "alice" {
				// bob is only on dir2, so he leaves, after this callback.
				check(t, tracker.SetDirectoryConnected(dir2, false))
			}
			trace = append(trace, fmt.Sprint("exit ", e.Kind, " ", e.Nick))
		},
		OnLog: func(level nicktracker.LogLevel, message string) {
			s, err := tracker.Stats()
			check(t, err)
			trace = append(trace, fmt.Sprintf("log %v with %d active", level, s.ActiveNicks))
		},
	})
	must(t, tracker.MarkPresent("alice", dir1))
	must(t, tracker.MarkPresent("bob", dir2))
	trace = nil
	must(t, tracker.MarkGone("alice", dir1))
	wantSlice(t, "trace", trace,
		"enter leave alice",
		"exit leave alice",
		"log INFO with 0 active", // alice left
		"enter leave bob",
		"exit leave bob",
		"log INFO with 0 active", // bob left
		"log INFO with 0 active", // directory 2 disconnected
	)
}

// The panic rule holds for event callbacks too: the panic of a nested call's event
// callback is raised by the outermost call, and the first panic of all wins.
func TestNestedCallsEventCallbackPanicIsRaisedByTheOutermostCall(t *testing.T) {
	var tracker *nicktracker.Tracker
	var nested []any
	tracker = newTrackerWith(t, nicktracker.Options{OnEvent: func(e nicktracker.Event) {
		switch {
		case e.Kind == nicktracker.EventJoin:
		case e.Nick == "outer1":
			_, value := catchPanic(func() {
				_, err := tracker.RemoveDirectory(dir2)
				check(t, err)
			})
			nested = append(nested, value)
		case e.Nick == "inner":
			panic("inner's panic")
		case e.Nick == "outer2":
			panic("outer2's panic")
		}
	}})
	must(t, tracker.SyncPeerlist(dir1, []string{"outer1", "outer2"}))
	must(t, tracker.MarkPresent("inner", dir2))
	_, value := catchPanic(func() { tracker.SetDirectoryConnected(dir1, false) })
	// outer2's leave is delivered before inner's, which the nested call queued behind it.
	if value != "outer2's panic" || len(nested) != 1 || nested[0] != nil {
		t.Fatalf("outer call raised %v, nested call raised %v", value, nested)
	}
	must(t, tracker.SetDirectoryConnected(dir1, true))
	must(t, tracker.MarkPresent("inner", dir2))
	// Now only the nested call's callback panics.
	_, value = catchPanic(func() { tracker.MarkGone("outer1", dir1) })
	if value != "inner's panic" || len(nested) != 2 || nested[1] != nil {
		t.Fatalf("outer call raised %v, want inner's panic", value)
	}
}

func TestNoEventOrLogRunsAfterClose(t *testing.T) {
	tracker, err := nicktracker.NewWithOptions(nicktracker.Options{
		OnEvent:  func(nicktracker.Event) { t.Error("OnEvent after Close") },
		OnLog:    func(nicktracker.LogLevel, string) { t.Error("OnLog after Close") },
		LogLevel: nicktracker.LevelDebug,
	})
	must(t, err)
	must(t, tracker.Close())
	for _, err := range []error{
		tracker.MarkPresent("alice", dir1),
		tracker.SetDirectoryConnected(dir1, false),
		tracker.SyncPeerlist(dir1, []string{"alice"}),
	} {
		if !errors.Is(err, nicktracker.ErrClosed) {
			t.Fatalf("error = %v, want ErrClosed", err)
		}
	}
}

// Goroutines each churn their own nicks through joins and leaves on their own directories,
// connecting and disconnecting them, while others read. Every nick's events alternate join,
// leave, each from one of its goroutine's directories, and they add up to Stats.
func TestConcurrentEventsAlternateAndAddUp(t *testing.T) {
	const writers, nicksEach, rounds = 6, 3, 40
	var mu sync.Mutex
	last := map[string]nicktracker.EventKind{}
	counts := map[nicktracker.EventKind]uint64{}
	var logs int
	tracker := newTrackerWith(t, nicktracker.Options{
		PickMode: nicktracker.PickRoundRobin,
		OnEvent: func(e nicktracker.Event) {
			mu.Lock()
			defer mu.Unlock()
			var writer int
			fmt.Sscanf(e.Nick, "w%d-", &writer)
			if e.Directory/10 != uint64(writer) {
				t.Errorf("event %+v from another writer's directory", e)
			}
			if prev, seen := last[e.Nick]; seen && prev == e.Kind || !seen && e.Kind != nicktracker.EventJoin {
				t.Errorf("%s: %v after %v", e.Nick, e.Kind, prev)
			}
			last[e.Nick] = e.Kind
			counts[e.Kind]++
		},
		OnLog: func(nicktracker.LogLevel, string) {
			mu.Lock()
			logs++
			mu.Unlock()
		},
	})
	var writing, reading sync.WaitGroup
	stop := make(chan struct{})
	reading.Add(1)
	go func() {
		defer reading.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := tracker.Stats(); err != nil {
				t.Error(err)
				return
			}
			if _, err := tracker.PickDirectory("w0-maker0"); err != nil && !errors.Is(err, nicktracker.ErrNickNotActive) {
				t.Error(err)
				return
			}
		}
	}()
	for w := 0; w < writers; w++ {
		w := w
		writing.Add(1)
		go func() {
			defer writing.Done()
			if err := churnConnections(tracker, w, nicksEach, rounds); err != nil {
				t.Error(err)
			}
		}()
	}
	writing.Wait()
	close(stop)
	reading.Wait()

	s := stats(t, tracker)
	mu.Lock()
	defer mu.Unlock()
	if s.Joins != counts[nicktracker.EventJoin] || s.Leaves != counts[nicktracker.EventLeave] ||
		s.Joins != s.Leaves || s.Joins != writers*nicksEach*rounds*2 || s.ActiveNicks != 0 || logs == 0 {
		t.Fatalf("Stats() = %+v; delivered %v; %d log messages", s, counts, logs)
	}
}

// churnConnections is one writer of TestConcurrentEventsAlternateAndAddUp: each round its
// nicks join on directory 10w, leave when it disconnects, join again when it reconnects,
// and leave with an empty peerlist.
func churnConnections(tracker *nicktracker.Tracker, writer, nicksEach, rounds int) error {
	nicks := make([]string, nicksEach)
	for i := range nicks {
		nicks[i] = fmt.Sprintf("w%d-maker%d", writer, i)
	}
	dir, other := uint64(writer*10), uint64(writer*10+1)
	for round := 0; round < rounds; round++ {
		steps := []func() error{
			func() error { return tracker.SyncPeerlist(dir, nicks) },
			func() error { return tracker.SyncPeerlist(other, nicks[:1]) },
			func() error { return tracker.SetDirectoryConnected(dir, false) },
			func() error { return tracker.SetDirectoryConnected(other, false) },
			func() error { return tracker.SetDirectoryConnected(dir, true) },
			func() error { return tracker.SetDirectoryConnected(other, true) },
			func() error { return tracker.SyncPeerlist(dir, nil) },
			func() error { _, err := tracker.RemoveDirectory(other); return err },
		}
		for i, step := range steps {
			if err := step(); err != nil {
				return fmt.Errorf("writer %d round %d step %d: %w", writer, round, i, err)
			}
		}
		if s, err := tracker.PickDirectory(nicks[0]); !errors.Is(err, nicktracker.ErrNickNotActive) {
			return fmt.Errorf("writer %d round %d: PickDirectory = %d, %v after all left", writer, round, s, err)
		}
	}
	return nil
}
