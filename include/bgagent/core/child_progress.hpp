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

struct ChildProgress {
  std::string description;
  Status status = Status::Pending;
  Progress progress;  ///< the child's latest PROGRESS, or its own roll-up
  std::filesystem::path outputPath;
};

}  // namespace bgagent
