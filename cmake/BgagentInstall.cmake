# SPDX-License-Identifier: MIT
# Install rules: headers, the license, a pkg-config file, the exported target bgagent::bgagent
# (and bgagent::compiled when BGAGENT_COMPILED is on) and a package config that finds the same
# dependencies, so `find_package(bgagent 0.1 CONFIG REQUIRED)` works after install.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# Header-only, the package serves every architecture (share/); with the compiled library
# (BGAGENT_COMPILED) it holds a static library for this one (lib/).
if(BGAGENT_COMPILED)
  set(BGAGENT_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/bgagent")
  set(bgagent_arch_independent "")
else()
  set(BGAGENT_INSTALL_CMAKEDIR "${CMAKE_INSTALL_DATADIR}/cmake/bgagent")
  set(bgagent_arch_independent ARCH_INDEPENDENT)
endif()

install(TARGETS bgagent EXPORT bgagentTargets)
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/bgagent"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
  FILES_MATCHING PATTERN "*.hpp")
if(BGAGENT_COMPILED)
  install(TARGETS bgagent_compiled
    EXPORT bgagentTargets
    ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}")
endif()
install(EXPORT bgagentTargets
  NAMESPACE bgagent::
  DESTINATION "${BGAGENT_INSTALL_CMAKEDIR}")

configure_package_config_file(
  "${CMAKE_CURRENT_LIST_DIR}/bgagentConfig.cmake.in"
  "${CMAKE_CURRENT_BINARY_DIR}/bgagentConfig.cmake"
  INSTALL_DESTINATION "${BGAGENT_INSTALL_CMAKEDIR}")
write_basic_package_version_file(
  "${CMAKE_CURRENT_BINARY_DIR}/bgagentConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion
  ${bgagent_arch_independent})
install(FILES "${PROJECT_SOURCE_DIR}/LICENSE" DESTINATION "${CMAKE_INSTALL_DOCDIR}")
# pkg-config, for builds that do not use CMake; header-only, so under share/, not lib/.
configure_file("${CMAKE_CURRENT_LIST_DIR}/bgagent.pc.in" "${CMAKE_CURRENT_BINARY_DIR}/bgagent.pc"
  @ONLY)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/bgagent.pc"
  DESTINATION "${CMAKE_INSTALL_DATADIR}/pkgconfig")
install(FILES
  "${CMAKE_CURRENT_BINARY_DIR}/bgagentConfig.cmake"
  "${CMAKE_CURRENT_BINARY_DIR}/bgagentConfigVersion.cmake"
  DESTINATION "${BGAGENT_INSTALL_CMAKEDIR}")
