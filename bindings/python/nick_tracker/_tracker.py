"""NickTracker: jmcore's NickTracker API on top of the C library, with join events, logging,
limits, connection state and picks. Peerlists in chunks, batched reports, time and each
directory's view are in _presence.py, the plumbing of the calls in _calls.py."""

import ctypes
import weakref
from typing import Any, Callable, Generic, Hashable, Iterable, List, Optional, Set, TypeVar
from typing import Union

from . import _convert
from ._calls import CALLBACK_FAILED, OK, Handle, Size1
from ._convert import LogTarget, encode, nick_error, unpack_nicks
from ._directories import NO_DIRECTORY, UNPACK, Directories
from ._dispatch import Dispatch, EventCallbackType, NickCallbackType
from ._errors import Status, TrackerClosedError, error_for
from ._lib import (
    OPTIONS_VERSION,
    ClockCallback,
    EventCallback,
    LogCallback,
    NickCallback,
    NtOptions,
    NtStats,
    lib,
    untyped,
)
from ._presence import Presence
from ._types import LogLevel, PickMode, Stats

TDirectory = TypeVar("TDirectory", bound=Hashable)

LeaveCallback = NickCallbackType  # the name this package has always used

_BUFFER_TOO_SMALL = Status.BUFFER_TOO_SMALL

# The calls made once per report or query, with their arguments as _lib.UNTYPED lists them.
_nt_update = untyped["nt_update"]
_nt_mark_present = untyped["nt_mark_present"]
_nt_mark_gone = untyped["nt_mark_gone"]
_nt_is_active = untyped["nt_is_active"]
_nt_active_directories = untyped["nt_active_directories"]
_nt_pick_directory = untyped["nt_pick_directory"]
_TRUE = ctypes.c_bool(True)
_FALSE = ctypes.c_bool(False)
_Bool1 = ctypes.c_bool * 1
_Id1 = ctypes.c_uint64 * 1
# Room for a nick's directories in one nt_active_directories() call: 16 costs no more to make
# than 4, and more are rare (then the call is made again with room for all of them).
_IDS_ROOM = 16
_IdRoom = ctypes.c_uint64 * _IDS_ROOM
_IDS_ROOM_SIZE = ctypes.c_size_t(_IDS_ROOM)

# Output buffers for the queries, taken (pop) and given back (append) by each call: half the
# cost of making new ones. A list's pop and append are atomic, with or without the GIL, so
# no two calls (threads, or a signal handler) ever share one; a call that finds the list
# empty makes one, so the lists hold as many as calls ever ran at once.
_BOOLS: List[Any] = []
_IDS: List[Any] = []
_ID_LISTS: List[Any] = []


class NickTracker(Presence, Generic[TDirectory]):
    """Tracks nick availability across multiple directory servers.

    A nick is active while at least one connected directory reports it present. It leaves
    only when every directory that reported it present has reported it gone, stopped listing
    it, been removed or been disconnected; then on_nick_leave(nick) is called once.

    Directories are any hashable keys (strings such as onion addresses in jmcore). Nicks are
    str of 1..MAX_NICK_LEN bytes in UTF-8. Safe to use from several threads; close() (or
    leaving a `with` block, or dropping the last reference) frees the C tracker.

    Keyword-only options (all default to jmcore's behaviour):

    - on_nick_join(nick), on_event(Event): join events, and both kinds as Event(kind, nick,
      directory, seq). A tracker created without either (nor log, a limit or a pick mode) is
      jmcore's leave-only tracker: joins then cost nothing, but cannot be subscribed to later.
    - log: route the library's log messages: True for the logging module's "nick_tracker"
      logger, a logging.Logger or LoggerAdapter, or a callable(level: LogLevel, message).
      log_level (a LogLevel or its name, default LogLevel.INFO) is the least severe level
      sent.
    - max_nicks, max_directories: caps (None, the default, for none); a change that would
      exceed one raises NickLimitError or DirectoryLimitError and changes nothing.
    - pick: how pick_directory() chooses: "random" (the default), "round_robin" or "sticky"
      (a PickMode or its name).
    - clock: a callable returning the time in seconds, like time.monotonic (the default is the
      library's own monotonic clock). presence_ttl, gone_grace, disconnected_hold: seconds
      (None or 0 for off), acted on by expire(). See the package README.

    Callbacks run on the thread whose call caused them, before that call returns; on one
    thread, a tracker's callbacks see its events in seq order, even when a callback calls the
    tracker. If one raises, the call still completes, then raises the first exception.
    """

    def __init__(
        self,
        on_nick_leave: Optional[NickCallbackType] = None,
        *,
        on_nick_join: Optional[NickCallbackType] = None,
        on_event: Optional[EventCallbackType] = None,
        log: LogTarget = None,
        log_level: Union[LogLevel, str, int, None] = None,
        max_nicks: Optional[int] = None,
        max_directories: Optional[int] = None,
        pick: Union[PickMode, str, int] = PickMode.RANDOM,
        clock: Optional[Callable[[], float]] = None,
        presence_ttl: Optional[float] = None,
        gone_grace: Optional[float] = None,
        disconnected_hold: Optional[float] = None,
    ) -> None:
        self._handle: Optional[Handle] = None
        self._directories = directories = Directories()
        self._ids = directories.ids  # read by every call
        self._keys = directories.keys
        self._dispatch = dispatch = Dispatch(directories)
        # Set through the properties for their checks. Whether joins reach Python at all
        # (_events) is settled below; until then the properties must accept callbacks.
        self._events = True
        self.on_nick_leave = on_nick_leave
        self.on_nick_join = on_nick_join
        self.on_event = on_event
        dispatch.log = _convert.log_function(log)
        if dispatch.log is None and log_level is not None:
            raise ValueError("log_level needs log: pass log=True, a logger or a callable")
        options = NtOptions()
        _check(lib.nt_options_init(ctypes.byref(options), OPTIONS_VERSION))
        if log_level is not None:
            options.log_level = _convert.enum_value(LogLevel, log_level, "log_level")
        options.max_nicks = _convert.limit(max_nicks, "max_nicks")
        options.max_directories = _convert.limit(max_directories, "max_directories")
        options.pick_mode = _convert.enum_value(PickMode, pick, "pick")
        options.presence_ttl_ms = _convert.duration_ms(presence_ttl, "presence_ttl")
        options.gone_grace_ms = _convert.duration_ms(gone_grace, "gone_grace")
        options.disconnected_hold_ms = _convert.duration_ms(disconnected_hold, "disconnected_hold")
        self._expires_directories = options.disconnected_hold_ms > 0
        if clock is not None and not callable(clock):
            raise TypeError(f"clock must be callable or None, not {type(clock).__name__}")
        # Milliseconds the clock callback adds to the caller's clock (see read_clock()).
        self._clock_offset_ms = 0 if clock is None else 1
        dispatch.clock = clock

        # jmcore's leave-only tracker unless joins are asked for (or, as in 0.2, any of its
        # options): the library then never calls into Python for a join (a first peerlist of
        # 10,000 nicks would otherwise make 10,000 calls).
        self._events = not (
            on_nick_join is None
            and on_event is None
            and dispatch.log is None
            and (options.max_nicks, options.max_directories) == (0, 0)
            and options.pick_mode == PickMode.RANDOM
        )
        # The trampolines C may call until nt_free(), kept alive by the handle.
        trampolines: List[Any] = []
        if self._events:
            trampolines.append(EventCallback(dispatch.event))
            options.on_event = trampolines[-1]
        else:
            trampolines.append(NickCallback(dispatch.leave))
            options.on_leave = trampolines[-1]
        if dispatch.log is not None:
            trampolines.append(LogCallback(dispatch.log_message))
            options.on_log = trampolines[-1]
        if clock is not None:
            trampolines.append(ClockCallback(dispatch.read_clock))
            options.clock = trampolines[-1]
        handle = Handle()
        handle.trampolines = trampolines
        _check(lib.nt_new_with_options(ctypes.byref(options), ctypes.byref(handle)))
        dispatch.pointer.value = handle.value
        # Frees the C tracker when the handle dies (see Handle). At exit, daemon threads may
        # still be inside a call: the OS reclaims the memory instead.
        finalizer = weakref.finalize(handle, lib.nt_free, ctypes.c_void_p(handle.value))
        finalizer.atexit = False
        self._handle = handle
        if clock is not None:
            # The first reading, so that a clock that fails later is always refused (see
            # read_clock()); a clock that fails now fails the constructor.
            self._call(lib.nt_expire, None)
            error, dispatch.clock_failure.error = dispatch.clock_failure.error, None
            if error is not None:
                self._handle = None
                raise error

    def _check_callback(self, name: str, callback: object) -> None:
        if callback is not None and not callable(callback):
            kind = type(callback).__name__
            raise TypeError(f"{name} must be callable or None, not {kind}")

    @property
    def on_nick_leave(self) -> Optional[NickCallbackType]:
        """Called with each nick that leaves, on the thread whose call made it leave, before
        that call returns. May be reassigned at any time; None for no callback."""
        return self._dispatch.on_nick_leave

    @on_nick_leave.setter
    def on_nick_leave(self, callback: Optional[NickCallbackType]) -> None:
        self._check_callback("on_nick_leave", callback)
        self._dispatch.on_nick_leave = callback

    @property
    def on_nick_join(self) -> Optional[NickCallbackType]:
        """Called with each nick that joins (becomes active), like on_nick_leave. May be
        reassigned, but only on a tracker created with join events (see the class)."""
        return self._dispatch.on_nick_join

    @on_nick_join.setter
    def on_nick_join(self, callback: Optional[NickCallbackType]) -> None:
        self._check_callback("on_nick_join", callback)
        self._require_events("on_nick_join", callback)
        self._dispatch.on_nick_join = callback

    @property
    def on_event(self) -> Optional[EventCallbackType]:
        """Called with an Event for each join and leave, before on_nick_join/on_nick_leave.
        May be reassigned, but only on a tracker created with join events (see the class)."""
        return self._dispatch.on_event

    @on_event.setter
    def on_event(self, callback: Optional[EventCallbackType]) -> None:
        self._check_callback("on_event", callback)
        self._require_events("on_event", callback)
        self._dispatch.on_event = callback

    def _require_events(self, name: str, callback: object) -> None:
        if callback is not None and not self._events:
            raise ValueError(
                f"{name} needs a NickTracker created with join events: pass on_nick_join= or "
                "on_event= (or another 0.2 option) to the constructor"
            )

    # -- jmcore's API ------------------------------------------------------------------------
    #
    # The methods below are what jmcore callers make thousands of times: each is written out
    # with the fewest Python operations (nick encoded inline, directory id looked up in a
    # dict, untyped call, status checked), about the cost of the bare C call through ctypes.

    def update_nick(self, nick: str, directory: TDirectory, is_present: bool) -> None:
        """Records that `directory` reports `nick` present (is_present True) or gone.

        Unlike jmcore, a "gone" report from a directory that has not reported the nick present
        is ignored rather than remembered.
        """
        try:
            encoded = encode(nick)
        except (TypeError, UnicodeEncodeError):
            nick_error(nick, "nick")
        if 0 in encoded:
            nick_error(nick, "nick")
        ids = self._ids
        id_ = ids.get(directory)
        if id_ is None:  # a gone report from an unknown directory: it stays unknown
            id_ = self._first_id(directory, encoded) if is_present else NO_DIRECTORY
        status = _nt_update(self._handle, encoded, id_, _TRUE if is_present else _FALSE)
        if status or ids.get(directory, NO_DIRECTORY) is not id_:
            self._after_change(status, directory, id_)

    def _first_id(self, directory: TDirectory, encoded: bytes) -> ctypes.c_uint64:
        """The id of a directory a report makes known, once the library accepts the nick."""
        return self._id(directory, lambda: _nt_is_active(self._handle, encoded, _Bool1()))

    def mark_nick_present(self, nick: str, directory: TDirectory) -> None:
        """Records that `directory` lists `nick`."""
        try:
            encoded = encode(nick)
        except (TypeError, UnicodeEncodeError):
            nick_error(nick, "nick")
        if 0 in encoded:
            nick_error(nick, "nick")
        ids = self._ids
        id_ = ids.get(directory)
        if id_ is None:
            id_ = self._first_id(directory, encoded)
        status = _nt_mark_present(self._handle, encoded, id_)
        if status or ids.get(directory) is not id_:
            self._after_change(status, directory, id_)

    def mark_nick_gone(self, nick: str, directory: TDirectory) -> None:
        """Records that `nick` left `directory`; on_nick_leave runs if that was its last one."""
        try:
            encoded = encode(nick)
        except (TypeError, UnicodeEncodeError):
            nick_error(nick, "nick")
        if 0 in encoded:
            nick_error(nick, "nick")
        # An unknown directory gets no id: the library ignores its gone reports anyway.
        status = _nt_mark_gone(self._handle, encoded, self._ids.get(directory, NO_DIRECTORY))
        if status:
            raise self._failure(status, directory)

    def is_nick_active(self, nick: str) -> bool:
        """Whether at least one connected directory reports `nick` present."""
        try:
            encoded = encode(nick)
        except (TypeError, UnicodeEncodeError):
            nick_error(nick, "nick")
        if 0 in encoded:
            nick_error(nick, "nick")
        try:
            out = _BOOLS.pop()
        except IndexError:
            out = _Bool1()
        status = _nt_is_active(self._handle, encoded, out)
        active = out[0]
        _BOOLS.append(out)
        if status:
            raise self._failure(status)
        return active

    def get_active_directories_for_nick(self, nick: str) -> List[TDirectory]:
        """The connected directories reporting `nick` present, in the order they first
        reported it."""
        try:
            encoded = encode(nick)
        except (TypeError, UnicodeEncodeError):
            nick_error(nick, "nick")
        if 0 in encoded:
            nick_error(nick, "nick")
        try:
            ids, length = out = _ID_LISTS.pop()
        except IndexError:
            ids, length = out = _IdRoom(), Size1()
        status = _nt_active_directories(self._handle, encoded, ids, _IDS_ROOM_SIZE, length)
        found = UNPACK[length[0]](ids) if not status else None
        _ID_LISTS.append(out)
        if status:
            return self._many_directories(status, encoded, length[0])
        return self._directories.keys_for(found)  # type: ignore[return-value]

    def _many_directories(self, status: int, encoded: bytes, room: int) -> List[TDirectory]:
        """get_active_directories_for_nick() when its first call failed, or found more than
        _IDS_ROOM directories (and said how many: `room`)."""
        handle = self._handle
        length = Size1()
        while status == _BUFFER_TOO_SMALL:  # another thread may add directories: loop
            ids = (ctypes.c_uint64 * room)()
            status = _nt_active_directories(handle, encoded, ids, ctypes.c_size_t(room), length)
            room = length[0]
        if status:
            raise self._failure(status)
        return self._directories.keys_for(tuple(ids[:room]))  # type: ignore[return-value]

    def get_all_active_nicks(self) -> Set[str]:
        """Every nick that at least one connected directory reports present."""
        # The whole set in one call and one buffer, decoded at once.
        packed = self._packed(lib.nt_active_nicks_packed, self._active_room)
        self._active_room = len(packed) + len(packed) // 8 + 64  # room to grow, next time
        nicks = set(unpack_nicks(packed))
        return nicks

    _active_room = 4096

    def remove_directory(self, directory: TDirectory) -> List[str]:
        """Forgets everything `directory` reported (it is dropped for good) and returns the
        nicks that left as a result, in the order the tracker first saw them. Each also went
        to on_nick_leave. Removing an unknown directory returns []; so does removing a
        disconnected one, whose nicks already left when it was disconnected."""
        id_ = self._ids.get(directory, NO_DIRECTORY)
        count = Size1()
        status = lib.nt_remove_directory(self._handle, id_, count)
        if id_ is not NO_DIRECTORY and status in (OK, CALLBACK_FAILED):
            self._directories.release(directory, id_)
        if status != OK:
            raise self._failure(status, directory)
        return self._departed(count[0])

    def sync_with_peerlist(self, directory: TDirectory, active_nicks: Iterable[str]) -> None:
        """Makes `directory`'s view match the peerlist it just sent: every nick in
        `active_nicks` is present on it, every other nick it listed is gone from it.

        All or nothing: if any nick is invalid, or the new nicks would exceed max_nicks,
        nothing changes. Error messages name the bad entry by its position in iteration
        order, e.g. "nicks[2]: nick is empty". The whole list crosses into the library in one
        call, as one buffer.
        """
        packed, count = _convert.pack_nicks(active_nicks, "active_nicks")
        id_ = self._id(directory, self._check_nicks(packed, count))
        status = lib.nt_sync_peerlist_packed(self._handle, id_, packed, len(packed))
        if status != OK or self._ids.get(directory) is not id_:
            self._after_change(status, directory, id_)

    def __repr__(self) -> str:
        try:
            count = self.active_nick_count()
        except TrackerClosedError:
            return "NickTracker(closed)"
        return f"NickTracker(active_nicks={count})"

    # -- beyond jmcore: connection state, picks, counters, lifetime --------------------------

    def set_directory_connected(self, directory: TDirectory, connected: bool) -> None:
        """Marks `directory`'s connection down (connected False) or back up.

        While it is down, its reports are kept but do not count: the nicks no other connected
        directory reports present leave (on_nick_leave, LEAVE events). When it is back up they
        count again and join (JOIN events), until its next peerlist says otherwise. Reports
        and peerlists that arrive while it is down are recorded the same way. An unknown
        directory becomes known in the given state (DirectoryLimitError if that is one too
        many); setting the state it already has does nothing.
        """
        id_ = self._id(directory)
        flag = _TRUE if connected else _FALSE
        status = lib.nt_set_directory_connected(self._handle, id_, flag)
        if status in (OK, CALLBACK_FAILED):
            disconnected = self._directories.disconnected
            disconnected.discard(directory) if connected else disconnected.add(directory)
        if status != OK or self._ids.get(directory) is not id_:
            self._after_change(status, directory, id_)

    def pick_directory(self, nick: str) -> TDirectory:
        """One of `nick`'s active directories to send it a private message through: at
        random, in turn with pick="round_robin", or the same one while it lasts with
        pick="sticky".

        Raises NickNotActiveError (a LookupError) if no connected directory reports `nick`
        present; None is never returned, since None may be a directory key.
        """
        try:
            encoded = encode(nick)
        except (TypeError, UnicodeEncodeError):
            nick_error(nick, "nick")
        if 0 in encoded:
            nick_error(nick, "nick")
        try:
            out = _IDS.pop()
        except IndexError:
            out = _Id1()
        status = _nt_pick_directory(self._handle, encoded, out)
        directory = out[0]
        _IDS.append(out)
        if status:
            raise self._failure(status)
        try:
            return self._keys[directory]  # type: ignore[no-any-return]
        except KeyError:  # released meanwhile
            return self._directories.key_for(directory)  # type: ignore[return-value]

    def active_nick_count(self) -> int:
        """How many nicks are active: len(get_all_active_nicks()), without building the set."""
        count = Size1()
        self._call(lib.nt_active_nick_count, count)
        return count[0]

    def stats(self) -> Stats:
        """The tracker's counters, all taken at one instant."""
        raw = NtStats()
        self._call(lib.nt_get_stats, ctypes.byref(raw))
        return Stats(
            nicks=raw.nicks,
            active_nicks=raw.active_nicks,
            directories=raw.directories,
            connected_directories=raw.connected_directories,
            joins=raw.joins,
            leaves=raw.leaves,
        )

    def close(self) -> None:
        """Closes the tracker: later calls raise TrackerClosedError. Closing twice is fine.

        Does not wait for calls in progress on other threads: they finish with the tracker,
        and the last of them to return frees it. Raises RuntimeError from inside one of this
        tracker's own callbacks, where the call that is running still needs the tracker.
        """
        kind = self._dispatch.running.kind
        if kind is not None and self._handle is not None:
            raise RuntimeError(f"cannot close a NickTracker from inside its own {kind} callback")
        self._handle = None

    def __enter__(self) -> "NickTracker[TDirectory]":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _check(status: int) -> None:
    if status != OK:
        raise error_for(status)
