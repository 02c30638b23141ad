# cmake -D WAY=add_subdirectory|FetchContent -D NICK_TRACKER_SOURCE_DIR=... -D PARENT_SOURCE_DIR=...
#       -D BINARY_DIR=... -D GENERATOR=... -D C_COMPILER=... -D CARGO_TARGET_DIR=...
#       -D CONSUMER_SOURCE=... -P run_parent.cmake
#
# Configures (which runs the parent's checks), builds and tests the parent project from
# scratch with nick_tracker embedded WAY, then installs it and checks that only the parent's
# two programs were installed: nick_tracker adds no install rules when embedded.

# run(<command>...) runs a command that must succeed.
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "'${ARGN}' failed (${result})")
  endif()
endfunction()

file(REMOVE_RECURSE "${BINARY_DIR}")
run("${CMAKE_COMMAND}" -S "${PARENT_SOURCE_DIR}" -B "${BINARY_DIR}/build" -G "${GENERATOR}"
    "-DCMAKE_C_COMPILER=${C_COMPILER}" "-DEMBED_WITH=${WAY}"
    "-DNICK_TRACKER_SOURCE_DIR=${NICK_TRACKER_SOURCE_DIR}" "-DCONSUMER_SOURCE=${CONSUMER_SOURCE}"
    "-DNT_CARGO_TARGET_DIR=${CARGO_TARGET_DIR}")
run("${CMAKE_COMMAND}" --build "${BINARY_DIR}/build")
execute_process(COMMAND "${CMAKE_CTEST_COMMAND}" --output-on-failure
                WORKING_DIRECTORY "${BINARY_DIR}/build" RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "the parent's tests failed")
endif()

run("${CMAKE_COMMAND}" --install "${BINARY_DIR}/build" --prefix "${BINARY_DIR}/prefix")
file(GLOB_RECURSE installed LIST_DIRECTORIES false RELATIVE "${BINARY_DIR}/prefix"
     "${BINARY_DIR}/prefix/*")
list(SORT installed)
if(NOT installed STREQUAL "bin/consumer;bin/consumer_static")
  message(FATAL_ERROR "installing the parent installed ${installed}, expected its two "
                      "programs only")
endif()
