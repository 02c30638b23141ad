package nicktracker

// #include "bridge.h"
import "C"

import (
	"runtime/cgo"
	"sync/atomic"
	"time"
)

// Go callbacks reach C through one cgo.Handle per Tracker: an integer that bridge.c passes
// to the library as its void *user_data, so C never holds a Go pointer. The library calls
// bridge.c's deliver_leave, deliver_event or deliver_log on the thread that made the call,
// which calls ntGoDeliverLeave, ntGoDeliverEvent or ntGoDeliverLog with the handle: one
// crossing from C to Go per event or message.
//
// A Go panic must not unwind through the library's C and Rust frames. Each ntGoDeliver*
// recovers it, keeps its value behind a new cgo.Handle and reports that handle to the
// library with nt_report_callback_error. The library goes on delivering, then the outermost
// call of the Tracker on that thread (the one delivering the callback: a call made from
// inside a callback only queues its events) returns NT_STATUS_CALLBACK_FAILED, and its
// bridge.c wrapper takes the handle back with nt_take_callback_error in the same C call.
// The Go method then raises the panic again in its goroutine (see failure).
//
// Options.Clock is read the same way, through bridge.c's read_clock, but with the library's
// lock held and outside any delivery, so nt_report_callback_error cannot carry its panic:
// read_clock keeps the handle in a thread-local variable for the wrapper of the call that
// read the clock, and tells the library that the clock went backwards, which refuses the
// call. A reading that is itself wrong (negative, or earlier than the last one) goes the same
// way, with a *clockError behind the handle, so that the call returns an error in the
// clock's own terms rather than the library's milliseconds.

// callbacks are a Tracker's Go callbacks, behind its cgo.Handle.
type callbacks struct {
	tracker *C.nt_tracker // set once the C tracker exists, before any callback can run
	onLeave func(nick string)
	onEvent func(Event)
	onLog   func(level LogLevel, message string)
	clock   func() time.Duration

	// The latest reading of clock given to the library, in its milliseconds: the clock's
	// milliseconds plus one. The library reads its clock with its lock held, so readings are
	// in sequence; the atomic tells the race detector, which cannot see that lock.
	lastClock atomic.Uint64
}

// ntGoDeliverLeave runs New's leave callback.
//
//export ntGoDeliverLeave
func ntGoDeliverLeave(handle C.uintptr_t, nick *C.char) {
	cb := cgo.Handle(handle).Value().(*callbacks)
	returned := false
	defer cb.recoverPanic(&returned)
	cb.onLeave(C.GoString(nick))
	returned = true
}

// ntGoDeliverEvent runs Options.OnEvent.
//
//export ntGoDeliverEvent
func ntGoDeliverEvent(handle C.uintptr_t, event *C.nt_event) {
	cb := cgo.Handle(handle).Value().(*callbacks)
	returned := false
	defer cb.recoverPanic(&returned)
	cb.onEvent(Event{
		Kind:      EventKind(event.kind),
		Nick:      C.GoString(event.nick),
		Directory: uint64(event.directory),
		Seq:       uint64(event.seq),
	})
	returned = true
}

// ntGoDeliverLog runs Options.OnLog.
//
//export ntGoDeliverLog
func ntGoDeliverLog(handle C.uintptr_t, level C.uint32_t, message *C.char) {
	cb := cgo.Handle(handle).Value().(*callbacks)
	returned := false
	defer cb.recoverPanic(&returned)
	cb.onLog(LogLevel(level), C.GoString(message))
	returned = true
}

// ntGoReadClock runs Options.Clock and returns its reading in milliseconds plus one (so
// that the reading is never 0: see bridge.c's read_clock). If the clock panics or its reading
// is refused, it stores in *failure a cgo.Handle of the panic's value or of a *clockError,
// and returns 0.
//
//export ntGoReadClock
func ntGoReadClock(handle C.uintptr_t, failure *C.uintptr_t) C.uint64_t {
	cb := cgo.Handle(handle).Value().(*callbacks)
	returned := false
	defer func() {
		if !returned {
			*failure = C.uintptr_t(cgo.NewHandle(recover()))
		}
	}()
	now := cb.clock()
	returned = true
	last := cb.lastClock.Load()
	var problem string
	switch {
	case now < 0:
		problem = "returned " + now.String() + ", before its origin"
	case uint64(now/time.Millisecond)+1 < last:
		problem = "went backwards: it read " + now.String() + " after reading " +
			fromClock(last, 1).String()
	default:
		ms := uint64(now/time.Millisecond) + 1
		cb.lastClock.Store(ms)
		return C.uint64_t(ms)
	}
	*failure = C.uintptr_t(cgo.NewHandle(&clockError{&Error{
		Status:  StatusClockWentBackwards,
		Message: "Options.Clock " + problem,
	}}))
	return 0
}

// clockError is why ntGoReadClock refused a reading: the error of the call that read it.
type clockError struct{ err *Error }

// fromClock turns milliseconds of the library's clock into the time.Duration since the
// origin of the Tracker's clock: offset is 1 with a Go clock (see ntGoReadClock), 0 with the
// library's own.
func fromClock(ms uint64, offset uint64) time.Duration {
	if ms < offset {
		return 0
	}
	return time.Duration(ms-offset) * time.Millisecond
}

// recoverPanic, deferred by a callback runner, recovers a panic of the callback unless the
// callback returned, and reports it to the library for the call delivering it. The first
// panic of a call is kept; the library refuses later ones, which are dropped. It tests a
// flag rather than recover() != nil so that panic(nil) is caught and raised again too.
func (cb *callbacks) recoverPanic(returned *bool) {
	if *returned {
		return
	}
	panicked := cgo.NewHandle(recover())
	if C.nt_report_callback_error(cb.tracker, C.size_t(panicked)) != C.NT_STATUS_OK {
		panicked.Delete()
	}
}

// callbackError takes back what handle holds, which a callback runner or ntGoReadClock
// left and the bridge took back: it returns the error of a refused clock reading, or raises
// again, in the goroutine whose call delivered the callback or read the clock, the panic
// that was recovered there.
func callbackError(handle C.uintptr_t) *Error {
	h := cgo.Handle(handle)
	value := h.Value()
	h.Delete()
	if refused, ok := value.(*clockError); ok {
		return refused.err
	}
	panic(value)
}
