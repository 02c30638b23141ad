# cmake -D PROGRAM=<executable> -D EXPECTED=<file> -P CompareOutput.cmake
#
# Runs PROGRAM and fails unless it exits with 0 and its standard output is exactly the
# contents of EXPECTED. Used to keep example programs and their documented output in step.
foreach(_var PROGRAM EXPECTED)
  if(NOT DEFINED ${_var})
    message(FATAL_ERROR "CompareOutput.cmake: -D ${_var}=... is required")
  endif()
endforeach()

execute_process(COMMAND "${PROGRAM}" OUTPUT_VARIABLE _actual RESULT_VARIABLE _result)
if(NOT _result STREQUAL "0")
  message(FATAL_ERROR "${PROGRAM} failed (${_result}). Its output:\n${_actual}")
endif()

file(READ "${EXPECTED}" _expected)
if(NOT _actual STREQUAL _expected)
  message(FATAL_ERROR "The output of ${PROGRAM} differs from ${EXPECTED}.\n"
                      "--- expected\n${_expected}--- actual\n${_actual}---")
endif()
