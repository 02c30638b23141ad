// Command example tracks nicks across three directory servers with package nicktracker and
// prints the events. It is the program that the static build is tested with:
//
//	go build -tags nicktracker_static -o /tmp/nt-example ./example   # runs without libnick_tracker.so
package main

import (
	"fmt"
	"log"
	"time"

	"github.com/nick-tracker/nick-tracker/bindings/go/nicktracker"
)

func main() {
	var now time.Duration // a fake clock: the program sets the time
	tracker, err := nicktracker.NewWithOptions(nicktracker.Options{
		OnEvent: func(e nicktracker.Event) {
			fmt.Printf("#%d %s %s (directory %d)\n", e.Seq, e.Kind, e.Nick, e.Directory)
		},
		Clock:       func() time.Duration { return now },
		PresenceTTL: 30 * time.Minute, // a nick a directory has not named for 30 minutes is gone there
	})
	if err != nil {
		log.Fatal(err)
	}
	defer tracker.Close()

	const dirA, dirB, dirC = 1, 2, 3
	must(tracker.SyncPeerlist(dirA, []string{"J5alice", "J5bob", "J5carol"}))
	must(tracker.SyncPeerlist(dirB, []string{"J5alice", "J5bob"}))
	must(tracker.MarkPresent("J5alice", dirC))

	must(tracker.MarkGone("J5bob", dirA)) // directory B still lists J5bob
	dirs, err := tracker.ActiveDirectories("J5bob")
	must(err)
	fmt.Println("J5bob is on directories", dirs)

	gone, err := tracker.RemoveDirectory(dirB) // J5bob's last directory
	must(err)
	fmt.Println(gone, "left with directory B")

	// Directory A's next peerlist comes in two messages; J5carol is in neither.
	now = 10 * time.Minute
	must(tracker.BeginPeerlist(dirA))
	must(tracker.AddPeerlistChunk(dirA, []string{"J5alice"}))
	must(tracker.AddPeerlistChunk(dirA, []string{"J5dave"}))
	left, err := tracker.CommitPeerlist(dirA)
	must(err)
	fmt.Println("left with the commit:", left)

	// A message of single reports from directory C: "J5erin;loc" and "J5alice;loc;D".
	left, err = tracker.UpdateMany(dirC, []nicktracker.Report{
		{Nick: "J5erin", Present: true},
		{Nick: "J5alice", Present: false}, // directory A still lists her
	})
	must(err)
	fmt.Println("left with the message:", left)

	// Directory A resends its peerlist; directory C says nothing more for 30 minutes.
	now = 20 * time.Minute
	must(tracker.SyncPeerlist(dirA, []string{"J5alice", "J5dave"}))
	now = 40 * time.Minute
	left, err = tracker.Expire()
	must(err)
	fmt.Println("expired:", left)
	seen, err := tracker.LastSeen("J5alice", dirA)
	must(err)
	active, err := tracker.ActiveNicks()
	must(err)
	fmt.Println("active:", active, "J5alice last listed at", seen, "library", nicktracker.Version())
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
