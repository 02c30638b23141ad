"""Reading nick-tracker traces and reporting replay results (see FORMAT.md).

Shared by the Python replayers (baseline.py, replay_python.py) so that they parse, dispatch,
time and checksum in exactly the same way; only the calls into a tracker differ.
"""

from __future__ import annotations

import argparse
import gc
import json
import struct
import sys
import time
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

HEADER = "nick-tracker-trace\t1"
READY = '{"ready": true}'  # printed by a replayer started with --wait once it has parsed
MAX_NICK_LEN = 256

# Operation codes: the first element of every parsed operation tuple.
#   (UPDATE, nick: str, directory: int, present: bool)
#   (SYNC, directory: int, nicks: list[str])
#   (REMOVE, directory: int)
#   (IS_ACTIVE, nick: str)
#   (ACTIVE_DIRECTORIES, nick: str)
#   (ACTIVE_COUNT,)
UPDATE, SYNC, REMOVE, IS_ACTIVE, ACTIVE_DIRECTORIES, ACTIVE_COUNT = range(6)

Op = Tuple[object, ...]

FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
MASK64 = (1 << 64) - 1
U64_MAX = MASK64


class TraceError(ValueError):
    """The trace file does not follow FORMAT.md."""


class Trace:
    """A parsed trace: the operations in order, and what they contain."""

    def __init__(self, path: str, ops: List[Op], nick_refs: int) -> None:
        self.path = path
        self.ops = ops
        self.nick_refs = nick_refs  # nick fields in sync lines, summed


def _directory(field: str, where: str) -> int:
    # int() would also accept "+1", " 1", "1_000" and other spellings C's parser rejects.
    if not field.isascii() or not field.isdigit():
        raise TraceError(f"{where}: directory {field!r} is not a decimal integer")
    value = int(field)
    if value > U64_MAX:
        raise TraceError(f"{where}: directory {field} does not fit in 64 bits")
    return value


def parse(path: str) -> Trace:
    """Reads a whole trace into memory. Each distinct nick becomes one str object, shared by
    every operation that names it (as a long-running client would hold them)."""
    ops: List[Op] = []
    nicks: Dict[str, str] = {}  # distinct nicks, each validated once
    nick_refs = 0

    def nick_at(field: str, where: str) -> str:
        known = nicks.get(field)
        if known is not None:
            return known
        if not field:
            raise TraceError(f"{where}: empty nick")
        if len(field.encode("utf-8")) > MAX_NICK_LEN:
            raise TraceError(f"{where}: nick longer than {MAX_NICK_LEN} bytes")
        if "\0" in field:
            raise TraceError(f"{where}: nick contains NUL")
        nicks[field] = field
        return field

    # newline="\n": split on LF only and translate nothing, exactly as the C and Rust readers do.
    with open(path, encoding="utf-8", newline="\n") as file:
        try:
            first = file.readline()
        except UnicodeDecodeError as error:
            raise TraceError(f"{path}: not UTF-8 ({error.reason})") from None
        if first.rstrip("\n") != HEADER:
            raise TraceError(f"{path}:1: expected the header {HEADER!r}, got {first[:40]!r}")
        line_no = 1
        try:
            for line in file:
                line_no += 1
                if line.endswith("\n"):
                    line = line[:-1]
                if not line or line.startswith("#"):
                    continue
                fields = line.split("\t")
                op = fields[0]
                where = f"{path}:{line_no}"
                n = len(fields)
                if op == "sync":
                    if n < 3:
                        raise TraceError(f"{where}: sync needs DIR COUNT NICK...")
                    count_field = fields[2]
                    if not count_field.isascii() or not count_field.isdigit():
                        raise TraceError(f"{where}: bad count {count_field!r}")
                    if int(count_field) != n - 3:
                        raise TraceError(f"{where}: count {count_field} but {n - 3} nicks")
                    listed = [nick_at(f, where) for f in fields[3:]]
                    nick_refs += len(listed)
                    ops.append((SYNC, _directory(fields[1], where), listed))
                elif op == "update":
                    if n != 4:
                        raise TraceError(f"{where}: update needs NICK DIR PRESENT")
                    if fields[3] not in ("0", "1"):
                        raise TraceError(f"{where}: present must be 0 or 1, not {fields[3]!r}")
                    # A real bool: the seed compares with `is True` / `is False`.
                    present = fields[3] == "1"
                    nick = nick_at(fields[1], where)
                    ops.append((UPDATE, nick, _directory(fields[2], where), present))
                elif op == "is_active":
                    if n != 2:
                        raise TraceError(f"{where}: is_active needs NICK")
                    ops.append((IS_ACTIVE, nick_at(fields[1], where)))
                elif op == "active_directories":
                    if n != 2:
                        raise TraceError(f"{where}: active_directories needs NICK")
                    ops.append((ACTIVE_DIRECTORIES, nick_at(fields[1], where)))
                elif op == "remove":
                    if n != 2:
                        raise TraceError(f"{where}: remove needs DIR")
                    ops.append((REMOVE, _directory(fields[1], where)))
                elif op == "active_count":
                    if n != 1:
                        raise TraceError(f"{where}: active_count takes no arguments")
                    ops.append((ACTIVE_COUNT,))
                else:
                    raise TraceError(f"{where}: unknown operation {op!r}")
        except UnicodeDecodeError as error:
            # The decoder reads ahead, so the line number would be a guess.
            raise TraceError(f"{path}: not UTF-8 ({error.reason})") from None
    return Trace(path, ops, nick_refs)


def load(path: str) -> Trace:
    """parse(), for a command line: a bad or unreadable trace ends the program with a message."""
    try:
        return parse(path)
    except (TraceError, OSError) as error:
        raise SystemExit(f"{sys.argv[0]}: {error}") from None


def fnv1a(data: bytes, state: int = FNV_OFFSET) -> int:
    """64-bit FNV-1a of `data`, continuing from `state`."""
    for byte in data:
        state = ((state ^ byte) * FNV_PRIME) & MASK64
    return state


class Observations:
    """Everything a replay observed, recorded during the timed loop as cheaply as possible
    (list appends) and folded into a checksum only after the clock has stopped."""

    def __init__(self) -> None:
        self.leaves: List[str] = []
        self.active: List[bool] = []
        self.directories: List[Sequence[int]] = []
        self.counts: List[int] = []

    def checksum(self, trace: Trace) -> Dict[str, Union[int, str]]:
        pack_u64 = struct.Struct("<Q").pack
        leaves = b"".join(nick.encode("utf-8") + b"\0" for nick in self.leaves)
        active = bytes(1 if answer else 0 for answer in self.active)
        directories = b"".join(
            pack_u64(len(answer)) + b"".join(pack_u64(d) for d in answer)
            for answer in self.directories
        )
        counts = b"".join(pack_u64(count) for count in self.counts)
        return {
            "ops": len(trace.ops),
            "nick_refs": trace.nick_refs,
            "leaves": len(self.leaves),
            "leaves_fnv": f"{fnv1a(leaves):016x}",
            "active_true": sum(1 for answer in self.active if answer),
            "active_fnv": f"{fnv1a(active):016x}",
            "dirs_total": sum(len(answer) for answer in self.directories),
            "dirs_fnv": f"{fnv1a(directories):016x}",
            "count_sum": sum(self.counts),
            "count_fnv": f"{fnv1a(counts):016x}",
        }


def replay_jmcore_api(
    tracker: Any, ops: Sequence[Op], seen: Observations, count: Optional[Callable[[], int]] = None
) -> None:
    """Replays `ops` on anything with jmcore's NickTracker methods (the seed itself, or the
    package that mirrors its API), recording what a caller observes into `seen`. The active
    count is `count()`, or len(get_all_active_nicks()) where the API has nothing better."""
    sync = tracker.sync_with_peerlist
    update = tracker.update_nick
    is_active = tracker.is_nick_active
    active_directories = tracker.get_active_directories_for_nick
    remove = tracker.remove_directory
    if count is None:
        all_active = tracker.get_all_active_nicks

        def count() -> int:
            return len(all_active())

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
            record_count(count())
        else:
            raise AssertionError(f"unknown op {kind}")


def timed(replay: Callable[[], object]) -> Tuple[float, object]:
    """Runs `replay` with the garbage collector off (as timeit does) and returns the elapsed
    seconds and what it returned. Returning the tracker keeps its teardown out of the time."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        result = replay()
        elapsed = time.perf_counter() - start
    finally:
        gc.enable()
    return elapsed, result


def report(
    implementation: str,
    run: int,
    elapsed: float,
    checksum: Optional[Dict[str, Union[int, str]]],
    **extra: object,
) -> None:
    """Prints the one machine-readable result line of a run (FORMAT.md, "Replayer output")."""
    line: Dict[str, object] = {"impl": implementation, "run": run, "elapsed_s": elapsed}
    line["checksum"] = checksum
    line.update(extra)
    print(json.dumps(line, sort_keys=False), flush=True)


def arguments(description: str, modes: Sequence[str] = ()) -> argparse.Namespace:
    """The command line every Python replayer takes: TRACE [--runs K] [--wait] [--mode M]."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("trace", help="trace file (benches/trace/FORMAT.md)")
    parser.add_argument("--runs", type=int, default=1, help="replays, each on a fresh tracker")
    parser.add_argument(
        "--wait", action="store_true", help="print a ready line, then wait for a stdin line per run"
    )
    if modes:
        parser.add_argument("--mode", choices=modes, default=modes[0])
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def runs(args: argparse.Namespace) -> Iterator[int]:
    """The run numbers 1..K. With --wait (used by run.py to interleave implementations), first
    announces that parsing is done, then waits for one line on stdin before each run; stops
    early at end of input."""
    if args.wait:
        print(READY, flush=True)
    for run in range(1, args.runs + 1):
        if args.wait and not sys.stdin.readline():
            return
        yield run
