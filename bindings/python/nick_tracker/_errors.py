"""The status codes of the C library and the exceptions they become."""

import enum
from typing import Callable, Optional, Union

from . import _lib


class Status(enum.IntEnum):
    """nt_status: the result of every C call that can fail. The numbers are stable ABI."""

    OK = 0
    NULL_ARGUMENT = 1
    NICK_EMPTY = 2
    NICK_TOO_LONG = 3
    NICK_NOT_UTF8 = 4
    NICK_CONTAINS_NUL = 5
    BUFFER_TOO_SMALL = 6
    PANIC = 7
    POISONED = 8
    NICK_NOT_ACTIVE = 9
    NICK_LIMIT = 10
    DIRECTORY_LIMIT = 11
    INVALID_ARGUMENT = 12
    CALLBACK_FAILED = 13
    NO_SNAPSHOT = 14
    CLOCK_WENT_BACKWARDS = 15
    NOT_FOUND = 16

    def describe(self) -> str:
        """The library's own one-line description of this status (nt_status_str)."""
        return _lib.lib.nt_status_str(self).decode()


class NickTrackerError(Exception):
    """Base of every error this package raises on purpose.

    `status` is the Status the C library returned, or None for errors found on the Python
    side that have no C counterpart (a closed tracker). The message names the argument at
    fault, e.g. "nicks[2]: nick is empty".
    """

    def __init__(self, status: Optional[Union[Status, int]], message: str) -> None:
        super().__init__(message)
        self.status = status


class InvalidNickError(NickTrackerError, ValueError):
    """A nick was empty, longer than MAX_NICK_LEN bytes in UTF-8, contained NUL or could not
    be encoded as UTF-8. The tracker was not changed."""


class TrackerClosedError(NickTrackerError, ValueError):
    """The tracker was used after close(), like a closed file."""

    def __init__(self) -> None:
        super().__init__(None, "operation on a closed NickTracker")


class NickNotActiveError(NickTrackerError, LookupError):
    """pick_directory() was asked about a nick that no connected directory reports present,
    so there is no directory to pick. Nothing was changed."""


class LimitError(NickTrackerError):
    """A change was refused because it would exceed a limit given to the constructor
    (max_nicks or max_directories). The tracker was not changed, not even partly."""


class NickLimitError(LimitError):
    """The change would make the tracker hold more than max_nicks nicks."""


class DirectoryLimitError(LimitError):
    """The change would make the tracker know more than max_directories directories."""


class InvalidArgumentError(NickTrackerError, ValueError):
    """The library refused an argument's value (Status.INVALID_ARGUMENT). The package checks
    its own arguments first, so this means the package and library disagree: a bug."""


class NoSnapshotError(NickTrackerError, LookupError):
    """add_peerlist_chunk(), commit_peerlist() or abort_peerlist() on a directory with no
    peerlist open: begin_peerlist() was not called, or a commit, an abort, a full sync, a
    disconnection or a removal closed it since. Nothing was changed."""


class ClockWentBackwardsError(NickTrackerError):
    """The tracker's clock read an earlier time than it did before, so the call that needed
    the time was refused. Nothing was changed."""


class NotFoundError(NickTrackerError, LookupError):
    """The library knows no such nick, (nick, directory) pair or directory. The package's
    methods answer None or an empty collection instead (last_seen(), directory_stats(),
    directory_nicks()), so only direct library calls meet this."""


class CallbackFailedError(NickTrackerError):
    """A callback failed but its exception was lost on the way back to the caller: a bug of
    this package (the exception itself is raised in every other case)."""


_ERROR_TYPES = {
    Status.NICK_EMPTY: InvalidNickError,
    Status.NICK_TOO_LONG: InvalidNickError,
    Status.NICK_NOT_UTF8: InvalidNickError,
    Status.NICK_CONTAINS_NUL: InvalidNickError,
    Status.NICK_NOT_ACTIVE: NickNotActiveError,
    Status.NICK_LIMIT: NickLimitError,
    Status.DIRECTORY_LIMIT: DirectoryLimitError,
    Status.INVALID_ARGUMENT: InvalidArgumentError,
    Status.CALLBACK_FAILED: CallbackFailedError,
    Status.NO_SNAPSHOT: NoSnapshotError,
    Status.CLOCK_WENT_BACKWARDS: ClockWentBackwardsError,
    Status.NOT_FOUND: NotFoundError,
}


def error_for(status: int, rewrite: Optional[Callable[[str], str]] = None) -> NickTrackerError:
    """The exception for a failed C call; must run on the thread that made the call,
    straight after it, because the C library keeps the message per thread. `rewrite` turns
    the library's directory numbers in the message into the caller's keys."""
    message = _lib.lib.nt_last_error_message().decode("utf-8", "replace")
    if rewrite is not None:
        message = rewrite(message)
    try:
        status = Status(status)
    except ValueError:  # a status added by a newer library: keep the number
        pass
    return _ERROR_TYPES.get(status, NickTrackerError)(status, message)


def check(status: int) -> None:
    """Raises the exception for a failed C call; must run on the thread that made the call,
    straight after it, because the C library keeps the message per thread."""
    if status != Status.OK:
        raise error_for(status)
