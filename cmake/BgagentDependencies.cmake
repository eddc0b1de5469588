# SPDX-License-Identifier: MIT
# bgagent's one library dependency, nlohmann_json: the installed package when there is one
# (Debian's nlohmann-json3-dev), a pinned release fetched otherwise.
include(FetchContent)

if(NOT TARGET nlohmann_json::nlohmann_json)
  if(BGAGENT_INSTALL)
    # When the fetched copy is used, its export set must be installed beside ours, or our
    # installed package would name a target nobody installs.
    set(JSON_Install ON CACHE BOOL "Install nlohmann_json with bgagent" FORCE)
  endif()
  # CMake 3.25.1 needs SYSTEM right after the content name.
  FetchContent_Declare(nlohmann_json SYSTEM
    URL https://github.com/nlohmann/json/releases/download/v3.11.3/json.tar.xz
    URL_HASH SHA256=d6c65aca6b1ed68e7a182f4757257b107ae403032760ed6ef121c9d55e81757d
    FIND_PACKAGE_ARGS 3.11 CONFIG)
  FetchContent_MakeAvailable(nlohmann_json)
endif()
