package nicktracker

// #include <stdlib.h>
// #include "bridge.h"
import "C"

import (
	"errors"
	"strings"
	"unsafe"
)

// Status is the library's nt_status: why a call failed.
type Status uint32

// The statuses a call can fail with. The numbers are the C library's stable ABI values.
const (
	// StatusNullArgument means a required pointer was NULL; this package never passes one.
	StatusNullArgument Status = C.NT_STATUS_NULL_ARGUMENT
	// StatusNickEmpty means a nick was "".
	StatusNickEmpty Status = C.NT_STATUS_NICK_EMPTY
	// StatusNickTooLong means a nick was longer than MaxNickLen bytes.
	StatusNickTooLong Status = C.NT_STATUS_NICK_TOO_LONG
	// StatusNickNotUTF8 means a nick was not valid UTF-8.
	StatusNickNotUTF8 Status = C.NT_STATUS_NICK_NOT_UTF8
	// StatusNickContainsNUL means a nick contained a NUL byte, which a C string cannot carry.
	StatusNickContainsNUL Status = C.NT_STATUS_NICK_CONTAINS_NUL
	// StatusBufferTooSmall is handled inside this package and never returned.
	StatusBufferTooSmall Status = C.NT_STATUS_BUFFER_TOO_SMALL
	// StatusPanic means the library hit an internal bug. A tracker the call was changing
	// is poisoned from then on.
	StatusPanic Status = C.NT_STATUS_PANIC
	// StatusPoisoned means an earlier call panicked while changing the tracker, so only
	// Close is still useful on it.
	StatusPoisoned Status = C.NT_STATUS_POISONED
	// StatusNickNotActive means PickDirectory found no connected directory reporting the
	// nick present.
	StatusNickNotActive Status = C.NT_STATUS_NICK_NOT_ACTIVE
	// StatusNickLimit means the change would make the tracker hold more nicks than
	// Options.MaxNicks allows.
	StatusNickLimit Status = C.NT_STATUS_NICK_LIMIT
	// StatusDirectoryLimit means the change would make the tracker know more directories
	// than Options.MaxDirectories allows.
	StatusDirectoryLimit Status = C.NT_STATUS_DIRECTORY_LIMIT
	// StatusInvalidArgument means an argument had an invalid value, such as an unknown
	// LogLevel or PickMode or a negative limit in Options.
	StatusInvalidArgument Status = C.NT_STATUS_INVALID_ARGUMENT
	// StatusCallbackFailed is handled inside this package and never returned: a callback
	// panicked, and the call that delivered it raises the panic again instead.
	StatusCallbackFailed Status = C.NT_STATUS_CALLBACK_FAILED
	// StatusNoSnapshot means the directory has no peerlist open: AddPeerlistChunk,
	// CommitPeerlist or AbortPeerlist before BeginPeerlist, or after a commit, an abort, a
	// SyncPeerlist, a disconnection or a removal closed it.
	StatusNoSnapshot Status = C.NT_STATUS_NO_SNAPSHOT
	// StatusClockWentBackwards means the Tracker's clock read an earlier time than it did
	// before (or Options.Clock returned a negative time), so the call, which
	// needed the time, was refused.
	StatusClockWentBackwards Status = C.NT_STATUS_CLOCK_WENT_BACKWARDS
	// StatusNotFound means the nick, the (nick, directory) pair or the directory asked about
	// is not known to the Tracker: LastSeen, LastSeenAnywhere, DirectoryNicks,
	// DirectoryStats.
	StatusNotFound Status = C.NT_STATUS_NOT_FOUND
)

// String returns the library's description of the status, e.g. "nick is empty".
func (s Status) String() string {
	return C.GoString(C.nt_status_str(C.uint32_t(s)))
}

// Error is why a call was refused. Unless the Status is StatusPanic, the call changed nothing
// (a refused SyncPeerlist included).
type Error struct {
	Status Status
	// Message names the argument at fault, e.g. "nicks[2]: nick is not valid UTF-8".
	Message string
}

// Error returns the message, prefixed with the package name.
func (e *Error) Error() string {
	return "nicktracker: " + e.Message
}

// Is reports whether target is an *Error with the same Status, so that
// errors.Is(err, ErrNickEmpty) matches any empty-nick error whatever its message.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Status == e.Status
}

// Sentinels for errors.Is, one per Status.
var (
	ErrNullArgument    = sentinel(StatusNullArgument)
	ErrNickEmpty       = sentinel(StatusNickEmpty)
	ErrNickTooLong     = sentinel(StatusNickTooLong)
	ErrNickNotUTF8     = sentinel(StatusNickNotUTF8)
	ErrNickContainsNUL = sentinel(StatusNickContainsNUL)
	ErrBufferTooSmall  = sentinel(StatusBufferTooSmall)
	ErrPanic           = sentinel(StatusPanic)
	ErrPoisoned        = sentinel(StatusPoisoned)
	ErrNickNotActive   = sentinel(StatusNickNotActive)
	ErrNickLimit       = sentinel(StatusNickLimit)
	ErrDirectoryLimit  = sentinel(StatusDirectoryLimit)
	ErrInvalidArgument = sentinel(StatusInvalidArgument)
	ErrCallbackFailed  = sentinel(StatusCallbackFailed)
	ErrNoSnapshot      = sentinel(StatusNoSnapshot)
	// ErrClockWentBackwards also matches a refused reading of Options.Clock, whose message
	// then gives the readings in the clock's terms.
	ErrClockWentBackwards = sentinel(StatusClockWentBackwards)
	ErrNotFound           = sentinel(StatusNotFound)
)

// ErrClosed is returned by every method called after Close.
var ErrClosed = errors.New("nicktracker: tracker is closed")

// ErrCloseInCallback is returned by Close called from inside one of the Tracker's own
// callbacks (or its Options.Clock): the call running the callback is still in progress, and
// Close would wait for it forever. The Tracker stays open; close it once that call has
// returned.
var ErrCloseInCallback = errors.New("nicktracker: Close called from inside one of the tracker's callbacks")

func sentinel(s Status) *Error {
	return &Error{Status: s, Message: s.String()}
}

// check turns a bridge.c wrapper's result into an error, or nil for NT_STATUS_OK; if a
// callback or the clock panicked during the call, it raises that panic again instead (the
// call's error, if it had one, is dropped).
func check(r C.nt_go_result) error {
	if r.status == C.NT_STATUS_OK {
		return nil
	}
	return failure(r)
}

// failure is check's slow path, kept out of line so that check stays small enough to
// inline into every method.
func failure(r C.nt_go_result) error {
	err := &Error{Status: Status(r.status), Message: C.GoString(r.message)}
	C.free(unsafe.Pointer(r.message))
	if err.Status == StatusNoSnapshot {
		// "directory 1 has no peerlist open (nt_peerlist_begin() first)", in Go's terms.
		err.Message = strings.Replace(err.Message, "nt_peerlist_begin()", "BeginPeerlist", 1)
	}
	if r.callback_error != 0 {
		return callbackError(r.callback_error)
	}
	return err
}

// containsNUL is the error for a peerlist entry with a NUL byte, which the packed list
// would split in two, in the library's words; arg names the entry.
func containsNUL(arg string) *Error {
	return &Error{Status: StatusNickContainsNUL, Message: arg + ": " + StatusNickContainsNUL.String()}
}
