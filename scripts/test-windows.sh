#!/usr/bin/env bash
# Cross-builds nick_tracker for 64-bit Windows with MinGW-w64 and runs its Windows tests under
# wine: the C tests, the C example against its expected output, the installed tree (DLL, import
# library, exports only nt_*, CMake package and pkg-config files used by consumers) and the
# platform checks; every test in build-windows/ that CTest has. Called by scripts/test.sh.
#
#     scripts/test-windows.sh
#
# Installs what is missing: gcc-mingw-w64-x86-64 and wine64 (apt), the Rust target
# x86_64-pc-windows-gnu (rustup). The build tree is build-windows/ (configured with
# cmake/toolchains/x86_64-w64-mingw32.cmake) and wine's prefix is build-windows/wine-prefix,
# so nothing of wine's lands in $HOME. To rerun the tests by hand:
#
#     WINEPREFIX=$PWD/build-windows/wine-prefix ctest --test-dir build-windows
#
# Wine before 8.13 (Debian 12 has 8.0) lacks bcryptprimitives.dll, which every Windows that
# Rust supports has and which Rust's standard library needs; then this script puts a stand-in
# built from scripts/wine/bcryptprimitives.c into its prefix (README, "Platforms").
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-tools.sh
printf '\n==> %s\n' "Windows: MinGW cross-build, C tests, C example and installed package under wine"

# Debian puts the 64-bit wine loader and wineserver in /usr/lib/wine.
export PATH="$PATH:/usr/lib/wine"
ensure_commands cmake:cmake pkg-config:pkg-config
ensure_commands --no-install-recommends x86_64-w64-mingw32-gcc:gcc-mingw-w64-x86-64 wine64:wine64
ensure_rust_targets x86_64-pc-windows-gnu

build=build-windows
export WINEPREFIX="$PWD/$build/wine-prefix" WINEDEBUG=-all
mkdir -p "$build"
# Stop this prefix's wineserver when done, whatever happens (it lingers a few seconds).
trap 'wineserver -k 2>/dev/null || true' EXIT
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  wine64 wineboot --init 2>/dev/null
fi
system32="$WINEPREFIX/drive_c/windows/system32"
if [ ! -f "$system32/bcryptprimitives.dll" ]; then
  echo "wine $(wine64 --version) lacks bcryptprimitives.dll: using scripts/wine/bcryptprimitives.c"
  x86_64-w64-mingw32-gcc -O2 -Wall -Wextra -Werror -shared \
    -o "$build/bcryptprimitives.dll" scripts/wine/bcryptprimitives.c
  cp "$build/bcryptprimitives.dll" "$system32/bcryptprimitives.dll"
fi

# C++ is left out: it would need g++-mingw-w64-x86-64 and its runtime DLLs under wine.
cmake -S . -B "$build" -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/toolchains/x86_64-w64-mingw32.cmake" \
  -DNT_BUILD_EXAMPLES=ON -DNT_BUILD_TESTS=ON -DNT_BUILD_CPP=OFF
cmake --build "$build" --parallel
ctest --test-dir "$build" --output-on-failure --parallel 2
