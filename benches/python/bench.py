#!/usr/bin/env python3
"""The Python package's costs against a bare ctypes call and against jmcore in plain Python.

    NICK_TRACKER_LIBRARY=target/release/libnick_tracker.so python3 benches/python/bench.py
    python3 benches/python/bench.py --quick            # a smoke run of a few seconds
    python3 benches/python/bench.py --against 0745077  # also the package of that revision

Without NICK_TRACKER_LIBRARY the package finds its library as usual; without an installed
package, the checkout's bindings/python is used.

1. Per call, at N nicks x D directories (default 10^4 x 8, every nick on every directory): each
   single-call method of the package; the bare ctypes call of the C function it calls
   (argtypes set, nick already encoded, output objects made once: the least a ctypes caller
   pays); the same call without argtypes (the package's own way, see _lib.UNTYPED); and
   jmcore's method (bindings/python/tests/jmcore_model.py) on the same state.
2. The sync-heavy workload of issue 15: D directories each listing 60% of the nicks and
   resending the list every round with 1% churn, get_all_active_nicks() after each round, a
   directory removed and re-synced every fifth round; the package against jmcore.
3. A trace of benches/trace (generated here) replayed as benches/trace/baseline.py and
   replay_python.py do: the package against jmcore, and against the package of another
   revision with --against.

Every figure is the best of --reps interleaved runs in this one process (ratios compare
figures of the same run), in CPU time of the benchmark's thread (time.thread_time): on a
machine shared with other work, the time the thread waits for a core is left out, and what
is left only ever grows with the load (caches, frequency), so the best run is the closest to
an idle machine.
"""

import argparse
import ctypes
import gc
import importlib.util
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List, Tuple

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bindings" / "python" / "tests"))
sys.path.insert(0, str(REPO / "benches" / "trace"))
try:
    import nick_tracker
except ImportError:
    sys.path.insert(0, str(REPO / "bindings" / "python"))
    import nick_tracker
import tracefile  # noqa: E402
from jmcore_model import JmcoreNickTracker  # noqa: E402


def best_of(reps: int, runs: Dict[str, Callable[[], None]]) -> Dict[str, float]:
    """The best time of each run over `reps` rounds, the runs interleaved in each round."""
    best = {name: float("inf") for name in runs}
    for _ in range(reps):
        for name, run in runs.items():
            gc.collect()
            gc.disable()
            start = time.thread_time()
            run()
            elapsed = time.thread_time() - start
            gc.enable()
            best[name] = min(best[name], elapsed)
    return best


# -- 1. per call -------------------------------------------------------------------------------


class Bare:
    """The C library through ctypes as a careful caller would use it: every prototype declared
    (argtypes and restype), a tracker of its own."""

    def __init__(self, lib_path: str) -> None:
        lib = ctypes.CDLL(lib_path)
        tracker, nick, u64, size = (
            ctypes.c_void_p,
            ctypes.c_char_p,
            ctypes.c_uint64,
            ctypes.c_size_t,
        )
        status = ctypes.c_uint32
        self.functions = {}
        for name, argtypes in {
            "nt_new": [ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(tracker)],
            "nt_update": [tracker, nick, u64, ctypes.c_bool],
            "nt_mark_present": [tracker, nick, u64],
            "nt_mark_gone": [tracker, nick, u64],
            "nt_is_active": [tracker, nick, ctypes.POINTER(ctypes.c_bool)],
            "nt_active_directories": [
                tracker,
                nick,
                ctypes.POINTER(u64),
                size,
                ctypes.POINTER(size),
            ],
            "nt_pick_directory": [tracker, nick, ctypes.POINTER(u64)],
        }.items():
            function = getattr(lib, name)
            function.argtypes, function.restype = argtypes, status
            self.functions[name] = function
            # The same function without argtypes, as the package calls it.
            raw = lib._FuncPtr((name, lib))
            raw.restype = status
            self.functions[name + " raw"] = raw
        self.handle = ctypes.c_void_p()
        assert self.functions["nt_new"](None, None, ctypes.byref(self.handle)) == 0


def per_call(n: int, d: int, reps: int) -> List[Tuple[str, Dict[str, float]]]:
    nicks = [f"J5{i:014d}" for i in range(n)]  # 16 characters, as JoinMarket nicks
    encoded = [nick.encode() for nick in nicks]
    keys = [f"directory{k}.onion:5222" for k in range(d)]
    ids = list(range(1, d + 1))
    package = nick_tracker.NickTracker()
    jmcore = JmcoreNickTracker()
    bare = Bare(nick_tracker.library_path)
    f = bare.functions
    h = bare.handle
    for key in keys:
        package.sync_with_peerlist(key, nicks)
        jmcore.sync_with_peerlist(key, set(nicks))
    for id_ in ids:
        for nick in encoded:
            assert f["nt_mark_present"](h, nick, id_) == 0
    # Each call names another nick, on directories in turn.
    pkg_args = [(nick, keys[i % d]) for i, nick in enumerate(nicks)]
    bare_args = [(nick, ids[i % d]) for i, nick in enumerate(encoded)]
    raw_args = [(nick, ctypes.c_uint64(ids[i % d])) for i, nick in enumerate(encoded)]
    out_bool, out_u64 = ctypes.c_bool(), ctypes.c_uint64()
    out_ids, out_len = (ctypes.c_uint64 * 16)(), ctypes.c_size_t()
    raw_bool, raw_u64 = (ctypes.c_bool * 1)(), (ctypes.c_uint64 * 1)()
    raw_ids, raw_len = (ctypes.c_uint64 * 16)(), (ctypes.c_size_t * 1)()
    raw_room = ctypes.c_size_t(16)
    present, gone, update = f["nt_mark_present"], f["nt_mark_gone"], f["nt_update"]
    present_raw, gone_raw = f["nt_mark_present raw"], f["nt_mark_gone raw"]
    update_raw, true = f["nt_update raw"], ctypes.c_bool(True)
    active, active_raw = f["nt_is_active"], f["nt_is_active raw"]
    dirs, dirs_raw = f["nt_active_directories"], f["nt_active_directories raw"]
    pick, pick_raw = f["nt_pick_directory"], f["nt_pick_directory raw"]

    # Every loop has the same shape, so that what differs is the call. The bare calls read
    # their answer into Python values, as any caller must; their output objects are made
    # once, which only a single-threaded caller may do.
    def package_reports():
        method = package.mark_nick_present
        for nick, key in pkg_args:
            method(nick, key)

    def package_updates():
        method = package.update_nick
        for nick, key in pkg_args:
            method(nick, key, True)

    def jmcore_reports():
        method = jmcore.mark_nick_present
        for nick, key in pkg_args:
            method(nick, key)

    def jmcore_updates():
        method = jmcore.update_nick
        for nick, key in pkg_args:
            method(nick, key, True)

    def bare_reports():
        for nick, id_ in bare_args:
            present(h, nick, id_)

    def bare_updates():
        for nick, id_ in bare_args:
            update(h, nick, id_, True)

    def raw_reports():
        for nick, id_ in raw_args:
            present_raw(h, nick, id_)

    def raw_updates():
        for nick, id_ in raw_args:
            update_raw(h, nick, id_, true)

    def per_nick(method):
        def run():
            for nick in nicks:
                method(nick)

        return run

    def bare_active():
        for nick in encoded:
            active(h, nick, out_bool)
            out_bool.value

    def fresh_active():
        for nick in encoded:
            out = ctypes.c_bool()
            active(h, nick, out)
            out.value

    def raw_active():
        for nick in encoded:
            active_raw(h, nick, raw_bool)
            raw_bool[0]

    def bare_dirs():
        for nick in encoded:
            dirs(h, nick, out_ids, 16, out_len)
            out_ids[: out_len.value]

    def fresh_dirs():
        for nick in encoded:
            ids, length = (ctypes.c_uint64 * 16)(), ctypes.c_size_t()
            dirs(h, nick, ids, 16, length)
            ids[: length.value]

    def raw_dirs():
        for nick in encoded:
            dirs_raw(h, nick, raw_ids, raw_room, raw_len)
            raw_ids[: raw_len[0]]

    def bare_pick():
        for nick in encoded:
            pick(h, nick, out_u64)
            out_u64.value

    def fresh_pick():
        for nick in encoded:
            out = ctypes.c_uint64()
            pick(h, nick, out)
            out.value

    def raw_pick():
        for nick in encoded:
            pick_raw(h, nick, raw_u64)
            raw_u64[0]

    def jmcore_pick():  # jmcore has no pick: the JoinMarket daemon's random.choice
        for nick in nicks:
            random.choice(jmcore.get_active_directories_for_nick(nick))

    cases = [
        ("mark_nick_present", package_reports, bare_reports, None, raw_reports, jmcore_reports),
        ("update_nick", package_updates, bare_updates, None, raw_updates, jmcore_updates),
        (
            "is_nick_active",
            per_nick(package.is_nick_active),
            bare_active,
            fresh_active,
            raw_active,
            per_nick(jmcore.is_nick_active),
        ),
        (
            "get_active_directories_for_nick",
            per_nick(package.get_active_directories_for_nick),
            bare_dirs,
            fresh_dirs,
            raw_dirs,
            per_nick(jmcore.get_active_directories_for_nick),
        ),
        (
            "pick_directory",
            per_nick(package.pick_directory),
            bare_pick,
            fresh_pick,
            raw_pick,
            jmcore_pick,
        ),
    ]
    cases = [
        (method, {k: run for k, run in zip(COLUMNS, runs) if run is not None})
        for method, *runs in cases
    ]
    results = []
    for method, runs in cases:
        best = best_of(reps, runs)
        results.append((method, {name: value / n for name, value in best.items()}))
    # mark_nick_gone changes state: each timed pass takes every nick off one directory (each
    # stays active on the others), and an untimed pass puts them back.
    gone_best = {name: float("inf") for name in ("package", "bare", "raw", "jmcore")}
    for rep in range(reps):
        key, id_ = keys[rep % d], ids[rep % d]
        raw_id = ctypes.c_uint64(id_)
        passes = {
            "package": (
                lambda: [package.mark_nick_gone(nick, key) for nick in nicks],
                lambda: [package.mark_nick_present(nick, key) for nick in nicks],
            ),
            "bare": (
                lambda: [gone(h, nick, id_) for nick in encoded],
                lambda: [present(h, nick, id_) for nick in encoded],
            ),
            "raw": (
                lambda: [gone_raw(h, nick, raw_id) for nick in encoded],
                lambda: [present(h, nick, id_) for nick in encoded],
            ),
            "jmcore": (
                lambda: [jmcore.mark_nick_gone(nick, key) for nick in nicks],
                lambda: [jmcore.mark_nick_present(nick, key) for nick in nicks],
            ),
        }
        for name, (timed_pass, restore) in passes.items():
            gone_best[name] = min(gone_best[name], best_of(1, {name: timed_pass})[name])
            restore()
    results.insert(1, ("mark_nick_gone", {name: value / n for name, value in gone_best.items()}))
    # Batched reports: 20 per call (a PEERLIST message), per report.
    batches = [[(nick, True) for nick in nicks[start : start + 20]] for start in range(0, n, 20)]
    batch_keys = [keys[i % d] for i in range(len(batches))]
    best = best_of(
        reps,
        {
            "package": lambda: [
                package.update_nicks(key, batch) for key, batch in zip(batch_keys, batches)
            ]
        },
    )
    results.append(
        ("update_nicks, 20 reports a call (per report)", {"package": best["package"] / n})
    )
    package.close()
    return results


COLUMNS = ("package", "bare", "fresh", "raw", "jmcore")


def format_ns(seconds: float) -> str:
    return f"{seconds * 1e9:,.0f} ns"


def print_per_call(results, n: int, d: int) -> None:
    print(f"\n### Per call, N={n:,} nicks x D={d} directories (best of interleaved runs)\n")
    print(
        "| Method | package | bare ctypes | bare, outputs per call | no argtypes | jmcore "
        "| package / bare | package / bare, outputs per call | package / jmcore |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for method, times in results:
        package = times["package"]
        cells = [format_ns(times[k]) if k in times else "" for k in COLUMNS]
        ratios = [
            f"{package / times[k]:.2f}x" if k in times else "" for k in ("bare", "fresh", "jmcore")
        ]
        print(f"| `{method}` | " + " | ".join(cells + ratios) + " |")


# -- 2. the sync-heavy workload ---------------------------------------------------------------


def sync_workload(n: int, d: int, rounds: int, as_sets: bool = False, seed: int = 1):
    """The peerlists of every round (made before the clock starts), and a function replaying
    them on a tracker. Each directory lists 60% of the nicks in the order they connected to it;
    each round 1% of them leave (from anywhere in the list) and as many others connect (at the
    end). The package gets each list as received (or as a set with `as_sets`); jmcore gets a
    set, as its sync_with_peerlist() expects (it tests membership once per tracked nick)."""
    rng = random.Random(seed)
    nicks = [f"J5{i:014d}" for i in range(n)]
    listed = [rng.sample(nicks, int(n * 0.6)) for _ in range(d)]
    plan = []  # per round: the directory removed first (or None), then [(directory, peerlist)]
    for r in range(rounds):
        lists = []
        for k in range(d):
            if r > 0:
                churn = max(1, len(listed[k]) // 100)
                leaving = set(rng.sample(listed[k], churn))
                present = set(listed[k])
                joining = rng.sample([x for x in nicks if x not in present], churn)
                listed[k] = [x for x in listed[k] if x not in leaving] + joining
            lists.append((f"directory{k}.onion:5222", list(listed[k])))
        removed = lists[r % d][0] if r % 5 == 4 else None
        plan.append((removed, lists))
    as_set_plan = [(removed, [(k, set(peers)) for k, peers in lists]) for removed, lists in plan]

    def replay(tracker, sets: bool) -> List[int]:
        sizes = []
        for removed, lists in as_set_plan if sets else plan:
            if removed is not None:
                tracker.remove_directory(removed)
            for directory, peerlist in lists:
                tracker.sync_with_peerlist(directory, peerlist)
            sizes.append(len(tracker.get_all_active_nicks()))
        return sizes

    return replay


def print_workloads(rows) -> None:
    print("\n### Workloads (best of interleaved runs)\n")
    print("| Workload | jmcore (plain Python) | package | speedup | other |")
    print("|---|---|---|---|---|")
    for name, jm, pkg, other in rows:
        print(f"| {name} | {jm * 1e3:,.1f} ms | {pkg * 1e3:,.1f} ms | {jm / pkg:.1f}x | {other} |")


# -- 3. a trace --------------------------------------------------------------------------------


def load_package_at(revision: str, into: Path):
    """The package's Python files at `revision`, imported as another module."""
    package = into / "nick_tracker_at"
    package.mkdir()
    listing = subprocess.run(
        [
            "git",
            "-C",
            str(REPO),
            "ls-tree",
            "--name-only",
            f"{revision}:bindings/python/nick_tracker",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    for name in listing:
        if name.endswith(".py"):
            source = subprocess.run(
                ["git", "-C", str(REPO), "show", f"{revision}:bindings/python/nick_tracker/{name}"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            (package / name).write_text(source)
    spec = importlib.util.spec_from_file_location(
        "nick_tracker_at", package / "__init__.py", submodule_search_locations=[str(package)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["nick_tracker_at"] = module
    spec.loader.exec_module(module)
    return module


def trace_workload(size: Tuple[int, int, int], work: Path):
    nicks, directories, rounds = size
    path = work / "trace.tsv"
    subprocess.run(
        [
            sys.executable,
            str(REPO / "benches" / "trace" / "generate.py"),
            "--nicks",
            str(nicks),
            "--directories",
            str(directories),
            "--rounds",
            str(rounds),
            "--seed",
            "1",
            "--out",
            str(path),
        ],
        check=True,
        capture_output=True,
    )
    trace = tracefile.load(str(path))
    seed_ops = [
        (tracefile.SYNC, op[1], dict.fromkeys(op[2])) if op[0] == tracefile.SYNC else op
        for op in trace.ops
    ]

    def replay(tracker, ops, count=None):
        seen = tracefile.Observations()
        tracefile.replay_jmcore_api(tracker, ops, seen, count=count)
        return seen.checksum(trace)

    return trace, seed_ops, replay


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, few runs (a smoke run)")
    parser.add_argument(
        "--reps", type=int, default=None, help="interleaved runs (default 30, quick 3)"
    )
    parser.add_argument("--against", help="also time the package of this git revision (traces)")
    parser.add_argument(
        "--trace", default=None, help="trace size NICKS:DIRS:ROUNDS (default medium 10000:16:8)"
    )
    args = parser.parse_args()
    reps = args.reps or (3 if args.quick else 30)
    n, d = (1_000, 4) if args.quick else (10_000, 8)
    print(
        f"nick_tracker {nick_tracker.__version__}, library {nick_tracker.library_version} "
        f"({nick_tracker.library_path}), CPython {sys.version.split()[0]}"
    )

    print_per_call(per_call(n, d, reps), n, d)

    rows = []
    rounds = 5 if args.quick else 20
    replay = sync_workload(n, d, rounds)
    results = {}
    best = best_of(
        max(2, reps // 3),
        {
            "jmcore": lambda: results.__setitem__("jmcore", replay(JmcoreNickTracker(), True)),
            "package": lambda: results.__setitem__(
                "package", replay(nick_tracker.NickTracker(), False)
            ),
            "sets": lambda: results.__setitem__("sets", replay(nick_tracker.NickTracker(), True)),
        },
    )
    assert results["jmcore"] == results["package"] == results["sets"], "implementations disagree"
    rows.append(
        (
            f"sync-heavy: N={n:,}, D={d}, {rounds} rounds",
            best["jmcore"],
            best["package"],
            f"the package given sets: {best['sets'] * 1e3:,.1f} ms"
            f" ({best['jmcore'] / best['sets']:.1f}x)",
        )
    )

    size = (300, 3, 5) if args.quick else (10_000, 16, 8)
    if args.trace:
        size = tuple(int(part) for part in args.trace.split(":"))
    with tempfile.TemporaryDirectory() as work:
        trace, seed_ops, replay_trace = trace_workload(size, Path(work))
        checksums = {}
        runs = {
            "jmcore": lambda: checksums.__setitem__(
                "jmcore", replay_trace(JmcoreNickTracker(), seed_ops)
            ),
            "package": lambda: checksums.__setitem__(
                "package",
                replay_trace(t := nick_tracker.NickTracker(), trace.ops, t.active_nick_count),
            ),
        }
        if args.against:
            old = load_package_at(args.against, Path(work))
            runs["against"] = lambda: checksums.__setitem__(
                "against", replay_trace(t := old.NickTracker(), trace.ops, t.active_nick_count)
            )
        best = best_of(max(2, reps // 3), runs)
        assert len({str(c) for c in checksums.values()}) == 1, checksums
        other = ""
        if args.against:
            other = (
                f"package at {args.against}: {best['against'] * 1e3:,.1f} ms "
                f"(now {best['against'] / best['package']:.2f}x as fast)"
            )
        rows.append(
            (
                f"trace N={size[0]:,}, D={size[1]}, {size[2]} rounds ({len(trace.ops):,} ops)",
                best["jmcore"],
                best["package"],
                other,
            )
        )
    print_workloads(rows)


if __name__ == "__main__":
    main()
