package nicktracker

// #include "bridge.h"
import "C"

import (
	"strconv"
	"time"
)

// EventKind says what happened to a nick.
type EventKind uint32

// The kinds of Event. Later versions of the library may add kinds: ignore kinds you do not
// know.
const (
	// EventJoin: the nick became active. A connected directory reported it while no other
	// did, it came back after leaving, or its directory reconnected.
	EventJoin EventKind = C.NT_EVENT_KIND_JOIN
	// EventLeave: the nick left. No connected directory reports it present any more.
	// Exactly one EventLeave follows each EventJoin of the same nick, in Seq order, unless
	// the Tracker is closed first.
	EventLeave EventKind = C.NT_EVENT_KIND_LEAVE
)

// String returns "join", "leave", or "EventKind(n)" for a kind this package does not know.
func (k EventKind) String() string {
	switch k {
	case EventJoin:
		return "join"
	case EventLeave:
		return "leave"
	default:
		return "EventKind(" + strconv.FormatUint(uint64(k), 10) + ")"
	}
}

// Event is a nick joining or leaving, as passed to Options.OnEvent.
type Event struct {
	Kind EventKind
	Nick string
	// Directory is the directory whose report, peerlist, removal or connection change
	// caused the event.
	Directory uint64
	// Seq numbers the Tracker's events in the order it made the changes: 1 for its first
	// event, one more for each event after it. The callbacks of one goroutine's call see
	// events in Seq order; callbacks running in different goroutines may see them out of
	// order, and Seq puts them back in it (see the package documentation).
	Seq uint64
}

// LogLevel is the severity of a log message, from LevelError (most severe) to LevelDebug.
type LogLevel uint32

// The log levels. The zero LogLevel is not a level: in Options it means the default,
// LevelInfo.
const (
	// LevelError is for misuse the library refuses without an error to report it in (a
	// C caller freeing a tracker from inside its callbacks, which Close refuses before the
	// library sees it).
	LevelError LogLevel = C.NT_LOG_LEVEL_ERROR
	// LevelWarn: a change was refused because a limit was reached.
	LevelWarn LogLevel = C.NT_LOG_LEVEL_WARN
	// LevelInfo: a nick left all directories; a directory was removed, disconnected or
	// reconnected.
	LevelInfo LogLevel = C.NT_LOG_LEVEL_INFO
	// LevelDebug: a nick became active.
	LevelDebug LogLevel = C.NT_LOG_LEVEL_DEBUG
)

// String returns "ERROR", "WARN", "INFO", "DEBUG", or "LogLevel(n)" for other values.
func (l LogLevel) String() string {
	switch l {
	case LevelError:
		return "ERROR"
	case LevelWarn:
		return "WARN"
	case LevelInfo:
		return "INFO"
	case LevelDebug:
		return "DEBUG"
	default:
		return "LogLevel(" + strconv.FormatUint(uint64(l), 10) + ")"
	}
}

// PickMode is how PickDirectory chooses among a nick's active directories.
type PickMode uint32

const (
	// PickRandom picks uniformly at random (the default), as the JoinMarket daemon does, so
	// that no single directory carries all of a client's private messages.
	PickRandom PickMode = C.NT_PICK_MODE_RANDOM
	// PickRoundRobin picks in turn: each call for the same nick returns the next of its
	// active directories, in the order ActiveDirectories lists them, starting with the
	// first. Deterministic, for tests.
	PickRoundRobin PickMode = C.NT_PICK_MODE_ROUND_ROBIN
	// PickSticky picks the same directory for a nick while the nick stays active there (as
	// a taker keeps the directory of a private-message session); when it does not, another
	// of its active directories, chosen at random, from then on.
	PickSticky PickMode = C.NT_PICK_MODE_STICKY
)

// Options configures a Tracker made by NewWithOptions. The zero Options is a Tracker without
// callbacks or limits that picks directories at random, reads the library's own clock and
// expires nothing.
type Options struct {
	// OnEvent, if not nil, is called with every EventJoin and EventLeave, in Seq order
	// within a goroutine (see the package documentation for several goroutines). The events
	// of one change come as leaves in the order the nicks were first seen (since they last
	// became active), then joins in the order they happened. It runs like New's leave
	// callback.
	OnEvent func(Event)

	// OnLog, if not nil, is called with the library's log messages of level LogLevel or
	// more severe. A message has no trailing newline. It runs like OnEvent, in the goroutine
	// whose call produced the message.
	OnLog func(level LogLevel, message string)
	// LogLevel is the least severe level passed to OnLog; 0 means LevelInfo.
	LogLevel LogLevel

	// MaxNicks is the most nicks the Tracker holds at once: the active ones plus those
	// reported present only by disconnected directories. A change that would exceed it fails
	// with ErrNickLimit and changes nothing. 0 means no limit.
	MaxNicks int
	// MaxDirectories is the most directories the Tracker knows at once (see
	// Stats.Directories). A change that would exceed it fails with ErrDirectoryLimit and
	// changes nothing. 0 means no limit.
	MaxDirectories int

	// PickMode is how PickDirectory chooses; the zero value is PickRandom.
	PickMode PickMode

	// Clock, if not nil, is the Tracker's clock: it returns the current time as the
	// time.Duration since an origin of its choosing (a fake clock for tests, or your own
	// clock, so that the times the Tracker reports compare with it). It must never go back:
	// a reading earlier than the one before, or negative, refuses the call that read it with
	// ErrClockWentBackwards, and a panic in Clock is raised again by that call. Readings are
	// truncated to whole milliseconds. The Tracker reads it at most once per call that
	// records a time or expires (every change, and Expire), in the calling goroutine, with
	// the library's lock held: it must not call the Tracker, and it must be safe to call from
	// several goroutines. Each reading is a call from C into Go, about 200 ns: a MarkPresent
	// costs twice as much with a Go clock (BenchmarkClock). nil, the default, is the
	// library's own monotonic clock, read in C.
	//
	// Times the Tracker reports (LastSeen, DirectoryStats) are of this clock: the time since
	// its origin, in whole milliseconds. With the library's clock the origin is the
	// operating system's monotonic one (on Linux, CLOCK_MONOTONIC's: boot).
	Clock func() time.Duration

	// PresenceTTL: a (nick, directory) pair not seen (reported present or listed) within it
	// counts as gone on that directory, at the next Expire: for directories that never send
	// peerlists. 0 is off.
	PresenceTTL time.Duration
	// GoneGrace: a single gone report (Update, MarkGone, UpdateMany) takes effect only if
	// no present report of the same pair arrives within it, at the next Expire after it: a
	// directory reports a connection that a peer is replacing as gone moments before the
	// new one is up. Peerlists, commits and removals act at once. 0 is off.
	GoneGrace time.Duration
	// DisconnectedHold: a directory disconnected for this long is removed, as by
	// RemoveDirectory, at the next Expire. 0 is off.
	DisconnectedHold time.Duration
}

// milliseconds converts a duration option for the library, rounding up so that a positive
// duration never becomes 0, which is off.
func milliseconds(d time.Duration) C.uint64_t {
	return C.uint64_t((d + time.Millisecond - 1) / time.Millisecond)
}

// check rejects values the library would not accept, naming the field as Go spells it.
func (o *Options) check() error {
	invalid := func(field, problem string) error {
		return &Error{Status: StatusInvalidArgument, Message: "Options." + field + ": " + problem}
	}
	switch {
	case o.LogLevel > LevelDebug:
		return invalid("LogLevel", strconv.FormatUint(uint64(o.LogLevel), 10)+" is not a LogLevel")
	case o.MaxNicks < 0:
		return invalid("MaxNicks", strconv.Itoa(o.MaxNicks)+" is negative (0 means no limit)")
	case o.MaxDirectories < 0:
		return invalid("MaxDirectories", strconv.Itoa(o.MaxDirectories)+" is negative (0 means no limit)")
	case o.PickMode > PickSticky:
		return invalid("PickMode", strconv.FormatUint(uint64(o.PickMode), 10)+" is not a PickMode")
	case o.PresenceTTL < 0:
		return invalid("PresenceTTL", o.PresenceTTL.String()+" is negative (0 means off)")
	case o.GoneGrace < 0:
		return invalid("GoneGrace", o.GoneGrace.String()+" is negative (0 means off)")
	case o.DisconnectedHold < 0:
		return invalid("DisconnectedHold", o.DisconnectedHold.String()+" is negative (0 means off)")
	}
	return nil
}

// NewWithOptions creates a Tracker configured by options: join and leave events, log
// messages, limits, the pick mode, the clock and expiry. An invalid option (an unknown
// LogLevel or PickMode, a negative limit or duration) gives an error matching
// ErrInvalidArgument. NewWithOptions reads Options.Clock once: if that reading is refused,
// it returns the error (ErrClockWentBackwards); if Clock panics, the panic is raised again.
func NewWithOptions(options Options) (*Tracker, error) {
	if err := options.check(); err != nil {
		return nil, err
	}
	var cb *callbacks
	if options.OnEvent != nil || options.OnLog != nil || options.Clock != nil {
		cb = &callbacks{onEvent: options.OnEvent, onLog: options.OnLog, clock: options.Clock}
	}
	o := C.nt_go_options{
		on_event:             C.bool(options.OnEvent != nil),
		on_log:               C.bool(options.OnLog != nil),
		clock:                C.bool(options.Clock != nil),
		log_level:            C.uint32_t(options.LogLevel),
		max_nicks:            C.size_t(options.MaxNicks),
		max_directories:      C.size_t(options.MaxDirectories),
		pick_mode:            C.uint32_t(options.PickMode),
		presence_ttl_ms:      milliseconds(options.PresenceTTL),
		gone_grace_ms:        milliseconds(options.GoneGrace),
		disconnected_hold_ms: milliseconds(options.DisconnectedHold),
	}
	return create(cb, &o)
}

// Stats are a Tracker's counters, all taken at one instant.
type Stats struct {
	// Nicks is how many nicks the Tracker holds: the active ones plus those reported present
	// only by disconnected directories. This is what Options.MaxNicks limits.
	Nicks int
	// ActiveNicks is how many nicks are active, as ActiveNickCount says.
	ActiveNicks int
	// Directories is how many directories the Tracker knows: those that reported a nick,
	// sent a peerlist or were given a connection state, and were not removed since. This is
	// what Options.MaxDirectories limits.
	Directories int
	// ConnectedDirectories is how many of those are connected.
	ConnectedDirectories int
	// Joins is how many EventJoins the Tracker has produced since it was created, whether
	// or not there was a callback to deliver them to.
	Joins uint64
	// Leaves is how many EventLeaves the Tracker has produced since it was created, whether
	// or not there was a callback to deliver them to.
	Leaves uint64
}

// DirectoryStats are one directory's view and health, all taken at one instant. Times are
// of the Tracker's clock (see Options.Clock).
type DirectoryStats struct {
	// Nicks is how many nicks the directory reports present, whether it is connected or not.
	Nicks int
	// Connected is whether the directory is connected (SetDirectoryConnected).
	Connected bool
	// SnapshotOpen is whether a peerlist is being received in chunks: BeginPeerlist was
	// called and neither CommitPeerlist nor AbortPeerlist (nor anything else closing it) yet.
	SnapshotOpen bool
	// LastPeerlist is when the directory's last complete peerlist arrived (SyncPeerlist or
	// CommitPeerlist); 0 if none has (Peerlists is 0).
	LastPeerlist time.Duration
	// LastReport is when its last single report arrived (Update, MarkPresent, MarkGone, each
	// report of UpdateMany); 0 if none has (Reports is 0).
	LastReport time.Duration
	// Peerlists and Reports count the complete peerlists and single reports received since
	// the directory became known.
	Peerlists uint64
	Reports   uint64
}
