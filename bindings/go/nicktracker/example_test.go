package nicktracker_test

import (
	"errors"
	"fmt"
	"log"
	"sync/atomic"
	"time"

	"github.com/nick-tracker/nick-tracker/bindings/go/nicktracker"
)

// A client connected to three directory servers hears peerlists and presence changes from
// each; a peer counts as gone only once no directory lists it.
func Example() {
	tracker, err := nicktracker.New(func(nick string) { fmt.Println("left:", nick) })
	if err != nil {
		log.Fatal(err)
	}
	defer tracker.Close()

	const dirA, dirB, dirC = 1, 2, 3
	peerlists := []struct {
		dir   uint64
		nicks []string
	}{
		{dirA, []string{"J5alice", "J5bob", "J5carol"}},
		{dirB, []string{"J5alice", "J5bob"}},
		{dirC, []string{"J5alice"}},
	}
	for _, p := range peerlists {
		if err := tracker.SyncPeerlist(p.dir, p.nicks); err != nil {
			log.Fatal(err)
		}
	}

	// J5bob's connection to directory A drops; B still lists him.
	if err := tracker.MarkGone("J5bob", dirA); err != nil {
		log.Fatal(err)
	}
	dirs, err := tracker.ActiveDirectories("J5bob")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("J5bob is on directories", dirs)

	// The client loses directory B, J5bob's last one.
	gone, err := tracker.RemoveDirectory(dirB)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(gone, "left with directory B")

	// Directory A's next peerlist drops J5carol and adds J5dave.
	if err := tracker.SyncPeerlist(dirA, []string{"J5alice", "J5dave"}); err != nil {
		log.Fatal(err)
	}
	active, err := tracker.ActiveNicks()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("active:", active)
	// Output:
	// J5bob is on directories [2]
	// left: J5bob
	// 1 left with directory B
	// left: J5carol
	// active: [J5alice J5dave]
}

// Invalid nicks are refused without changing anything; errors.Is tells the kinds apart.
func ExampleError() {
	tracker, err := nicktracker.New(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tracker.Close()

	err = tracker.SyncPeerlist(1, []string{"J5alice", "J5bob\x00"})
	fmt.Println(err)
	fmt.Println(errors.Is(err, nicktracker.ErrNickContainsNUL))
	count, err := tracker.ActiveNickCount()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(count, "active")
	// Output:
	// nicktracker: nicks[1]: nick contains a NUL byte
	// true
	// 0 active
}

// Join and leave events say which directory caused them. A directory whose connection drops
// takes its nicks' presence with it until it reconnects, without forgetting them.
func ExampleNewWithOptions() {
	tracker, err := nicktracker.NewWithOptions(nicktracker.Options{
		OnEvent: func(e nicktracker.Event) {
			fmt.Printf("%s %s (directory %d)\n", e.Kind, e.Nick, e.Directory)
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer tracker.Close()

	const dirA, dirB = 1, 2
	if err := tracker.SyncPeerlist(dirA, []string{"J5alice", "J5bob"}); err != nil {
		log.Fatal(err)
	}
	if err := tracker.MarkPresent("J5bob", dirB); err != nil {
		log.Fatal(err)
	}

	fmt.Println("-- directory A drops")
	if err := tracker.SetDirectoryConnected(dirA, false); err != nil {
		log.Fatal(err)
	}
	fmt.Println("-- directory A is back")
	if err := tracker.SetDirectoryConnected(dirA, true); err != nil {
		log.Fatal(err)
	}
	// Output:
	// join J5alice (directory 1)
	// join J5bob (directory 1)
	// -- directory A drops
	// leave J5alice (directory 1)
	// -- directory A is back
	// join J5alice (directory 1)
}

// A message to a peer goes through one of the directories it is on. Round robin is
// deterministic; the default, PickRandom, spreads messages over the directories instead.
func ExampleTracker_PickDirectory() {
	tracker, err := nicktracker.NewWithOptions(nicktracker.Options{PickMode: nicktracker.PickRoundRobin})
	if err != nil {
		log.Fatal(err)
	}
	defer tracker.Close()

	for _, dir := range []uint64{7, 3, 5} {
		if err := tracker.MarkPresent("J5alice", dir); err != nil {
			log.Fatal(err)
		}
	}
	for i := 0; i < 4; i++ {
		dir, err := tracker.PickDirectory("J5alice")
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("send via directory", dir)
	}

	_, err = tracker.PickDirectory("J5bob")
	fmt.Println(errors.Is(err, nicktracker.ErrNickNotActive))
	// Output:
	// send via directory 7
	// send via directory 3
	// send via directory 5
	// send via directory 7
	// true
}

// Limits keep a flood of fake nicks from exhausting memory: a change beyond them is refused,
// changes nothing, and is logged as a warning.
func ExampleOptions() {
	tracker, err := nicktracker.NewWithOptions(nicktracker.Options{
		MaxNicks: 2,
		OnLog: func(level nicktracker.LogLevel, message string) {
			fmt.Println(level, message)
		},
		LogLevel: nicktracker.LevelWarn,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer tracker.Close()

	err = tracker.SyncPeerlist(1, []string{"J5alice", "J5bob", "J5carol"})
	fmt.Println(errors.Is(err, nicktracker.ErrNickLimit))
	stats, err := tracker.Stats()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%+v\n", stats)
	// Output:
	// WARN change refused: nick limit reached: the tracker holds 0 nicks, the limit is 2
	// true
	// {Nicks:0 ActiveNicks:0 Directories:0 ConnectedDirectories:0 Joins:0 Leaves:0}
}

// Stats are counters for monitoring. A disconnected directory's nicks are held but not
// active.
func ExampleTracker_Stats() {
	tracker, err := nicktracker.New(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tracker.Close()

	if err := tracker.SyncPeerlist(1, []string{"J5alice", "J5bob"}); err != nil {
		log.Fatal(err)
	}
	if err := tracker.SyncPeerlist(2, []string{"J5carol"}); err != nil {
		log.Fatal(err)
	}
	if err := tracker.SetDirectoryConnected(2, false); err != nil {
		log.Fatal(err)
	}
	stats, err := tracker.Stats()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d of %d nicks active, %d of %d directories connected\n",
		stats.ActiveNicks, stats.Nicks, stats.ConnectedDirectories, stats.Directories)
	fmt.Printf("%d joins, %d leaves\n", stats.Joins, stats.Leaves)
	// Output:
	// 2 of 3 nicks active, 1 of 2 directories connected
	// 3 joins, 1 leaves
}

// A JoinMarket directory sends its peerlist in messages of about 20 entries with no end
// marker: each chunk's nicks are present at once, and only the commit, once the list is
// complete, drops the nicks no chunk listed. A refresh that fails halfway is aborted and
// drops nothing.
func ExampleTracker_CommitPeerlist() {
	tracker, err := nicktracker.New(func(nick string) { fmt.Println("left:", nick) })
	if err != nil {
		log.Fatal(err)
	}
	defer tracker.Close()
	const dir = 1
	if err := tracker.SyncPeerlist(dir, []string{"J5alice", "J5bob", "J5carol"}); err != nil {
		log.Fatal(err)
	}

	// A refresh that fails halfway.
	if err := tracker.BeginPeerlist(dir); err != nil {
		log.Fatal(err)
	}
	if err := tracker.AddPeerlistChunk(dir, []string{"J5alice"}); err != nil {
		log.Fatal(err)
	}
	if err := tracker.AbortPeerlist(dir); err != nil {
		log.Fatal(err)
	}

	// A complete one, in two chunks.
	if err := tracker.BeginPeerlist(dir); err != nil {
		log.Fatal(err)
	}
	for _, chunk := range [][]string{{"J5alice", "J5dave"}, {"J5bob"}} {
		if err := tracker.AddPeerlistChunk(dir, chunk); err != nil {
			log.Fatal(err)
		}
	}
	gone, err := tracker.CommitPeerlist(dir)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("gone:", gone)
	// Output:
	// left: J5carol
	// gone: [J5carol]
}

// A PEERLIST message of single reports ("nick;location" present, "nick;location;D" gone) is
// one UpdateMany, all or nothing.
func ExampleTracker_UpdateMany() {
	tracker, err := nicktracker.New(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tracker.Close()
	gone, err := tracker.UpdateMany(1, []nicktracker.Report{
		{Nick: "J5alice", Present: true},
		{Nick: "J5bob", Present: true},
		{Nick: "J5alice", Present: false},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("gone:", gone)
	_, err = tracker.UpdateMany(1, []nicktracker.Report{{Nick: "J5carol", Present: true}, {Nick: ""}})
	fmt.Println(err)
	active, err := tracker.ActiveNicks()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("active:", active)
	// Output:
	// gone: [J5alice]
	// nicktracker: nicks[1]: nick is empty
	// active: [J5bob]
}

// Time comes from Options.Clock, here a fake one. A reference directory never sends
// peerlists: with PresenceTTL, a nick it has not reported within the TTL is gone at the next
// Expire.
func ExampleTracker_Expire() {
	var now atomic.Int64 // the fake clock's time.Duration
	tracker, err := nicktracker.NewWithOptions(nicktracker.Options{
		Clock:       func() time.Duration { return time.Duration(now.Load()) },
		PresenceTTL: 30 * time.Minute,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer tracker.Close()

	const dir = 1
	if err := tracker.MarkPresent("J5alice", dir); err != nil {
		log.Fatal(err)
	}
	now.Store(int64(20 * time.Minute))
	if err := tracker.MarkPresent("J5bob", dir); err != nil {
		log.Fatal(err)
	}
	now.Store(int64(40 * time.Minute))
	gone, err := tracker.Expire()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("gone:", gone)
	seen, err := tracker.LastSeen("J5bob", dir)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("J5bob last seen at", seen)
	_, err = tracker.LastSeen("J5alice", dir)
	fmt.Println(errors.Is(err, nicktracker.ErrNotFound))
	// Output:
	// gone: [J5alice]
	// J5bob last seen at 20m0s
	// true
}

// Each directory's own list and health, for an orderbook watcher that trusts each
// directory for its own list.
func ExampleTracker_DirectoryStats() {
	tracker, err := nicktracker.New(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tracker.Close()
	if err := tracker.SyncPeerlist(1, []string{"J5alice", "J5bob"}); err != nil {
		log.Fatal(err)
	}
	if err := tracker.MarkPresent("J5carol", 1); err != nil {
		log.Fatal(err)
	}
	if err := tracker.BeginPeerlist(1); err != nil {
		log.Fatal(err)
	}
	stats, err := tracker.DirectoryStats(1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d nicks, connected %v, peerlist open %v, %d peerlists, %d reports\n",
		stats.Nicks, stats.Connected, stats.SnapshotOpen, stats.Peerlists, stats.Reports)
	_, err = tracker.DirectoryStats(2)
	fmt.Println(err)
	// Output:
	// 3 nicks, connected true, peerlist open true, 1 peerlists, 1 reports
	// nicktracker: directory 2 is not known to the tracker
}
