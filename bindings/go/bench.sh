#!/usr/bin/env bash
# Runs the Go binding's benchmarks RUNS times (default 3), each a separate `go test` process,
# and prints per row the best of the floor (a bare cgo call, internal/cfloor), the binding
# and a plain Go map, the ratios of those bests, and the binding/floor ratio of each run
# (floor and binding are timed in the same process, one after the other). METRIC is
# cpu-ns/op (default: the CPU time of the benchmark's thread per op, steady on a loaded
# machine) or ns/op (the time on the clock).
# Needs PKG_CONFIG_PATH and LD_LIBRARY_PATH set as for `go test` (see README.md).
# Usage: bindings/go/bench.sh [RUNS] [BENCH REGEXP] [BENCHTIME] [METRIC]
set -euo pipefail
cd "$(dirname "$0")"
runs=${1:-3} filter=${2:-.} benchtime=${3:-1s} metric=${4:-cpu-ns/op}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for run in $(seq "$runs"); do
  echo "run $run/$runs, load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  go test -count=1 -run '^$' -bench "$filter" -benchtime "$benchtime" ./nicktracker |
    awk -v run="$run" -v metric="$metric" '/^Benchmark/ {
      sub(/-[0-9]+$/, "", $1)
      for (i = 3; i < NF; i++) if ($(i + 1) == metric) print run, $1, $i
    }' >>"$out"
done
awk -v metric="$metric" '
  {
    run = $1; name = $2; ns = $3
    if (!(name in best) || ns < best[name]) best[name] = ns
    if (!(name in seen)) { seen[name] = 1; order[++n] = name }
    at[run, name] = ns; runs[run] = 1
  }
  END {
    printf "%-44s %12s %12s %12s %8s %8s  %s\n", "row (best " metric ")", "floor", "binding", "map", "b/floor", "map/fl", "b/floor per run"
    for (i = 1; i <= n; i++) {
      name = order[i]
      if (name !~ /\/floor$/) {
        if (name !~ /\/(binding|map)$/) printf "%-44s %12.1f\n", name, best[name]
        continue
      }
      row = name; sub(/\/floor$/, "", row)
      f = best[row "/floor"]; b = best[row "/binding"]; m = best[row "/map"]
      per = ""
      for (r in runs) if (at[r, row "/floor"] > 0) per = per sprintf(" %.2f", at[r, row "/binding"] / at[r, row "/floor"])
      printf "%-44s %12.1f %12.1f %12.1f %8.2f %8.2f %s\n", row, f, b, m, b / f, m / f, per
    }
  }' "$out"
