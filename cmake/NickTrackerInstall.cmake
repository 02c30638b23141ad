# Install rules for `cmake --install`: the libraries, the headers, a relocatable CMake package
# (find_package(nick_tracker CONFIG)) and a relocatable pkg-config file.
#
# cargo, not CMake, builds the libraries, so there are no library targets to install(TARGETS)
# or install(EXPORT). The files are installed directly, the shared library under its full
# versioned name with the usual symlink chain made here, and the package configuration that
# install(EXPORT) would have generated is written by hand (nick_tracker-config.cmake.in).
#
# Included from the top-level CMakeLists.txt after the imported targets are defined; uses
# NT_SHARED_LIBRARY, NT_STATIC_LIBRARY and NT_SONAME from there.

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# Both the CMake package and the pkg-config file locate everything relative to themselves.
foreach(_nt_dir CMAKE_INSTALL_LIBDIR CMAKE_INSTALL_INCLUDEDIR)
  if(IS_ABSOLUTE "${${_nt_dir}}")
    message(FATAL_ERROR "${_nt_dir} must be relative to the install prefix: "
                        "the installed package and pkg-config file are relocatable")
  endif()
endforeach()

set(_nt_real_name "libnick_tracker.so.${PROJECT_VERSION}")
set(_nt_generated "${CMAKE_CURRENT_BINARY_DIR}/install-files")
set(_nt_cmake_dir "${CMAKE_INSTALL_LIBDIR}/cmake/nick_tracker")

# Shared library: libnick_tracker.so -> libnick_tracker.so.0 -> libnick_tracker.so.0.2.0, the
# layout a CMake-built library would have. install(FILES) copies symlinks as symlinks.
install(PROGRAMS "${NT_SHARED_LIBRARY}"
        DESTINATION "${CMAKE_INSTALL_LIBDIR}" RENAME "${_nt_real_name}")
file(MAKE_DIRECTORY "${_nt_generated}")
file(CREATE_LINK "${_nt_real_name}" "${_nt_generated}/${NT_SONAME}" SYMBOLIC)
file(CREATE_LINK "${NT_SONAME}" "${_nt_generated}/libnick_tracker.so" SYMBOLIC)
install(FILES "${_nt_generated}/${NT_SONAME}" "${_nt_generated}/libnick_tracker.so"
        DESTINATION "${CMAKE_INSTALL_LIBDIR}")
install(FILES "${NT_STATIC_LIBRARY}" DESTINATION "${CMAKE_INSTALL_LIBDIR}")

install(FILES "${PROJECT_SOURCE_DIR}/include/nick_tracker.h"
              "${PROJECT_SOURCE_DIR}/include/nick_tracker.hpp"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")

# CMake package. PATH_VARS become paths relative to the installed config file, so the
# installed tree can be moved anywhere.
configure_package_config_file(
  "${CMAKE_CURRENT_LIST_DIR}/nick_tracker-config.cmake.in"
  "${_nt_generated}/nick_tracker-config.cmake"
  INSTALL_DESTINATION "${_nt_cmake_dir}"
  PATH_VARS CMAKE_INSTALL_LIBDIR CMAKE_INSTALL_INCLUDEDIR)
write_basic_package_version_file(
  "${_nt_generated}/nick_tracker-config-version.cmake"
  COMPATIBILITY SameMajorVersion)
install(FILES "${_nt_generated}/nick_tracker-config.cmake"
              "${_nt_generated}/nick_tracker-config-version.cmake"
        DESTINATION "${_nt_cmake_dir}")

# pkg-config file. Its prefix is found from the .pc file's own location (${pcfiledir}) for
# the same reason: relocation.
file(RELATIVE_PATH NT_PC_PREFIX_FROM_PCFILEDIR "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
string(REGEX REPLACE "/$" "" NT_PC_PREFIX_FROM_PCFILEDIR "${NT_PC_PREFIX_FROM_PCFILEDIR}")
configure_file("${CMAKE_CURRENT_LIST_DIR}/nick_tracker.pc.in"
               "${_nt_generated}/nick_tracker.pc" @ONLY)
install(FILES "${_nt_generated}/nick_tracker.pc"
        DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
