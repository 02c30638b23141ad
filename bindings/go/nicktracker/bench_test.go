package nicktracker_test

// Benchmarks of the binding against the floor (package cfloor: one bare cgo call of the same
// C function, nicks made into C strings beforehand) and a plain Go map, timed in turns within
// one benchmark. bindings/go/bench.sh runs them several times and prints the best of each
// with the ratios.

import (
	"fmt"
	"math/rand"
	"runtime"
	"testing"
	"time"

	"github.com/nick-tracker/nick-tracker/bindings/go/nicktracker"
	"github.com/nick-tracker/nick-tracker/bindings/go/nicktracker/internal/cfloor"
)

// The size of the tracker the single calls are timed on: every nick reported present by
// directories 0..6 and reported gone by directory 7.
const (
	benchNicks = 10000
	benchDirs  = 8
)

func benchNickNames(n int) []string {
	nicks := make([]string, n)
	for i := range nicks {
		nicks[i] = fmt.Sprintf("J5maker%06d", i)
	}
	return nicks
}

// impl is what a benchmark row times: the binding, the floor or the plain Go map, each
// given nicks by their number.
type impl interface {
	update(i int, dir uint64, present bool)
	markPresent(i int, dir uint64)
	markGone(i int, dir uint64)
	isActive(i int) bool
	activeDirectories(i int) int
	pickDirectory(i int) uint64
	syncPeerlist(dir uint64, all bool)
	removeDirectory(dir uint64) int
	activeNicks() int
	close()
}

// filled returns an impl holding benchNicks nicks on benchDirs directories.
func filled(b *testing.B, newImpl func(b *testing.B, nicks []string) impl) impl {
	b.Helper()
	nicks := benchNickNames(benchNicks)
	x := newImpl(b, nicks)
	for dir := uint64(0); dir < benchDirs; dir++ {
		for i := range nicks {
			x.markPresent(i, dir)
		}
	}
	for i := range nicks {
		x.markGone(i, benchDirs-1)
	}
	return x
}

// loop runs op b.N times and reports, besides ns/op, the CPU time the calling thread spent
// per op (cpu-ns/op): on a machine shared with other work that is steadier than the time on
// the clock. The goroutine is locked to its thread for the measurement; the binding itself
// never locks threads.
func loop(b *testing.B, op func(i int)) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ResetTimer()
	start := cfloor.ThreadCPUTime()
	for i := 0; i < b.N; i++ {
		op(i)
	}
	b.ReportMetric(float64(cfloor.ThreadCPUTime()-start)/float64(b.N), "cpu-ns/op")
}

// contender is one of the things a benchmark compares.
type contender struct {
	name  string
	op    func(i int)
	after func() // untimed work after each op, or nil
}

// interleaved runs ops 0..b.N-1 on each contender, in chunks of chunk ops taken in turn, so
// that whatever else the machine does slows them alike, and reports for each the CPU time
// of the benchmark's thread per op ("floor-cpu-ns/op"; steady on a busy machine) and the
// time on the clock per op ("floor-ns/op"). The framework's own ns/op is their sum.
func interleaved(b *testing.B, chunk int, contenders ...contender) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu := make([]int64, len(contenders))
	wall := make([]time.Duration, len(contenders))
	b.ResetTimer()
	for done := 0; done < b.N; done += chunk {
		end := done + chunk
		if end > b.N {
			end = b.N
		}
		for k, c := range contenders {
			if c.after == nil {
				start, startCPU := time.Now(), cfloor.ThreadCPUTime()
				for i := done; i < end; i++ {
					c.op(i)
				}
				cpu[k] += cfloor.ThreadCPUTime() - startCPU
				wall[k] += time.Since(start)
				continue
			}
			for i := done; i < end; i++ {
				start, startCPU := time.Now(), cfloor.ThreadCPUTime()
				c.op(i)
				cpu[k] += cfloor.ThreadCPUTime() - startCPU
				wall[k] += time.Since(start)
				b.StopTimer()
				c.after()
				b.StartTimer()
			}
		}
	}
	b.StopTimer()
	for k, c := range contenders {
		b.ReportMetric(float64(cpu[k])/float64(b.N), c.name+"-cpu-ns/op")
		b.ReportMetric(float64(wall[k].Nanoseconds())/float64(b.N), c.name+"-ns/op")
	}
}

var impls = []struct {
	name string
	new  func(b *testing.B, nicks []string) impl
}{
	{"floor", newFloor},
	{"binding", newBinding},
	{"map", newGoMap},
}

// BenchmarkCalls times each single call, and the calls on every nick of a directory, at
// 1e4 nicks x 8 directories, on the floor, the binding and the map in turns.
func BenchmarkCalls(b *testing.B) {
	rows := []struct {
		name  string
		chunk int
		op    func(x impl, i int)
		after func(x impl)
	}{
		// A report that changes: directories 1..6 toggle between gone and present, one pass
		// over all pairs at a time; directory 0 keeps every nick active (no events).
		{"Update", 1000, func(x impl, i int) {
			k := i % (benchNicks * 6)
			x.update(k%benchNicks, uint64(1+k/benchNicks), i/(benchNicks*6)%2 == 1)
		}, nil},
		// A repeated report, the common case: directories resend what they said.
		{"MarkPresent", 1000, func(x impl, i int) { x.markPresent(i%benchNicks, uint64(i%7)) }, nil},
		{"MarkGone", 1000, func(x impl, i int) { x.markGone(i%benchNicks, benchDirs-1) }, nil},
		{"IsActive", 1000, func(x impl, i int) { x.isActive(i % benchNicks) }, nil},
		{"ActiveDirectories", 1000, func(x impl, i int) { x.activeDirectories(i % benchNicks) }, nil},
		{"PickDirectory", 1000, func(x impl, i int) { x.pickDirectory(i % benchNicks) }, nil},
		// Directory 0's peerlist of all 1e4 nicks, resent unchanged.
		{"SyncPeerlist", 1, func(x impl, i int) { x.syncPeerlist(0, true) }, nil},
		{"ActiveNicks", 1, func(x impl, i int) { x.activeNicks() }, nil},
		// Removing a directory that every nick is also on elsewhere (no leaves); it is
		// synced back, untimed, after each removal.
		{"RemoveDirectory", 1, func(x impl, i int) {
			if x.removeDirectory(0) != 0 {
				b.Fatal("nicks left")
			}
		}, func(x impl) { x.syncPeerlist(0, true) }},
	}
	for _, row := range rows {
		row := row
		b.Run(row.name, func(b *testing.B) {
			var contenders []contender
			for _, m := range impls {
				x := filled(b, m.new)
				defer x.close()
				c := contender{name: m.name, op: func(i int) { row.op(x, i) }}
				if row.after != nil {
					c.after = func() { row.after(x) }
				}
				contenders = append(contenders, c)
			}
			interleaved(b, row.chunk, contenders...)
		})
	}
}

// BenchmarkEvents times a nick joining and leaving (two events, two calls), through the
// floor and the binding, each without callbacks and with them, in turns: the difference is
// what delivering the events costs, to a C function (floor) or to a Go func (the binding:
// one crossing from C to Go per event).
func BenchmarkEvents(b *testing.B) {
	nicks := benchNickNames(1000)
	var events, leaves int
	trackers := []struct {
		name    string
		options *nicktracker.Options // nil: New with a leave callback
	}{
		{"binding", &nicktracker.Options{}},
		{"binding,OnEvent", &nicktracker.Options{OnEvent: func(nicktracker.Event) { events++ }}},
		{"binding,leave", nil},
	}
	var contenders []contender
	for _, c := range trackers {
		var tracker *nicktracker.Tracker
		var err error
		if c.options != nil {
			tracker, err = nicktracker.NewWithOptions(*c.options)
		} else {
			tracker, err = nicktracker.New(func(string) { leaves++ })
		}
		if err != nil {
			b.Fatal(err)
		}
		defer tracker.Close()
		contenders = append(contenders, contender{name: c.name, op: func(i int) {
			nick := nicks[i%len(nicks)]
			if err := tracker.MarkPresent(nick, 1); err != nil {
				b.Fatal(err)
			}
			if err := tracker.MarkGone(nick, 1); err != nil {
				b.Fatal(err)
			}
		}})
	}
	for _, callback := range []bool{false, true} {
		f := cfloor.New(nicks, callback)
		defer f.Close()
		name := "floor"
		if callback {
			name = "floor,C"
		}
		contenders = append(contenders, contender{name: name, op: func(i int) {
			f.MarkPresent(i%len(nicks), 1)
			f.MarkGone(i%len(nicks), 1)
		}})
	}
	interleaved(b, 1000, contenders...)
	if events != 2*b.N || leaves != b.N {
		b.Fatalf("%d events and %d leaves for %d joins and leaves", events, leaves, b.N)
	}
}

// A directory's full peerlist, resent unchanged, on a tracker holding only that directory:
// mostly the cost of getting the nicks into the library.
func BenchmarkSyncPeerlist(b *testing.B) {
	for _, size := range []int{10, 1000} {
		b.Run(fmt.Sprint(size, " nicks"), func(b *testing.B) {
			tracker, err := nicktracker.New(nil)
			if err != nil {
				b.Fatal(err)
			}
			defer tracker.Close()
			nicks := benchNickNames(size)
			loop(b, func(int) {
				if err := tracker.SyncPeerlist(1, nicks); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// binding is impl through package nicktracker.
type binding struct {
	b       *testing.B
	tracker *nicktracker.Tracker
	nicks   []string
}

func newBinding(b *testing.B, nicks []string) impl {
	tracker, err := nicktracker.New(nil)
	if err != nil {
		b.Fatal(err)
	}
	return &binding{b, tracker, nicks}
}

func (x *binding) must(err error) {
	if err != nil {
		x.b.Fatal(err)
	}
}

func (x *binding) update(i int, dir uint64, present bool) {
	x.must(x.tracker.Update(x.nicks[i], dir, present))
}
func (x *binding) markPresent(i int, dir uint64) { x.must(x.tracker.MarkPresent(x.nicks[i], dir)) }
func (x *binding) markGone(i int, dir uint64)    { x.must(x.tracker.MarkGone(x.nicks[i], dir)) }
func (x *binding) isActive(i int) bool {
	active, err := x.tracker.IsActive(x.nicks[i])
	x.must(err)
	return active
}
func (x *binding) activeDirectories(i int) int {
	dirs, err := x.tracker.ActiveDirectories(x.nicks[i])
	x.must(err)
	return len(dirs)
}
func (x *binding) pickDirectory(i int) uint64 {
	dir, err := x.tracker.PickDirectory(x.nicks[i])
	x.must(err)
	return dir
}
func (x *binding) syncPeerlist(dir uint64, all bool) { x.must(x.tracker.SyncPeerlist(dir, x.nicks)) }
func (x *binding) removeDirectory(dir uint64) int {
	gone, err := x.tracker.RemoveDirectory(dir)
	x.must(err)
	return gone
}
func (x *binding) activeNicks() int {
	nicks, err := x.tracker.ActiveNicks()
	x.must(err)
	return len(nicks)
}
func (x *binding) close() { x.tracker.Close() }

// floor is impl through package cfloor.
type floor struct {
	f      *cfloor.Tracker
	packed cfloor.Packed
	buf    []byte
}

func newFloor(b *testing.B, nicks []string) impl {
	return &floor{f: cfloor.New(nicks, false), packed: cfloor.Pack(nicks), buf: make([]byte, 1<<20)}
}

func (x *floor) update(i int, dir uint64, present bool) { x.f.Update(i, dir, present) }
func (x *floor) markPresent(i int, dir uint64)          { x.f.MarkPresent(i, dir) }
func (x *floor) markGone(i int, dir uint64)             { x.f.MarkGone(i, dir) }
func (x *floor) isActive(i int) bool                    { return x.f.IsActive(i) }
func (x *floor) activeDirectories(i int) int            { return x.f.ActiveDirectories(i) }
func (x *floor) pickDirectory(i int) uint64             { return x.f.PickDirectory(i) }
func (x *floor) syncPeerlist(dir uint64, all bool)      { x.f.SyncPeerlist(dir, x.packed) }
func (x *floor) removeDirectory(dir uint64) int         { return x.f.RemoveDirectory(dir) }
func (x *floor) activeNicks() int                       { return x.f.ActiveNicksPacked(x.buf) }
func (x *floor) close()                                 { x.f.Close() }

// goMap is impl as a plain Go map from nick to its directories' reports, with jmcore's
// rules: a nick is active while a directory reports it present, and forgotten once none does.
type goMap struct {
	nicks   []string
	reports map[string]map[uint64]bool
	rng     *rand.Rand
}

func newGoMap(b *testing.B, nicks []string) impl {
	return &goMap{nicks: nicks, reports: map[string]map[uint64]bool{}, rng: rand.New(rand.NewSource(1))}
}

func (x *goMap) update(i int, dir uint64, present bool) { x.set(x.nicks[i], dir, present) }

// set records a report and returns whether the nick left.
func (x *goMap) set(nick string, dir uint64, present bool) bool {
	dirs := x.reports[nick]
	if dirs == nil {
		if !present {
			return false
		}
		dirs = map[uint64]bool{}
		x.reports[nick] = dirs
	}
	dirs[dir] = present
	if present || anyPresent(dirs) {
		return false
	}
	delete(x.reports, nick)
	return true
}

func anyPresent(dirs map[uint64]bool) bool {
	for _, present := range dirs {
		if present {
			return true
		}
	}
	return false
}

func (x *goMap) markPresent(i int, dir uint64) { x.set(x.nicks[i], dir, true) }
func (x *goMap) markGone(i int, dir uint64)    { x.set(x.nicks[i], dir, false) }
func (x *goMap) isActive(i int) bool           { return anyPresent(x.reports[x.nicks[i]]) }
func (x *goMap) active(i int) []uint64 {
	var dirs []uint64
	for dir, present := range x.reports[x.nicks[i]] {
		if present {
			dirs = append(dirs, dir)
		}
	}
	return dirs
}
func (x *goMap) activeDirectories(i int) int { return len(x.active(i)) }
func (x *goMap) pickDirectory(i int) uint64 {
	dirs := x.active(i)
	return dirs[x.rng.Intn(len(dirs))]
}

// syncPeerlist is jmcore's sync_with_peerlist: every listed nick present, then every other
// nick the directory reports present gone.
func (x *goMap) syncPeerlist(dir uint64, all bool) {
	listed := make(map[string]struct{}, len(x.nicks))
	for _, nick := range x.nicks {
		listed[nick] = struct{}{}
		x.set(nick, dir, true)
	}
	for nick, dirs := range x.reports {
		if _, ok := listed[nick]; !ok && dirs[dir] {
			x.set(nick, dir, false)
		}
	}
}

func (x *goMap) removeDirectory(dir uint64) int {
	gone := 0
	for nick, dirs := range x.reports {
		if _, ok := dirs[dir]; ok {
			delete(dirs, dir)
			if !anyPresent(dirs) {
				delete(x.reports, nick)
				gone++
			}
		}
	}
	return gone
}

func (x *goMap) activeNicks() int {
	var nicks []string
	for nick, dirs := range x.reports {
		if anyPresent(dirs) {
			nicks = append(nicks, nick)
		}
	}
	return len(nicks)
}

func (x *goMap) close() {}
