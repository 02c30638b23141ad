# cmake -D PREFIX=... -D FILES=<list> -D LINKS=<list> -D SHARED=... -D FORMAT=ELF|PE
#       -D HEADER=... -D PACKAGE_DIR=... -D VERSION=... -D SONAME=... -D FORBIDDEN_PATHS=<list>
#       -D READELF=... -D NM=... -D OBJDUMP=... -P check_layout.cmake
#
# Checks the installed tree in PREFIX (paths below are relative to it): every file in FILES is
# there as a regular file, every "link>target" in LINKS is a symlink to target, the shared
# library SHARED has the SONAME (ELF) and exports exactly the functions the header declares,
# the CMake package accepts the versions ABI.md promises, and no installed text file refers to
# the build or source tree (FORBIDDEN_PATHS), which would make the package unrelocatable.
set(problems "")

macro(problem text)
  string(APPEND problems "  ${text}\n")
endmacro()

foreach(file IN LISTS FILES)
  if(NOT EXISTS "${PREFIX}/${file}" OR IS_SYMLINK "${PREFIX}/${file}")
    problem("${file} is missing or not a regular file")
  endif()
endforeach()

foreach(link_and_target IN LISTS LINKS)
  string(REPLACE ">" ";" link_and_target "${link_and_target}")
  list(GET link_and_target 0 link)
  list(GET link_and_target 1 expected)
  if(IS_SYMLINK "${PREFIX}/${link}")
    file(READ_SYMLINK "${PREFIX}/${link}" target)
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

# Exported: every defined dynamic symbol (ELF), or the DLL's export table (PE).
set(shared "${PREFIX}/${SHARED}")
if(FORMAT STREQUAL "ELF")
  run(dynamic_section "${READELF}" -d "${shared}")
  string(REGEX MATCH "Library soname: \\[([^]]*)\\]" _ "${dynamic_section}")
  if(NOT CMAKE_MATCH_1 STREQUAL SONAME)
    problem("SONAME is '${CMAKE_MATCH_1}', expected '${SONAME}'")
  endif()
  run(nm_output "${NM}" -D --defined-only "${shared}")
  string(REGEX MATCHALL "[^ \n]+\n" exported "${nm_output}")
  string(REPLACE "\n" "" exported "${exported}")
elseif(FORMAT STREQUAL "PE")
  run(headers "${OBJDUMP}" -p "${shared}")
  string(REGEX MATCH "\\[Ordinal/Name Pointer\\] Table\n([^\n]+\n)*" table "${headers}")
  string(REGEX MATCHALL "\\] [^\n]+" exported "${table}")
  string(REPLACE "] " "" exported "${exported}")
  list(REMOVE_ITEM exported "Table")  # the table's own heading
else()
  message(FATAL_ERROR "check_layout.cmake: FORMAT must be ELF or PE, not '${FORMAT}'")
endif()
# Declared: every function declaration in the header, that is a line (not a comment) starting
# with a return type and ending in "nt_...(".
file(STRINGS "${PREFIX}/${HEADER}" declarations
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

# ABI.md: a release serves programs built for any earlier release of the same major version;
# a request for a newer minor version or another major version is refused.
string(REPLACE "." ";" parts "${VERSION}")
list(GET parts 0 major)
list(GET parts 1 minor)
math(EXPR next_minor "${minor} + 1")
math(EXPR next_major "${major} + 1")
foreach(request_and_expected IN ITEMS "${major}.0>TRUE" "${major}.${minor}>TRUE"
                                      "${VERSION}>TRUE" "${major}.${next_minor}>FALSE"
                                      "${next_major}.0>FALSE")
  string(REPLACE ">" ";" request_and_expected "${request_and_expected}")
  list(GET request_and_expected 0 PACKAGE_FIND_VERSION)
  list(GET request_and_expected 1 expected)
  string(REGEX MATCH "^[0-9]+" PACKAGE_FIND_VERSION_MAJOR "${PACKAGE_FIND_VERSION}")
  unset(PACKAGE_VERSION_COMPATIBLE)
  include("${PREFIX}/${PACKAGE_DIR}/nick_tracker-config-version.cmake")
  if(NOT PACKAGE_VERSION_COMPATIBLE STREQUAL expected)
    problem("a request for version ${PACKAGE_FIND_VERSION} gives compatible="
            "'${PACKAGE_VERSION_COMPATIBLE}', expected ${expected}")
  endif()
endforeach()

foreach(file IN LISTS FILES)
  if(file MATCHES "\\.(cmake|pc)$")
    file(READ "${PREFIX}/${file}" content)
    foreach(path IN LISTS FORBIDDEN_PATHS)
      string(FIND "${content}" "${path}" position)
      if(NOT position EQUAL -1)
        problem("${file} refers to ${path}")
      endif()
    endforeach()
  endif()
endforeach()

if(problems)
  message(FATAL_ERROR "The installed tree in ${PREFIX} is wrong:\n${problems}")
endif()
