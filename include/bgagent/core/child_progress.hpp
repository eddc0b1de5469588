// SPDX-License-Identifier: MIT
// bgagent/core/child_progress.hpp: ChildProgress, one input of a combined task as its progress
// roll-up shows it (Task::children()).
// Thread safety: a value type.
#pragma once

#include <bgagent/core/progress.hpp>
#include <bgagent/core/status.hpp>
#include <filesystem>
#include <string>

namespace bgagent {

/// One input of a combined task, as Task::children() reports it.
struct ChildProgress {
  std::string description;           ///< the input's Task::description()
  Status status = Status::Pending;   ///< the input's Task::status()
  Progress progress;                 ///< the child's latest PROGRESS, or its own roll-up
  std::filesystem::path outputPath;  ///< the input's output file; empty for a combined input
};

}  // namespace bgagent
