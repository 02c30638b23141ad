# cmake -D PREFIX=... -D LIBDIR=... -D INCLUDEDIR=... -D VERSION=... -D SONAME=...
#       -D READELF=... -D NM=... -D FORBIDDEN_PATHS=<list> -P check_layout.cmake
#
# Checks the installed tree in PREFIX: every file is there, the shared library has the
# conventional symlink chain and SONAME and exports exactly the functions the header declares,
# the CMake package accepts the same major version only, and no installed text file refers to
# the build or source tree (FORBIDDEN_PATHS), which would make the package unrelocatable.
set(lib "${PREFIX}/${LIBDIR}")
set(real_name "libnick_tracker.so.${VERSION}")
set(package "${lib}/cmake/nick_tracker")
set(problems "")

macro(problem text)
  string(APPEND problems "  ${text}\n")
endmacro()

foreach(file IN ITEMS "${lib}/${real_name}" "${lib}/libnick_tracker.a"
                      "${PREFIX}/${INCLUDEDIR}/nick_tracker.h"
                      "${PREFIX}/${INCLUDEDIR}/nick_tracker.hpp"
                      "${package}/nick_tracker-config.cmake"
                      "${package}/nick_tracker-config-version.cmake"
                      "${lib}/pkgconfig/nick_tracker.pc")
  if(NOT EXISTS "${file}" OR IS_SYMLINK "${file}")
    problem("${file} is missing or not a regular file")
  endif()
endforeach()

foreach(link_and_target IN ITEMS "${SONAME}>${real_name}" "libnick_tracker.so>${SONAME}")
  string(REPLACE ">" ";" link_and_target "${link_and_target}")
  list(GET link_and_target 0 link)
  list(GET link_and_target 1 expected)
  if(IS_SYMLINK "${lib}/${link}")
    file(READ_SYMLINK "${lib}/${link}" target)
  else()
    set(target "(not a symlink)")
  endif()
  if(NOT target STREQUAL expected)
    problem("${link} should be a symlink to ${expected}, is ${target}")
  endif()
endforeach()

# run(<output variable> <command>...) runs a tool that must succeed.
function(run output_variable)
  execute_process(COMMAND ${ARGN} OUTPUT_VARIABLE output RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "'${ARGN}' failed (${result})")
  endif()
  set(${output_variable} "${output}" PARENT_SCOPE)
endfunction()

run(dynamic_section "${READELF}" -d "${lib}/${real_name}")
string(REGEX MATCH "Library soname: \\[([^]]*)\\]" _ "${dynamic_section}")
if(NOT CMAKE_MATCH_1 STREQUAL SONAME)
  problem("SONAME is '${CMAKE_MATCH_1}', expected '${SONAME}'")
endif()

# Exported: every defined dynamic symbol. Declared: every function declaration in the header,
# that is a line (not a comment) starting with a return type and ending in "nt_...(".
run(nm_output "${NM}" -D --defined-only "${lib}/${real_name}")
string(REGEX MATCHALL "[^ \n]+\n" exported "${nm_output}")
string(REPLACE "\n" "" exported "${exported}")
file(STRINGS "${PREFIX}/${INCLUDEDIR}/nick_tracker.h" declarations
     REGEX "^[A-Za-z_][A-Za-z0-9_ ]*[ *]nt_[a-z0-9_]+\\(")
set(declared "")
foreach(line IN LISTS declarations)
  string(REGEX MATCH "nt_[a-z0-9_]+\\(" function "${line}")
  string(REPLACE "(" "" function "${function}")
  list(APPEND declared "${function}")
endforeach()
list(SORT exported)
list(SORT declared)
if(NOT exported STREQUAL declared OR declared STREQUAL "")
  problem("exported symbols differ from the header's functions:\n"
          "    exported: ${exported}\n    declared: ${declared}")
endif()

# SameMajorVersion: 0.x accepts a request for 0.0 or the exact version, not 1.0 or a newer 0.x.
foreach(request_and_expected IN ITEMS "0.0>TRUE" "${VERSION}>TRUE" "1.0>FALSE" "0.99>FALSE")
  string(REPLACE ">" ";" request_and_expected "${request_and_expected}")
  list(GET request_and_expected 0 PACKAGE_FIND_VERSION)
  list(GET request_and_expected 1 expected)
  string(REGEX MATCH "^[0-9]+" PACKAGE_FIND_VERSION_MAJOR "${PACKAGE_FIND_VERSION}")
  unset(PACKAGE_VERSION_COMPATIBLE)
  include("${package}/nick_tracker-config-version.cmake")
  if(NOT PACKAGE_VERSION_COMPATIBLE STREQUAL expected)
    problem("a request for version ${PACKAGE_FIND_VERSION} gives compatible="
            "'${PACKAGE_VERSION_COMPATIBLE}', expected ${expected}")
  endif()
endforeach()

foreach(file IN ITEMS "${package}/nick_tracker-config.cmake"
                      "${package}/nick_tracker-config-version.cmake"
                      "${lib}/pkgconfig/nick_tracker.pc")
  file(READ "${file}" content)
  foreach(path IN LISTS FORBIDDEN_PATHS)
    string(FIND "${content}" "${path}" position)
    if(NOT position EQUAL -1)
      problem("${file} refers to ${path}")
    endif()
  endforeach()
endforeach()

if(problems)
  message(FATAL_ERROR "The installed tree in ${PREFIX} is wrong:\n${problems}")
endif()
