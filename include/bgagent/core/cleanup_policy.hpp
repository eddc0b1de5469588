// SPDX-License-Identifier: MIT
// bgagent/core/cleanup_policy.hpp: CleanupPolicy, what happens to a task's output file once the
// task settles (LaunchOptions::cleanup). Thread safety: a value type.
#pragma once

namespace bgagent {

/// What happens to a task's output file once it settles.
enum class CleanupPolicy {
  Keep,             ///< leave it: the agent's record, for a host that reads it after
  DeleteOnSuccess,  ///< remove it when the task succeeded, keep it (its path in the error) else
  DeleteAlways,     ///< remove it whatever the outcome
};

}  // namespace bgagent
