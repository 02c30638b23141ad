"""How NickTracker's methods call the C library: the handle that keeps the C tracker alive
while calls use it, the error path (statuses, callback exceptions, a closed tracker) and
the calls that return packed nicks."""

import ctypes
from typing import Callable, Hashable, List, Optional

from ._convert import unpack_nicks
from ._directories import NO_DIRECTORY, Directories
from ._dispatch import Dispatch
from ._errors import CallbackFailedError, NickTrackerError, Status, TrackerClosedError
from ._errors import error_for
from ._lib import NtDirectoryStats, lib

OK = Status.OK
BUFFER_TOO_SMALL = Status.BUFFER_TOO_SMALL
CALLBACK_FAILED = Status.CALLBACK_FAILED
NOT_FOUND = Status.NOT_FOUND

Size1 = ctypes.c_size_t * 1


class Handle(ctypes.c_void_p):
    """The C tracker, passed to every call.

    Every C call gets it as an argument, which ctypes holds for the call's whole duration
    (callbacks included): so the handle lives as long as any call still uses it. It frees the
    C tracker when its last reference goes (a weakref.finalize in NickTracker.__init__), and
    close() only drops the tracker's own reference: the C tracker is never freed under a call
    still running on another thread, without any per-call bookkeeping. Reference counts are
    exact and atomic in CPython, with or without the GIL. A closed tracker's handle is None,
    which the library refuses as NT_STATUS_NULL_ARGUMENT: TrackerClosedError, found out on
    the error path only.

    `trampolines` holds the ctypes callbacks, which the library may call until it is freed:
    weakref callbacks run before an object's attributes are cleared, also in a garbage
    collection. Not the finalizer's arguments: those are held by a global registry, and the
    callbacks often refer back to the tracker, which would then never die.
    """

    trampolines: list


class Calls:
    """The plumbing NickTracker's methods share."""

    _handle: Optional[Handle]
    _directories: Directories
    _dispatch: Dispatch

    def _failure(self, status: int, directory: Hashable = None) -> BaseException:
        """The exception for a failed call, from the library's per-thread state: must run on
        the calling thread straight after the call, before any other library call.

        If a callback raised, the call still completed (every event and message was
        delivered) and the callback's first exception is returned. If the call itself failed
        too (a limit, which the library also logs), its error is returned, with the
        callback's exception as __context__, unless that was a KeyboardInterrupt or another
        exception that is not an Exception: that is returned, with the call's error as
        __context__. `directory` is the key the call was about, named in messages.
        """
        if status == Status.NULL_ARGUMENT and self._handle is None:
            return TrackerClosedError()
        failure: Optional[NickTrackerError] = None
        if status != CALLBACK_FAILED:
            failure = error_for(status, lambda text: self._directories.rewrite(text, directory))
        token = lib.nt_take_callback_error()
        error = self._dispatch.take(token) if token else None
        if status == Status.CLOCK_WENT_BACKWARDS:
            clock = self._dispatch.clock_failure
            if clock.error is not None:  # the clock raised: that is the reason
                error, clock.error = clock.error, None
                return error
        if failure is None:
            return error or CallbackFailedError(status, "a callback's exception was lost")
        if error is None:
            return failure
        if isinstance(error, Exception):
            failure.__context__ = error
            return failure
        error.__context__ = failure
        return error

    def _id(
        self, directory: Hashable, check: Optional[Callable[[], int]] = None
    ) -> ctypes.c_uint64:
        """The id of `directory`, made if it has none, for a call that may make it known.

        The mapping must hold only directories the library knows, so a call that is refused
        must leave no id behind. `check` (a call checking the nicks, without changing
        anything) runs before a new id is made, so that bad input, the usual refusal, makes
        none; _after_change() releases one made for a call refused otherwise (a limit).
        """
        id_ = self._directories.ids.get(directory)
        if id_ is None:
            if check is not None:
                status = check()
                if status != OK:
                    raise self._failure(status, directory)
            id_ = self._directories.add(directory)
        return id_

    def _check_nicks(self, packed: bytes, count: int) -> Callable[[], int]:
        """A check for _id(): the packed nicks validated by the library (gone reports from no
        directory change nothing, but are checked whole, with the same messages)."""
        return lambda: lib.nt_update_batch(
            self._handle, NO_DIRECTORY, packed, len(packed), bytes(count), count
        )

    def _call(
        self, function: Callable[..., int], *args: object, directory: Hashable = None
    ) -> None:
        """Runs a C call on the tracker and raises its failure, if any."""
        status = function(self._handle, *args)
        if status != OK:
            raise self._failure(status, directory)

    def _after_change(self, status: int, directory: Hashable, id_: ctypes.c_uint64) -> None:
        """The end of a call that may have made `directory` known (a present report, a
        listing, a connection state): raises its failure, if any; releases `id_` if the call
        was refused and the library does not know it; and undoes what the call did to the
        directory if the directory was removed meanwhile (its key no longer has `id_`).

        Such a call raced with the removal of its own directory on another thread. If it
        reached the library first, the removal forgot its report; if second, the library
        knows the old id again, which no key names: that is removed here, and the call's
        report ends as if it came first (a join, then a leave, if it made the nick join).
        """
        error = self._failure(status, directory) if status != OK else None
        if id_ is NO_DIRECTORY:
            pass
        elif status not in (OK, CALLBACK_FAILED):  # refused: an id made for it may be unknown
            stats = NtDirectoryStats()
            if lib.nt_get_directory_stats(self._handle, id_, ctypes.byref(stats)) == NOT_FOUND:
                self._directories.release(directory, id_)
        elif self._directories.ids.get(directory) is not id_:
            try:
                self._call(lib.nt_remove_directory, id_, None)
            except BaseException as cleanup_error:
                error = error or cleanup_error
        if error is not None:
            raise error

    def _departed(self, count: Optional[int] = None) -> List[str]:
        """The nicks (`count` of them, if known) that left in this thread's latest call that
        reports departures (nt_departed_nicks()), in the order they left. Called straight
        after that call."""
        if count is None:  # the call said nothing: ask for the length first
            length = Size1()
            if lib.nt_departed_nicks(None, 0, length) == OK:
                return []
            room = length[0]
        elif count == 0:
            return []
        else:
            room = count * 24
        return unpack_nicks(_two_calls(self, lib.nt_departed_nicks, (), room))

    def _packed(self, function: Callable[..., int], room: int, *args: object) -> memoryview:
        """The packed nicks (`"alice\\0bob\\0"`) that `function(handle, *args, buffer,
        capacity, &length)` writes; `room` bytes is the first guess."""
        return _two_calls(self, function, (self._handle, *args), room)


_BUFFER_TYPES = {}


def _buffer(room: int) -> ctypes.Array:
    """A zeroed buffer of at least `room` bytes, of a size that is a power of two, so that the
    few array types are made once (making one costs more than a small buffer)."""
    size = 1 << max(6, (room - 1).bit_length())
    buffer_type = _BUFFER_TYPES.get(size)
    if buffer_type is None:
        buffer_type = _BUFFER_TYPES.setdefault(size, ctypes.c_char * size)
    return buffer_type()


def _two_calls(calls: Calls, function: Callable[..., int], args: tuple, room: int) -> memoryview:
    """What a function of the two-call pattern writes: a buffer of `room` bytes, or of the
    length the library asks for if that was too small."""
    length = Size1()
    while True:
        buffer = _buffer(room)
        status = function(*args, buffer, len(buffer), length)
        if status != BUFFER_TOO_SMALL:
            break
        room = length[0]  # the tracker may grow before the next call: loop
    if status != OK:
        raise calls._failure(status)
    return memoryview(buffer)[: length[0]]
