package nicktracker

// #include <stdint.h>
import "C"

import "runtime/cgo"

// Go callbacks reach C as cgo.Handles: integers that bridge.c casts to the library's
// void *user_data, so C never holds a Go pointer. The library calls deliver (bridge.c) on the
// thread that made the call, which calls ntGoDeliver with the handle.
//
// A Go panic must not unwind through the library's C and Rust frames. ntGoDeliver recovers
// it and records it in the calling thread's pending-panic slot; the bridge.c wrapper hands it
// back when the library call returns, and rethrow re-raises it in the calling goroutine. A
// thread-local slot, rather than one in the Tracker, is what makes this sound: several
// goroutines may be inside calls on one Tracker at once, each running callbacks on its own
// thread, and a callback may call into the Tracker again, which nests a call on the same
// thread (the wrappers save and restore the slot around each call).

// ntGoDeliver runs the func(string) behind handle callback with nick. If it panics, the panic
// value is stored in *pending as a new cgo.Handle, unless an earlier callback in the same
// call already stored one: the first panic wins, later ones are dropped.
//
//export ntGoDeliver
func ntGoDeliver(callback C.uintptr_t, nick *C.char, pending *C.uintptr_t) {
	// A flag rather than recover() != nil, so that panic(nil) is caught and re-raised too.
	returned := false
	defer func() {
		if returned {
			return
		}
		value := recover()
		if *pending == 0 {
			*pending = C.uintptr_t(cgo.NewHandle(value))
		}
	}()
	cgo.Handle(callback).Value().(func(string))(C.GoString(nick))
	returned = true
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
