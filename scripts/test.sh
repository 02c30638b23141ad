#!/usr/bin/env bash
# Runs every test: Rust (fmt, clippy, unit, property, model-checking and fuzz-corpus tests, a
# benchmark smoke run), Rust under Miri, C and C++ through CTest (plain, under valgrind, under
# ASan+UBSan and under TSan), the installed-package consumers, Python (pytest), Go (go test
# -race), and a smoke run of the trace replayers (all implementations must agree).
# The long fuzzing run is separate: scripts/fuzz.sh [seconds].
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-tools.sh
ensure_commands cmake:cmake valgrind:valgrind pkg-config:pkg-config go:golang-go
ensure_pytest
ensure_nightly_components miri rust-src

step() { printf '\n==> %s\n' "$*"; }

step "Rust: format, lints, unit + property + seed-suite tests, benchmark smoke run"
cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
# generate-header: build.rs regenerates include/nick_tracker.h and the header check runs.
cargo clippy --locked --all-targets --features generate-header -- -D warnings
cargo test --locked --all-targets --features generate-header

step "Rust under Miri: the core's and the C ABI layer's unit tests"
cargo +nightly miri test --locked --lib

step "C and C++: build, CTest (plain and under valgrind), install consumers"
# Options explicitly on: the build directory may have been configured by run-example.sh.
cmake -S . -B build -DNT_BUILD_EXAMPLES=ON -DNT_BUILD_TESTS=ON -DNT_BUILD_CPP=ON -DNT_MEMCHECK=ON
cmake --build build --parallel
ctest --test-dir build --output-on-failure --parallel 2

# ---- Sanitizers (begin) --------------------------------------------------------------------
# Two more build trees, each with its own CTest run. build-asan: AddressSanitizer (with leak
# detection) and UndefinedBehaviorSanitizer on every C/C++ test and example; it reuses build's
# cargo output, since the Rust library is not instrumented there. build-tsan: ThreadSanitizer
# on the tests, with the Rust library and its std instrumented too (cargo +nightly
# -Zbuild-std, which needs nightly's rust-src component). Together 1 to 2 minutes.
step "C and C++ under sanitizers: ASan + UBSan (build-asan), TSan (build-tsan)"
cmake -S . -B build-asan -DNT_SANITIZE=address,undefined -DNT_MEMCHECK=OFF \
  -DNT_BUILD_EXAMPLES=ON -DNT_BUILD_TESTS=ON -DNT_BUILD_CPP=ON \
  -DNT_CARGO_TARGET_DIR="$PWD/build/cargo"
cmake --build build-asan --parallel
ctest --test-dir build-asan --output-on-failure --parallel 2
cmake -S . -B build-tsan -DNT_SANITIZE=thread -DNT_RUST_SANITIZER=thread -DNT_MEMCHECK=OFF \
  -DNT_BUILD_EXAMPLES=OFF -DNT_BUILD_TESTS=ON -DNT_BUILD_CPP=ON
cmake --build build-tsan --parallel
ctest --test-dir build-tsan --output-on-failure --parallel 2
# ---- Sanitizers (end) ----------------------------------------------------------------------

step "Install into build/prefix for the language bindings"
prefix="$PWD/build/prefix"
rm -rf "$prefix"
cmake --install build --prefix "$prefix"

step "Python: pytest through the installed library"
NICK_TRACKER_LIBRARY="$prefix/lib/libnick_tracker.so" \
  python3 -m pytest -q -p no:cacheprovider bindings/python
NICK_TRACKER_LIBRARY="$prefix/lib/libnick_tracker.so" \
  python3 benches/python/bench.py --quick  # a smoke run: the package and jmcore still agree
./scripts/test-python-package.sh  # the wheel and the sdist, tested installed in a fresh venv

step "Go: gofmt, go vet, go test -race, static build, through the installed library"
scripts/test-go.sh "$prefix"

step "Trace replay smoke run: Rust core, C ABI, Python package and plain Python agree"
python3 benches/trace/run.py --quick

./scripts/test-windows.sh  # MinGW cross-build; C tests, C example, installed package under wine
./scripts/check-macos.sh   # macOS names, install name and install rules, checked on Linux

step "All tests passed"
