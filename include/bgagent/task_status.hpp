// bgagent/task_status.hpp: TaskStatus, everything a task can be in: its output file's states
// (agent_state.hpp) plus how the host ended it.
// Thread safety: a value type.
#pragma once

#include <string_view>

namespace bgagent {

/// Everything a task can be in: the file's states plus how the host ended it.
enum class TaskStatus { Pending, Running, Succeeded, Failed, Cancelled, TimedOut, Crashed };

constexpr std::string_view toString(TaskStatus status) noexcept {
  switch (status) {
    case TaskStatus::Pending:
      return "Pending";
    case TaskStatus::Running:
      return "Running";
    case TaskStatus::Succeeded:
      return "Succeeded";
    case TaskStatus::Failed:
      return "Failed";
    case TaskStatus::Cancelled:
      return "Cancelled";
    case TaskStatus::TimedOut:
      return "TimedOut";
    case TaskStatus::Crashed:
      return "Crashed";
  }
  return "Unknown";
}

}  // namespace bgagent
