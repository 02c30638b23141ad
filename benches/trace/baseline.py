#!/usr/bin/env python3
"""Replays a trace with jmcore's NickTracker algorithm in plain Python: the baseline.

    python3 baseline.py TRACE [--runs K] [--mode seed|floor]

--mode seed (default) replays with SeedNickTracker, jmcore.nick_tracker.NickTracker line for
line minus its logging: the project's one Python transcription of jmcore,
bindings/python/tests/jmcore_model.py, which the package's differential tests also use.
--mode floor only walks the operations and every nick of every peerlist, with the same dispatch:
the time no Python caller can go below, whatever the tracker. It prints no checksum.

Each run prints one JSON line (FORMAT.md, "Replayer output").
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
    Trace,
)

# The model lives with the package's tests, which check the package against it.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bindings" / "python" / "tests"))
from jmcore_model import JmcoreNickTracker as SeedNickTracker  # noqa: E402 (generate.py too)


def prepare_for_seed(ops: List[Op]) -> List[Op]:
    """The seed takes each peerlist as a set (it tests membership once per tracked nick).
    It gets an insertion-ordered dict instead, built here before the clock starts: a dict is a
    set with a defined iteration order, so nicks are first seen in peerlist order as by every
    other replayer (a set would order them by string hash, and with them batch departures)."""
    return [(SYNC, op[1], dict.fromkeys(op[2])) if op[0] == SYNC else op for op in ops]


def replay_seed(ops: List[Op], seen: Observations) -> SeedNickTracker[int]:
    tracker: SeedNickTracker[int] = SeedNickTracker(on_nick_leave=seen.leaves.append)
    tracefile.replay_jmcore_api(tracker, ops, seen)
    return tracker


def replay_floor(ops: List[Op]) -> int:
    """The same loop and dispatch with no tracker: each op and each listed nick is touched."""
    touched = 0
    for op in ops:
        kind = op[0]
        if kind == SYNC:
            for _nick in op[2]:
                pass
            touched += 1
        elif kind == UPDATE:
            touched += 1
        elif kind == IS_ACTIVE:
            touched += 1
        elif kind == ACTIVE_DIRECTORIES:
            touched += 1
        elif kind == REMOVE:
            touched += 1
        elif kind == ACTIVE_COUNT:
            touched += 1
        else:
            raise AssertionError(f"unknown op {kind}")
    return touched


def main() -> None:
    args = tracefile.arguments(__doc__.splitlines()[0], modes=("seed", "floor"))
    trace: Trace = tracefile.load(args.trace)
    if args.mode == "floor":
        for run in tracefile.runs(args):
            elapsed, touched = tracefile.timed(lambda: replay_floor(trace.ops))
            assert touched == len(trace.ops)
            tracefile.report("floor", run, elapsed, None, ops=len(trace.ops))
        return
    ops = prepare_for_seed(trace.ops)
    for run in tracefile.runs(args):
        seen = Observations()
        elapsed, tracker = tracefile.timed(lambda: replay_seed(ops, seen))
        del tracker
        tracefile.report("baseline", run, elapsed, seen.checksum(trace))


if __name__ == "__main__":
    main()
