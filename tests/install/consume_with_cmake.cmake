# cmake -D PREFIX=... -D SOURCE_DIR=... -D BINARY_DIR=... -D GENERATOR=... -D C_COMPILER=...
#       [-D CXX_COMPILER=...] -D READELF=... -D SONAME=... -P consume_with_cmake.cmake
#
# Configures, builds and tests the consumer project in SOURCE_DIR from scratch against the
# package installed in PREFIX, and checks that it found that package and linked as asked.

# run(<command>...) runs a command that must succeed.
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "'${ARGN}' failed (${result})")
  endif()
endfunction()

# With a C++ compiler, the consumer also builds its C++ program against nick_tracker.hpp.
set(cxx_options -DWITH_CXX=OFF)
if(CXX_COMPILER)
  set(cxx_options -DWITH_CXX=ON "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}")
endif()

file(REMOVE_RECURSE "${BINARY_DIR}")
run("${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${BINARY_DIR}" -G "${GENERATOR}"
    "-DCMAKE_PREFIX_PATH=${PREFIX}" "-DCMAKE_C_COMPILER=${C_COMPILER}" ${cxx_options})

file(STRINGS "${BINARY_DIR}/CMakeCache.txt" package_dir REGEX "^nick_tracker_DIR:")
string(REGEX REPLACE "^[^=]*=" "" package_dir "${package_dir}")
string(FIND "${package_dir}" "${PREFIX}/" position)
if(NOT position EQUAL 0)
  message(FATAL_ERROR "find_package found nick_tracker in '${package_dir}', not in ${PREFIX}")
endif()

run("${CMAKE_COMMAND}" --build "${BINARY_DIR}")

# The shared consumer must load the library by its SONAME; the static one must not load it.
function(needed_libraries program output_variable)
  execute_process(COMMAND "${READELF}" -d "${BINARY_DIR}/${program}"
                  OUTPUT_VARIABLE dynamic_section RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "readelf -d ${program} failed (${result})")
  endif()
  string(REGEX MATCHALL "Shared library: \\[[^]]*\\]" needed "${dynamic_section}")
  set(${output_variable} "${needed}" PARENT_SCOPE)
endfunction()

needed_libraries(consumer needed)
if(NOT needed MATCHES "\\[${SONAME}\\]")
  message(FATAL_ERROR "consumer does not load ${SONAME}: ${needed}")
endif()
needed_libraries(consumer_static needed)
if(needed MATCHES "libnick_tracker")
  message(FATAL_ERROR "consumer_static loads the shared library: ${needed}")
endif()

execute_process(COMMAND "${CMAKE_CTEST_COMMAND}" --output-on-failure
                WORKING_DIRECTORY "${BINARY_DIR}" RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "the consumer's tests failed")
endif()
