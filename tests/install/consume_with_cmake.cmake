# cmake -D PREFIX=... -D SOURCE_DIR=... -D BINARY_DIR=... -D GENERATOR=...
#       [-D TOOLCHAIN_FILE=...] -D C_COMPILER=... [-D CXX_COMPILER=...] -D FORMAT=ELF|PE
#       -D READELF=... -D OBJDUMP=... -D SONAME=... [-D DLL_PATH=...]
#       -P consume_with_cmake.cmake
#
# Configures, builds and tests the consumer project in SOURCE_DIR from scratch against the
# package installed in PREFIX, with the same toolchain, and checks that it found that package
# and linked as asked. Its shared-library programs find the library through the rpath CMake
# gives them in the build tree (ELF), or through WINEPATH=DLL_PATH under wine (PE).

# run(<command>...) runs a command that must succeed.
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "'${ARGN}' failed (${result})")
  endif()
endfunction()

set(options "-DCMAKE_PREFIX_PATH=${PREFIX}")
if(TOOLCHAIN_FILE)
  list(APPEND options "-DCMAKE_TOOLCHAIN_FILE=${TOOLCHAIN_FILE}")
else()
  list(APPEND options "-DCMAKE_C_COMPILER=${C_COMPILER}")
endif()
# With a C++ compiler, the consumer also builds its C++ program against nick_tracker.hpp.
if(CXX_COMPILER)
  list(APPEND options -DWITH_CXX=ON "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}")
else()
  list(APPEND options -DWITH_CXX=OFF)
endif()

file(REMOVE_RECURSE "${BINARY_DIR}")
run("${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${BINARY_DIR}" -G "${GENERATOR}" ${options})

file(STRINGS "${BINARY_DIR}/CMakeCache.txt" package_dir REGEX "^nick_tracker_DIR:")
string(REGEX REPLACE "^[^=]*=" "" package_dir "${package_dir}")
string(FIND "${package_dir}" "${PREFIX}/" position)
if(NOT position EQUAL 0)
  message(FATAL_ERROR "find_package found nick_tracker in '${package_dir}', not in ${PREFIX}")
endif()

run("${CMAKE_COMMAND}" --build "${BINARY_DIR}")

# needed_libraries(<program> <output variable>): the shared libraries a program loads.
function(needed_libraries program output_variable)
  if(FORMAT STREQUAL "PE")
    set(command "${OBJDUMP}" -p "${BINARY_DIR}/${program}.exe")
    set(pattern "DLL Name: [^\n]*")
  else()
    set(command "${READELF}" -d "${BINARY_DIR}/${program}")
    set(pattern "Shared library: \\[[^]]*\\]")
  endif()
  execute_process(COMMAND ${command} OUTPUT_VARIABLE headers RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "'${command}' failed (${result})")
  endif()
  string(REGEX MATCHALL "${pattern}" needed "${headers}")
  set(${output_variable} "${needed}" PARENT_SCOPE)
endfunction()

# The shared consumer must load the library by its SONAME (DLL name); the static one must not.
needed_libraries(consumer needed)
string(REPLACE "." "\\." soname_pattern "${SONAME}")
if(NOT needed MATCHES "(\\[| )${soname_pattern}(\\]|$|;)")
  message(FATAL_ERROR "consumer does not load ${SONAME}: ${needed}")
endif()
needed_libraries(consumer_static needed)
if(needed MATCHES "nick_tracker")
  message(FATAL_ERROR "consumer_static loads the shared library: ${needed}")
endif()

if(DLL_PATH)
  set(ENV{WINEPATH} "${DLL_PATH}")
endif()
execute_process(COMMAND "${CMAKE_CTEST_COMMAND}" --output-on-failure
                WORKING_DIRECTORY "${BINARY_DIR}" RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "the consumer's tests failed")
endif()
