package nicktracker_test

import (
	"fmt"
	"testing"

	"github.com/nick-tracker/nick-tracker/bindings/go/nicktracker"
)

// A directory's full peerlist, resent unchanged: the common case, which is mostly the cost
// of getting the nicks into the library.
func BenchmarkSyncPeerlist(b *testing.B) {
	for _, size := range []int{10, 1000} {
		b.Run(fmt.Sprint(size, " nicks"), func(b *testing.B) {
			tracker, err := nicktracker.New(nil)
			if err != nil {
				b.Fatal(err)
			}
			defer tracker.Close()
			nicks := make([]string, size)
			for i := range nicks {
				nicks[i] = fmt.Sprintf("J5maker%06d", i)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := tracker.SyncPeerlist(1, nicks); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
