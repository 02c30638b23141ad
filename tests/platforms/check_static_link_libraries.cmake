# cmake -D CARGO_COMMAND=<list> -D EXPECTED=<libraries> -P check_static_link_libraries.cmake
#
# Runs the build's cargo command (which passes --print native-static-libs to rustc; cargo
# replays the note when nothing needs rebuilding) and fails unless rustc's list for
# nick_tracker's static library is EXPECTED, the list the build configured.
execute_process(COMMAND ${CARGO_COMMAND} RESULT_VARIABLE result
                OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "cargo failed (${result}):\n${output}")
endif()
if(NOT output MATCHES "native-static-libs: ([^\r\n]*)")
  message(FATAL_ERROR "cargo's output has no native-static-libs note:\n${output}")
endif()
string(STRIP "${CMAKE_MATCH_1}" actual)
if(NOT actual STREQUAL EXPECTED)
  message(FATAL_ERROR "rustc says nick_tracker's static library needs '${actual}', but the "
                      "build configured '${EXPECTED}' (NT_NATIVE_STATIC_LIBS)")
endif()
message(STATUS "native-static-libs: ${actual}")
