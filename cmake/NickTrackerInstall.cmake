# Install rules for `cmake --install`: the libraries, the headers, the licence files, a
# relocatable CMake package (find_package(nick_tracker CONFIG)) and relocatable pkg-config files
# (nick_tracker.pc for the shared library, nick_tracker-static.pc for the static one).
#
# cargo, not CMake, builds the libraries, so there are no library targets to install(TARGETS)
# or install(EXPORT). The files are installed directly with the layout a CMake-built library
# would have on the platform (cmake/NickTrackerPlatform.cmake names them):
#   Linux    lib/libnick_tracker.so.X.Y.Z, symlinks libnick_tracker.so.X and libnick_tracker.so
#   macOS    lib/libnick_tracker.X.Y.Z.dylib, symlinks libnick_tracker.X.dylib and .dylib
#   Windows  bin/nick_tracker.dll, lib/libnick_tracker.dll.a (MinGW) or nick_tracker.dll.lib
#            (MSVC) to link it
# plus the static library, and the package configuration that install(EXPORT) would have
# generated is written from templates (nick_tracker-config.cmake.in, nick_tracker.pc.in).
#
# Included from the top-level CMakeLists.txt (when NT_INSTALL is on) after the imported targets
# are defined; uses NT_SHARED_LIBRARY, NT_IMPORT_LIBRARY, NT_STATIC_LIBRARY, the NT_* names
# from nt_library_names() and NT_STATIC_LINK_LIBRARIES from there.

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# Both the CMake package and the pkg-config files locate everything relative to themselves.
foreach(_nt_dir CMAKE_INSTALL_LIBDIR CMAKE_INSTALL_BINDIR CMAKE_INSTALL_INCLUDEDIR)
  if(IS_ABSOLUTE "${${_nt_dir}}")
    message(FATAL_ERROR "${_nt_dir} must be relative to the install prefix: "
                        "the installed package and pkg-config files are relocatable")
  endif()
endforeach()

set(_nt_generated "${CMAKE_CURRENT_BINARY_DIR}/install-files")
set(_nt_cmake_dir "${CMAKE_INSTALL_LIBDIR}/cmake/nick_tracker")
file(MAKE_DIRECTORY "${_nt_generated}")

# Shared library, relative to the prefix as the package configuration refers to it.
if(NT_SHARED_IN_BIN)
  set(NT_INSTALLED_SHARED "${CMAKE_INSTALL_BINDIR}/${NT_INSTALL_SHARED}")
else()
  set(NT_INSTALLED_SHARED "${CMAKE_INSTALL_LIBDIR}/${NT_INSTALL_SHARED}")
endif()
get_filename_component(_nt_shared_destination "${NT_INSTALLED_SHARED}" DIRECTORY)
install(PROGRAMS "${NT_SHARED_LIBRARY}"
        DESTINATION "${_nt_shared_destination}" RENAME "${NT_INSTALL_SHARED}")
# Its symlinks, made here and installed as symlinks (install(FILES) copies them as they are).
foreach(_nt_link IN LISTS NT_INSTALL_LINKS)
  string(REPLACE ">" ";" _nt_link "${_nt_link}")
  list(GET _nt_link 0 _nt_link_name)
  list(GET _nt_link 1 _nt_link_target)
  file(CREATE_LINK "${_nt_link_target}" "${_nt_generated}/${_nt_link_name}" SYMBOLIC)
  install(FILES "${_nt_generated}/${_nt_link_name}" DESTINATION "${CMAKE_INSTALL_LIBDIR}")
endforeach()
set(NT_INSTALLED_IMPLIB "")
if(NT_IMPORT_LIBRARY)
  set(NT_INSTALLED_IMPLIB "${CMAKE_INSTALL_LIBDIR}/${NT_CARGO_IMPLIB}")
  install(FILES "${NT_IMPORT_LIBRARY}" DESTINATION "${CMAKE_INSTALL_LIBDIR}")
endif()
set(NT_INSTALLED_STATIC "${CMAKE_INSTALL_LIBDIR}/${NT_CARGO_STATIC}")
install(FILES "${NT_STATIC_LIBRARY}" DESTINATION "${CMAKE_INSTALL_LIBDIR}")

install(FILES "${PROJECT_SOURCE_DIR}/include/nick_tracker.h"
              "${PROJECT_SOURCE_DIR}/include/nick_tracker.hpp"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(FILES "${PROJECT_SOURCE_DIR}/LICENSE-MIT" "${PROJECT_SOURCE_DIR}/LICENSE-APACHE"
        DESTINATION "${CMAKE_INSTALL_DOCDIR}")

# CMake package. The configuration locates the files from PACKAGE_PREFIX_DIR, which
# @PACKAGE_INIT@ computes from the config file's own location, so the installed tree can be
# moved anywhere. Properties that only some platforms have are written only there.
set(NT_CONFIG_SHARED_PROPERTIES "IMPORTED_LOCATION \"\${PACKAGE_PREFIX_DIR}/${NT_INSTALLED_SHARED}\"")
if(NT_INSTALLED_IMPLIB)
  string(APPEND NT_CONFIG_SHARED_PROPERTIES
         "\n    IMPORTED_IMPLIB \"\${PACKAGE_PREFIX_DIR}/${NT_INSTALLED_IMPLIB}\"")
else()
  string(APPEND NT_CONFIG_SHARED_PROPERTIES "\n    IMPORTED_SONAME \"${NT_SONAME}\"")
endif()
configure_package_config_file(
  "${CMAKE_CURRENT_LIST_DIR}/nick_tracker-config.cmake.in"
  "${_nt_generated}/nick_tracker-config.cmake"
  INSTALL_DESTINATION "${_nt_cmake_dir}"
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR NT_INSTALLED_STATIC)
# ABI.md: every 0.y release is backward compatible with the earlier ones (an ABI break would
# be a new major version, with a new SONAME), so a request for 0.2 accepts 0.3, not 1.0.
write_basic_package_version_file(
  "${_nt_generated}/nick_tracker-config-version.cmake"
  COMPATIBILITY SameMajorVersion)
install(FILES "${_nt_generated}/nick_tracker-config.cmake"
              "${_nt_generated}/nick_tracker-config-version.cmake"
        DESTINATION "${_nt_cmake_dir}")

# pkg-config files. Their prefix is found from the .pc file's own location (${pcfiledir}) for
# the same reason: relocation. Libs.private and the static module's Libs list what rustc says
# the static library needs.
file(RELATIVE_PATH NT_PC_PREFIX_FROM_PCFILEDIR "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
string(REGEX REPLACE "/$" "" NT_PC_PREFIX_FROM_PCFILEDIR "${NT_PC_PREFIX_FROM_PCFILEDIR}")
set(NT_PC_NATIVE_STATIC_LIBS "${_nt_native_static_libs}")
foreach(_nt_pc IN ITEMS nick_tracker nick_tracker-static)
  configure_file("${CMAKE_CURRENT_LIST_DIR}/${_nt_pc}.pc.in" "${_nt_generated}/${_nt_pc}.pc" @ONLY)
  install(FILES "${_nt_generated}/${_nt_pc}.pc" DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
endforeach()
