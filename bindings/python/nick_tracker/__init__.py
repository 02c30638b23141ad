"""Which peer nicks are still reachable when connected to several directory servers.

A ctypes binding to libnick_tracker with the API of JoinMarket's jmcore.nick_tracker:

    from nick_tracker import NickTracker

    with NickTracker(on_nick_leave=print) as tracker:
        tracker.mark_nick_present("J5alice", "dir1")
        tracker.mark_nick_present("J5alice", "dir2")
        tracker.mark_nick_gone("J5alice", "dir1")  # still active through dir2
        tracker.remove_directory("dir2")           # prints J5alice

plus join events (on_nick_join, on_event), logging, limits, connection state
(set_directory_connected), pick_directory and stats: see NickTracker.

The shared library is found through $NICK_TRACKER_LIBRARY, then next to this package (where
pip puts the one it builds), then by the system loader; `library_path` says which file was
loaded. `__version__` is the package's version, the Rust crate's.
"""

from ._errors import (
    DirectoryLimitError,
    InvalidArgumentError,
    InvalidNickError,
    LimitError,
    NickLimitError,
    NickNotActiveError,
    NickTrackerError,
    Status,
    TrackerClosedError,
)
from ._lib import path as library_path
from ._lib import version as library_version
from ._tracker import LOGGER_NAME, NickTracker
from ._types import Event, EventKind, LogLevel, PickMode, Stats

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
    "DirectoryLimitError",
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
    "PickMode",
    "Stats",
    "Status",
    "TrackerClosedError",
    "library_path",
    "library_version",
]

# The longest nick accepted, in bytes of UTF-8 (NT_MAX_NICK_LEN).
MAX_NICK_LEN = 256
