"""Finds and loads libnick_tracker, checks its version and declares every C prototype.

ctypes assumes `int` arguments and results for any function it is not told about, which
silently truncates pointers and 64-bit directory ids, so every function the package calls is
declared here, once, before use.
"""

import ctypes
import ctypes.util
import os
import sys
from pathlib import Path
from typing import Callable, List, Mapping, NamedTuple, Optional, Tuple

ENV_VAR = "NICK_TRACKER_LIBRARY"

# The library major version this package was written against (NT_VERSION_MAJOR).
EXPECTED_MAJOR = 0

# The oldest minor version with every function declared below (nt_options, events, stats...).
MINIMUM_MINOR = 2

# The nt_options layout this package fills in (NT_OPTIONS_VERSION).
OPTIONS_VERSION = 2

# typedef void (*nt_nick_callback)(void *user_data, const char *nick);
NickCallback = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p)


class NtEvent(ctypes.Structure):
    """nt_event: one JOIN or LEAVE, valid only while the event callback runs."""

    _fields_ = [
        ("kind", ctypes.c_uint32),  # nt_event_kind, 32 bits in every language mode
        ("nick", ctypes.c_char_p),
        ("directory", ctypes.c_uint64),
        ("seq", ctypes.c_uint64),
    ]


# typedef void (*nt_event_callback)(void *user_data, const nt_event *event);
EventCallback = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.POINTER(NtEvent))

# typedef void (*nt_log_callback)(void *user_data, nt_log_level level, const char *message);
LogCallback = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint32, ctypes.c_char_p)

# typedef uint64_t (*nt_clock_callback)(void *user_data);
ClockCallback = ctypes.CFUNCTYPE(ctypes.c_uint64, ctypes.c_void_p)


class NtOptions(ctypes.Structure):
    """nt_options. Always filled by nt_options_init() before any field is set."""

    _fields_ = [
        ("version", ctypes.c_uint32),
        ("on_event", EventCallback),
        ("on_leave", NickCallback),
        ("event_user_data", ctypes.c_void_p),
        ("on_log", LogCallback),
        ("log_user_data", ctypes.c_void_p),
        ("log_level", ctypes.c_uint32),
        ("max_nicks", ctypes.c_size_t),
        ("max_directories", ctypes.c_size_t),
        ("pick_mode", ctypes.c_uint32),
        ("clock", ClockCallback),
        ("clock_user_data", ctypes.c_void_p),
        ("presence_ttl_ms", ctypes.c_uint64),
        ("gone_grace_ms", ctypes.c_uint64),
        ("disconnected_hold_ms", ctypes.c_uint64),
    ]


class NtStats(ctypes.Structure):
    """nt_stats, filled by nt_get_stats()."""

    _fields_ = [
        ("nicks", ctypes.c_size_t),
        ("active_nicks", ctypes.c_size_t),
        ("directories", ctypes.c_size_t),
        ("connected_directories", ctypes.c_size_t),
        ("joins", ctypes.c_uint64),
        ("leaves", ctypes.c_uint64),
    ]


class NtDirectoryStats(ctypes.Structure):
    """nt_directory_stats, filled by nt_get_directory_stats()."""

    _fields_ = [
        ("nicks", ctypes.c_size_t),
        ("connected", ctypes.c_bool),
        ("snapshot_open", ctypes.c_bool),
        ("last_peerlist_ms", ctypes.c_uint64),
        ("last_report_ms", ctypes.c_uint64),
        ("peerlists", ctypes.c_uint64),
        ("reports", ctypes.c_uint64),
    ]


_status = ctypes.c_uint32
_tracker = ctypes.c_void_p
_size_p = ctypes.POINTER(ctypes.c_size_t)
_u64 = ctypes.c_uint64
_u64_p = ctypes.POINTER(ctypes.c_uint64)
_nick = ctypes.c_char_p
# A packed list of nicks ("alice\0bob\0") passed as bytes: c_char_p hands C the object's own
# storage, no copy. Also the type of caller-provided output buffers for packed nicks.
_packed = ctypes.c_char_p

_PROTOTYPES = {
    "nt_status_str": (ctypes.c_char_p, [ctypes.c_uint32]),
    "nt_last_error_message": (ctypes.c_char_p, []),
    "nt_options_init": (_status, [ctypes.POINTER(NtOptions), ctypes.c_uint32]),
    "nt_new": (_status, [NickCallback, ctypes.c_void_p, ctypes.POINTER(_tracker)]),
    "nt_new_with_options": (_status, [ctypes.POINTER(NtOptions), ctypes.POINTER(_tracker)]),
    "nt_free": (None, [_tracker]),
    "nt_update": (_status, [_tracker, _nick, _u64, ctypes.c_bool]),
    "nt_update_n": (_status, [_tracker, _nick, ctypes.c_size_t, _u64, ctypes.c_bool]),
    "nt_mark_present": (_status, [_tracker, _nick, _u64]),
    "nt_mark_gone": (_status, [_tracker, _nick, _u64]),
    "nt_update_batch": (
        _status,
        [_tracker, _u64, _packed, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t],
    ),
    "nt_remove_directory": (_status, [_tracker, _u64, _size_p]),
    "nt_set_directory_connected": (_status, [_tracker, _u64, ctypes.c_bool]),
    "nt_expire": (_status, [_tracker, _size_p]),
    "nt_sync_peerlist": (_status, [_tracker, _u64, ctypes.POINTER(_nick), ctypes.c_size_t]),
    "nt_sync_peerlist_packed": (_status, [_tracker, _u64, _packed, ctypes.c_size_t]),
    "nt_peerlist_begin": (_status, [_tracker, _u64]),
    "nt_peerlist_add": (_status, [_tracker, _u64, _packed, ctypes.c_size_t]),
    "nt_peerlist_commit": (_status, [_tracker, _u64, _size_p]),
    "nt_peerlist_abort": (_status, [_tracker, _u64]),
    "nt_is_active": (_status, [_tracker, _nick, ctypes.POINTER(ctypes.c_bool)]),
    "nt_is_active_n": (
        _status,
        [_tracker, _nick, ctypes.c_size_t, ctypes.POINTER(ctypes.c_bool)],
    ),
    "nt_active_directories": (
        _status,
        [_tracker, _nick, _u64_p, ctypes.c_size_t, _size_p],
    ),
    "nt_active_directories_n": (
        _status,
        [_tracker, _nick, ctypes.c_size_t, _u64_p, ctypes.c_size_t, _size_p],
    ),
    "nt_pick_directory": (_status, [_tracker, _nick, _u64_p]),
    "nt_pick_directory_n": (_status, [_tracker, _nick, ctypes.c_size_t, _u64_p]),
    "nt_active_nick_count": (_status, [_tracker, _size_p]),
    "nt_get_stats": (_status, [_tracker, ctypes.POINTER(NtStats)]),
    "nt_for_each_active_nick": (_status, [_tracker, NickCallback, ctypes.c_void_p]),
    "nt_active_nicks_packed": (_status, [_tracker, _packed, ctypes.c_size_t, _size_p]),
    "nt_last_seen": (_status, [_tracker, _nick, _u64, _u64_p]),
    "nt_last_seen_anywhere": (_status, [_tracker, _nick, _u64_p]),
    "nt_get_directory_stats": (_status, [_tracker, _u64, ctypes.POINTER(NtDirectoryStats)]),
    "nt_for_each_directory_nick": (
        _status,
        [_tracker, _u64, NickCallback, ctypes.c_void_p],
    ),
    "nt_directory_nicks_packed": (
        _status,
        [_tracker, _u64, _packed, ctypes.c_size_t, _size_p],
    ),
    "nt_directories": (_status, [_tracker, _u64_p, ctypes.c_size_t, _size_p]),
    "nt_report_callback_error": (_status, [_tracker, ctypes.c_size_t]),
    "nt_take_callback_error": (ctypes.c_size_t, []),
    "nt_departed_nicks": (_status, [_packed, ctypes.c_size_t, _size_p]),
}

# The calls made once per report or query, used without argtypes: ctypes then converts no
# argument through from_param(), which costs a third of such a call. Safe only because the
# package passes every argument as exactly the C type below (a ctypes instance, whose own type
# says how to pass it; bytes for a NUL-terminated string; an array for a pointer to its
# first element), never a plain int. tests/test_header.py checks these against _PROTOTYPES.
UNTYPED = {
    "nt_update": ("tracker", "nick", ctypes.c_uint64, ctypes.c_bool),
    "nt_mark_present": ("tracker", "nick", ctypes.c_uint64),
    "nt_mark_gone": ("tracker", "nick", ctypes.c_uint64),
    "nt_is_active": ("tracker", "nick", ctypes.c_bool * 1),
    "nt_active_directories": (
        "tracker",
        "nick",
        ctypes.c_uint64 * 1,
        ctypes.c_size_t,
        ctypes.c_size_t * 1,
    ),
    "nt_pick_directory": ("tracker", "nick", ctypes.c_uint64 * 1),
}


class LibraryNames(NamedTuple):
    """What the library is called on one platform."""

    # The file cargo builds and setup.py puts next to __init__.py.
    bundled: str
    # Any copy of the library in the package directory (the bundled file matches it too).
    bundled_pattern: str
    # The names the system loader is asked for, in order.
    system: List[str]


def library_names(platform: str) -> LibraryNames:
    """The library's names for a `sys.platform` value: "win32", "darwin", or an ELF system
    ("linux", "freebsd"...)."""
    if platform == "win32":
        # cargo names a Windows cdylib without the "lib" prefix, with either toolchain.
        return LibraryNames("nick_tracker.dll", "nick_tracker*.dll", ["nick_tracker.dll"])
    if platform == "darwin":
        return LibraryNames(
            "libnick_tracker.dylib",
            "libnick_tracker*.dylib",
            [f"libnick_tracker.{EXPECTED_MAJOR}.dylib", "libnick_tracker.dylib"],
        )
    # The SONAME, which the installed library and its symlinks provide.
    return LibraryNames(
        "libnick_tracker.so", "libnick_tracker.so*", [f"libnick_tracker.so.{EXPECTED_MAJOR}"]
    )


def _candidates(
    platform: str = sys.platform,
    environ: Mapping[str, str] = os.environ,
    package_dir: Path = Path(__file__).parent,
    find_library: Callable[[str], Optional[str]] = ctypes.util.find_library,
) -> List[Tuple[str, Optional[str]]]:
    """Where to look, in order, as (where from, path or name) pairs; None if nothing was found.

    An explicit NICK_TRACKER_LIBRARY is the only candidate: if it is wrong the user wants to
    hear so, not to have some other copy loaded behind their back. Otherwise the library
    bundled in the package (cargo's file name first), then the system loader's copies.
    """
    override = environ.get(ENV_VAR)
    if override:
        return [(ENV_VAR, override)]
    names = library_names(platform)
    found = sorted(package_dir.glob(names.bundled_pattern))
    bundled = sorted(found, key=lambda path: path.name != names.bundled)  # stable: cargo's first
    candidates: List[Tuple[str, Optional[str]]] = [
        ("next to the package", str(path)) for path in bundled
    ]
    if not bundled:
        candidates.append((f"next to the package ({package_dir / names.bundled})", None))
    candidates.extend(("system loader", name) for name in names.system)
    candidates.append(("ctypes.util.find_library('nick_tracker')", find_library("nick_tracker")))
    return candidates


def _open() -> Tuple[str, ctypes.CDLL]:
    tried = []
    for where, path in _candidates():
        if path is None:
            tried.append(f"  {where}: found nothing")
            continue
        try:
            return path, ctypes.CDLL(path)
        except OSError as error:
            tried.append(f"  {where}: {error}")
    raise ImportError(
        "nick_tracker cannot load libnick_tracker. Tried:\n"
        + "\n".join(tried)
        + f"\nSet {ENV_VAR} to the full path of {library_names(sys.platform).bundled}."
    )


def _declare(
    lib: ctypes.CDLL, path: str, name: str, restype: object, argtypes: list, hint: str = ""
) -> None:
    try:
        function = getattr(lib, name)
    except AttributeError as error:
        message = f"{path} lacks {name}, so it is not a usable libnick_tracker ({error}){hint}"
        raise ImportError(message) from None
    function.restype = restype
    function.argtypes = argtypes


def _load() -> Tuple[str, str, ctypes.CDLL]:
    path, lib = _open()
    # Checked before the other prototypes so a different major version is reported as such,
    # not as whichever function it happens to lack.
    _declare(lib, path, "nt_version", ctypes.c_char_p, [])
    version = lib.nt_version().decode()
    if version.split(".")[0] != str(EXPECTED_MAJOR):
        raise ImportError(
            f"{path} is nick-tracker {version}, but this package needs {EXPECTED_MAJOR}.x"
        )
    # An older 0.x library is not refused by number alone (its missing function is the
    # precise reason), but the message says why it lacks it.
    hint = ""
    minor = version.split(".")[1:2]
    if minor and minor[0].isdigit() and int(minor[0]) < MINIMUM_MINOR:
        needed = f"{EXPECTED_MAJOR}.{MINIMUM_MINOR}"
        hint = f"; it is nick-tracker {version}, this package needs {needed} or later"
    for name, (restype, argtypes) in _PROTOTYPES.items():
        _declare(lib, path, name, restype, argtypes, hint)
    return path, version, lib


def _untyped(lib: ctypes.CDLL, name: str) -> "ctypes._CFuncPtr":
    """A second function object for `name` with a status result and no argtypes (UNTYPED)."""
    function = lib._FuncPtr((name, lib))  # type: ignore[attr-defined]
    function.restype = ctypes.c_uint32
    return function


path, version, lib = _load()
untyped = {name: _untyped(lib, name) for name in UNTYPED}
