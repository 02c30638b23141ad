#!/usr/bin/env python3
"""Compares the benchmark suite of this checkout with that of other git revisions, in the
same run: each revision's `benches/tracker` binary is built in a worktree, then the binaries
run in turn, several times, on the same cell, and every row they share gets the median of
each revision's medians and the ratio to the first revision.

    python3 benches/compare_versions.py v0.2.0=a5072e3 after-12=c79987b --nicks 10000 \
        --directories 16 --runs 3

Revisions are NAME=REV (any git revision); the working tree itself is always compared last
as "now". Rows are matched by their operation's name; the columns compared are the Rust core
and the C ABI ones (the baselines changed between versions). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Tuple

REPO = Path(__file__).resolve().parents[1]
COLUMNS = ["Rust core", "C ABI", "C ABI, packed list"]


def build(worktree: Path) -> Path:
    """Builds the tracker benchmark in `worktree` and returns the binary."""
    out = subprocess.run(
        ["cargo", "bench", "--locked", "--bench", "tracker", "--no-run", "--message-format=json"],
        cwd=worktree, check=True, capture_output=True, text=True,
    ).stdout
    for line in out.splitlines():
        message = json.loads(line)
        if message.get("reason") == "compiler-artifact" and message["target"]["name"] == "tracker":
            if message.get("executable"):
                return Path(message["executable"])
    sys.exit(f"no benchmark binary built in {worktree}")


def run(binary: Path, args: List[str]) -> Dict[str, Dict[str, float]]:
    """One run: operation -> column -> seconds per call."""
    with tempfile.NamedTemporaryFile(suffix=".json") as result:
        subprocess.run([str(binary), *args, "--json", result.name], check=True,
                       stdout=subprocess.DEVNULL)
        cells = json.load(open(result.name))
    rows = {}
    for cell in cells:
        for row in cell["rows"]:
            rows[row["operation"]] = row["seconds"]
    return rows


def human(seconds: float) -> str:
    for unit, scale in (("ns", 1e-9), ("µs", 1e-6), ("ms", 1e-3)):
        if seconds < scale * 1000:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds:.3g} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("revisions", nargs="*", help="NAME=REV to compare with the working tree")
    parser.add_argument("--nicks", default="10000")
    parser.add_argument("--directories", default="16")
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    binaries: List[Tuple[str, Path]] = []
    with tempfile.TemporaryDirectory() as scratch:
        for spec in options.revisions:
            name, _, revision = spec.partition("=")
            worktree = Path(scratch) / name
            subprocess.run(["git", "worktree", "add", "--detach", str(worktree), revision],
                           cwd=REPO, check=True, capture_output=True)
            binaries.append((name, build(worktree)))
        binaries.append(("now", build(REPO)))
        args = ["--nicks", options.nicks, "--directories", options.directories]
        samples: Dict[str, List[Dict[str, Dict[str, float]]]] = {n: [] for n, _ in binaries}
        for _ in range(options.runs):
            for name, binary in binaries:  # in turn, so noise hits each alike
                samples[name].append(run(binary, args))
        for spec in options.revisions:
            subprocess.run(["git", "worktree", "remove", "--force",
                            str(Path(scratch) / spec.partition("=")[0])], cwd=REPO, check=True)
    names = [name for name, _ in binaries]
    print(f"N = {options.nicks}, D = {options.directories}; median of {options.runs} runs "
          f"run in turn; (x) = time relative to {names[0]}\n")
    print("| operation | column | " + " | ".join(names) + " |")
    print("|---|---|" + "---|" * len(names))
    operations = list(samples[names[-1]][0])
    for operation in operations:
        for column in COLUMNS:
            values = []
            for name in names:
                runs = [s[operation][column] for s in samples[name]
                        if operation in s and column in s[operation]]
                values.append(statistics.median(runs) if runs else None)
            if values[-1] is None:
                continue
            cells = []
            for value in values:
                if value is None:
                    cells.append("")
                elif values[0] is None:
                    cells.append(human(value))
                else:
                    cells.append(f"{human(value)} ({value / values[0]:.2f}x)")
            print(f"| {operation} | {column} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
