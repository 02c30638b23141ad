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
	benchChunk = 20 // nicks per peerlist chunk and reports per UpdateMany, as JoinMarket sends
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
	// addChunk adds chunk c (benchChunk nicks) of directory 0's peerlist of every nick,
	// beginning the peerlist before chunk 0 and committing it after the last chunk.
	addChunk(c int)
	// updateMany applies, in one batch, the benchChunk reports of the Update row's sequence
	// from number first on (a multiple of benchChunk: one directory, one kind of report).
	updateMany(first int)
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
	interleavedPer(b, chunk, 1, contenders...)
}

// interleavedPer is interleaved for ops that each do per units of work (nicks, reports): it
// reports the times per unit, though still as "/op".
func interleavedPer(b *testing.B, chunk, per int, contenders ...contender) {
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
	units := float64(b.N) * float64(per)
	for k, c := range contenders {
		b.ReportMetric(float64(cpu[k])/units, c.name+"-cpu-ns/op")
		b.ReportMetric(float64(wall[k].Nanoseconds())/units, c.name+"-ns/op")
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
		per   int // units of work per op: 1, or the nicks or reports of a row timed per nick or report
	}{
		// A report that changes: directories 1..6 toggle between gone and present, one pass
		// over all pairs at a time; directory 0 keeps every nick active (no events).
		{"Update", 1000, func(x impl, i int) { x.update(updateReport(i)) }, nil, 1},
		// A repeated report, the common case: directories resend what they said.
		{"MarkPresent", 1000, func(x impl, i int) { x.markPresent(i%benchNicks, uint64(i%7)) }, nil, 1},
		{"MarkGone", 1000, func(x impl, i int) { x.markGone(i%benchNicks, benchDirs-1) }, nil, 1},
		{"IsActive", 1000, func(x impl, i int) { x.isActive(i % benchNicks) }, nil, 1},
		{"ActiveDirectories", 1000, func(x impl, i int) { x.activeDirectories(i % benchNicks) }, nil, 1},
		{"PickDirectory", 1000, func(x impl, i int) { x.pickDirectory(i % benchNicks) }, nil, 1},
		// Directory 0's peerlist of all 1e4 nicks, resent unchanged.
		{"SyncPeerlist", 1, func(x impl, i int) { x.syncPeerlist(0, true) }, nil, 1},
		// Directory 0's peerlist of all 1e4 nicks, resent unchanged in chunks of 20: per
		// listed nick, with one BeginPeerlist and one CommitPeerlist (nothing to drop) per
		// 500 chunks.
		{"AddPeerlistChunkPerNick", 50, func(x impl, i int) { x.addChunk(i % (benchNicks / benchChunk)) }, nil, benchChunk},
		// The reports of the Update row, 20 per UpdateMany: per report.
		{"UpdateManyPerReport", 50, func(x impl, i int) { x.updateMany(i * benchChunk) }, nil, benchChunk},
		{"ActiveNicks", 1, func(x impl, i int) { x.activeNicks() }, nil, 1},
		// Removing a directory that every nick is also on elsewhere (no leaves); it is
		// synced back, untimed, after each removal.
		{"RemoveDirectory", 1, func(x impl, i int) {
			if x.removeDirectory(0) != 0 {
				b.Fatal("nicks left")
			}
		}, func(x impl) { x.syncPeerlist(0, true) }, 1},
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
			interleavedPer(b, row.chunk, row.per, contenders...)
		})
	}
}

// updateReport is report number k of the Update row's sequence: directories 1..6 toggle
// between gone and present, one pass over all pairs at a time.
func updateReport(k int) (nick int, dir uint64, present bool) {
	pair := k % (benchNicks * 6)
	return pair % benchNicks, uint64(1 + pair/benchNicks), k/(benchNicks*6)%2 == 1
}

// BenchmarkClock times a repeated report (MarkPresent, which reads the clock once) with the
// library's clock and with a Go Options.Clock, in turns: the difference is what reading a
// Go clock costs, one crossing from C to Go per reading.
func BenchmarkClock(b *testing.B) {
	nicks := benchNickNames(1000)
	start := time.Now()
	clocks := []struct {
		name  string
		clock func() time.Duration
	}{
		{"binding", nil},
		{"binding,Clock", func() time.Duration { return time.Since(start) }},
	}
	var contenders []contender
	for _, c := range clocks {
		tracker, err := nicktracker.NewWithOptions(nicktracker.Options{Clock: c.clock})
		if err != nil {
			b.Fatal(err)
		}
		defer tracker.Close()
		contenders = append(contenders, contender{name: c.name, op: func(i int) {
			if err := tracker.MarkPresent(nicks[i%len(nicks)], 1); err != nil {
				b.Fatal(err)
			}
		}})
	}
	interleaved(b, 1000, contenders...)
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
	reports []nicktracker.Report // reused by updateMany
}

func newBinding(b *testing.B, nicks []string) impl {
	tracker, err := nicktracker.New(nil)
	if err != nil {
		b.Fatal(err)
	}
	return &binding{b: b, tracker: tracker, nicks: nicks, reports: make([]nicktracker.Report, benchChunk)}
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
func (x *binding) addChunk(c int) {
	if c == 0 {
		x.must(x.tracker.BeginPeerlist(0))
	}
	x.must(x.tracker.AddPeerlistChunk(0, x.nicks[c*benchChunk:(c+1)*benchChunk]))
	if (c+1)*benchChunk == len(x.nicks) {
		_, err := x.tracker.CommitPeerlist(0)
		x.must(err)
	}
}
func (x *binding) updateMany(first int) {
	var dir uint64
	for k := range x.reports {
		var i int
		i, dir, x.reports[k].Present = updateReport(first + k)
		x.reports[k].Nick = x.nicks[i]
	}
	_, err := x.tracker.UpdateMany(dir, x.reports)
	x.must(err)
}
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
	f             *cfloor.Tracker
	packed        cfloor.Packed
	chunks        []cfloor.Packed // nicks packed benchChunk at a time
	gone, present cfloor.Flags
	buf           []byte
}

func newFloor(b *testing.B, nicks []string) impl {
	x := &floor{f: cfloor.New(nicks, false), packed: cfloor.Pack(nicks), buf: make([]byte, 1<<20),
		gone: cfloor.MakeFlags(benchChunk, false), present: cfloor.MakeFlags(benchChunk, true)}
	for c := 0; c < len(nicks)/benchChunk; c++ {
		x.chunks = append(x.chunks, cfloor.Pack(nicks[c*benchChunk:(c+1)*benchChunk]))
	}
	return x
}

func (x *floor) update(i int, dir uint64, present bool) { x.f.Update(i, dir, present) }
func (x *floor) markPresent(i int, dir uint64)          { x.f.MarkPresent(i, dir) }
func (x *floor) markGone(i int, dir uint64)             { x.f.MarkGone(i, dir) }
func (x *floor) isActive(i int) bool                    { return x.f.IsActive(i) }
func (x *floor) activeDirectories(i int) int            { return x.f.ActiveDirectories(i) }
func (x *floor) pickDirectory(i int) uint64             { return x.f.PickDirectory(i) }
func (x *floor) syncPeerlist(dir uint64, all bool)      { x.f.SyncPeerlist(dir, x.packed) }
func (x *floor) removeDirectory(dir uint64) int         { return x.f.RemoveDirectory(dir) }
func (x *floor) addChunk(c int) {
	if c == 0 {
		x.f.BeginPeerlist(0)
	}
	x.f.AddPeerlistChunk(0, x.chunks[c])
	if c == len(x.chunks)-1 {
		x.f.CommitPeerlist(0)
	}
}
func (x *floor) updateMany(first int) {
	i, dir, present := updateReport(first)
	flags := x.gone
	if present {
		flags = x.present
	}
	x.f.UpdateBatch(dir, x.chunks[i/benchChunk], flags)
}
func (x *floor) activeNicks() int { return x.f.ActiveNicksPacked(x.buf) }
func (x *floor) close()           { x.f.Close() }

// goMap is impl as a plain Go map from nick to its directories' reports, with jmcore's
// rules: a nick is active while a directory reports it present, and forgotten once none does.
type goMap struct {
	nicks   []string
	reports map[string]map[uint64]bool
	rng     *rand.Rand
	listed  map[string]struct{} // the nicks of the peerlist being received in chunks
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

// addChunk is a peerlist in chunks as a map would do it: each listed nick present at once,
// and at the commit every other nick the directory reports present gone.
func (x *goMap) addChunk(c int) {
	if c == 0 {
		x.listed = make(map[string]struct{}, len(x.nicks))
	}
	for _, nick := range x.nicks[c*benchChunk : (c+1)*benchChunk] {
		x.listed[nick] = struct{}{}
		x.set(nick, 0, true)
	}
	if (c+1)*benchChunk == len(x.nicks) {
		for nick, dirs := range x.reports {
			if _, ok := x.listed[nick]; !ok && dirs[0] {
				x.set(nick, 0, false)
			}
		}
	}
}

func (x *goMap) updateMany(first int) {
	for k := first; k < first+benchChunk; k++ {
		i, dir, present := updateReport(k)
		x.set(x.nicks[i], dir, present)
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
