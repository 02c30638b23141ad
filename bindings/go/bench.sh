#!/usr/bin/env bash
# Runs the Go binding's benchmarks RUNS times (default 3), each a separate `go test` process,
# and prints the best of each figure over the runs. In BenchmarkCalls the floor (a bare cgo
# call, internal/cfloor), the binding and a plain Go map take turns within each benchmark,
# so each run's ratios compare figures taken under the same conditions; the last column
# lists the binding/floor ratio of each run. Two tables: the CPU time of the benchmark's
# thread per op (cpu-ns/op: steady on a machine busy with other work) and the time on the
# clock (ns/op).
# Needs PKG_CONFIG_PATH and LD_LIBRARY_PATH set as for `go test` (see README.md).
# Usage: bindings/go/bench.sh [RUNS] [BENCH REGEXP] [BENCHTIME]
set -euo pipefail
cd "$(dirname "$0")"
runs=${1:-3} filter=${2:-.} benchtime=${3:-1s}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for run in $(seq "$runs"); do
  echo "run $run/$runs, load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  # One line per figure: run, benchmark, contender (empty: the benchmark's own), unit, value.
  go test -count=1 -run '^$' -bench "$filter" -benchtime "$benchtime" ./nicktracker |
    awk -v run="$run" '/^Benchmark/ {
      sub(/-[0-9]+$/, "", $1); sub(/^Benchmark/, "", $1)
      for (i = 3; i < NF; i += 2) {
        unit = $(i + 1); who = "-"
        if (match(unit, /^[^-]+-(cpu-)?ns\/op$/) && unit !~ /^cpu-/) {
          who = substr(unit, 1, index(unit, "-") - 1); unit = substr(unit, index(unit, "-") + 1)
        }
        if (unit == "ns/op" && who == "-" && $0 ~ /[^ ]-cpu-ns\/op/) continue # their sum
        print run, $1, who, unit, $i
      }
    }' >>"$out"
done
for unit in cpu-ns/op ns/op; do
  echo
  awk -v unit="$unit" '
    $4 == unit {
      run = $1; key = $2 SUBSEP $3; v = $5
      if (!(key in best) || v < best[key]) best[key] = v
      at[run, key] = v; runs[run] = 1
      if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 }
      if (!(key in has)) { has[key] = 1; who[$2] = who[$2] " " $3 }
    }
    END {
      printf "%-28s %11s %11s %11s %7s %7s  %s\n", "best " unit, "floor", "binding", "map", "b/floor", "m/floor", "b/floor per run"
      for (i = 1; i <= n; i++) {
        row = order[i]
        if ((row SUBSEP "floor") in best && (row SUBSEP "binding") in best && (row SUBSEP "map") in best) {
          f = best[row, "floor"]; b = best[row, "binding"]; m = best[row, "map"]
          per = ""
          for (r = 1; r in runs; r++) per = per sprintf(" %.2f", at[r, row, "binding"] / at[r, row, "floor"])
          printf "%-28s %11.1f %11.1f %11.1f %7.2f %7.2f %s\n", row, f, b, m, b / f, m / f, per
          continue
        }
        k = split(substr(who[row], 2), names, " ")
        for (j = 1; j <= k; j++) {
          name = names[j] == "-" ? row : row "/" names[j]
          printf "%-28s %11.1f\n", name, best[row, names[j]]
        }
      }
    }' "$out"
done
