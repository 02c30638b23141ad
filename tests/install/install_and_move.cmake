# cmake -D BUILD_DIR=... -D STAGING=... -D PREFIX=... -P install_and_move.cmake
#
# Installs the build into a fresh STAGING prefix, then moves it to PREFIX: whatever uses
# PREFIX afterwards works only if the installed tree is relocatable.
file(REMOVE_RECURSE "${STAGING}" "${PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${STAGING}"
                RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${result})")
endif()
file(RENAME "${STAGING}" "${PREFIX}")
