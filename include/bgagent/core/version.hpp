// SPDX-License-Identifier: MIT
// bgagent/core/version.hpp: the library's version, as macros for the preprocessor and as a value.
#pragma once

#define BGAGENT_VERSION_MAJOR 0
#define BGAGENT_VERSION_MINOR 1
#define BGAGENT_VERSION_PATCH 0

/// Everything public in bgagent; `bgagent::detail` is internal and may change in any release.
/// Start from launch() (agents/agent_registry.hpp), Task, waitForCompletion() and OutputWriter.
namespace bgagent {

/// The version of the headers in use, as numbers a program can compare.
struct Version {
  int major;  ///< BGAGENT_VERSION_MAJOR
  int minor;  ///< BGAGENT_VERSION_MINOR; until 1.0, a new minor version may change the API
  int patch;  ///< BGAGENT_VERSION_PATCH
};

/// The version of the headers this translation unit was compiled against.
constexpr Version version() noexcept {
  return {BGAGENT_VERSION_MAJOR, BGAGENT_VERSION_MINOR, BGAGENT_VERSION_PATCH};
}

}  // namespace bgagent
