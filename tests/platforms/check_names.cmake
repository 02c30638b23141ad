# cmake -D SOURCE_DIR=<nick-tracker source> -P check_names.cmake
#
# The Rust target guessed for each CMake toolchain, and the names of what cargo builds and what
# is installed for each Rust target, as cmake/NickTrackerPlatform.cmake computes them for the
# build and install rules. Checked here for every platform, since only Linux and Windows (under
# wine) are built and run by the tests.
cmake_minimum_required(VERSION 3.16)  # list() keeps empty elements (CMP0007)
include("${SOURCE_DIR}/cmake/NickTrackerPlatform.cmake")
set(problems "")

function(expect what actual expected)
  if(NOT "${actual}" STREQUAL "${expected}")
    set(problems "${problems}  ${what}: '${actual}', expected '${expected}'\n" PARENT_SCOPE)
  endif()
endfunction()

# CMAKE_SYSTEM_NAME, CMAKE_SYSTEM_PROCESSOR, MSVC-like compiler -> Rust target.
foreach(case IN ITEMS
    "Windows|x86_64|FALSE|x86_64-pc-windows-gnu"
    "Windows|AMD64|TRUE|x86_64-pc-windows-msvc"
    "Windows|ARM64|TRUE|aarch64-pc-windows-msvc"
    "Darwin|arm64|FALSE|aarch64-apple-darwin"
    "Darwin|x86_64|FALSE|x86_64-apple-darwin"
    "Linux|aarch64|FALSE|aarch64-unknown-linux-gnu"
    "Linux|x86_64|FALSE|x86_64-unknown-linux-gnu"
    "Haiku|x86_64|FALSE|")
  string(REPLACE "|" ";" case "${case}")
  list(GET case 0 system)
  list(GET case 1 processor)
  list(GET case 2 msvc)
  list(LENGTH case length)
  set(expected "")
  if(length EQUAL 4)
    list(GET case 3 expected)
  endif()
  nt_guess_rust_target(triple "${system}" "${processor}" ${msvc})
  expect("Rust target for ${system} ${processor} (MSVC ${msvc})" "${triple}" "${expected}")
endforeach()

# Rust target -> cargo's names (shared, import library, static), SONAME or install name, the
# installed shared library and its symlinks, in bin/ or lib/, pkg-config's -l name.
foreach(case IN ITEMS
    "x86_64-unknown-linux-gnu|libnick_tracker.so||libnick_tracker.a|libnick_tracker.so.0|libnick_tracker.so.0.3.1|libnick_tracker.so.0>libnick_tracker.so.0.3.1,libnick_tracker.so>libnick_tracker.so.0|FALSE|nick_tracker"
    "aarch64-apple-darwin|libnick_tracker.dylib||libnick_tracker.a|@rpath/libnick_tracker.0.dylib|libnick_tracker.0.3.1.dylib|libnick_tracker.0.dylib>libnick_tracker.0.3.1.dylib,libnick_tracker.dylib>libnick_tracker.0.dylib|FALSE|nick_tracker"
    "x86_64-pc-windows-gnu|nick_tracker.dll|libnick_tracker.dll.a|libnick_tracker.a|nick_tracker.dll|nick_tracker.dll||TRUE|nick_tracker"
    "x86_64-pc-windows-gnullvm|nick_tracker.dll|libnick_tracker.dll.a|libnick_tracker.a|nick_tracker.dll|nick_tracker.dll||TRUE|nick_tracker"
    "x86_64-pc-windows-msvc|nick_tracker.dll|nick_tracker.dll.lib|nick_tracker.lib|nick_tracker.dll|nick_tracker.dll||TRUE|nick_tracker.dll")
  string(REPLACE "|" ";" case "${case}")
  list(GET case 0 triple)
  nt_library_names(N "${triple}" 0.3.1 0)
  set(i 1)
  foreach(field IN ITEMS CARGO_SHARED CARGO_IMPLIB CARGO_STATIC SONAME INSTALL_SHARED
                         INSTALL_LINKS SHARED_IN_BIN PC_LINK_NAME)
    list(GET case ${i} expected)
    string(REPLACE "," ";" expected "${expected}")
    expect("${field} for ${triple}" "${N_${field}}" "${expected}")
    math(EXPR i "${i} + 1")
  endforeach()
endforeach()

# rustc's native-static-libs -> CMake link items.
foreach(case IN ITEMS
    "-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc|gcc_s,util,rt,pthread,m,dl,c"
    "-lSystem -framework CoreFoundation -lc -lm|System,-framework CoreFoundation,c,m"
    "kernel32.lib ntdll.lib /defaultlib:msvcrt|kernel32.lib,ntdll.lib")
  string(REPLACE "|" ";" case "${case}")
  list(GET case 0 libs)
  list(GET case 1 expected)
  string(REPLACE "," ";" expected "${expected}")
  nt_link_items_from_native_libs(items "${libs}")
  expect("link items for '${libs}'" "${items}" "${expected}")
endforeach()

if(problems)
  message(FATAL_ERROR "cmake/NickTrackerPlatform.cmake:\n${problems}")
endif()
