package nicktracker_test

import (
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/nick-tracker/nick-tracker/bindings/go/nicktracker"
)

func TestVersionIsMajorMinorPatch(t *testing.T) {
	if got := nicktracker.Version(); !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(got) {
		t.Fatalf("Version() = %q, want MAJOR.MINOR.PATCH", got)
	}
}

func TestNicksOfExactlyMaxNickLenBytesAreAccepted(t *testing.T) {
	h := newHarness(t)
	longest := strings.Repeat("é", nicktracker.MaxNickLen/2) // two bytes each
	h.present(longest, dir1)
	h.wantActive(longest, true)
	h.wantDirectories(longest, dir1)
	h.wantActiveNicks(longest)
	h.sync(dir1)
	h.wantLeft(longest)
}

// More directories than ActiveDirectories first makes room for.
func TestActiveDirectoriesReturnsManyInFirstReportedOrder(t *testing.T) {
	h := newHarness(t)
	var want []uint64
	for dir := uint64(20); dir > 0; dir -= 2 {
		h.present("maker1", dir)
		want = append(want, dir)
	}
	h.wantDirectories("maker1", want...)
}

// Every nick-taking method rejects each kind of bad nick with the right error and changes
// nothing: no nick added or removed, no directory changed, no leave callback.
func TestInvalidNicksAreRejectedAndChangeNothing(t *testing.T) {
	badNicks := []struct {
		name, nick, problem string
		want                error
	}{
		{"empty", "", "nick is empty", nicktracker.ErrNickEmpty},
		{"too long", strings.Repeat("x", nicktracker.MaxNickLen+1), "nick is longer than 256 bytes", nicktracker.ErrNickTooLong},
		{"not UTF-8", "maker1\xff", "nick is not valid UTF-8", nicktracker.ErrNickNotUTF8},
		// C.CString would cut this to "maker1", which the checks below would notice.
		{"embedded NUL", "maker1\x00evil", "nick contains a NUL byte", nicktracker.ErrNickContainsNUL},
	}
	calls := []struct {
		name string
		arg  string // how the error message names the nick
		call func(tracker *nicktracker.Tracker, nick string) error
	}{
		{"Update present", "nick", func(tr *nicktracker.Tracker, nick string) error { return tr.Update(nick, dir3, true) }},
		{"Update gone", "nick", func(tr *nicktracker.Tracker, nick string) error { return tr.Update(nick, dir1, false) }},
		{"MarkPresent", "nick", func(tr *nicktracker.Tracker, nick string) error { return tr.MarkPresent(nick, dir3) }},
		{"MarkGone", "nick", func(tr *nicktracker.Tracker, nick string) error { return tr.MarkGone(nick, dir1) }},
		{"SyncPeerlist", "nicks[1]", func(tr *nicktracker.Tracker, nick string) error {
			return tr.SyncPeerlist(dir1, []string{"maker1", nick, "maker3"})
		}},
		{"IsActive", "nick", func(tr *nicktracker.Tracker, nick string) error {
			_, err := tr.IsActive(nick)
			return err
		}},
		{"ActiveDirectories", "nick", func(tr *nicktracker.Tracker, nick string) error {
			_, err := tr.ActiveDirectories(nick)
			return err
		}},
		{"PickDirectory", "nick", func(tr *nicktracker.Tracker, nick string) error {
			_, err := tr.PickDirectory(nick)
			return err
		}},
		{"UpdateMany", "nicks[1]", func(tr *nicktracker.Tracker, nick string) error {
			_, err := tr.UpdateMany(dir1, []nicktracker.Report{{"maker1", false}, {nick, true}, {"maker3", true}})
			return err
		}},
		{"LastSeen", "nick", func(tr *nicktracker.Tracker, nick string) error {
			_, err := tr.LastSeen(nick, dir1)
			return err
		}},
		{"LastSeenAnywhere", "nick", func(tr *nicktracker.Tracker, nick string) error {
			_, err := tr.LastSeenAnywhere(nick)
			return err
		}},
	}
	for _, bad := range badNicks {
		for _, c := range calls {
			t.Run(c.name+"/"+bad.name, func(t *testing.T) {
				h := newHarness(t)
				h.present("maker1", dir1)
				h.present("maker1", dir2)
				h.present("maker2", dir1)

				err := c.call(h.tracker, bad.nick)
				if !errors.Is(err, bad.want) {
					t.Fatalf("error = %v, want %v", err, bad.want)
				}
				if want := "nicktracker: " + c.arg + ": " + bad.problem; err.Error() != want {
					t.Fatalf("message = %q, want %q", err.Error(), want)
				}
				h.wantActiveNicks("maker1", "maker2")
				h.wantDirectories("maker1", dir1, dir2)
				h.wantDirectories("maker2", dir1)
				h.wantLeft()
			})
		}
	}
}

func TestErrorsMatchTheirSentinelOnly(t *testing.T) {
	sentinels := map[nicktracker.Status]*nicktracker.Error{
		nicktracker.StatusNullArgument:    nicktracker.ErrNullArgument,
		nicktracker.StatusNickEmpty:       nicktracker.ErrNickEmpty,
		nicktracker.StatusNickTooLong:     nicktracker.ErrNickTooLong,
		nicktracker.StatusNickNotUTF8:     nicktracker.ErrNickNotUTF8,
		nicktracker.StatusNickContainsNUL: nicktracker.ErrNickContainsNUL,
		nicktracker.StatusBufferTooSmall:  nicktracker.ErrBufferTooSmall,
		nicktracker.StatusPanic:           nicktracker.ErrPanic,
		nicktracker.StatusPoisoned:        nicktracker.ErrPoisoned,
		nicktracker.StatusNickNotActive:   nicktracker.ErrNickNotActive,
		nicktracker.StatusNickLimit:       nicktracker.ErrNickLimit,
		nicktracker.StatusDirectoryLimit:  nicktracker.ErrDirectoryLimit,
		nicktracker.StatusInvalidArgument: nicktracker.ErrInvalidArgument,
		nicktracker.StatusCallbackFailed:  nicktracker.ErrCallbackFailed,
		nicktracker.StatusNoSnapshot:      nicktracker.ErrNoSnapshot,
		nicktracker.StatusNotFound:        nicktracker.ErrNotFound,

		nicktracker.StatusClockWentBackwards: nicktracker.ErrClockWentBackwards,
	}
	for status, sentinel := range sentinels {
		if sentinel.Status != status || sentinel.Message != status.String() {
			t.Errorf("sentinel for %d is %#v", status, sentinel)
		}
		err := fmt.Errorf("wrapped: %w", &nicktracker.Error{Status: status, Message: "nick: details"})
		for other, otherSentinel := range sentinels {
			if got := errors.Is(err, otherSentinel); got != (other == status) {
				t.Errorf("errors.Is(error with status %d, sentinel %d) = %v", status, other, got)
			}
		}
		if errors.Is(err, nicktracker.ErrClosed) || errors.Is(err, nicktracker.ErrCloseInCallback) {
			t.Errorf("error with status %d matches ErrClosed or ErrCloseInCallback", status)
		}
	}
	if got := nicktracker.ErrNickEmpty.Error(); got != "nicktracker: nick is empty" {
		t.Errorf("ErrNickEmpty.Error() = %q", got)
	}
	if got := nicktracker.Status(999).String(); got != "unknown nt_status value" {
		t.Errorf("Status(999).String() = %q", got)
	}
}

func TestErrorsCarryTheirStatusAndMessage(t *testing.T) {
	tracker := newTracker(t, nil)
	err := tracker.SyncPeerlist(dir1, []string{"maker1", "maker2", ""})
	var e *nicktracker.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not an *Error", err)
	}
	if e.Status != nicktracker.StatusNickEmpty || e.Message != "nicks[2]: nick is empty" {
		t.Fatalf("error = %#v", e)
	}
}

func TestEveryMethodFailsWithErrClosedAfterClose(t *testing.T) {
	left := 0
	tracker, err := nicktracker.New(func(string) { left++ })
	must(t, err)
	must(t, tracker.MarkPresent("maker1", dir1))
	must(t, tracker.Close())
	must(t, tracker.Close())

	calls := map[string]func() error{
		"Update":      func() error { return tracker.Update("maker1", dir1, false) },
		"MarkPresent": func() error { return tracker.MarkPresent("maker1", dir1) },
		"MarkGone":    func() error { return tracker.MarkGone("maker1", dir1) },
		"RemoveDirectory": func() error {
			_, err := tracker.RemoveDirectory(dir1)
			return err
		},
		"SyncPeerlist": func() error { return tracker.SyncPeerlist(dir1, nil) },
		"IsActive": func() error {
			_, err := tracker.IsActive("maker1")
			return err
		},
		"ActiveDirectories": func() error {
			_, err := tracker.ActiveDirectories("maker1")
			return err
		},
		"ActiveNickCount": func() error {
			_, err := tracker.ActiveNickCount()
			return err
		},
		"ActiveNicks": func() error {
			_, err := tracker.ActiveNicks()
			return err
		},
		"SetDirectoryConnected": func() error { return tracker.SetDirectoryConnected(dir1, false) },
		"PickDirectory": func() error {
			_, err := tracker.PickDirectory("maker1")
			return err
		},
		"Stats": func() error {
			_, err := tracker.Stats()
			return err
		},
		"BeginPeerlist":    func() error { return tracker.BeginPeerlist(dir1) },
		"AddPeerlistChunk": func() error { return tracker.AddPeerlistChunk(dir1, []string{"maker1"}) },
		"CommitPeerlist": func() error {
			_, err := tracker.CommitPeerlist(dir1)
			return err
		},
		"AbortPeerlist": func() error { return tracker.AbortPeerlist(dir1) },
		"UpdateMany": func() error {
			_, err := tracker.UpdateMany(dir1, []nicktracker.Report{{Nick: "maker1"}})
			return err
		},
		"Expire": func() error {
			_, err := tracker.Expire()
			return err
		},
		"LastSeen": func() error {
			_, err := tracker.LastSeen("maker1", dir1)
			return err
		},
		"LastSeenAnywhere": func() error {
			_, err := tracker.LastSeenAnywhere("maker1")
			return err
		},
		"Directories": func() error {
			_, err := tracker.Directories()
			return err
		},
		"DirectoryNicks": func() error {
			_, err := tracker.DirectoryNicks(dir1)
			return err
		},
		"DirectoryStats": func() error {
			_, err := tracker.DirectoryStats(dir1)
			return err
		},
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, nicktracker.ErrClosed) {
			t.Errorf("%s after Close: error = %v, want ErrClosed", name, err)
		}
	}
	if left != 0 {
		t.Errorf("the leave callback ran %d times after Close", left)
	}
}

func TestRemoveDirectoryAnnouncesInFirstSeenOrder(t *testing.T) {
	h := newHarness(t)
	for _, nick := range []string{"carol", "alice", "dave", "bob"} {
		h.present(nick, dir1)
	}
	h.present("dave", dir2)
	if gone := h.remove(dir1); gone != 3 {
		t.Fatalf("RemoveDirectory returned %d, want 3", gone)
	}
	h.wantLeft("carol", "alice", "bob")
	if gone := h.remove(dir1); gone != 0 {
		t.Fatalf("removing dir1 again returned %d, want 0", gone)
	}
}

func TestSyncPeerlistAnnouncesInFirstSeenOrder(t *testing.T) {
	h := newHarness(t)
	h.sync(dir1, "zed", "amy", "kim", "lee")
	h.sync(dir1, "kim", "kim") // duplicates are harmless
	h.wantLeft("zed", "amy", "lee")
	h.sync(dir1) // an empty peerlist
	h.wantLeft("zed", "amy", "lee", "kim")
	h.wantActiveNicks()
}

// A leave callback may call the tracker, including calls that make nicks leave: those
// calls return at once, and their leaves are delivered after the callback that made them
// returns, so the callback sees departures in the order they happened.
func TestCallbacksMayCallTheTrackerAgain(t *testing.T) {
	var tracker *nicktracker.Tracker
	var events []string
	tracker = newTracker(t, func(nick string) {
		events = append(events, "enter "+nick)
		active, err := tracker.IsActive(nick)
		check(t, err)
		nicks, err := tracker.ActiveNicks()
		check(t, err)
		events = append(events, fmt.Sprintf("%s active=%v, active nicks %v", nick, active, nicks))
		if nick == "alice" {
			// bob is only on dir2: he leaves now, and the callback hears of it next.
			check(t, tracker.MarkGone("bob", dir2))
			events = append(events, "MarkGone(bob) returned")
		}
		events = append(events, "exit "+nick)
	})
	must(t, tracker.MarkPresent("alice", dir1))
	must(t, tracker.MarkPresent("bob", dir2))
	must(t, tracker.MarkPresent("carol", dir2))
	must(t, tracker.MarkGone("alice", dir1))
	wantSlice(t, "events", events,
		"enter alice",
		"alice active=false, active nicks [bob carol]",
		"MarkGone(bob) returned",
		"exit alice",
		"enter bob",
		"bob active=false, active nicks [carol]",
		"exit bob")
}

// Close waits for calls in flight. A callback of such a call that calls the tracker after
// Close has begun gets ErrClosed rather than deadlocking, as it would behind a writer-waiting
// sync.RWMutex.
func TestCloseWaitsForCallsInFlightWhoseCallbacksThenGetErrClosed(t *testing.T) {
	var tracker *nicktracker.Tracker
	inCallback := make(chan struct{})
	closed := make(chan struct{})
	var nestedErr error
	closedDuringCallback := false
	tracker = newTracker(t, func(nick string) {
		close(inCallback)
		// Spin, without any timer, until Close has begun: from then on calls fail.
		for nestedErr == nil {
			_, nestedErr = tracker.IsActive(nick)
			runtime.Gosched()
		}
		select {
		case <-closed:
			closedDuringCallback = true
		default:
		}
	})
	must(t, tracker.MarkPresent("alice", dir1))
	go func() {
		<-inCallback
		tracker.Close()
		close(closed)
	}()
	must(t, tracker.MarkGone("alice", dir1))
	<-closed
	if !errors.Is(nestedErr, nicktracker.ErrClosed) {
		t.Fatalf("call from the callback during Close: error = %v, want ErrClosed", nestedErr)
	}
	if closedDuringCallback {
		t.Fatal("Close returned while a call was still running its callback")
	}
}

// Goroutines hammer one tracker, each moving its own nicks over its own directories through
// every way of arriving and leaving, while others read. Each nick leaves once per round.
func TestConcurrentUseAccountsForEveryDeparture(t *testing.T) {
	const writers, nicksEach, dirsEach, rounds = 8, 4, 3, 60
	var mu sync.Mutex
	departures := map[string]int{}
	tracker := newTracker(t, func(nick string) {
		mu.Lock()
		departures[nick]++
		mu.Unlock()
	})

	var writing, reading sync.WaitGroup
	stop := make(chan struct{})
	for r := 0; r < 2; r++ {
		reading.Add(1)
		go func() {
			defer reading.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				nicks, err := tracker.ActiveNicks()
				if err != nil || len(nicks) > writers*nicksEach {
					t.Errorf("ActiveNicks() = %d nicks, %v", len(nicks), err)
					return
				}
				if _, err := tracker.ActiveNickCount(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for w := 0; w < writers; w++ {
		w := w
		writing.Add(1)
		go func() {
			defer writing.Done()
			if err := churn(tracker, w, nicksEach, dirsEach, rounds); err != nil {
				t.Error(err)
			}
		}()
	}
	writing.Wait()
	close(stop)
	reading.Wait()

	if len(departures) != writers*nicksEach {
		t.Fatalf("%d nicks left, want %d", len(departures), writers*nicksEach)
	}
	for nick, n := range departures {
		if n != rounds {
			t.Errorf("%s left %d times, want %d", nick, n, rounds)
		}
	}
	if count, err := tracker.ActiveNickCount(); err != nil || count != 0 {
		t.Fatalf("ActiveNickCount() = %d, %v; want 0", count, err)
	}
}

// churn is one writer of TestConcurrentUseAccountsForEveryDeparture. No other goroutine
// touches its nicks or directories, so it can check exact answers about them.
func churn(tracker *nicktracker.Tracker, writer, nicksEach, dirsEach, rounds int) error {
	nicks := make([]string, nicksEach)
	for i := range nicks {
		nicks[i] = fmt.Sprintf("w%d-maker%d", writer, i)
	}
	dirs := make([]uint64, dirsEach)
	for i := range dirs {
		dirs[i] = uint64(writer*dirsEach + i)
	}
	for round := 0; round < rounds; round++ {
		for _, dir := range dirs {
			if err := tracker.SyncPeerlist(dir, nicks); err != nil {
				return err
			}
		}
		for _, nick := range nicks {
			got, err := tracker.ActiveDirectories(nick)
			if err != nil || fmt.Sprint(got) != fmt.Sprint(dirs) {
				return fmt.Errorf("round %d: ActiveDirectories(%s) = %v, %v; want %v", round, nick, got, err, dirs)
			}
		}
		for _, dir := range dirs {
			if err := leave(tracker, round, dir, nicks); err != nil {
				return err
			}
		}
		for _, nick := range nicks {
			if active, err := tracker.IsActive(nick); err != nil || active {
				return fmt.Errorf("round %d: IsActive(%s) = %v, %v after leaving everywhere", round, nick, active, err)
			}
		}
	}
	return nil
}

// leave makes nicks leave dir one of three ways, chosen by round.
func leave(tracker *nicktracker.Tracker, round int, dir uint64, nicks []string) error {
	switch round % 3 {
	case 0:
		for _, nick := range nicks {
			if err := tracker.MarkGone(nick, dir); err != nil {
				return err
			}
		}
		return nil
	case 1:
		_, err := tracker.RemoveDirectory(dir)
		return err
	default:
		return tracker.SyncPeerlist(dir, nil)
	}
}

// Once Close returns, no call in flight in another goroutine can still run the callback.
func TestNoCallbackRunsAfterCloseReturns(t *testing.T) {
	var mu sync.Mutex
	departures := 0
	enough := make(chan struct{})
	tracker := newTracker(t, func(string) {
		mu.Lock()
		defer mu.Unlock()
		departures++
		if departures == 100 {
			close(enough)
		}
	})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		nick := fmt.Sprint("maker", w)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				err := tracker.MarkPresent(nick, dir1)
				if err == nil {
					err = tracker.MarkGone(nick, dir1)
				}
				if errors.Is(err, nicktracker.ErrClosed) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	<-enough
	must(t, tracker.Close())
	mu.Lock()
	atClose := departures
	mu.Unlock()
	wg.Wait()
	if departures != atClose {
		t.Fatalf("%d departures were announced after Close returned", departures-atClose)
	}
}

// A panic in the callback does not unwind through C: the call finishes, every departure is
// still announced, and the panic is raised again in the caller with its original value.
func TestCallbackPanicIsRaisedInTheCallerAfterTheCallFinishes(t *testing.T) {
	boom := errors.New("boom")
	var left []string
	tracker := newTracker(t, func(nick string) {
		left = append(left, nick)
		if nick == "bob" {
			panic(boom)
		}
	})
	for _, nick := range []string{"alice", "bob", "carol"} {
		must(t, tracker.MarkPresent(nick, dir1))
	}
	must(t, tracker.MarkPresent("dave", dir2))

	panicked, value := catchPanic(func() { tracker.RemoveDirectory(dir1) })
	if !panicked || value != boom {
		t.Fatalf("RemoveDirectory: panicked=%v with %v, want a panic with %v", panicked, value, boom)
	}
	wantSlice(t, "nicks left", left, "alice", "bob", "carol")

	// The tracker is consistent and usable, and Close does not wait for the panicked call.
	nicks, err := tracker.ActiveNicks()
	must(t, err)
	wantSlice(t, "ActiveNicks()", nicks, "dave")
	must(t, tracker.MarkGone("dave", dir2))
	wantSlice(t, "nicks left", left, "alice", "bob", "carol", "dave")
	must(t, tracker.Close())
}

func TestFirstOfSeveralCallbackPanicsIsRaised(t *testing.T) {
	tracker := newTracker(t, func(nick string) { panic(nick) })
	must(t, tracker.SyncPeerlist(dir1, []string{"alice", "bob"}))
	panicked, value := catchPanic(func() { tracker.SyncPeerlist(dir1, nil) })
	if !panicked || value != "alice" {
		t.Fatalf("SyncPeerlist: panicked=%v with %v, want a panic with alice", panicked, value)
	}
	count, err := tracker.ActiveNickCount()
	must(t, err)
	if count != 0 {
		t.Fatalf("ActiveNickCount() = %d, want 0", count)
	}
}

func TestPanicNilInCallbackIsNotSwallowed(t *testing.T) {
	tracker := newTracker(t, func(string) { panic(nil) })
	must(t, tracker.MarkPresent("alice", dir1))
	if panicked, _ := catchPanic(func() { tracker.MarkGone("alice", dir1) }); !panicked {
		t.Fatal("MarkGone returned normally")
	}
}

// A call made from a callback delivers nothing itself, so it never raises a panic: the
// panics of the callbacks its events run are raised by the outermost call, which delivers
// them.
func TestNestedCallsCallbackPanicsAreRaisedByTheOutermostCall(t *testing.T) {
	var tracker *nicktracker.Tracker
	var nestedPanics []any
	var left []string
	tracker = newTracker(t, func(nick string) {
		left = append(left, nick)
		switch nick {
		case "outer2":
			// loud leaves now; its callback, which panics, runs after this one.
			_, value := catchPanic(func() { check(t, tracker.MarkGone("loud", dir2)) })
			nestedPanics = append(nestedPanics, value)
		case "loud":
			panic("loud's panic")
		}
	})
	for _, nick := range []string{"outer1", "outer2", "outer3"} {
		must(t, tracker.MarkPresent(nick, dir1))
	}
	must(t, tracker.MarkPresent("loud", dir2))
	_, value := catchPanic(func() { tracker.RemoveDirectory(dir1) })
	if value != "loud's panic" {
		t.Errorf("RemoveDirectory raised %v, want loud's panic", value)
	}
	if len(nestedPanics) != 1 || nestedPanics[0] != nil {
		t.Errorf("the nested call raised %v, want nothing", nestedPanics)
	}
	// The outer call's leaves first, then the nested call's, though loud left before outer3.
	wantSlice(t, "nicks left", left, "outer1", "outer2", "outer3", "loud")
}
