# SPDX-License-Identifier: MIT
# The version has one home, include/bgagent/core/version.hpp, which programs see; CMake, the
# package's version file and the pkg-config file read it from there. Sets BGAGENT_VERSION.
file(STRINGS "${CMAKE_CURRENT_LIST_DIR}/../include/bgagent/core/version.hpp" bgagent_version_lines
  REGEX "^#define BGAGENT_VERSION_(MAJOR|MINOR|PATCH) [0-9]+$")
set(BGAGENT_VERSION "")
foreach(part IN ITEMS MAJOR MINOR PATCH)
  string(REGEX MATCH "BGAGENT_VERSION_${part} ([0-9]+)" found "${bgagent_version_lines}")
  if(NOT found)
    message(FATAL_ERROR "include/bgagent/core/version.hpp defines no BGAGENT_VERSION_${part}")
  endif()
  list(APPEND BGAGENT_VERSION "${CMAKE_MATCH_1}")
endforeach()
list(JOIN BGAGENT_VERSION "." BGAGENT_VERSION)
