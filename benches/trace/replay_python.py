#!/usr/bin/env python3
"""Replays a trace through the Python package nick_tracker (bindings/python).

    NICK_TRACKER_LIBRARY=target/release/libnick_tracker.so \\
        PYTHONPATH=bindings/python python3 replay_python.py TRACE [--runs K]

Only the package's public API is used, as a jmcore caller would: one sync_with_peerlist call
per peerlist (the whole list), and for the active count active_nick_count(), the package's
counterpart of nt_active_nick_count() (jmcore, having none, builds the set to count it). Without
PYTHONPATH the package is taken from this checkout's bindings/python. Each run prints one JSON
line (FORMAT.md, "Replayer output").
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List

import tracefile
from tracefile import Observations, Op

try:
    import nick_tracker
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bindings" / "python"))
    import nick_tracker


def replay_package(ops: List[Op], seen: Observations) -> "nick_tracker.NickTracker[int]":
    tracker: nick_tracker.NickTracker[int] = nick_tracker.NickTracker(
        on_nick_leave=seen.leaves.append
    )
    tracefile.replay_jmcore_api(tracker, ops, seen, count=tracker.active_nick_count)
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
