#!/usr/bin/env python3
"""Builds the replayers, generates traces, replays each trace with every implementation and
reports the median times as speedups over the plain-Python baseline measured in the same run.

    python3 benches/trace/run.py                  # small, medium and large traces, 5 runs each
    python3 benches/trace/run.py --quick          # a smoke run of a few seconds (CI)
    python3 benches/trace/run.py --sizes medium,20000:8:5 --runs 3 --json results.json

Implementations (--impls): baseline (jmcore's algorithm in plain Python), floor (Python merely
iterating the trace), python (the nick_tracker package), c (replay.c through the C ABI), rust
(the Rust core, via `cargo bench --bench replay`). Every implementation except the floor must
produce the same checksum on a trace, or the run fails. See FORMAT.md.

Uses the repository's target/ directory unless --target-dir or CARGO_TARGET_DIR says
otherwise; traces and the C replayer go to --work-dir (default: TARGET/trace-bench). Exits
with status 1 if a build, a replay or a checksum comparison failed (the table still shows what
worked).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

# name: (nicks, directories, rounds after the warm-up)
PRESETS: Dict[str, Tuple[int, int, int]] = {
    "quick": (300, 3, 5),
    "small": (1_000, 3, 20),
    "medium": (10_000, 16, 8),
    "large": (100_000, 16, 3),
}
DEFAULT_SIZES = "small,medium,large"

IMPLS = ("baseline", "floor", "python", "c", "rust")
LABELS = {
    "baseline": "plain Python, jmcore's algorithm (baseline)",
    "floor": "Python floor: iterating the trace only",
    "python": "Python package `nick_tracker` (ctypes)",
    "c": "C ABI (`replay.c`, `nt_*` calls)",
    "rust": "Rust core (`NickTracker`, `cargo bench --bench replay`)",
}
RESULT_KEYS = ("impl", "run", "elapsed_s", "checksum")
NATIVE_TARGET = 50.0
PYTHON_TARGET = 5.0


def log(message: str) -> None:
    print(f"run.py: {message}", file=sys.stderr, flush=True)


class Failure(Exception):
    """A build or replay step failed; the message says which and why."""


def run_command(command: Sequence[str], env: Optional[Dict[str, str]] = None) -> str:
    """Runs `command` from the repository root and returns its stdout. Its stderr is shown
    only if it fails, as part of the error."""
    result = subprocess.run(
        list(command),
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-25:])
        raise Failure(f"`{shlex.join(command)}` exited with {result.returncode}:\n{tail}")
    return result.stdout


# ---- building ---------------------------------------------------------------------------------


class Build:
    def __init__(self, args: argparse.Namespace) -> None:
        self.target_dir: Path = args.target_dir
        self.work_dir: Path = args.work_dir
        self.cc: str = args.cc
        self.env = dict(os.environ, CARGO_TARGET_DIR=str(self.target_dir))
        self.library = self.target_dir / "release" / "libnick_tracker.so"
        self.replay_c = self.work_dir / "replay_c"
        self.errors: Dict[str, str] = {}  # implementation -> why it cannot run

    def library_and_c(self, wanted: Sequence[str]) -> None:
        needs_library = any(impl in wanted for impl in ("python", "c"))
        if needs_library:
            log("cargo build --release --lib")
            try:
                run_command(["cargo", "build", "--release", "--lib"], env=self.env)
            except Failure as error:
                for impl in ("python", "c"):
                    self.errors[impl] = str(error)
                return
        if "c" in wanted:
            # libnick_tracker.so has the SONAME libnick_tracker.so.0, which cargo does not
            # create: a link of that name next to the program lets the loader find it.
            lib_dir = self.work_dir / "lib"
            lib_dir.mkdir(parents=True, exist_ok=True)
            soname = lib_dir / "libnick_tracker.so.0"
            if soname.is_symlink() or soname.exists():
                soname.unlink()
            soname.symlink_to(self.library)
            command = [
                self.cc, "-O2", "-std=c11", "-Wall", "-Wextra", "-Werror",
                f"-I{REPO / 'include'}", str(HERE / "replay.c"),
                f"-L{self.library.parent}", "-lnick_tracker", f"-Wl,-rpath,{lib_dir}",
                "-o", str(self.replay_c),
            ]  # fmt: skip
            log(shlex.join(command))
            try:
                run_command(command)
            except Failure as error:
                self.errors["c"] = str(error)

    def rust(self) -> None:
        log("cargo bench --bench replay --no-run")
        try:
            run_command(["cargo", "bench", "--bench", "replay", "--no-run"], env=self.env)
        except Failure as error:
            self.errors["rust"] = str(error)

    def command(self, impl: str, trace: Path, runs: int) -> Tuple[List[str], Dict[str, str]]:
        """How to start `impl`'s replayer on `trace` for `runs` runs, in --wait mode."""
        runs_args = ["--runs", str(runs), "--wait"]
        python = sys.executable
        env = dict(self.env)
        if impl == "baseline":
            return [python, str(HERE / "baseline.py"), str(trace), *runs_args], env
        if impl == "floor":
            command = [python, str(HERE / "baseline.py"), str(trace), "--mode", "floor"]
            return command + runs_args, env
        if impl == "python":
            env["NICK_TRACKER_LIBRARY"] = str(self.library)
            path = [str(REPO / "bindings" / "python"), env.get("PYTHONPATH", "")]
            env["PYTHONPATH"] = os.pathsep.join(p for p in path if p)
            return [python, str(HERE / "replay_python.py"), str(trace), *runs_args], env
        if impl == "c":
            return [str(self.replay_c), str(trace), *runs_args], env
        if impl == "rust":
            command = ["cargo", "bench", "--quiet", "--bench", "replay", "--"]
            return command + ["--trace", str(trace), *runs_args], env
        raise ValueError(impl)


# ---- traces -----------------------------------------------------------------------------------


def parse_size(spec: str) -> Tuple[str, Tuple[int, int, int]]:
    if spec in PRESETS:
        return spec, PRESETS[spec]
    try:
        nicks, directories, rounds = (int(part) for part in spec.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"size {spec!r} is neither a preset ({', '.join(PRESETS)}) nor NICKS:DIRS:ROUNDS"
        ) from None
    return f"N{nicks}-D{directories}-R{rounds}", (nicks, directories, rounds)


def generate(name: str, size: Tuple[int, int, int], seed: int, work_dir: Path) -> Path:
    """The trace for `size`, generated unless an identical one (same arguments, same generator
    code) is already in the work directory."""
    nicks, directories, rounds = size
    arguments = ["--nicks", str(nicks), "--directories", str(directories)]
    arguments += ["--rounds", str(rounds), "--seed", str(seed)]
    digest = hashlib.sha256(" ".join(arguments).encode())
    for source in ("generate.py", "baseline.py", "tracefile.py"):
        digest.update((HERE / source).read_bytes())
    trace_dir = work_dir / "traces"
    trace_dir.mkdir(parents=True, exist_ok=True)
    path = trace_dir / f"{name}-s{seed}-{digest.hexdigest()[:10]}.tsv"
    if path.exists():
        log(f"{name}: reusing {path}")
        return path
    log(f"{name}: generating {path.name} (N={nicks}, D={directories}, rounds={rounds})")
    partial = path.with_suffix(".partial")
    run_command([sys.executable, str(HERE / "generate.py"), *arguments, "--out", str(partial)])
    partial.replace(path)
    return path


# ---- replaying --------------------------------------------------------------------------------


class Replayer:
    """One replayer process in --wait mode: it parses the trace once, says it is ready, then
    replays once per line it reads, printing one JSON result line each time."""

    def __init__(self, impl: str, command: List[str], env: Dict[str, str], log: Path) -> None:
        self.impl = impl
        self.command = command
        self.log = log
        with open(log, "w") as stderr:
            self.process = subprocess.Popen(
                command,
                cwd=REPO,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            )

    def _fail(self, what: str) -> Failure:
        self.kill()
        tail = "\n".join(self.log.read_text(errors="replace").strip().splitlines()[-25:])
        return Failure(f"`{shlex.join(self.command)}`: {what}:\n{tail}")

    def _read(self) -> dict:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith("{"):
                return json.loads(line)
        raise self._fail(f"exited with {self.process.wait()} before answering")

    def wait_ready(self) -> None:
        if not self._read().get("ready"):
            raise self._fail("did not start with a ready line")

    def run_once(self) -> dict:
        assert self.process.stdin is not None
        try:
            self.process.stdin.write("\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            raise self._fail("stopped reading") from None
        result = self._read()
        if result.get("impl") != self.impl or "elapsed_s" not in result:
            raise self._fail(f"unexpected output {result}")
        return result

    def finish(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        status = self.process.wait()
        if status != 0:
            raise self._fail(f"exited with {status}")

    def kill(self) -> None:
        """Stops the process. Closing stdin first makes a replayer under `cargo bench` (a
        grandchild that a kill of cargo would orphan) see end of input and exit by itself."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            try:
                self.process.stdin.close()
            except BrokenPipeError:
                pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def replay_interleaved(
    build: Build, impls: Sequence[str], name: str, trace: Path, runs: int, warmup: int
) -> Tuple[Dict[str, List[dict]], Dict[str, str]]:
    """Replays `trace` `warmup + runs` times with each implementation and keeps the last
    `runs` results. It goes in rounds: every round runs each implementation once (starting
    with a different one each round), so load from elsewhere on the machine hits them alike.
    Every replayer parses the trace once, before the first round, and all are idle (blocked
    on stdin) while another one is timed."""
    lines: Dict[str, List[dict]] = {}
    errors: Dict[str, str] = {}
    replayers: List[Replayer] = []
    for impl in impls:
        command, env = build.command(impl, trace, warmup + runs)
        log_path = build.work_dir / "logs" / f"{name}-{impl}.stderr"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        replayers.append(Replayer(impl, command, env, log_path))
    try:
        for replayer in list(replayers):
            try:
                replayer.wait_ready()
            except Failure as error:
                errors[replayer.impl] = str(error)
                replayers.remove(replayer)
        log(f"{name}: {len(replayers)} replayers ready; {warmup} + {runs} interleaved rounds")
        for round_no in range(warmup + runs):
            shift = round_no % max(1, len(replayers))
            for replayer in replayers[shift:] + replayers[:shift]:
                if replayer.impl in errors:
                    continue
                try:
                    result = replayer.run_once()
                    if round_no >= warmup:
                        lines.setdefault(replayer.impl, []).append(result)
                except Failure as error:
                    errors[replayer.impl] = str(error)
        for replayer in replayers:
            if replayer.impl not in errors:
                try:
                    replayer.finish()
                except Failure as error:
                    errors[replayer.impl] = str(error)
    finally:
        for replayer in replayers:
            replayer.kill()
    return {impl: got for impl, got in lines.items() if impl not in errors}, errors


def format_time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.3f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} µs"


def measure_trace(
    build: Build,
    name: str,
    size: Optional[Tuple[int, int, int]],
    trace: Path,
    args: argparse.Namespace,
) -> dict:
    entry: dict = {
        "name": name,
        "path": str(trace),
        "bytes": trace.stat().st_size,
        "params": None if size is None else dict(zip(("nicks", "directories", "rounds"), size)),
        "seed": None if size is None else args.seed,
        "results": {},
        "errors": {},
    }
    for impl in args.impls:
        if impl in build.errors:
            entry["errors"][impl] = build.errors[impl]
    runnable = [impl for impl in args.impls if impl not in build.errors]
    replayed, errors = replay_interleaved(build, runnable, name, trace, args.runs, args.warmup)
    for impl, error in errors.items():
        entry["errors"][impl] = error
        log(f"{name}: {impl} failed: {error}")
    for impl in runnable:
        if impl not in replayed:
            continue
        lines = replayed[impl]
        times = [line["elapsed_s"] for line in lines]
        checksums = [line["checksum"] for line in lines]
        if impl != "floor" and any(c != checksums[0] for c in checksums):
            entry["errors"][impl] = "checksums differ between runs"
        entry["results"][impl] = {
            "times_s": times,
            "median_s": statistics.median(times),
            "min_s": min(times),
            "checksum": checksums[0],
            # Anything else the replayer reported (library path and version).
            "details": {k: v for k, v in lines[0].items() if k not in RESULT_KEYS},
        }

    # Every implementation that computes a checksum must agree with the baseline (or, when the
    # baseline was not run, with the first one that was).
    checked = [impl for impl in entry["results"] if impl != "floor"]
    reference = "baseline" if "baseline" in checked else (checked[0] if checked else None)
    if reference is not None:
        expected = entry["results"][reference]["checksum"]
        entry["checksum"] = expected
        for impl in checked:
            got = entry["results"][impl]["checksum"]
            if got != expected:
                keys = sorted(set(got) | set(expected))
                detail = ", ".join(
                    f"{k}: {got.get(k)} vs {expected.get(k)}"
                    for k in keys
                    if got.get(k) != expected.get(k)
                )
                entry["errors"][impl] = f"checksum differs from {reference}: {detail}"
        if "floor" in entry["results"]:
            ops = entry["results"]["floor"]["details"].get("ops")
            if ops != expected["ops"]:
                entry["errors"]["floor"] = f"saw {ops} operations, {reference} {expected['ops']}"
        entry["ops"] = expected["ops"]
        entry["nick_refs"] = expected["nick_refs"]

    results = entry["results"]
    if "baseline" in results:
        base, base_min = results["baseline"]["median_s"], results["baseline"]["min_s"]
        for result in results.values():
            # Ratio of medians (what the targets are judged on), and of the best runs (noise
            # from elsewhere on the machine only ever adds time).
            result["speedup"] = base / result["median_s"] if result["median_s"] > 0 else None
            result["speedup_min"] = base_min / result["min_s"] if result["min_s"] > 0 else None
    if "python" in results and "floor" in results:
        overhead = results["python"]["median_s"] - results["floor"]["median_s"]
        entry["python_overhead_above_floor_s"] = overhead
    entry["targets"] = targets(entry)
    return entry


def targets(entry: dict) -> dict:
    results = entry["results"]

    def check(impl: str, goal: float) -> Optional[dict]:
        speedup = results.get(impl, {}).get("speedup")
        if speedup is None or impl in entry["errors"]:
            return None
        return {"goal": goal, "speedup": speedup, "met": speedup >= goal}

    return {
        "native_c_abi": check("c", NATIVE_TARGET),
        "native_rust": check("rust", NATIVE_TARGET),
        "python_package": check("python", PYTHON_TARGET),
    }


# ---- reporting --------------------------------------------------------------------------------


def markdown(entry: dict, runs: int) -> str:
    lines = []
    params = entry["params"]
    where = (
        f"N={params['nicks']} nicks, D={params['directories']} directories, "
        f"{params['rounds']} rounds, seed {entry['seed']}"
        if params
        else entry["path"]
    )
    lines.append(f"### Trace `{entry['name']}`: {where}")
    if "ops" in entry:
        lines.append(
            f"{entry['ops']:,} operations, {entry['nick_refs']:,} nicks in peerlists, "
            f"{entry['bytes'] / 1e6:.1f} MB; {runs} interleaved run{'s' if runs > 1 else ''} "
            "after a warm-up; "
            "speedup = baseline median / median."
        )
    lines.append("")
    lines.append("| Implementation | Median | Min | Speedup vs baseline |")
    lines.append("|---|---:|---:|---:|")
    for impl in IMPLS:
        if impl in entry["results"]:
            result = entry["results"][impl]
            speedup = result.get("speedup")
            ratio = f"{speedup:.2f}x" if speedup is not None else "n/a"
            flag = " (FAILED)" if impl in entry["errors"] else ""
            median, best = format_time(result["median_s"]), format_time(result["min_s"])
            lines.append(f"| {LABELS[impl]}{flag} | {median} | {best} | {ratio} |")
        elif impl in entry["errors"]:
            lines.append(f"| {LABELS[impl]} (FAILED) | n/a | n/a | n/a |")
    results = entry["results"]
    if "python_overhead_above_floor_s" in entry:
        floor = results["floor"]["median_s"]
        overhead = entry["python_overhead_above_floor_s"]
        cap = results["floor"].get("speedup")
        lines.append("")
        lines.append(
            f"Python package overhead above the floor: {format_time(overhead)} "
            f"({overhead / floor:.1f}x the floor itself)"
            + (f"; the floor caps any Python caller at {cap:.1f}x the baseline." if cap else ".")
        )
    goals = []
    for key, label in (
        ("native_c_abi", "native (C ABI)"),
        ("native_rust", "native (Rust core)"),
        ("python_package", "Python package"),
    ):
        target = entry["targets"].get(key)
        if target:
            verdict = "met" if target["met"] else "NOT met"
            goals.append(f"{label} >= {target['goal']:g}x: {target['speedup']:.1f}x, {verdict}")
    if goals:
        lines.append("")
        lines.append("Targets: " + "; ".join(goals) + ".")
    for impl, error in entry["errors"].items():
        lines.append("")
        lines.append(f"**{impl} failed:** " + error.splitlines()[0])
    return "\n".join(lines)


def environment(build: Build) -> dict:
    def output(command: Sequence[str]) -> Optional[str]:
        try:
            return subprocess.run(
                list(command), cwd=REPO, capture_output=True, text=True, check=True
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return None

    cpu = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    status = output(["git", "status", "--porcelain"])
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": output(["git", "rev-parse", "HEAD"]),
        "dirty": bool(status) if status is not None else None,
        "python": platform.python_version(),
        "rustc": output(["rustc", "--version"]),
        "cc": ((output([build.cc, "--version"]) or "").splitlines() or [None])[0],
        "platform": platform.platform(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "target_dir": str(build.target_dir),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("--quick", action="store_true", help="tiny smoke run: --sizes quick --runs 3")
    add("--sizes", help=f"comma-separated presets ({', '.join(PRESETS)}) or NICKS:DIRS:ROUNDS "
        f"(default {DEFAULT_SIZES})")  # fmt: skip
    add("--trace", action="append", type=Path, default=[], help="also replay this trace file")
    add("--runs", type=int, help="replays per implementation and trace (default 5, --quick 3)")
    add("--warmup", type=int, default=1, help="untimed rounds before the runs (default 1)")
    add("--impls", default=",".join(IMPLS), help=f"a subset of {','.join(IMPLS)}")
    add("--seed", type=int, default=1, help="generator seed (default 1)")
    add("--json", type=Path, help="also write the results as JSON to this file")
    add("--target-dir", type=Path, help="cargo target dir (default $CARGO_TARGET_DIR or target/)")
    add("--work-dir", type=Path, help="for traces and replay_c (default TARGET/trace-bench)")
    add("--cc", default=os.environ.get("CC", "cc"), help="C compiler (default $CC or cc)")
    args = parser.parse_args()

    args.impls = [impl.strip() for impl in args.impls.split(",") if impl.strip()]
    unknown = [impl for impl in args.impls if impl not in IMPLS]
    if unknown:
        parser.error(f"unknown implementation(s): {', '.join(unknown)}")
    sizes_spec = args.sizes or ("quick" if args.quick else ("" if args.trace else DEFAULT_SIZES))
    try:
        sizes = [parse_size(spec) for spec in sizes_spec.split(",") if spec]
    except argparse.ArgumentTypeError as error:
        parser.error(str(error))
    if args.runs is None:
        args.runs = 3 if args.quick else 5
    if args.runs < 1 or args.warmup < 0:
        parser.error("--runs must be at least 1 and --warmup at least 0")
    if args.target_dir is None:
        args.target_dir = Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
    args.target_dir = args.target_dir.resolve()
    args.work_dir = (args.work_dir or args.target_dir / "trace-bench").resolve()
    args.work_dir.mkdir(parents=True, exist_ok=True)

    build = Build(args)
    build.library_and_c(args.impls)
    if "rust" in args.impls:
        build.rust()
    for impl, error in build.errors.items():
        log(f"{impl} is unavailable: {error}")

    traces: List[Tuple[str, Optional[Tuple[int, int, int]], Path]] = []
    for name, size in sizes:
        traces.append((name, size, generate(name, size, args.seed, args.work_dir)))
    for path in args.trace:
        traces.append((path.stem, None, path.resolve()))

    report = {
        "schema": 1,
        "environment": environment(build),
        "runs": args.runs,
        "warmup_rounds": args.warmup,
        "impls": args.impls,
        "labels": {impl: LABELS[impl] for impl in args.impls},
        "targets": {"native": NATIVE_TARGET, "python_package": PYTHON_TARGET},
        "traces": [],
    }
    failed = False
    sections = []
    for name, size, path in traces:
        entry = measure_trace(build, name, size, path, args)
        report["traces"].append(entry)
        failed = failed or bool(entry["errors"])
        sections.append(markdown(entry, args.runs))
        print(sections[-1] + "\n", flush=True)

    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
        log(f"wrote {args.json}")
    if failed:
        log("FAILED: see the errors above")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
