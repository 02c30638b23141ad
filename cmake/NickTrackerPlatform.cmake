# What cargo builds for a Rust target, and under which names: used by the top-level
# CMakeLists.txt, the install rules, and tests/platforms/check_names.cmake (which calls these
# functions in script mode for every platform, so the names for macOS and Windows are checked
# on Linux too).

# nt_guess_rust_target(<out-var> <system-name> <processor> <msvc>)
# The Rust target triple for a CMake toolchain: CMAKE_SYSTEM_NAME, CMAKE_SYSTEM_PROCESSOR and
# whether the C compiler is MSVC-like (MSVC or clang-cl). Empty if there is no obvious one.
function(nt_guess_rust_target out system processor msvc)
  string(TOLOWER "${processor}" processor)
  if(processor MATCHES "^(x86_64|amd64|x64)$")
    set(arch x86_64)
  elseif(processor MATCHES "^(aarch64|arm64)$")
    set(arch aarch64)
  elseif(processor MATCHES "^(i[3-6]86|x86)$")
    set(arch i686)
  else()
    set(${out} "" PARENT_SCOPE)
    return()
  endif()
  if(system STREQUAL "Windows")
    if(msvc)
      set(triple ${arch}-pc-windows-msvc)
    else()
      set(triple ${arch}-pc-windows-gnu)
    endif()
  elseif(system STREQUAL "Darwin")
    set(triple ${arch}-apple-darwin)
  elseif(system STREQUAL "Linux")
    set(triple ${arch}-unknown-linux-gnu)
  else()
    set(triple "")
  endif()
  set(${out} "${triple}" PARENT_SCOPE)
endfunction()

# nt_library_names(<prefix> <rust-target-triple> <version> <major>)
# Sets, in the caller's scope:
#   <prefix>_CARGO_SHARED    the shared library as cargo names it
#   <prefix>_CARGO_IMPLIB    its import library (Windows; empty elsewhere)
#   <prefix>_CARGO_STATIC    the static library as cargo names it
#   <prefix>_SONAME          what a program records and looks for at run time: the ELF SONAME,
#                            the Mach-O install name, or the DLL's name
#   <prefix>_SONAME_FILE     the file that name refers to beside the library (a symlink to
#                            <prefix>_CARGO_SHARED in cargo's directory; empty on Windows)
#   <prefix>_INSTALL_SHARED  the shared library's installed file name
#   <prefix>_INSTALL_LINKS   the symlinks installed beside it, as "link>target" items
#   <prefix>_SHARED_IN_BIN   TRUE if the shared library is installed in bin/ (a DLL)
#   <prefix>_PC_LINK_NAME    what follows -l in the pkg-config file for the shared library
function(nt_library_names prefix triple version major)
  set(implib "")
  set(links "")
  set(in_bin FALSE)
  set(pc_name nick_tracker)
  if(triple MATCHES "-windows-msvc$")
    # cargo's names for the msvc targets; the import library is nick_tracker.dll.lib so that it
    # does not clash with the static nick_tracker.lib.
    set(shared nick_tracker.dll)
    set(implib nick_tracker.dll.lib)
    set(static nick_tracker.lib)
    set(soname nick_tracker.dll)
    set(soname_file "")
    set(installed nick_tracker.dll)
    set(in_bin TRUE)
    set(pc_name nick_tracker.dll)
  elseif(triple MATCHES "-windows-gnu")
    set(shared nick_tracker.dll)
    set(implib libnick_tracker.dll.a)
    set(static libnick_tracker.a)
    set(soname nick_tracker.dll)
    set(soname_file "")
    set(installed nick_tracker.dll)
    set(in_bin TRUE)
  elseif(triple MATCHES "-apple-")
    # build.rs sets the install name; the layout is the one CMake gives a SHARED library with
    # VERSION and SOVERSION on macOS.
    set(shared libnick_tracker.dylib)
    set(static libnick_tracker.a)
    set(soname_file libnick_tracker.${major}.dylib)
    set(soname @rpath/${soname_file})
    set(installed libnick_tracker.${version}.dylib)
    set(links "${soname_file}>${installed}" "libnick_tracker.dylib>${soname_file}")
  else()
    set(shared libnick_tracker.so)
    set(static libnick_tracker.a)
    set(soname libnick_tracker.so.${major})
    set(soname_file ${soname})
    set(installed libnick_tracker.so.${version})
    set(links "${soname}>${installed}" "libnick_tracker.so>${soname}")
  endif()
  set(${prefix}_CARGO_SHARED "${shared}" PARENT_SCOPE)
  set(${prefix}_CARGO_IMPLIB "${implib}" PARENT_SCOPE)
  set(${prefix}_CARGO_STATIC "${static}" PARENT_SCOPE)
  set(${prefix}_SONAME "${soname}" PARENT_SCOPE)
  set(${prefix}_SONAME_FILE "${soname_file}" PARENT_SCOPE)
  set(${prefix}_INSTALL_SHARED "${installed}" PARENT_SCOPE)
  set(${prefix}_INSTALL_LINKS "${links}" PARENT_SCOPE)
  set(${prefix}_SHARED_IN_BIN "${in_bin}" PARENT_SCOPE)
  set(${prefix}_PC_LINK_NAME "${pc_name}" PARENT_SCOPE)
endfunction()

# nt_rustc_native_static_libs(<out-var> <work-dir> <rust-target-or-empty> <rustc-command>...)
# The libraries a program must link besides a Rust static library for that target, as rustc
# says (--print native-static-libs), e.g. "-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc". They
# come from the standard library, so a tiny static library built with the same rustc tells;
# the `static_link_libraries` test checks that nick_tracker's own build asks for the same.
function(nt_rustc_native_static_libs out work_dir triple)
  set(target_flags "")
  if(triple)
    set(target_flags --target "${triple}")
  endif()
  file(MAKE_DIRECTORY "${work_dir}")
  file(WRITE "${work_dir}/probe.rs" "pub fn probe() -> usize { std::env::args().count() }\n")
  execute_process(COMMAND ${ARGN} --crate-type staticlib --crate-name nt_probe --edition 2021
                          ${target_flags} --print native-static-libs
                          -o "${work_dir}/nt_probe.a" "${work_dir}/probe.rs"
                  RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "rustc cannot build a static library for '${triple}' (is the target "
                        "installed? rustup target add <triple>):\n${output}")
  endif()
  if(NOT output MATCHES "native-static-libs: ([^\r\n]*)")
    message(FATAL_ERROR "rustc did not print native-static-libs:\n${output}")
  endif()
  string(STRIP "${CMAKE_MATCH_1}" libs)
  set(${out} "${libs}" PARENT_SCOPE)
endfunction()

# nt_link_items_from_native_libs(<out-var> "<rustc's native-static-libs>")
# The same libraries as CMake link items: "-lm" becomes "m", "-framework Security" stays one
# item, MSVC's "kernel32.lib" stays as it is. MSVC's "/defaultlib:msvcrt" is left out: it names
# the C runtime, which CMake chooses (CMAKE_MSVC_RUNTIME_LIBRARY).
function(nt_link_items_from_native_libs out libs)
  separate_arguments(words UNIX_COMMAND "${libs}")
  set(items "")
  set(framework FALSE)
  foreach(word IN LISTS words)
    if(framework)
      list(APPEND items "-framework ${word}")
      set(framework FALSE)
    elseif(word STREQUAL "-framework")
      set(framework TRUE)
    elseif(word MATCHES "^-l(.+)$")
      list(APPEND items "${CMAKE_MATCH_1}")
    elseif(word MATCHES "^/defaultlib:")
    else()
      list(APPEND items "${word}")
    endif()
  endforeach()
  set(${out} "${items}" PARENT_SCOPE)
endfunction()
