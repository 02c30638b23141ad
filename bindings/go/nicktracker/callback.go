package nicktracker

// #include "bridge.h"
import "C"

import "runtime/cgo"

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
// The Go method then raises the panic again in its goroutine (see result.check).

// callbacks are a Tracker's Go callbacks, behind its cgo.Handle.
type callbacks struct {
	tracker *C.nt_tracker // set once the C tracker exists, before any callback can run
	onLeave func(nick string)
	onEvent func(Event)
	onLog   func(level LogLevel, message string)
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

// repanic raises again, in the goroutine whose call delivered the callback, the panic
// behind handle, which a callback runner recovered and the bridge took back.
func repanic(handle C.uintptr_t) {
	h := cgo.Handle(handle)
	value := h.Value()
	h.Delete()
	panic(value)
}
