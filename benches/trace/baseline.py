#!/usr/bin/env python3
"""Replays a trace with jmcore's NickTracker algorithm in plain Python: the baseline.

    python3 baseline.py TRACE [--runs K] [--mode seed|floor]

--mode seed (default) replays with SeedNickTracker, a faithful copy of the logic of
jmcore.nick_tracker.NickTracker (/work/shared/seed/jmcore-nick_tracker.txt) minus its logging.
--mode floor only walks the operations and every nick of every peerlist, with the same dispatch:
the time no Python caller can go below, whatever the tracker. It prints no checksum.

Each run prints one JSON line (FORMAT.md, "Replayer output").
"""

from __future__ import annotations

from typing import Callable, Collection, Dict, Generic, Hashable, List, Optional, Set, TypeVar

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

TDirectory = TypeVar("TDirectory", bound=Hashable)


class SeedNickTracker(Generic[TDirectory]):
    """jmcore.nick_tracker.NickTracker, line for line, without the logger calls.

    Removing the logging only makes the baseline faster: the seed formats its f-strings (one of
    them building a list) whether or not the log level lets them through.
    """

    def __init__(self, on_nick_leave: Optional[Callable[[str], None]] = None):
        # active_nicks[nick] = {directory1: True, directory2: True, ...}
        # True = nick is present on this directory, False = gone from this directory
        self.active_nicks: Dict[str, Dict[TDirectory, bool]] = {}
        self.on_nick_leave = on_nick_leave

    def update_nick(self, nick: str, directory: TDirectory, is_present: bool) -> None:
        if nick not in self.active_nicks:
            self.active_nicks[nick] = {}

        old_status = self.active_nicks[nick].get(directory)
        self.active_nicks[nick][directory] = is_present

        # Check if this update causes the nick to be completely gone
        if not is_present and old_status is True:
            # Nick just disappeared from this directory
            # Check if it's still present on any other directory
            if not self.is_nick_active(nick):
                if self.on_nick_leave:
                    self.on_nick_leave(nick)
                # Clean up the entry
                del self.active_nicks[nick]
        elif is_present and old_status is False:
            pass  # the seed only logs here ("returned to directory")

    def mark_nick_present(self, nick: str, directory: TDirectory) -> None:
        self.update_nick(nick, directory, True)

    def mark_nick_gone(self, nick: str, directory: TDirectory) -> None:
        self.update_nick(nick, directory, False)

    def is_nick_active(self, nick: str) -> bool:
        if nick not in self.active_nicks:
            return False
        return any(status for status in self.active_nicks[nick].values())

    def get_active_directories_for_nick(self, nick: str) -> List[TDirectory]:
        if nick not in self.active_nicks:
            return []
        return [
            directory for directory, is_present in self.active_nicks[nick].items() if is_present
        ]

    def get_all_active_nicks(self) -> Set[str]:
        return {nick for nick in self.active_nicks if self.is_nick_active(nick)}

    def remove_directory(self, directory: TDirectory) -> List[str]:
        gone_nicks = []

        for nick in list(self.active_nicks.keys()):
            if directory in self.active_nicks[nick]:
                # Remove this directory from the nick's tracking
                del self.active_nicks[nick][directory]

                # Check if nick is now gone from all directories
                if not self.active_nicks[nick]:
                    # No directories left for this nick
                    gone_nicks.append(nick)
                    if self.on_nick_leave:
                        self.on_nick_leave(nick)
                    del self.active_nicks[nick]
                elif not self.is_nick_active(nick):
                    # Still tracked on some directories but marked as gone on all
                    gone_nicks.append(nick)
                    if self.on_nick_leave:
                        self.on_nick_leave(nick)
                    del self.active_nicks[nick]

        return gone_nicks

    def sync_with_peerlist(self, directory: TDirectory, active_nicks: Collection[str]) -> None:
        # First, mark all nicks in the peerlist as present
        for nick in active_nicks:
            self.mark_nick_present(nick, directory)

        # Then, mark nicks we're tracking but not in this peerlist as gone from this directory
        for nick in list(self.active_nicks.keys()):
            if directory in self.active_nicks[nick] and nick not in active_nicks:
                self.mark_nick_gone(nick, directory)

    def __repr__(self) -> str:
        return f"NickTracker(active_nicks={len(self.get_all_active_nicks())})"


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
