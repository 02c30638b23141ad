package nicktracker_test

// The delivery order of events: in Seq order within one goroutine's call, also when
// callbacks change the tracker; put back in order by Seq across goroutines.

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nick-tracker/nick-tracker/bindings/go/nicktracker"
)

// A leave callback that changes the tracker (/work/shared/repro/reentrant_event_order.c in
// Go): the nested call's leave comes after the outer call's join, as the tracker made them,
// so a consumer of the stream agrees with the tracker.
func TestNestedCallsEventsComeAfterTheOuterCallsInSeqOrder(t *testing.T) {
	var tracker *nicktracker.Tracker
	var stream []string
	bActive := false
	tracker = newTrackerWith(t, nicktracker.Options{OnEvent: func(e nicktracker.Event) {
		stream = append(stream, fmt.Sprintf("%d %v %s", e.Seq, e.Kind, e.Nick))
		if e.Nick == "B" {
			bActive = e.Kind == nicktracker.EventJoin
		}
		if e.Kind == nicktracker.EventLeave && e.Nick == "A" {
			check(t, tracker.MarkGone("B", dir1)) // directory 1 now says B is gone
			stream = append(stream, "MarkGone(B) returned")
		}
	}})
	must(t, tracker.MarkPresent("A", dir1))
	must(t, tracker.SyncPeerlist(dir1, []string{"B"})) // leave A, join B
	wantSlice(t, "events", stream,
		"1 join A", "2 leave A", "MarkGone(B) returned", "3 join B", "4 leave B")
	active, err := tracker.IsActive("B")
	must(t, err)
	if active != bActive {
		t.Fatalf("B active per tracker: %v, per events: %v", active, bActive)
	}
}

// seqConsumer applies events as the package documentation says to when they come from
// several goroutines: per nick, an event older than the last one applied is ignored.
type seqConsumer struct {
	mu      sync.Mutex
	lastSeq map[string]uint64
	active  map[string]bool
	seen    map[uint64]bool
}

func newSeqConsumer() *seqConsumer {
	return &seqConsumer{lastSeq: map[string]uint64{}, active: map[string]bool{}, seen: map[uint64]bool{}}
}

func (c *seqConsumer) apply(t *testing.T, e nicktracker.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen[e.Seq] {
		t.Errorf("seq %d delivered twice", e.Seq)
	}
	c.seen[e.Seq] = true
	if e.Seq > c.lastSeq[e.Nick] {
		c.lastSeq[e.Nick] = e.Seq
		c.active[e.Nick] = e.Kind == nicktracker.EventJoin
	}
}

// agrees checks the consumer against the tracker, and that every event was delivered once.
func (c *seqConsumer) agrees(t *testing.T, tracker *nicktracker.Tracker, nicks []string) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, nick := range nicks {
		active, err := tracker.IsActive(nick)
		must(t, err)
		if active != c.active[nick] {
			t.Errorf("%s active per tracker: %v, per events: %v", nick, active, c.active[nick])
		}
	}
	s := stats(t, tracker)
	if uint64(len(c.seen)) != s.Joins+s.Leaves {
		t.Errorf("%d events delivered, the tracker made %d", len(c.seen), s.Joins+s.Leaves)
	}
}

// within fails the test if wg is not done in time: a deadlock.
func within(t *testing.T, wg *sync.WaitGroup, limit time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(limit):
		t.Fatal("deadlock: the calls did not return")
	}
}

// Two goroutines (/work/shared/repro/threaded_event_order.c in Go): the callback of the
// first one's join W waits until the second's MarkGone(X) has returned, so leave X (seq 3)
// is delivered before join X (seq 2). That call does not wait for the waiting callback, and
// a consumer that orders by Seq ends in agreement with the tracker.
func TestEventsOfTwoGoroutinesAgreeBySeq(t *testing.T) {
	wJoined, goneDone := make(chan struct{}), make(chan struct{})
	consumer := newSeqConsumer()
	var mu sync.Mutex
	var stream []string
	var tracker *nicktracker.Tracker
	tracker = newTrackerWith(t, nicktracker.Options{OnEvent: func(e nicktracker.Event) {
		mu.Lock()
		stream = append(stream, fmt.Sprintf("%d %v %s", e.Seq, e.Kind, e.Nick))
		mu.Unlock()
		consumer.apply(t, e)
		if e.Kind == nicktracker.EventJoin && e.Nick == "W" {
			close(wJoined)
			select {
			case <-goneDone:
			case <-time.After(10 * time.Second):
				t.Error("MarkGone(X) waited for the other goroutine's callback")
			}
		}
	}})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		<-wJoined // the sync has changed the tracker
		check(t, tracker.MarkGone("X", dir1))
		close(goneDone)
	}()
	go func() {
		defer wg.Done()
		check(t, tracker.SyncPeerlist(dir1, []string{"W", "X"}))
	}()
	within(t, &wg, 20*time.Second)
	wantSlice(t, "events", stream, "1 join W", "3 leave X", "2 join X")
	consumer.agrees(t, tracker, []string{"W", "X"})
}

// Goroutines change the same nicks at once, and their callbacks call back into the tracker;
// events reach the consumer out of order across goroutines, yet every event arrives once,
// the consumer ends in agreement with the tracker, and nothing deadlocks.
func TestConcurrentEventsOnSharedNicksAgreeBySeq(t *testing.T) {
	const goroutines, rounds = 4, 1000
	nicks := []string{"alice", "bob", "carol", "dave", "erin"}
	consumer := newSeqConsumer()
	var tracker *nicktracker.Tracker
	tracker = newTrackerWith(t, nicktracker.Options{OnEvent: func(e nicktracker.Event) {
		consumer.apply(t, e)
		// A nested change now and then: its events are queued behind this one.
		if e.Seq%7 == 0 {
			check(t, tracker.Update(e.Nick, uint64(e.Seq%3), e.Kind == nicktracker.EventLeave))
		}
	}})
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		g := g
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := 0; round < rounds; round++ {
				nick := nicks[(g+round)%len(nicks)]
				dir := uint64(round % 3)
				var err error
				switch round % 4 {
				case 0, 1:
					err = tracker.Update(nick, dir, round%4 == 0)
				case 2:
					err = tracker.SyncPeerlist(dir, nicks[round%len(nicks):])
				default:
					err = tracker.SetDirectoryConnected(dir, round%8 != 3)
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	within(t, &wg, time.Minute)
	consumer.agrees(t, tracker, nicks)
}
