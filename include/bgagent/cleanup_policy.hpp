// SPDX-License-Identifier: MIT
// bgagent/cleanup_policy.hpp: CleanupPolicy, what happens to a task's output file once the task
// settles (LaunchOptions::cleanup).
// Thread safety: a value type.
#pragma once

namespace bgagent {

/// What happens to a task's output file once it settles.
enum class CleanupPolicy {
  Keep,             ///< leave it (the default: it is the agent's record)
  DeleteOnSuccess,  ///< remove it when the task succeeded
  DeleteAlways,     ///< remove it whatever the outcome
};

}  // namespace bgagent
