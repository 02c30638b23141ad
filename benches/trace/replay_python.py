#!/usr/bin/env python3
"""Replays a trace through the Python package nick_tracker (bindings/python).

    NICK_TRACKER_LIBRARY=target/release/libnick_tracker.so \\
        PYTHONPATH=bindings/python python3 replay_python.py TRACE [--runs K]

Only the package's public API is used, as a jmcore caller would: one sync_with_peerlist call
per peerlist (the whole list), len(get_all_active_nicks()) for the active count. Without
PYTHONPATH the package is taken from this checkout's bindings/python. Each run prints one JSON
line (FORMAT.md, "Replayer output").
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List

import tracefile
from tracefile import (
    ACTIVE_COUNT,
    ACTIVE_DIRECTORIES,
    IS_ACTIVE,
    REMOVE,
    SYNC,
    UPDATE,
    Observations,
    Op,
)

try:
    import nick_tracker
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bindings" / "python"))
    import nick_tracker


def replay_package(ops: List[Op], seen: Observations) -> "nick_tracker.NickTracker[int]":
    tracker: nick_tracker.NickTracker[int] = nick_tracker.NickTracker(
        on_nick_leave=seen.leaves.append
    )
    sync = tracker.sync_with_peerlist
    update = tracker.update_nick
    is_active = tracker.is_nick_active
    active_directories = tracker.get_active_directories_for_nick
    remove = tracker.remove_directory
    all_active = tracker.get_all_active_nicks
    record_active = seen.active.append
    record_directories = seen.directories.append
    record_count = seen.counts.append
    for op in ops:
        kind = op[0]
        if kind == SYNC:
            sync(op[1], op[2])
        elif kind == UPDATE:
            update(op[1], op[2], op[3])
        elif kind == IS_ACTIVE:
            record_active(is_active(op[1]))
        elif kind == ACTIVE_DIRECTORIES:
            record_directories(active_directories(op[1]))
        elif kind == REMOVE:
            remove(op[1])
        elif kind == ACTIVE_COUNT:
            record_count(len(all_active()))
        else:
            raise AssertionError(f"unknown op {kind}")
    return tracker


def main() -> None:
    args = tracefile.arguments(__doc__.splitlines()[0])
    trace = tracefile.load(args.trace)
    for run in tracefile.runs(args):
        seen = Observations()
        elapsed, tracker = tracefile.timed(lambda: replay_package(trace.ops, seen))
        tracker.close()
        tracefile.report(
            "python",
            run,
            elapsed,
            seen.checksum(trace),
            library=nick_tracker.library_path,
            library_version=nick_tracker.library_version,
        )


if __name__ == "__main__":
    main()
