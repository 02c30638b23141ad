"""NickTracker: jmcore's NickTracker API on top of the C library, plus what the library added
in 0.2 (join events, logging, limits, connection state, picks, stats)."""

import ctypes
import enum
import logging
import operator
import threading
import weakref
from typing import (
    Any,
    Callable,
    Dict,
    Generic,
    Hashable,
    Iterable,
    List,
    Optional,
    Sequence,
    Set,
    Type,
    TypeVar,
    Union,
)

from ._errors import InvalidNickError, NickTrackerError, Status, TrackerClosedError, check
from ._errors import error_for
from ._lib import (
    OPTIONS_VERSION,
    ActiveNickVisitor,
    EventCallback,
    LogCallback,
    NickCallback,
    NtOptions,
    NtStats,
    lib,
)
from ._types import Event, EventKind, LogLevel, PickMode, Stats

TDirectory = TypeVar("TDirectory", bound=Hashable)
TEnum = TypeVar("TEnum", bound=enum.IntEnum)

NickCallbackType = Callable[[str], None]
LeaveCallback = NickCallbackType  # the name this package has always used
EventCallbackType = Callable[[Event], None]
LogFunction = Callable[[LogLevel, str], None]
LogTarget = Union[None, bool, logging.Logger, logging.LoggerAdapter, LogFunction]

# The logger `log=True` sends the library's messages to.
LOGGER_NAME = "nick_tracker"

_SIZE_MAX = 2 ** (8 * ctypes.sizeof(ctypes.c_size_t)) - 1

_EVENT_KINDS = {kind.value: kind for kind in EventKind}
_LOG_LEVELS = {level.value: level for level in LogLevel}

_OK = Status.OK
_BUFFER_TOO_SMALL = Status.BUFFER_TOO_SMALL

# The functions behind the most frequent calls, looked up once instead of on every call.
_nt_update = lib.nt_update
_nt_is_active = lib.nt_is_active
_nt_active_directories = lib.nt_active_directories

# Room for a nick's directories in one nt_active_directories() call, so that one call is
# almost always enough: 64 costs no more to allocate than 8, which 16 directories outgrow.
_DirectoryIdArray = ctypes.c_uint64 * 64

# nt_for_each_active_nick() visitor appending each nick to the list given as user_data: a
# method of the list type, so no Python code runs per nick. Stateless, so shared.
_APPEND_NICK = ActiveNickVisitor(list.append)


def _encode_nick(nick: str, arg: str) -> bytes:
    """The nick as the C library wants it. What C cannot be told (a Python str that is not
    a str, does not encode, or holds NUL, which would silently end a C string) is rejected
    here; emptiness and length are left to the library so there is one source of truth."""
    if not isinstance(nick, str):
        raise TypeError(f"{arg} must be str, not {type(nick).__name__}")
    try:
        encoded = nick.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidNickError(
            Status.NICK_NOT_UTF8,
            f"{arg}: nick cannot be encoded as UTF-8 ({error.reason} at index {error.start})",
        ) from None
    if 0 in encoded:  # a NUL byte; an int is found several times faster than b"\0"
        raise InvalidNickError(
            Status.NICK_CONTAINS_NUL, f"{arg}: {Status.NICK_CONTAINS_NUL.describe()}"
        )
    return encoded


def _pack_nicks(nicks: Iterable[str]) -> bytes:
    """A peerlist as nt_sync_peerlist_packed() wants it: every nick in UTF-8 followed by a NUL
    byte, b"alice\\0bob\\0", built with one join and one encode however long the list is.

    Only what the packed form cannot express is checked here, and as cheaply as possible: a
    NUL inside a nick would split it in two, so the NULs are counted, and a non-str or a nick
    that does not encode makes the join or the encode fail. If any check fails, the nicks
    are encoded one by one to raise the same error, naming the same nicks[i], as a single
    nick would. Empty and too long nicks are left to the library, which names nicks[i] too
    (the positions agree because no nick holds a NUL).
    """
    if not isinstance(nicks, (list, tuple)):
        nicks = list(nicks)
    if not nicks:
        return b""
    try:
        text = "\0".join(nicks)
    except TypeError:  # an entry is not a str: the loop below names it
        pass
    else:
        # The last nick's NUL, added to the str: CPython resizes it in place, where adding
        # it to the bytes would copy the whole buffer.
        text += "\0"
        if text.count("\0") == len(nicks):
            try:
                return text.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate: the loop below names the nick
                pass
    return b"".join(_encode_nick(nick, f"nicks[{i}]") + b"\0" for i, nick in enumerate(nicks))


def _enum_value(enum_type: Type[TEnum], value: Union[TEnum, str, int], arg: str) -> TEnum:
    """`value` as a member of `enum_type`: a member, its number or its name in any case
    ("round_robin" and "round-robin" for PickMode.ROUND_ROBIN)."""
    if isinstance(value, str):
        member = enum_type.__members__.get(value.upper().replace("-", "_"))
        if member is not None:
            return member
    elif isinstance(value, int) and not isinstance(value, bool):
        try:
            return enum_type(value)
        except ValueError:
            pass
    names = ", ".join(repr(name.lower()) for name in enum_type.__members__)
    raise ValueError(f"{arg} must be a {enum_type.__name__} or one of {names}, not {value!r}")


def _limit(value: Optional[int], arg: str) -> int:
    """A max_* option as nt_options wants it: 0 for no limit."""
    if value is None:
        return 0
    if isinstance(value, bool):
        raise TypeError(f"{arg} must be an int or None, not bool")
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{arg} must be an int or None, not {type(value).__name__}") from None
    if value <= 0:
        # The library reads 0 as "no limit"; letting max_nicks=0 mean that would surprise
        # anyone who meant "none at all".
        raise ValueError(f"{arg} must be at least 1, or None for no limit, not {value}")
    # A limit above what size_t holds cannot be reached anyway.
    return min(value, _SIZE_MAX)


def _log_function(log: LogTarget) -> Optional[LogFunction]:
    """What the `log` constructor argument asks for, as a function(level, message)."""
    if log is None or log is False:
        return None
    if log is True:
        log = logging.getLogger(LOGGER_NAME)
    if isinstance(log, (logging.Logger, logging.LoggerAdapter)):
        logger = log

        def to_logger(level: LogLevel, message: str) -> None:
            # No arguments, so a '%' in a nick is not taken for a format directive.
            logger.log(_logging_level(level), message)

        return to_logger
    if callable(log):
        return log
    kind = type(log).__name__
    expected = "True, a logging.Logger or a callable(level, message)"
    raise TypeError(f"log must be {expected}, not {kind}")


def _logging_level(level: int) -> int:
    """The logging module's level for an nt_log_level, also one newer than this package."""
    known = _LOG_LEVELS.get(level)
    if known is not None:
        return known.logging_level
    return logging.ERROR if level < LogLevel.ERROR else logging.DEBUG


class _Call:
    """What one call into the library collected from the callbacks it ran."""

    __slots__ = ("departed", "error", "running")

    def __init__(self) -> None:
        self.departed: List[str] = []
        self.error: Optional[BaseException] = None
        # The kind of user callback running now ("leave", "join", "event", "log"), so that
        # close() from inside one can say which.
        self.running: Optional[str] = None


class _CallStack(threading.local):
    """This thread's calls in progress on one tracker, innermost last. A call is None until
    its first event or log message (see _Dispatch.current()): most calls have none, and so
    never pay for a _Call."""

    def __init__(self) -> None:
        self.calls: List[Optional[_Call]] = []


class _Dispatch:
    """The C callbacks (leave, event and log): route what they receive to the call that
    caused it, then to the user's callbacks.

    The library calls back on the thread that made the call, and a callback may itself call
    into the tracker, so each thread keeps a stack of calls in progress and an event belongs to
    the innermost one. Kept apart from NickTracker so the ctypes trampolines do not hold the
    tracker alive: dropping the last reference to a tracker frees the C tracker.

    No exception may reach ctypes, which would print and drop it. The first one a user
    callback raises is kept for the caller, and the remaining events and messages of the call
    are still delivered.
    """

    def __init__(self, directories: "_DirectoryIds") -> None:
        self.on_nick_leave: Optional[NickCallbackType] = None
        self.on_nick_join: Optional[NickCallbackType] = None
        self.on_event: Optional[EventCallbackType] = None
        self.log: Optional[LogFunction] = None
        self.stack = _CallStack()
        self.directories = directories

    def current(self) -> _Call:
        """The innermost call in progress on this thread, to collect an event or message."""
        calls = self.stack.calls
        call = calls[-1]
        if call is None:
            call = calls[-1] = _Call()
        return call

    @staticmethod
    def _run(call: _Call, kind: str, callback: Callable[..., None], *args: Any) -> None:
        call.running = kind
        try:
            callback(*args)
        except BaseException as error:  # KeyboardInterrupt too: re-raised by the caller
            if call.error is None:
                call.error = error
        finally:
            call.running = None

    def leave(self, _user_data: Optional[int], nick_bytes: bytes) -> None:
        """nt_nick_callback for nt_new(): a tracker without join events."""
        nick = nick_bytes.decode("utf-8")
        call = self.current()
        call.departed.append(nick)
        callback = self.on_nick_leave
        if callback is not None:
            self._run(call, "leave", callback, nick)

    def event(self, _user_data: Optional[int], event_pointer: Any) -> None:
        """nt_event_callback for nt_new_with_options()."""
        raw = event_pointer[0]
        kind = _EVENT_KINDS.get(raw.kind)
        if kind is None:  # a kind added by a newer library: ignored, as the header asks
            return
        on_event = self.on_event
        if kind is EventKind.LEAVE:
            name, callback = "leave", self.on_nick_leave
        else:
            name, callback = "join", self.on_nick_join
            if callback is None and on_event is None:
                return  # nobody listens to joins (a tracker created for its log or limits)
        nick = raw.nick.decode("utf-8")
        call = self.current()
        if kind is EventKind.LEAVE:
            call.departed.append(nick)
        if on_event is not None:
            event = Event(kind, nick, self.directories.key_for(raw.directory))
            self._run(call, "event", on_event, event)
        if callback is not None:
            self._run(call, name, callback, nick)

    def log_message(self, _user_data: Optional[int], level: int, message: bytes) -> None:
        """nt_log_callback."""
        function = self.log
        if function is None:
            return
        text = message.decode("utf-8", "replace")
        self._run(self.current(), "log", function, _LOG_LEVELS.get(level, level), text)


class _DirectoryIds:
    """A stable two-way mapping between directory keys and the uint64 ids C uses.

    Ids are never reused, so a key that comes back after remove_directory() gets its old id.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: Dict[Hashable, int] = {}
        # The keys by id, read without the lock (see key_for()).
        self.keys: List[Hashable] = []

    def id_for(self, key: Hashable) -> int:
        # Known keys, nearly every call, are read without the lock: a dict lookup is atomic,
        # and _add() publishes a key in _ids only once its id is valid in keys.
        id_ = self._ids.get(key)
        if id_ is None:
            id_ = self._add(key)
        return id_

    def _add(self, key: Hashable) -> int:
        with self._lock:
            id_ = self._ids.get(key)  # another thread may have added it meanwhile
            if id_ is None:
                id_ = len(self.keys)
                self.keys.append(key)
                self._ids[key] = id_
            return id_

    def key_for(self, id_: int) -> Hashable:
        # No lock: the list only grows, and an id reaches C only after _add() appended its
        # key, so every id C hands back is already readable (list indexing is atomic).
        return self.keys[id_]


class NickTracker(Generic[TDirectory]):
    """Tracks nick availability across multiple directory servers.

    A nick is active while at least one connected directory reports it present. It leaves
    only when every directory that reported it present has reported it gone, stopped listing
    it, been removed or been disconnected; then on_nick_leave(nick) is called once.

    Directories are any hashable keys (strings such as onion addresses in jmcore). Nicks are
    str of 1..MAX_NICK_LEN bytes in UTF-8. Safe to use from several threads; close() (or
    leaving a `with` block, or dropping the last reference) frees the C tracker.

    Keyword-only options (all default to jmcore's behaviour):

    - on_nick_join(nick), on_event(Event): join events, and both kinds as Event(kind, nick,
      directory). A tracker created without either (nor any option below) is jmcore's
      leave-only tracker: joins then cost nothing, but cannot be subscribed to later.
    - log: route the library's log messages: True for the logging module's "nick_tracker"
      logger, a logging.Logger or LoggerAdapter, or a callable(level: LogLevel, message).
      log_level (a LogLevel or its name, default LogLevel.INFO) is the least severe level
      sent.
    - max_nicks, max_directories: caps (None, the default, for none); a change that would
      exceed one raises NickLimitError or DirectoryLimitError and changes nothing.
    - pick: how pick_directory() chooses, PickMode.RANDOM ("random", the default) or
      PickMode.ROUND_ROBIN ("round_robin").
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
    ) -> None:
        self._directories = _DirectoryIds()
        self._dispatch = _Dispatch(self._directories)
        self._stack = self._dispatch.stack  # read by every call
        # Set through the properties for their checks. Whether joins reach Python at all
        # (_events) is settled below; until then the properties must accept callbacks.
        self._events = True
        self.on_nick_leave = on_nick_leave
        self.on_nick_join = on_nick_join
        self.on_event = on_event
        log_function = _log_function(log)
        if log_function is None and log_level is not None:
            raise ValueError("log_level needs log: pass log=True, a logger or a callable")
        level = LogLevel.INFO
        if log_level is not None:
            level = _enum_value(LogLevel, log_level, "log_level")
        limits = (_limit(max_nicks, "max_nicks"), _limit(max_directories, "max_directories"))
        pick_mode = _enum_value(PickMode, pick, "pick")
        self._dispatch.log = log_function

        # One entry per call using the C handle (see _enter()); close() sets _closed, then
        # waits on _idle until _in_flight is empty.
        self._in_flight: List[None] = []
        self._closed = False
        self._idle = threading.Condition()
        self._handle = ctypes.c_void_p()
        # The trampolines C may call until nt_free(), kept alive by the instance and not by
        # the finalizer (see below).
        self._trampolines: List[Any] = []
        plain = (
            on_nick_join is None
            and on_event is None
            and log_function is None
            and limits == (0, 0)
            and pick_mode is PickMode.RANDOM
        )
        if plain:
            # jmcore's tracker: nt_new() and a leave callback, so the library does not call
            # into Python for every join (a sync of 10k new nicks would make 10k calls).
            self._events = False
            trampoline = NickCallback(self._dispatch.leave)
            self._trampolines.append(trampoline)
            check(lib.nt_new(trampoline, None, ctypes.byref(self._handle)))
        else:
            self._new_with_options(log_function is not None, level, limits, pick_mode)
        # Runs on close() or when the tracker dies, whichever is first. The trampolines, which C
        # may call until nt_free(), are not passed along: finalize holds its arguments until it
        # runs, and the user's callback often refers back to the tracker, which would then
        # never die. The instance keeps them alive instead; CPython runs this before clearing it.
        self._finalizer = weakref.finalize(self, lib.nt_free, self._handle)
        # At exit, daemon threads may still be inside a call; the OS reclaims the memory.
        self._finalizer.atexit = False

    def _new_with_options(
        self, logs: bool, level: LogLevel, limits: Sequence[int], pick: PickMode
    ) -> None:
        # The version tells the library which nt_options layout this package fills in, so a
        # newer library never writes fields this struct does not have.
        options = NtOptions()
        check(lib.nt_options_init(ctypes.byref(options), OPTIONS_VERSION))
        on_event = EventCallback(self._dispatch.event)
        self._trampolines.append(on_event)
        options.on_event = on_event
        if logs:
            on_log = LogCallback(self._dispatch.log_message)
            self._trampolines.append(on_log)
            options.on_log = on_log
            options.log_level = level
        options.max_nicks, options.max_directories = limits
        options.pick_mode = pick
        check(lib.nt_new_with_options(ctypes.byref(options), ctypes.byref(self._handle)))

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

    # Every call brackets its use of the C handle with _enter() and _exit() (in a try/finally)
    # so that close() cannot free the tracker under it. Plain method calls, and no lock: they
    # run on every call, where a context manager or a lock would cost several times as much.

    def _enter(self) -> ctypes.c_void_p:
        """The C handle, which close() will not free until the matching _exit()."""
        # list.append() and list.pop() are atomic, and close() sets _closed before it looks
        # at _in_flight: either close() sees this call in _in_flight and waits for it, or
        # this call sees _closed.
        self._in_flight.append(None)
        if self._closed:
            self._exit()
            raise TrackerClosedError()
        return self._handle

    def _exit(self) -> None:
        self._in_flight.pop()
        if self._closed:  # close() may be waiting for the calls in progress to end
            with self._idle:
                self._idle.notify_all()

    def _query(self, function: Callable[..., int], *args: object) -> None:
        """Runs a C call that produces no events and raises its error, if any."""
        handle = self._enter()
        try:
            status = function(handle, *args)
        finally:
            self._exit()
        if status != _OK:
            raise error_for(status)  # _exit() calls nothing in C, so the message is still ours

    def _change(self, function: Callable[..., int], *args: object) -> List[str]:
        """Runs a C call that may produce events and log messages, and returns the nicks that
        left, in order.

        If a callback raised, the call still completed (every event and message was
        delivered) and the first exception is re-raised here. If the call itself failed (a
        limit, which the library also logs), its error is raised, with the callback's
        exception as __context__, unless that was a KeyboardInterrupt or another exception
        that is not an Exception: that is raised, with the call's error as __context__.
        """
        failure: Optional[NickTrackerError] = None
        calls = self._stack.calls
        handle = self._enter()
        try:
            calls.append(None)  # a _Call once a callback runs
            status = function(handle, *args)
            if status != _OK:
                failure = error_for(status)  # before anything else can fail on this thread
        finally:
            call = calls.pop()
            self._exit()
        if call is None:  # no event, no message
            if failure is not None:
                raise failure
            return []
        error = call.error
        if failure is not None:
            if error is None or isinstance(error, Exception):
                failure.__context__ = error
                raise failure
            error.__context__ = failure
        if error is not None:
            raise error
        return call.departed

    def update_nick(self, nick: str, directory: TDirectory, is_present: bool) -> None:
        """Records that `directory` reports `nick` present (is_present True) or gone.

        Unlike jmcore, a "gone" report from a directory that has not reported the nick present
        is ignored rather than remembered.
        """
        encoded = _encode_nick(nick, "nick")
        directory_id = self._directories.id_for(directory)
        self._change(_nt_update, encoded, directory_id, bool(is_present))

    def mark_nick_present(self, nick: str, directory: TDirectory) -> None:
        """Records that `directory` lists `nick`."""
        self.update_nick(nick, directory, True)

    def mark_nick_gone(self, nick: str, directory: TDirectory) -> None:
        """Records that `nick` left `directory`; on_nick_leave runs if that was its last one."""
        self.update_nick(nick, directory, False)

    def is_nick_active(self, nick: str) -> bool:
        """Whether at least one connected directory reports `nick` present."""
        active = ctypes.c_bool()  # passed as is: cheaper than byref(), and new per call
        self._query(_nt_is_active, _encode_nick(nick, "nick"), active)
        return active.value

    def get_active_directories_for_nick(self, nick: str) -> List[TDirectory]:
        """The connected directories reporting `nick` present, in the order they first
        reported it."""
        encoded = _encode_nick(nick, "nick")
        length = ctypes.c_size_t()
        ids = _DirectoryIdArray()  # usually large enough: one call
        handle = self._enter()
        try:
            while True:
                status = _nt_active_directories(handle, encoded, ids, len(ids), length)
                if status != _BUFFER_TOO_SMALL:
                    break
                # Another thread may add directories before the retry, hence the loop.
                ids = (ctypes.c_uint64 * length.value)()
        finally:
            self._exit()
        if status != _OK:
            raise error_for(status)
        keys = self._directories.keys
        return [keys[id_] for id_ in ids[: length.value]]

    def pick_directory(self, nick: str) -> TDirectory:
        """One of `nick`'s active directories to send it a private message through: at
        random, or in turn with pick="round_robin".

        Raises NickNotActiveError (a LookupError) if no connected directory reports `nick`
        present; None is never returned, since None may be a directory key.
        """
        encoded = _encode_nick(nick, "nick")
        directory = ctypes.c_uint64()
        self._query(lib.nt_pick_directory, encoded, directory)
        return self._directories.key_for(directory.value)  # type: ignore[return-value]

    def get_all_active_nicks(self) -> Set[str]:
        """Every nick that at least one connected directory reports present."""
        # The library appends each nick straight to this list (_APPEND_NICK): no Python
        # function runs per nick. They are decoded together afterwards.
        raw: List[bytes] = []
        self._query(lib.nt_for_each_active_nick, _APPEND_NICK, raw)
        return set(map(bytes.decode, raw))  # UTF-8, as the library checked

    def remove_directory(self, directory: TDirectory) -> List[str]:
        """Forgets everything `directory` reported (it is dropped for good) and returns the
        nicks that left as a result, in the order the tracker first saw them. Each also went
        to on_nick_leave. Removing an unknown directory returns []; so does removing a
        disconnected one, whose nicks already left when it was disconnected."""
        directory_id = self._directories.id_for(directory)
        return self._change(lib.nt_remove_directory, directory_id, None)

    def set_directory_connected(self, directory: TDirectory, connected: bool) -> None:
        """Marks `directory`'s connection down (connected False) or back up.

        While it is down, its reports are kept but do not count: the nicks no other connected
        directory reports present leave (on_nick_leave, LEAVE events). When it is back up they
        count again and join (JOIN events), until its next peerlist says otherwise. Reports
        and peerlists that arrive while it is down are recorded the same way. An unknown
        directory becomes known in the given state (DirectoryLimitError if that is one too
        many); setting the state it already has does nothing.
        """
        directory_id = self._directories.id_for(directory)
        self._change(lib.nt_set_directory_connected, directory_id, bool(connected))

    def sync_with_peerlist(self, directory: TDirectory, active_nicks: Iterable[str]) -> None:
        """Makes `directory`'s view match the peerlist it just sent: every nick in
        `active_nicks` is present on it, every other nick it listed is gone from it.

        All or nothing: if any nick is invalid, or the new nicks would exceed max_nicks,
        nothing changes. Error messages name the bad entry by its position in iteration
        order, e.g. "nicks[2]: nick is empty". The whole list crosses into the library in one
        call, as one buffer.
        """
        if isinstance(active_nicks, (str, bytes)):
            # Iterating would sync one-letter nicks: always a mistake.
            kind = type(active_nicks).__name__
            raise TypeError(f"active_nicks must be a collection of str, not {kind}")
        packed = _pack_nicks(active_nicks)
        directory_id = self._directories.id_for(directory)
        self._change(lib.nt_sync_peerlist_packed, directory_id, packed, len(packed))

    def active_nick_count(self) -> int:
        """How many nicks are active: len(get_all_active_nicks()), without building the set."""
        count = ctypes.c_size_t()
        self._query(lib.nt_active_nick_count, count)
        return count.value

    def stats(self) -> Stats:
        """The tracker's counters, all taken at one instant."""
        raw = NtStats()
        self._query(lib.nt_get_stats, raw)
        return Stats(
            nicks=raw.nicks,
            active_nicks=raw.active_nicks,
            directories=raw.directories,
            connected_directories=raw.connected_directories,
            joins=raw.joins,
            leaves=raw.leaves,
        )

    def close(self) -> None:
        """Frees the C tracker; later calls raise TrackerClosedError. Closing twice is fine.

        Waits for calls in progress on other threads. Raises RuntimeError from inside one of
        this tracker's own callbacks, where the call that is running still needs the tracker.
        """
        with self._idle:
            if self._closed:
                return
            calls = self._stack.calls
            if calls:
                innermost = calls[-1]
                kind = (innermost and innermost.running) or "leave"
                message = f"cannot close a NickTracker from inside its own {kind} callback"
                raise RuntimeError(message)
            self._closed = True
            self._idle.wait_for(lambda: not self._in_flight)
        self._finalizer()

    def __enter__(self) -> "NickTracker[TDirectory]":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        try:
            count = self.active_nick_count()
        except TrackerClosedError:
            return "NickTracker(closed)"
        return f"NickTracker(active_nicks={count})"
