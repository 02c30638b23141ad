#!/usr/bin/env bash
# What can be checked of the macOS build without a Mac; called by scripts/test.sh.
#
#     scripts/check-macos.sh
#
# 1. build.rs: cargo builds the library for aarch64-apple-darwin up to the link, which needs
#    Apple's linker and fails here, and prints the link arguments first: they must give the
#    library the install name @rpath/libnick_tracker.<major>.dylib and its current version.
# 2. CMake: the project configured as if for macOS (tests/platforms/darwin-on-linux.cmake)
#    must have cargo build for that target, link the example to the .dylib with an rpath to
#    it, and describe the .dylib names in the CMake package; `cmake --install`, given stand-in
#    library files, must install libnick_tracker.<version>.dylib with the symlinks
#    libnick_tracker.<major>.dylib and libnick_tracker.dylib, and the pkg-config files.
# Installs the Rust target aarch64-apple-darwin (its standard library only) if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-tools.sh
printf '\n==> %s\n' "macOS, as far as Linux can tell: install name, CMake names and install rules"
ensure_commands cmake:cmake
target=aarch64-apple-darwin
ensure_rust_targets "$target"

build=build-macos
version=$(sed -n 's/^version = "\([0-9.]*\)"$/\1/p' Cargo.toml | head -n 1)
major=${version%%.*}
failures=0
check() {  # check <description> <command>...: reports and counts a failed check
  local description=$1
  shift
  if "$@"; then echo "ok     $description"; else echo "FAILED $description"; failures=$((failures + 1)); fi
}

# 1. The link arguments build.rs adds for macOS.
link_output=$(cargo rustc --locked --lib --release --target "$target" --target-dir "$build/cargo" \
  -- --print link-args 2>&1 || true)
check "cargo links the dylib with -install_name @rpath/libnick_tracker.$major.dylib" \
  grep -q -- "-Wl,-install_name,@rpath/libnick_tracker.$major.dylib\"" <<<"$link_output"
check "cargo links the dylib with -current_version $version" \
  grep -q -- "-Wl,-current_version,$version\"" <<<"$link_output"

# 2. CMake configured as if for macOS, with a stand-in for sw_vers.
mkdir -p "$build/fake-bin"
printf '#!/bin/sh\necho 13.0\n' >"$build/fake-bin/sw_vers"
chmod +x "$build/fake-bin/sw_vers"
rm -rf "$build/cmake" "$build/prefix"
PATH="$PWD/$build/fake-bin:$PATH" cmake -S . -B "$build/cmake" \
  -DCMAKE_TOOLCHAIN_FILE=tests/platforms/darwin-on-linux.cmake \
  -DNT_BUILD_TESTS=OFF -DNT_BUILD_EXAMPLES=ON -DNT_BUILD_CPP=OFF -DNT_INSTALL=ON \
  -DNT_CARGO_TARGET_DIR="$PWD/$build/cargo" >"$build/configure.log" ||
  { cat "$build/configure.log"; exit 1; }
libdir="$PWD/$build/cargo/$target/release"
cargo_rule=$(cat "$build/cmake/CMakeFiles/nick_tracker_cargo.dir/build.make")
check "CMake runs cargo with --target $target" grep -q -- "--target $target" <<<"$cargo_rule"
check "CMake links libnick_tracker.$major.dylib to libnick_tracker.dylib in cargo's directory" \
  grep -q "create_symlink libnick_tracker.dylib $libdir/libnick_tracker.$major.dylib" <<<"$cargo_rule"
example_link=$(cat "$build/cmake/examples/c/CMakeFiles/nick_tracker_example.dir/link.txt")
check "the example links $libdir/libnick_tracker.dylib" \
  grep -q -- " $libdir/libnick_tracker.dylib" <<<"$example_link"
check "the example gets the rpath $libdir" grep -q -- "-Wl,-rpath,$libdir" <<<"$example_link"
config=$(cat "$build/cmake/install-files/nick_tracker-config.cmake")
check "the CMake package names lib/libnick_tracker.$version.dylib" \
  grep -q "IMPORTED_LOCATION \"\${PACKAGE_PREFIX_DIR}/lib/libnick_tracker.$version.dylib\"" <<<"$config"
check "the CMake package gives the install name @rpath/libnick_tracker.$major.dylib" \
  grep -q "IMPORTED_SONAME \"@rpath/libnick_tracker.$major.dylib\"" <<<"$config"

# cmake --install with stand-ins for the libraries cargo would have built.
touch "$libdir/libnick_tracker.dylib" "$libdir/libnick_tracker.a"
cmake --install "$build/cmake" --prefix "$PWD/$build/prefix" >/dev/null
lib="$build/prefix/lib"
check "installed: lib/libnick_tracker.$version.dylib" test -f "$lib/libnick_tracker.$version.dylib"
check "installed: lib/libnick_tracker.$major.dylib -> libnick_tracker.$version.dylib" \
  test "$(readlink "$lib/libnick_tracker.$major.dylib")" = "libnick_tracker.$version.dylib"
check "installed: lib/libnick_tracker.dylib -> libnick_tracker.$major.dylib" \
  test "$(readlink "$lib/libnick_tracker.dylib")" = "libnick_tracker.$major.dylib"
check "installed: lib/libnick_tracker.a" test -f "$lib/libnick_tracker.a"
check "installed: nick_tracker.pc lists rustc's libraries for macOS (-lSystem)" \
  grep -q '^Libs.private: .*-lSystem' "$lib/pkgconfig/nick_tracker.pc"
check "installed: nick_tracker-static.pc" test -f "$lib/pkgconfig/nick_tracker-static.pc"

if [ "$failures" -ne 0 ]; then
  echo "$failures macOS check(s) failed"
  exit 1
fi
