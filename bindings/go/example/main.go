// Command example tracks nicks across three directory servers with package nicktracker and
// prints the events. It is the program that the static build is tested with:
//
//	go build -tags nicktracker_static -o /tmp/nt-example ./example   # runs without libnick_tracker.so
package main

import (
	"fmt"
	"log"

	"github.com/nick-tracker/nick-tracker/bindings/go/nicktracker"
)

func main() {
	tracker, err := nicktracker.NewWithOptions(nicktracker.Options{
		OnEvent: func(e nicktracker.Event) {
			fmt.Printf("#%d %s %s (directory %d)\n", e.Seq, e.Kind, e.Nick, e.Directory)
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer tracker.Close()

	const dirA, dirB, dirC = 1, 2, 3
	must(tracker.SyncPeerlist(dirA, []string{"J5alice", "J5bob", "J5carol"}))
	must(tracker.SyncPeerlist(dirB, []string{"J5alice", "J5bob"}))
	must(tracker.SyncPeerlist(dirC, []string{"J5alice"}))

	must(tracker.MarkGone("J5bob", dirA)) // directory B still lists J5bob
	dirs, err := tracker.ActiveDirectories("J5bob")
	must(err)
	fmt.Println("J5bob is on directories", dirs)

	gone, err := tracker.RemoveDirectory(dirB) // J5bob's last directory
	must(err)
	fmt.Println(gone, "left with directory B")

	must(tracker.SyncPeerlist(dirA, []string{"J5alice", "J5dave"}))
	active, err := tracker.ActiveNicks()
	must(err)
	fmt.Println("active:", active, "library", nicktracker.Version())
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
