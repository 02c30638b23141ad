# cmake -D PROGRAM=<executable> -D EXPECTED=<file> [-D EMULATOR=<command>] [-D CRLF=ON]
#       -P CompareOutput.cmake
#
# Runs PROGRAM (under EMULATOR, e.g. wine, if given) and fails unless it exits with 0 and its
# standard output is exactly the contents of EXPECTED. With CRLF (Windows programs, whose text
# output ends lines with CR LF), each CR LF of the output counts as LF. Used to keep example
# programs and their documented output in step.
foreach(_var PROGRAM EXPECTED)
  if(NOT DEFINED ${_var})
    message(FATAL_ERROR "CompareOutput.cmake: -D ${_var}=... is required")
  endif()
endforeach()

execute_process(COMMAND ${EMULATOR} "${PROGRAM}" OUTPUT_VARIABLE _actual RESULT_VARIABLE _result)
if(NOT _result STREQUAL "0")
  message(FATAL_ERROR "${PROGRAM} failed (${_result}). Its output:\n${_actual}")
endif()
if(CRLF)
  string(REPLACE "\r\n" "\n" _actual "${_actual}")
endif()

file(READ "${EXPECTED}" _expected)
if(NOT _actual STREQUAL _expected)
  message(FATAL_ERROR "The output of ${PROGRAM} differs from ${EXPECTED}.\n"
                      "--- expected\n${_expected}--- actual\n${_actual}---")
endif()
