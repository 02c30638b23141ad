package nicktracker

// #include <stdint.h>
import "C"

import "runtime/cgo"

// Go callbacks reach C as cgo.Handles: integers that bridge.c casts to the library's
// void *user_data, so C never holds a Go pointer. The library calls bridge.c's deliver,
// deliver_event or deliver_log on the thread that made the call, which calls ntGoDeliver,
// ntGoDeliverEvent or ntGoDeliverLog with the handle.
//
// A Go panic must not unwind through the library's C and Rust frames. Each ntGoDeliver*
// recovers it and records it in the calling thread's pending-panic slot; the bridge.c wrapper
// hands it back when the library call returns, and rethrow re-raises it in the calling
// goroutine. A thread-local slot, rather than one in the Tracker, is what makes this sound:
// several goroutines may be inside calls on one Tracker at once, each running callbacks on
// its own thread, and a callback may call into the Tracker again, which nests a call on the
// same thread (the wrappers save and restore the slot around each call). All three kinds of
// callback share the slot, so the first panic of a call wins whichever callback raised it.

// ntGoDeliver runs the func(string) behind handle callback with nick: a leave callback given
// to New, or the visitor of ActiveNicks.
//
//export ntGoDeliver
func ntGoDeliver(callback C.uintptr_t, nick *C.char, pending *C.uintptr_t) {
	returned := false
	defer recoverInto(pending, &returned)
	cgo.Handle(callback).Value().(func(string))(C.GoString(nick))
	returned = true
}

// ntGoDeliverEvent runs Options.OnEvent, the func(Event) behind handle callback.
//
//export ntGoDeliverEvent
func ntGoDeliverEvent(callback C.uintptr_t, kind C.uint32_t, nick *C.char, directory C.uint64_t, pending *C.uintptr_t) {
	returned := false
	defer recoverInto(pending, &returned)
	event := Event{Kind: EventKind(kind), Nick: C.GoString(nick), Directory: uint64(directory)}
	cgo.Handle(callback).Value().(func(Event))(event)
	returned = true
}

// ntGoDeliverLog runs Options.OnLog, the func(LogLevel, string) behind handle callback.
//
//export ntGoDeliverLog
func ntGoDeliverLog(callback C.uintptr_t, level C.uint32_t, message *C.char, pending *C.uintptr_t) {
	returned := false
	defer recoverInto(pending, &returned)
	cgo.Handle(callback).Value().(func(LogLevel, string))(LogLevel(level), C.GoString(message))
	returned = true
}

// recoverInto, deferred by a callback runner, recovers a panic of the callback unless the
// callback returned, and stores the panic value in *pending as a new cgo.Handle, unless an
// earlier callback in the same call already stored one: the first panic wins, later ones are
// dropped. It tests a flag rather than recover() != nil so that panic(nil) is caught and
// re-raised too.
func recoverInto(pending *C.uintptr_t, returned *bool) {
	if *returned {
		return
	}
	value := recover()
	if *pending == 0 {
		*pending = C.uintptr_t(cgo.NewHandle(value))
	}
}

// rethrow re-raises in the calling goroutine a panic recovered from a callback during a call
// that has now returned; pending is 0 if there was none.
func rethrow(pending C.uintptr_t) {
	if pending == 0 {
		return
	}
	handle := cgo.Handle(pending)
	value := handle.Value()
	handle.Delete()
	panic(value)
}
