#!/usr/bin/env bash
# The Go step of scripts/test.sh: gofmt, go vet, go test -race of bindings/go against the
# library installed in PREFIX (default build/prefix), one run of each benchmark, and the
# static build: the example program linked with -tags nicktracker_static must not need
# libnick_tracker.so and must print what the shared build prints.
# Usage: scripts/test-go.sh [PREFIX]
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=$(cd "${1:-build/prefix}" && pwd)
cd bindings/go
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig" LD_LIBRARY_PATH="$prefix/lib"

unformatted=$(gofmt -l .)
[ -z "$unformatted" ] || { echo "gofmt needed: $unformatted"; exit 1; }
go vet ./...
go vet -tags nicktracker_static ./...
go test -race -count=1 ./...
go test -count=1 -run '^$' -bench . -benchtime 1x ./... >/dev/null

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/shared" ./example
go build -tags nicktracker_static -o "$bin/static" ./example
if readelf -d "$bin/static" | grep NEEDED | grep -q libnick_tracker; then
  echo "the static build needs libnick_tracker.so:"; readelf -d "$bin/static" | grep NEEDED
  exit 1
fi
"$bin/shared" >"$bin/shared.out"
env -u LD_LIBRARY_PATH "$bin/static" >"$bin/static.out"
diff -u "$bin/shared.out" "$bin/static.out"
echo "static build: runs without libnick_tracker.so ($(readelf -d "$bin/static" | grep -c NEEDED) needed libraries, none of them nick_tracker)"
