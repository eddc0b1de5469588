// SPDX-License-Identifier: MIT
// bgagent/agents/task_view.hpp: TaskView, a read-only view of any task for whoever watches it.
//
// Owns: TaskView, TaskSample and TaskSubscription. A view is made from any Task<T> and forgets
// T: what the task is now (sample(), one consistent reading), what happens to it (subscribe():
// its events, a late subscriber caught up first), when it settles (whenSettled()), and
// cancel(). Dashboards and event logs see tasks only through it; a host's own UI can too.
// Thread safety: every member may be called from any thread. Listeners and continuations run
// on the thread that reports or settles (often the runtime's): they must be quick, and a
// listener must not call back into the task.
// Lifetime: a view keeps the task's state alive, not its agent: destroying the Task still
// cancels the agent, and destroying a view stops nothing. A subscription ends when destroyed.
// Example:
//   bgagent::TaskView view(task);
//   auto events = view.subscribe([](std::string_view kind, const nlohmann::json& fields) {
//     std::printf("%.*s %s\n", int(kind.size()), kind.data(), fields.dump().c_str()); });
//   std::printf("%s\n", std::string(toString(view.sample().status)).c_str());
#pragma once

#include <bgagent/agents/detail/task_core.hpp>
#include <bgagent/agents/task.hpp>
#include <bgagent/core/clock.hpp>
#include <bgagent/core/progress.hpp>
#include <bgagent/core/status.hpp>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace bgagent {

/// A task as it is at one moment.
struct TaskSample {
  Status status = Status::Pending;   ///< as Task::status() says
  SteadyClock::duration duration{};  ///< since launch, or from launch to settling
  Progress progress;                 ///< the latest PROGRESS, or a combined task's roll-up
  /// Since the agent last wrote a byte (output or HEARTBEAT); none before its first.
  std::optional<SteadyClock::duration> silentFor;
};

/// A subscription to a task's events; it ends when destroyed, or by end().
class TaskSubscription {
 public:
  TaskSubscription() = default;
  /// Takes over `other`'s subscription; `other` becomes empty.
  TaskSubscription(TaskSubscription&& other) noexcept
      : control_(std::move(other.control_)), id_(std::exchange(other.id_, 0)) {}
  /// Ends this subscription, then takes over `other`'s; `other` becomes empty.
  TaskSubscription& operator=(TaskSubscription&& other) noexcept;
  TaskSubscription(const TaskSubscription&) = delete;
  TaskSubscription& operator=(const TaskSubscription&) = delete;
  ~TaskSubscription();

  /// Once this returns, the listener is not running and never runs again.
  void end() noexcept;

 private:
  friend class TaskView;
  TaskSubscription(std::weak_ptr<detail::AgentControl> control, std::uint64_t id)
      : control_(std::move(control)), id_(id) {}
  std::weak_ptr<detail::AgentControl> control_;  // the task's; weak: a log keeps no task alive
  std::uint64_t id_ = 0;
};

/// A read-only view of any task, whatever its T: its state now (sample()), its events
/// (subscribe()), its settling (whenSettled()) and cancel(). Keeps the task's state alive, not
/// its agent.
class TaskView {
 public:
  /// `kind` ("started", "progress", "attempt", "cancelRequested", "killed", "settled") and its
  /// fields, as docs/dashboard.md's event table lists them.
  using EventListener = std::function<void(std::string_view kind, const nlohmann::json& fields)>;

  /// Views `task`; std::invalid_argument for an empty Task.
  template <typename T>
  explicit TaskView(const Task<T>& task) : core_(detail::TaskAccess::state(task)) {
    if (!core_) throw std::invalid_argument("bgagent: a TaskView of an empty Task");
  }

  /// As Task::id().
  std::uint64_t id() const noexcept { return core_->id; }
  /// As Task::description().
  const std::string& description() const noexcept { return core_->description; }
  /// As Task::outputPath().
  const std::filesystem::path& outputPath() const noexcept { return core_->outputPath; }

  /// The task's status, duration, progress and silence, read together under one lock.
  TaskSample sample() const;

  /// Tells `listener` every event of the task: those that happened already first, each with
  /// its own elapsedMs, then each new one as it happens; none twice, none out of order. A
  /// settled task's catch-up ends with "settled" and any kill after it; its agent may still
  /// run, and a later kill is told as it happens.
  TaskSubscription subscribe(EventListener listener) const;

  /// Runs `continuation` once the task has settled: now, on this thread, if it has; otherwise
  /// on the thread that settles it.
  void whenSettled(std::function<void()> continuation) const {
    core_->whenSettled(std::move(continuation));
  }

  /// Stops the task, as Task::cancel() does.
  void cancel() const { core_->requestStop(detail::EndReason::Cancelled); }

 private:
  std::shared_ptr<detail::TaskCore> core_;
};

}  // namespace bgagent

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/agents/task_view_inl.hpp>
#endif
