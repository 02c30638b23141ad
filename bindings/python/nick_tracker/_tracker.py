"""NickTracker: jmcore's NickTracker API on top of the C library."""

import contextlib
import ctypes
import threading
import weakref
from typing import (
    Callable,
    Dict,
    Generic,
    Hashable,
    Iterable,
    Iterator,
    List,
    Optional,
    Set,
    TypeVar,
)

from ._errors import InvalidNickError, Status, TrackerClosedError, check
from ._lib import NickCallback, lib

TDirectory = TypeVar("TDirectory", bound=Hashable)

LeaveCallback = Callable[[str], None]


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
    if b"\0" in encoded:
        raise InvalidNickError(
            Status.NICK_CONTAINS_NUL, f"{arg}: {Status.NICK_CONTAINS_NUL.describe()}"
        )
    return encoded


class _Call:
    """What one call into the library collected from the leave callback."""

    def __init__(self) -> None:
        self.departed: List[str] = []
        self.error: Optional[BaseException] = None


class _CallStack(threading.local):
    """This thread's calls in progress on one tracker, innermost last."""

    def __init__(self) -> None:
        self.calls: List[_Call] = []


class _LeaveDispatch:
    """The C leave callback: routes each nick to the call that made it leave, then to the
    user's on_nick_leave.

    The library calls back on the thread that made the call, and a callback may itself call
    into the tracker, so each thread keeps a stack of calls in progress and a nick belongs to
    the innermost one. Kept apart from NickTracker so the ctypes trampoline does not hold the
    tracker alive: dropping the last reference to a tracker frees the C tracker.
    """

    def __init__(self) -> None:
        self.on_nick_leave: Optional[LeaveCallback] = None
        self.stack = _CallStack()

    def __call__(self, _user_data: Optional[int], nick_bytes: bytes) -> None:
        # No exception may reach ctypes, which would print and drop it. The first one is kept
        # for the caller, and the remaining nicks still reach on_nick_leave.
        nick = nick_bytes.decode("utf-8")
        call = self.stack.calls[-1]
        call.departed.append(nick)
        callback = self.on_nick_leave
        if callback is None:
            return
        try:
            callback(nick)
        except BaseException as error:  # KeyboardInterrupt too: re-raised by the caller
            if call.error is None:
                call.error = error


class _DirectoryIds:
    """A stable two-way mapping between directory keys and the uint64 ids C uses.

    Ids are never reused, so a key that comes back after remove_directory() gets its old id.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: Dict[Hashable, int] = {}
        self._keys: List[Hashable] = []

    def id_for(self, key: Hashable) -> int:
        with self._lock:
            id_ = self._ids.get(key)
            if id_ is None:
                id_ = self._ids[key] = len(self._keys)
                self._keys.append(key)
            return id_

    def key_for(self, id_: int) -> Hashable:
        with self._lock:
            return self._keys[id_]


class NickTracker(Generic[TDirectory]):
    """Tracks nick availability across multiple directory servers.

    A nick is active while at least one directory reports it present. It leaves only when
    every directory that reported it present has reported it gone, stopped listing it or been
    removed; then on_nick_leave(nick) is called once and the nick is forgotten.

    Directories are any hashable keys (strings such as onion addresses in jmcore). Nicks are
    str of 1..MAX_NICK_LEN bytes in UTF-8. Safe to use from several threads; close() (or
    leaving a `with` block, or dropping the last reference) frees the C tracker.
    """

    def __init__(self, on_nick_leave: Optional[LeaveCallback] = None) -> None:
        self._dispatch = _LeaveDispatch()
        self.on_nick_leave = on_nick_leave
        self._trampoline = NickCallback(self._dispatch)
        self._directories = _DirectoryIds()
        self._state = threading.Condition()
        self._in_flight = 0
        self._closed = False
        self._handle = ctypes.c_void_p()
        check(lib.nt_new(self._trampoline, None, ctypes.byref(self._handle)))
        # Runs on close() or when the tracker dies, whichever is first. The trampoline, which C
        # may call until nt_free(), is not passed along: finalize holds its arguments until it
        # runs, and the user's callback often refers back to the tracker, which would then
        # never die. The instance keeps it alive instead; CPython runs this before clearing it.
        self._finalizer = weakref.finalize(self, lib.nt_free, self._handle)
        # At exit, daemon threads may still be inside a call; the OS reclaims the memory.
        self._finalizer.atexit = False

    @property
    def on_nick_leave(self) -> Optional[LeaveCallback]:
        """Called with each nick that leaves, on the thread whose call made it leave, before
        that call returns. May be reassigned at any time; None for no callback."""
        return self._dispatch.on_nick_leave

    @on_nick_leave.setter
    def on_nick_leave(self, callback: Optional[LeaveCallback]) -> None:
        if callback is not None and not callable(callback):
            kind = type(callback).__name__
            raise TypeError(f"on_nick_leave must be callable or None, not {kind}")
        self._dispatch.on_nick_leave = callback

    @contextlib.contextmanager
    def _open_handle(self) -> Iterator[ctypes.c_void_p]:
        """The C handle, guaranteed not to be freed by close() until the block ends."""
        with self._state:
            if self._closed:
                raise TrackerClosedError()
            self._in_flight += 1
        try:
            yield self._handle
        finally:
            with self._state:
                self._in_flight -= 1
                self._state.notify_all()

    def _change(self, function: Callable[..., int], *args: object) -> List[str]:
        """Runs a C call that may make nicks leave and returns them in order. If on_nick_leave
        raised, the call still completed (every nick got its callback) and the first exception
        is re-raised here."""
        call = _Call()
        with self._open_handle() as handle:
            self._dispatch.stack.calls.append(call)
            try:
                status = function(handle, *args)
            finally:
                self._dispatch.stack.calls.pop()
            check(status)
        if call.error is not None:
            raise call.error
        return call.departed

    def update_nick(self, nick: str, directory: TDirectory, is_present: bool) -> None:
        """Records that `directory` reports `nick` present (is_present True) or gone.

        Unlike jmcore, a "gone" report from a directory that has not reported the nick present
        is ignored rather than remembered.
        """
        encoded = _encode_nick(nick, "nick")
        directory_id = self._directories.id_for(directory)
        self._change(lib.nt_update, encoded, directory_id, bool(is_present))

    def mark_nick_present(self, nick: str, directory: TDirectory) -> None:
        """Records that `directory` lists `nick`."""
        self.update_nick(nick, directory, True)

    def mark_nick_gone(self, nick: str, directory: TDirectory) -> None:
        """Records that `nick` left `directory`; on_nick_leave runs if that was its last one."""
        self.update_nick(nick, directory, False)

    def is_nick_active(self, nick: str) -> bool:
        """Whether at least one directory reports `nick` present."""
        encoded = _encode_nick(nick, "nick")
        active = ctypes.c_bool()
        with self._open_handle() as handle:
            check(lib.nt_is_active(handle, encoded, ctypes.byref(active)))
        return active.value

    def get_active_directories_for_nick(self, nick: str) -> List[TDirectory]:
        """The directories reporting `nick` present, in the order they first reported it."""
        encoded = _encode_nick(nick, "nick")
        length = ctypes.c_size_t()
        capacity = 8  # enough for every realistic number of directories: usually one call
        with self._open_handle() as handle:
            while True:
                ids = (ctypes.c_uint64 * capacity)()
                status = lib.nt_active_directories(
                    handle, encoded, ids, capacity, ctypes.byref(length)
                )
                if status != Status.BUFFER_TOO_SMALL:
                    break
                # Another thread may add directories before the retry, hence the loop.
                capacity = length.value
            check(status)
        return [self._directories.key_for(id_) for id_ in ids[: length.value]]

    def get_all_active_nicks(self) -> Set[str]:
        """Every nick that at least one directory reports present."""
        nicks: Set[str] = set()

        def visit(_user_data: Optional[int], nick: bytes) -> None:
            nicks.add(nick.decode("utf-8"))

        with self._open_handle() as handle:
            check(lib.nt_for_each_active_nick(handle, NickCallback(visit), None))
        return nicks

    def remove_directory(self, directory: TDirectory) -> List[str]:
        """Forgets everything `directory` reported (its connection was lost) and returns the
        nicks that left as a result, in the order the tracker first saw them. Each also went
        to on_nick_leave. Removing an unknown directory returns []."""
        directory_id = self._directories.id_for(directory)
        return self._change(lib.nt_remove_directory, directory_id, None)

    def sync_with_peerlist(self, directory: TDirectory, active_nicks: Iterable[str]) -> None:
        """Makes `directory`'s view match the peerlist it just sent: every nick in
        `active_nicks` is present on it, every other nick it listed is gone from it.

        All or nothing: if any nick is invalid, nothing changes. Error messages name the bad
        entry by its position in iteration order, e.g. "nicks[2]: nick is empty".
        """
        if isinstance(active_nicks, (str, bytes)):
            # Iterating would sync one-letter nicks: always a mistake.
            kind = type(active_nicks).__name__
            raise TypeError(f"active_nicks must be a collection of str, not {kind}")
        encoded = [_encode_nick(nick, f"nicks[{i}]") for i, nick in enumerate(active_nicks)]
        directory_id = self._directories.id_for(directory)
        array = (ctypes.c_char_p * len(encoded))(*encoded)
        self._change(lib.nt_sync_peerlist, directory_id, array, len(encoded))

    def close(self) -> None:
        """Frees the C tracker; later calls raise TrackerClosedError. Closing twice is fine.

        Waits for calls in progress on other threads. Raises RuntimeError from inside this
        tracker's own leave callback, where the call that is running still needs the tracker.
        """
        with self._state:
            if self._closed:
                return
            if self._dispatch.stack.calls:
                raise RuntimeError("cannot close a NickTracker from inside its own leave callback")
            self._closed = True
            self._state.wait_for(lambda: self._in_flight == 0)
        self._finalizer()

    def __enter__(self) -> "NickTracker[TDirectory]":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        try:
            with self._open_handle() as handle:
                count = ctypes.c_size_t()
                check(lib.nt_active_nick_count(handle, ctypes.byref(count)))
        except TrackerClosedError:
            return "NickTracker(closed)"
        return f"NickTracker(active_nicks={count.value})"
