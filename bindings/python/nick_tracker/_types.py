"""The values NickTracker hands out or accepts besides nicks and directories: events, log
levels, pick modes and statistics. The enum numbers are the C library's, so they can be passed to
it as they are."""

import dataclasses
import enum
import logging
from typing import Hashable, NamedTuple, Optional


class EventKind(enum.IntEnum):
    """nt_event_kind: what happened to a nick."""

    JOIN = 1
    """The nick became active: a connected directory reported it while no other did, it came
    back after leaving, or the directory reporting it reconnected."""

    LEAVE = 2
    """The nick left: no connected directory reports it present any more. Exactly one LEAVE
    follows each JOIN of the same nick, in seq order (unless the tracker is closed first)."""


class Event(NamedTuple):
    """One JOIN or LEAVE, as passed to on_event.

    `directory` is the caller's own directory key (as given to the tracker, not the library's
    number): the directory whose report, peerlist, removal, connection change or expiry
    caused it.

    `seq` numbers the tracker's events in the order it made the changes: 1 for its first
    event, one more for each after it. One thread sees a tracker's events in seq order;
    callbacks on several threads may see them out of order, so a consumer fed from several
    threads keeps, per nick, the seq of the last event it applied and ignores older ones.
    """

    kind: EventKind
    nick: str
    directory: Hashable
    seq: int


class LogLevel(enum.IntEnum):
    """nt_log_level: severity of a library log message, most severe first."""

    ERROR = 1
    """A misuse the library refused without a status to report it in (freeing a tracker from
    inside its own callback, which this package refuses before the library sees it)."""

    WARN = 2
    """A change refused because a limit was reached."""

    WARNING = 2  # alias, for callers used to the logging module's name

    INFO = 3
    """A nick left all directories; a directory was removed, disconnected or reconnected."""

    DEBUG = 4
    """A nick became active."""

    @property
    def logging_level(self) -> int:
        """The matching level of the standard logging module (WARN is logging.WARNING)."""
        return _LOGGING_LEVELS[self]


_LOGGING_LEVELS = {
    LogLevel.ERROR: logging.ERROR,
    LogLevel.WARN: logging.WARNING,
    LogLevel.INFO: logging.INFO,
    LogLevel.DEBUG: logging.DEBUG,
}


class PickMode(enum.IntEnum):
    """nt_pick_mode: how pick_directory() chooses among a nick's active directories."""

    RANDOM = 0
    """Uniformly at random (the default), so no one directory carries all private messages."""

    ROUND_ROBIN = 1
    """In turn, per nick, in the order get_active_directories_for_nick() lists them:
    deterministic, for tests."""

    STICKY = 2
    """The same directory for a nick while the nick stays active there (as a taker keeps the
    directory of a private-message session); when it does not, another of its active
    directories, chosen at random, from then on."""


@dataclasses.dataclass(frozen=True)
class Stats:
    """A tracker's counters, all taken at one instant (nt_stats)."""

    nicks: int
    """Nicks held: the active ones plus those reported present only by disconnected
    directories. This is what max_nicks limits."""

    active_nicks: int
    """Nicks at least one connected directory reports present."""

    directories: int
    """Directories known: that reported a nick present, sent a peerlist or were given a
    connection state, and were not removed since. This is what max_directories limits."""

    connected_directories: int
    """Of those, how many are connected."""

    joins: int
    """JOIN events since the tracker was created, whether a callback received them or not."""

    leaves: int
    """LEAVE events since the tracker was created, whether a callback received them or not."""


@dataclasses.dataclass(frozen=True)
class DirectoryStats:
    """One directory's view and health, all taken at one instant (nt_directory_stats).

    Times are seconds of the tracker's clock (see NickTracker's `clock`), None for never.
    """

    nicks: int
    """Nicks the directory reports present, whether it is connected or not."""

    connected: bool

    snapshot_open: bool
    """Whether a peerlist is being received in chunks (begin_peerlist())."""

    last_peerlist: Optional[float]
    """When its last complete peerlist arrived (synced or committed)."""

    last_report: Optional[float]
    """When its last single report (update_nick() and the like) arrived."""

    peerlists: int
    """Complete peerlists received since the directory became known."""

    reports: int
    """Single reports received since the directory became known."""
