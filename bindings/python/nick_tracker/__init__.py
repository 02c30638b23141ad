"""Which peer nicks are still reachable when connected to several directory servers.

A ctypes binding to libnick_tracker with the API of JoinMarket's jmcore.nick_tracker:

    from nick_tracker import NickTracker

    with NickTracker(on_nick_leave=print) as tracker:
        tracker.mark_nick_present("J5alice", "dir1")
        tracker.mark_nick_present("J5alice", "dir2")
        tracker.mark_nick_gone("J5alice", "dir1")  # still active through dir2
        tracker.remove_directory("dir2")           # prints J5alice

plus join events (on_nick_join, on_event), logging, limits, connection state
(set_directory_connected), pick_directory and stats; peerlists in chunks (begin_peerlist...),
batched reports (update_nicks), time (clock, last_seen, expire) and each directory's view
(directory_nicks, directory_stats): see NickTracker and the README.

Callbacks run on the thread whose call caused them, before that call returns. On one thread
a tracker's callbacks see its events in Event.seq order, also when a callback calls into the
tracker (that call's events come after those still pending). Callbacks on several threads
may run at once and out of seq order: a consumer keeps, per nick, the seq of the last event
it applied and ignores older ones, and then agrees with the tracker.

The shared library is found through $NICK_TRACKER_LIBRARY, then next to this package (where
pip puts the one it builds), then by the system loader; `library_path` says which file was
loaded. `__version__` is the package's version, the Rust crate's.
"""

from ._errors import (
    CallbackFailedError,
    ClockWentBackwardsError,
    DirectoryLimitError,
    InvalidArgumentError,
    InvalidNickError,
    LimitError,
    NickLimitError,
    NickNotActiveError,
    NickTrackerError,
    NoSnapshotError,
    NotFoundError,
    Status,
    TrackerClosedError,
)
from ._lib import path as library_path
from ._lib import version as library_version
from ._convert import LOGGER_NAME
from ._tracker import NickTracker
from ._types import DirectoryStats, Event, EventKind, LogLevel, PickMode, Stats

try:
    # Written by setup.py from the crate's Cargo.toml when the package is built.
    from ._version import __version__
except ImportError:  # A source checkout used without building: ask the crate itself.

    def _checkout_version() -> str:
        import re
        from pathlib import Path

        manifest = Path(__file__).resolve().parents[3] / "Cargo.toml"
        try:
            match = re.search(r'^version\s*=\s*"([^"]+)"', manifest.read_text(), re.MULTILINE)
        except OSError:
            match = None
        return match.group(1) if match else "0+unknown"

    __version__ = _checkout_version()
    del _checkout_version

__all__ = [
    "CallbackFailedError",
    "ClockWentBackwardsError",
    "DirectoryLimitError",
    "DirectoryStats",
    "Event",
    "EventKind",
    "InvalidArgumentError",
    "InvalidNickError",
    "LOGGER_NAME",
    "LimitError",
    "LogLevel",
    "MAX_NICK_LEN",
    "NickLimitError",
    "NickNotActiveError",
    "NickTracker",
    "NickTrackerError",
    "NoSnapshotError",
    "NotFoundError",
    "PickMode",
    "Stats",
    "Status",
    "TrackerClosedError",
    "library_path",
    "library_version",
]

# The longest nick accepted, in bytes of UTF-8 (NT_MAX_NICK_LEN).
MAX_NICK_LEN = 256
