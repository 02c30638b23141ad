# cmake -D PREFIX=... -D LIBDIR=... -D VERSION=... -D NATIVE_STATIC_LIBS=... -D PKG_CONFIG=...
#       -D C_COMPILER=... -D FORMAT=ELF|PE -D READELF=... -D OBJDUMP=... [-D EMULATOR=...]
#       [-D DLL_PATH=...] -D SOURCE=... -D BINARY_DIR=... -P consume_with_pkg_config.cmake
#
# Compiles SOURCE against the package installed in PREFIX with nothing but what pkg-config
# gives, the ways README's "Building and installing" shows, and runs each program:
#   consumer_rpath   nick_tracker's flags plus an rpath to its libdir: runs as it is (ELF)
#   consumer         nick_tracker's flags only: runs with LD_LIBRARY_PATH (ELF), or with the
#                    DLL on the search path (PE, WINEPATH=DLL_PATH under wine)
#   consumer_static  nick_tracker-static's flags: the static library, no run-time dependency
# and checks that Libs.private (pkg-config --static) lists what rustc says the static library
# needs (NATIVE_STATIC_LIBS).

# run(<output variable> <command>...) runs a command that must succeed.
function(run output_variable)
  execute_process(COMMAND ${ARGN} OUTPUT_VARIABLE output ERROR_VARIABLE output
                  RESULT_VARIABLE result OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "'${ARGN}' failed (${result}):\n${output}")
  endif()
  set(${output_variable} "${output}" PARENT_SCOPE)
endfunction()

# pkg_config(<output variable> <arguments>...): pkg-config's answer, split into arguments.
function(pkg_config output_variable)
  run(output "${PKG_CONFIG}" ${ARGN})
  separate_arguments(output UNIX_COMMAND "${output}")
  set(${output_variable} "${output}" PARENT_SCOPE)
endfunction()

# needed_libraries(<program> <output variable>): the shared libraries a program loads.
function(needed_libraries program output_variable)
  if(FORMAT STREQUAL "PE")
    run(headers "${OBJDUMP}" -p "${program}")
    string(REGEX MATCHALL "DLL Name: [^\n]*" needed "${headers}")
  else()
    run(headers "${READELF}" -d "${program}")
    string(REGEX MATCHALL "Shared library: \\[[^]]*\\]" needed "${headers}")
  endif()
  set(${output_variable} "${needed}" PARENT_SCOPE)
endfunction()

set(ENV{PKG_CONFIG_PATH} "${PREFIX}/${LIBDIR}/pkgconfig")
unset(ENV{LD_LIBRARY_PATH})
run(found_version "${PKG_CONFIG}" --modversion nick_tracker)
if(NOT found_version STREQUAL VERSION)
  message(FATAL_ERROR "pkg-config found nick_tracker ${found_version}, expected ${VERSION}")
endif()
run(static_libs "${PKG_CONFIG}" --static --libs nick_tracker)
string(FIND "${static_libs}" " ${NATIVE_STATIC_LIBS}" position)
if(position EQUAL -1)
  message(FATAL_ERROR "pkg-config --static --libs nick_tracker gives '${static_libs}', "
                      "without rustc's native-static-libs '${NATIVE_STATIC_LIBS}'")
endif()
pkg_config(flags --cflags --libs nick_tracker)
pkg_config(static_flags --cflags --libs nick_tracker-static)
run(libdir "${PKG_CONFIG}" --variable=libdir nick_tracker)

file(REMOVE_RECURSE "${BINARY_DIR}")
file(MAKE_DIRECTORY "${BINARY_DIR}")
set(suffix "")
if(FORMAT STREQUAL "PE")
  set(suffix .exe)
endif()
set(consumer "${BINARY_DIR}/consumer${suffix}")
set(consumer_static "${BINARY_DIR}/consumer_static${suffix}")
run(_ "${C_COMPILER}" "${SOURCE}" ${flags} -o "${consumer}")
run(_ "${C_COMPILER}" "${SOURCE}" ${static_flags} -o "${consumer_static}")

needed_libraries("${consumer_static}" needed)
if(needed MATCHES "nick_tracker")
  message(FATAL_ERROR "consumer_static loads the shared library: ${needed}")
endif()
run(output ${EMULATOR} "${consumer_static}")
message(STATUS "static: ${output}")

if(FORMAT STREQUAL "PE")
  set(ENV{WINEPATH} "${DLL_PATH}")
  run(output ${EMULATOR} "${consumer}")
  message(STATUS "shared: ${output}")
  return()
endif()

set(consumer_rpath "${BINARY_DIR}/consumer_rpath")
run(_ "${C_COMPILER}" "${SOURCE}" ${flags} "-Wl,-rpath,${libdir}" -o "${consumer_rpath}")
run(output "${consumer_rpath}")
message(STATUS "shared, rpath: ${output}")
set(ENV{LD_LIBRARY_PATH} "${libdir}")
run(output "${consumer}")
message(STATUS "shared, LD_LIBRARY_PATH: ${output}")
