#!/usr/bin/env bash
# Runs every test: Rust (with fmt and clippy), C and C++ through CTest (each also under
# valgrind), the installed-package consumers, Python (pytest) and Go (go test -race).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-tools.sh
ensure_commands cmake:cmake valgrind:valgrind pkg-config:pkg-config go:golang-go
ensure_pytest

step() { printf '\n==> %s\n' "$*"; }

step "Rust: format, lints, unit + property + seed-suite tests, benchmark smoke run"
cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
cargo test --locked --all-targets

step "C and C++: build, CTest (plain and under valgrind), install consumers"
# Options explicitly on: the build directory may have been configured by run-example.sh.
cmake -S . -B build -DNT_BUILD_EXAMPLES=ON -DNT_BUILD_TESTS=ON -DNT_BUILD_CPP=ON -DNT_MEMCHECK=ON
cmake --build build --parallel
ctest --test-dir build --output-on-failure --parallel 2

step "Install into build/prefix for the language bindings"
prefix="$PWD/build/prefix"
rm -rf "$prefix"
cmake --install build --prefix "$prefix"

step "Python: pytest through the installed library"
NICK_TRACKER_LIBRARY="$prefix/lib/libnick_tracker.so" \
  python3 -m pytest -q -p no:cacheprovider bindings/python

step "Go: gofmt, go vet, go test -race through the installed library"
(
  cd bindings/go
  export PKG_CONFIG_PATH="$prefix/lib/pkgconfig" LD_LIBRARY_PATH="$prefix/lib"
  unformatted=$(gofmt -l .)
  [ -z "$unformatted" ] || { echo "gofmt needed: $unformatted"; exit 1; }
  go vet ./...
  go test -race -count=1 ./...
)

step "All tests passed"
