"""The C callbacks of a tracker (leave, event, log, clock) and what becomes of the exceptions
raised by the user's callbacks.

The library runs callbacks on the thread that made the call, after releasing its lock, and
knows which call each belongs to: a callback of a call made from inside another callback of
the same tracker runs in the outermost call's delivery. So an exception needs no bookkeeping
here beyond a number to hand to the library: the trampoline keeps the exception under a new
token and passes the token to nt_report_callback_error(); the outermost call then returns
NT_STATUS_CALLBACK_FAILED after delivering everything, and the tracker takes the token back
with nt_take_callback_error() and raises the exception. The library keeps the first token
of a call and refuses later ones, whose exceptions are dropped here.

No exception may reach ctypes, which would print and drop it.

Kept apart from NickTracker so that the ctypes trampolines do not hold the tracker alive:
dropping the last reference to a tracker frees the C tracker.
"""

import ctypes
import sys
import threading
from typing import Any, Callable, Dict, Hashable, Optional

from ._convert import LogFunction, log_level
from ._directories import Directories
from ._errors import Status
from ._lib import lib
from ._types import Event, EventKind

NickCallbackType = Callable[[str], None]
EventCallbackType = Callable[[Event], None]

_EVENT_KINDS = {kind.value: kind for kind in EventKind}
_U64_MAX = 2**64 - 1
_SIZE_MAX = 2 ** (8 * ctypes.sizeof(ctypes.c_size_t)) - 1


class _Running(threading.local):
    """Which of the tracker's callbacks this thread is running, if any: close() refuses to
    free the tracker from inside one. Per thread, so that it needs no lock."""

    kind: Optional[str] = None


class _ClockFailure(threading.local):
    """The exception the clock raised during this thread's latest call, if any."""

    error: Optional[BaseException] = None


class Dispatch:
    """The tracker's callbacks, as the trampolines the C library calls."""

    def __init__(self, directories: Directories) -> None:
        self.on_nick_leave: Optional[NickCallbackType] = None
        self.on_nick_join: Optional[NickCallbackType] = None
        self.on_event: Optional[EventCallbackType] = None
        self.log: Optional[LogFunction] = None
        self.clock: Optional[Callable[[], float]] = None
        self.directories = directories
        # The C tracker, for nt_report_callback_error(); set once it exists. A copy of the
        # pointer, not the tracker's handle object, which must die with the tracker.
        self.pointer = ctypes.c_void_p()
        self.running = _Running()
        self.clock_failure = _ClockFailure()
        self._lock = threading.Lock()
        self._pending: Dict[int, BaseException] = {}
        self._next_token = 1

    # -- exceptions of the user's callbacks ---------------------------------------------------

    def _run(self, kind: str, callback: Callable[..., None], *args: Any) -> None:
        running = self.running
        outer = running.kind
        running.kind = kind
        try:
            callback(*args)
        except BaseException as error:  # KeyboardInterrupt too: re-raised by the caller
            self._report(error)
        finally:
            running.kind = outer

    def _report(self, error: BaseException) -> None:
        with self._lock:
            token = self._next_token
            self._next_token = token % _SIZE_MAX + 1
            self._pending[token] = error
        status = lib.nt_report_callback_error(self.pointer, token)
        if status == Status.OK:
            return
        self.take(token)
        if status != Status.CALLBACK_FAILED:  # not an earlier error of the same call: a bug
            sys.unraisablehook(_Unraisable(error, "nick_tracker could not report"))

    def take(self, token: int) -> Optional[BaseException]:
        """The exception kept under `token` (from nt_take_callback_error()), once."""
        with self._lock:
            return self._pending.pop(token, None)

    # -- the trampolines ------------------------------------------------------------------------

    def leave(self, _user_data: Optional[int], nick_bytes: bytes) -> None:
        """nt_nick_callback: a tracker without join events."""
        callback = self.on_nick_leave
        if callback is not None:
            self._run("leave", callback, nick_bytes.decode("utf-8"))

    def event(self, _user_data: Optional[int], event_pointer: Any) -> None:
        """nt_event_callback."""
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
            return
        nick = raw.nick.decode("utf-8")
        if on_event is not None:
            key = self.directories.key_for(raw.directory)
            self._run("event", on_event, Event(kind, nick, key, raw.seq))
        if callback is not None:
            self._run(name, callback, nick)

    def log_message(self, _user_data: Optional[int], level: int, message: bytes) -> None:
        """nt_log_callback: messages name directories by the caller's keys."""
        function = self.log
        if function is None:
            return
        try:
            text = self.directories.rewrite(message.decode("utf-8", "replace"))
        except BaseException as error:  # a key whose repr() raises
            self._report(error)
            return
        self._run("log", function, log_level(level), text)

    def read_clock(self, _user_data: Optional[int]) -> int:
        """nt_clock_callback: the caller's clock in seconds, as milliseconds plus one.

        Plus one so that a reading is never 0, which is returned when the clock raises: the
        library then refuses the call as a clock that went backwards (the tracker reads the
        clock once when it is created, so every later reading is at least 1), and the call
        raises the clock's exception. The clock runs with the library's lock held and may not
        call the tracker, so its exception cannot be reported like a callback's.
        """
        try:
            milliseconds = round(self.clock() * 1000)  # type: ignore[misc]
            if milliseconds < 0:
                raise ValueError(f"the clock returned a negative time: {milliseconds / 1000}")
            return min(milliseconds + 1, _U64_MAX)
        except BaseException as error:
            self.clock_failure.error = error
            return 0


class _Unraisable:
    """What sys.unraisablehook takes."""

    def __init__(self, error: BaseException, message: str) -> None:
        self.exc_type = type(error)
        self.exc_value = error
        self.exc_traceback = error.__traceback__
        self.err_msg = message
        self.object: Hashable = None
