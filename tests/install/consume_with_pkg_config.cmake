# cmake -D PREFIX=... -D LIBDIR=... -D VERSION=... -D PKG_CONFIG=... -D C_COMPILER=...
#       -D SOURCE=... -D BINARY_DIR=... -P consume_with_pkg_config.cmake
#
# Compiles SOURCE with nothing but `pkg-config --cflags --libs nick_tracker` against the
# package installed in PREFIX, and runs it.

# run(<output variable> <command>...) runs a command that must succeed.
function(run output_variable)
  execute_process(COMMAND ${ARGN} OUTPUT_VARIABLE output RESULT_VARIABLE result
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "'${ARGN}' failed (${result}):\n${output}")
  endif()
  set(${output_variable} "${output}" PARENT_SCOPE)
endfunction()

set(ENV{PKG_CONFIG_PATH} "${PREFIX}/${LIBDIR}/pkgconfig")
run(found_version "${PKG_CONFIG}" --modversion nick_tracker)
if(NOT found_version STREQUAL VERSION)
  message(FATAL_ERROR "pkg-config found nick_tracker ${found_version}, expected ${VERSION}")
endif()
run(flags "${PKG_CONFIG}" --cflags --libs nick_tracker)
separate_arguments(flags UNIX_COMMAND "${flags}")

file(REMOVE_RECURSE "${BINARY_DIR}")
file(MAKE_DIRECTORY "${BINARY_DIR}")
run(compiler_output "${C_COMPILER}" "${SOURCE}" ${flags} -o "${BINARY_DIR}/consumer")
set(ENV{LD_LIBRARY_PATH} "${PREFIX}/${LIBDIR}")
run(program_output "${BINARY_DIR}/consumer")
message(STATUS "${program_output}")
