#!/usr/bin/env python3
"""Plots the benchmark suite's results: time per call of the Rust core against N, one line per
operation, for one number of directories. Writes an SVG (no plotting library needed).

    python3 benches/plot.py RESULTS.json OUT.svg [--directories 16]

RESULTS.json is what `cargo bench --bench tracker -- --json RESULTS.json` writes.
"""

import argparse
import json
import math
from typing import Dict, List, Tuple

# The operations plotted, with their colours. Full-list operations grow with N by design
# (their list has N nicks); the others should stay flat.
SERIES = [
    ("update, hit (known nick and directory)", "#1f77b4"),
    ("is_active", "#2ca02c"),
    ("sync_peerlist, 100-nick directory, 1% churn", "#9467bd"),
    ("remove_directory, 100-nick directory", "#8c564b"),
    ("sync_peerlist, full list, 1% churn", "#d62728"),
    ("remove_directory, full directory", "#ff7f0e"),
]
CORE = "Rust core"
WIDTH, HEIGHT = 760, 460
LEFT, RIGHT, TOP, BOTTOM = 70, 250, 40, 50


def human(seconds: float) -> str:
    for unit, scale in (("s", 1), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if seconds >= scale:
            return f"{seconds / scale:g} {unit}"
    return f"{seconds * 1e9:g} ns"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results")
    parser.add_argument("out")
    parser.add_argument("--directories", type=int, default=16)
    args = parser.parse_args()

    with open(args.results, encoding="utf-8") as f:
        cells = [c for c in json.load(f) if c["directories"] == args.directories]
    if not cells:
        raise SystemExit(f"no results for D = {args.directories}")
    cells.sort(key=lambda c: c["nicks"])
    lines: Dict[str, List[Tuple[int, float]]] = {name: [] for name, _ in SERIES}
    for cell in cells:
        for row in cell["rows"]:
            if row["operation"] in lines and CORE in row["seconds"]:
                lines[row["operation"]].append((cell["nicks"], row["seconds"][CORE]))

    xs = [c["nicks"] for c in cells]
    ys = [s for points in lines.values() for _, s in points]
    x_lo, x_hi = math.log10(min(xs)), math.log10(max(xs))
    y_lo, y_hi = math.floor(math.log10(min(ys))), math.ceil(math.log10(max(ys)))
    x_hi = x_hi if x_hi > x_lo else x_lo + 1

    def px(n: float) -> float:
        return LEFT + (math.log10(n) - x_lo) / (x_hi - x_lo) * (WIDTH - LEFT - RIGHT)

    def py(s: float) -> float:
        return HEIGHT - BOTTOM - (math.log10(s) - y_lo) / (y_hi - y_lo) * (HEIGHT - TOP - BOTTOM)

    svg = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{LEFT}" y="22" font-size="14">nick-tracker (Rust core): time per call vs '
        f"nicks held, D = {args.directories} directories (log-log)</text>",
    ]
    for exponent in range(y_lo, y_hi + 1):
        y = py(10.0**exponent)
        svg.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#ddd"/>')
        svg.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{human(10.0**exponent)}</text>')
    for n in xs:
        x = px(n)
        svg.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{HEIGHT - BOTTOM}" stroke="#eee"/>')
        svg.append(f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle">N = {n:g}</text>')
    svg.append(
        f'<rect x="{LEFT}" y="{TOP}" width="{WIDTH - LEFT - RIGHT}" height="{HEIGHT - TOP - BOTTOM}" '
        'fill="none" stroke="#333"/>'
    )
    for index, (name, colour) in enumerate(SERIES):
        points = lines[name]
        if points:
            path = " ".join(f"{px(n):.1f},{py(s):.1f}" for n, s in points)
            svg.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
            for n, s in points:
                svg.append(f'<circle cx="{px(n):.1f}" cy="{py(s):.1f}" r="3" fill="{colour}"/>')
        y = TOP + 10 + index * 34
        svg.append(f'<line x1="{WIDTH - RIGHT + 12}" y1="{y}" x2="{WIDTH - RIGHT + 32}" y2="{y}" '
                   f'stroke="{colour}" stroke-width="3"/>')
        words = name.split(", ", 1)
        for line_no, text in enumerate(words):
            svg.append(f'<text x="{WIDTH - RIGHT + 38}" y="{y + 4 + 14 * line_no}">{text}</text>')
    svg.append("</svg>")
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(svg) + "\n")


if __name__ == "__main__":
    main()
