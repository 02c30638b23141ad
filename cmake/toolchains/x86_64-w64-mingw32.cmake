# Cross-compiling for 64-bit Windows with MinGW-w64 (Debian/Ubuntu: apt install
# gcc-mingw-w64-x86-64; for the C++ example and tests also g++-mingw-w64-x86-64):
#
#     rustup target add x86_64-pc-windows-gnu
#     cmake -S . -B build-windows -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/x86_64-w64-mingw32.cmake
#
# nick_tracker's CMakeLists.txt then has cargo build for x86_64-pc-windows-gnu, linking with
# the compiler below. If wine is installed, CTest runs the test programs under it
# (CMAKE_CROSSCOMPILING_EMULATOR); scripts/test-windows.sh shows the whole run.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(_nt_mingw x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${_nt_mingw}-gcc)
set(CMAKE_CXX_COMPILER ${_nt_mingw}-g++)
set(CMAKE_RC_COMPILER ${_nt_mingw}-windres)

# Headers and libraries from the MinGW sysroot only; programs (cargo, wine) from the host.
# Packages also from elsewhere, so that find_package() finds a nick_tracker installed into
# any prefix given in CMAKE_PREFIX_PATH.
set(CMAKE_FIND_ROOT_PATH /usr/${_nt_mingw})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

# Debian installs the 64-bit wine loader as /usr/lib/wine/wine64 (package wine64) and the
# `wine` command in the package wine.
find_program(NT_WINE NAMES wine64 wine PATHS /usr/lib/wine NO_CMAKE_FIND_ROOT_PATH)
if(NT_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${NT_WINE}")
endif()
