package nicktracker_test

import (
	"errors"
	"fmt"
	"log"

	nicktracker "github.com/nick-tracker/nick-tracker/bindings/go"
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
