#!/usr/bin/env bash
# Runs every benchmark and writes the raw results that BENCHMARKS.md reports:
#
#     scripts/bench.sh            # full: N up to 10^6, D up to 64, three traces (15 to 45 minutes)
#     scripts/bench.sh --quick    # N <= 10^4, small and medium traces (~2 minutes)
#
# Outputs in target/bench/: suite.md and suite.json (benches/tracker: every operation at every
# N x D, against the jmcore port measured in the same run, with memory per pair), trace.md and
# trace.json (benches/trace/run.py: one trace replayed by the Rust core, the C ABI, the Python
# package, plain-Python jmcore and the Python floor), and scaling.svg (time per call against N).
# Run it on an otherwise idle machine: the figures are medians, but noise still shows.
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/bench
mkdir -p "$out"

suite_args=() trace_args=(--json "$out/trace.json")
if [[ "${1:-}" == --quick ]]; then
  suite_args=(--quick)
  trace_args+=(--sizes small,medium --runs 3)
fi

cargo bench --locked --bench tracker -- "${suite_args[@]}" --json "$out/suite.json" | tee "$out/suite.md"
python3 benches/trace/run.py "${trace_args[@]}" | tee "$out/trace.md"
python3 benches/plot.py "$out/suite.json" "$out/scaling.svg" --directories 16
echo "Results in $out/ (suite.md, trace.md, scaling.svg)"
