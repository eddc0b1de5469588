# SPDX-License-Identifier: MIT
# bgagent's one library dependency, nlohmann_json: the installed package when there is one
# (Debian's nlohmann-json3-dev), a pinned release fetched otherwise.
include(FetchContent)

if(NOT TARGET nlohmann_json::nlohmann_json)
  find_package(nlohmann_json 3.11 CONFIG QUIET)
endif()
if(NOT TARGET nlohmann_json::nlohmann_json)
  if(BGAGENT_INSTALL)
    # When the fetched copy is used, its export set must be installed beside ours, or our
    # installed package would name a target nobody installs.
    set(JSON_Install ON CACHE BOOL "Install nlohmann_json with bgagent" FORCE)
  endif()
  # SYSTEM (CMake 3.25; 3.25.1 needs it right after the content name) keeps the fetched
  # headers out of bgagent's own warnings.
  set(bgagent_json_system "")
  if(CMAKE_VERSION VERSION_GREATER_EQUAL 3.25)
    set(bgagent_json_system SYSTEM)
  endif()
  FetchContent_Declare(nlohmann_json ${bgagent_json_system}
    URL https://github.com/nlohmann/json/releases/download/v3.11.3/json.tar.xz
    URL_HASH SHA256=d6c65aca6b1ed68e7a182f4757257b107ae403032760ed6ef121c9d55e81757d)
  FetchContent_MakeAvailable(nlohmann_json)
endif()
