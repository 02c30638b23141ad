#!/usr/bin/env bash
# Builds the library with CMake (which drives cargo) and runs the C example end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-tools.sh
ensure_commands cmake:cmake

cmake -S . -B build -DNT_BUILD_TESTS=OFF
cmake --build build --parallel --target nick_tracker_example
./build/examples/c/nick_tracker_example
