// SPDX-License-Identifier: MIT
// bgagent/agents/task.hpp: Task<T>, the handle to a running agent.
//
// Owns: Task<T> (T defaults to nlohmann::json; any T with from_json, such as a struct with
// NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE, works). A task is settled by its output file, read by
// its runtime: Succeeded (the RESULT converted to T), Failed, Cancelled, TimedOut or
// Crashed. waiting returns Result<T> and never throws for an agent's failure; get() throws
// bgagent::Exception naming the agent, its output file and the error.
// Thread safety: a Task may be queried and waited on from several threads; moving or
// destroying it may not race with those calls.
// Lifetime: destroying a Task that has not settled cancels its agent: a process agent's group
// gets SIGTERM, the grace period, SIGKILL and is reaped by the supervisor (asynchronously,
// bounded by the grace period); an in-process agent's stop token is requested and its thread
// joined (bounded by how often the callable checks the token, docs/threading.md). detach() lets
// an agent outlive its handle. In a child made by fork(), a task of the parent's is the
// parent's: waiting on it fails at once (it would never settle there) and destroying it stops
// nothing.
// Example:
//   bgagent::Task<Report> task = bgagent::launch<Report>({.description = "tests",
//                                                         .prompt = "make test"});
//   Report report = task.get();
#pragma once

#include <bgagent/agents/agent_backend.hpp>
#include <bgagent/agents/detail/task_state.hpp>
#include <bgagent/core/detail/config.hpp>
#include <bgagent/core/detail/file_system.hpp>
#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

namespace bgagent {

namespace detail {
struct TaskAccess;

/// Whether stopping `state`'s agent has something left to do: it has a stopper and its agent is
/// not known to have ended.
inline bool agentMayRun(const TaskCore& state) noexcept {
  return state.stopAgent && !(state.agent && state.agent->ended());
}
}  // namespace detail

// Dropping a Task at once would cancel its agent as it starts (its destructor cancels), so every
// function that returns one (launch, runInThread, each combinator) warns when it is.
/// The handle to an agent running in the background, or to a combinator's work: it settles once
/// as Succeeded with a T read from the RESULT (nlohmann_json's from_json), or as Failed,
/// Cancelled, TimedOut or Crashed with an Error. wait() and waitFor() return Result<T>; get()
/// throws. Move-only; destroying it before it settles cancels the agent, detach() does not.
template <typename T = nlohmann::json>
class BGAGENT_NODISCARD_TASK Task {
 public:
  Task() = default;
  /// Used by launch() and the combinators; hosts get tasks from them, not from here.
  explicit Task(std::shared_ptr<detail::TaskState<T>> state) : state_(std::move(state)) {}
  /// Takes over `other`'s agent; `other` becomes empty.
  Task(Task&&) noexcept = default;
  /// Cancels this task's agent if it has not settled (as the destructor does), then takes over
  /// `other`'s; `other` becomes empty.
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      abandon();
      state_ = std::move(other.state_);
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { abandon(); }

  /// False for an empty Task (default-constructed, moved from or detached), whose queries,
  /// waits and cancel() throw std::logic_error.
  bool valid() const noexcept { return state_ != nullptr; }
  /// A number unique to this task in this process, combined tasks included (event logs use it).
  std::uint64_t id() const { return state().id; }
  /// LaunchOptions::description, or the combinator's own description.
  const std::string& description() const { return state().description; }
  /// The agent's output file; empty for a combined task or a launch that made no file.
  const std::filesystem::path& outputPath() const { return state().outputPath; }

  /// Where the task stands now: Pending, Running, then how it settled.
  Status status() const {
    std::lock_guard lock(state().mutex);
    return state().status;
  }
  /// Whether the task has settled, so status() no longer changes.
  bool settled() const { return isSettled(status()); }

  /// A copy of what the output file has said so far.
  OutputSnapshot snapshot() const {
    std::lock_guard lock(state().mutex);
    return state().snapshot;
  }

  /// A combined task's inputs (a combinator's, in input order) with their status and latest
  /// progress; empty for an agent. The task's own snapshot().progress says "k/n settled".
  std::vector<ChildProgress> children() const {
    return state().children ? state().children() : std::vector<ChildProgress>{};
  }

  /// Time since launch, or from launch to settling.
  SteadyClock::duration duration() const {
    std::lock_guard lock(state().mutex);
    return state().settledAt.value_or(SteadyClock::now()) - state().startedAt;
  }

  /// Waits until the task settles; its value or its error.
  Result<T> wait() const {
    if (std::optional<Error> error = unreachable()) return *std::move(error);
    return state().future.get();
  }

  /// Waits at most `timeout`; a DeadlineExceeded error if the task is still running (it runs on).
  template <typename Rep, typename Period>
  Result<T> waitFor(std::chrono::duration<Rep, Period> timeout) const {
    return waitUntil(detail::saturatingAdd<SteadyClock>(SteadyClock::now(), timeout));
  }

  /// Waits until `deadline`; a DeadlineExceeded error if the task is still running (it runs on).
  Result<T> waitUntil(SteadyClock::time_point deadline) const {
    if (std::optional<Error> error = unreachable()) return *std::move(error);
    if (state().future.wait_until(deadline) == std::future_status::ready) return wait();
    return Error::of(ErrorCode::DeadlineExceeded,
                     "agent '" + description() + "' is still running (output file '" +
                         outputPath().string() + "')",
                     outputPath().string());
  }

  /// The value; throws bgagent::Exception with the agent's error otherwise.
  T get() const { return wait().value(); }

  /// The standard view, for code that wants std::shared_future.
  std::shared_future<Result<T>> sharedFuture() const { return state().future; }

  /// Stops the agent (asynchronously); the task then settles as Cancelled.
  void cancel() const { state().requestStop(EndReason::Cancelled); }

  /// Lets the agent run on without this handle; the Task becomes empty. Its cleanup policy still
  /// applies when it settles: launch with CleanupPolicy::Keep to read a success's file later.
  void detach() noexcept {
    if (!state_) return;
    if (forkedAway()) {
      keepParentsStateUntilExit();
      return;
    }
    // Whatever the agent runs in this process (an in-process agent's thread) is joined by the
    // runtime once it has finished, never by whichever thread lets go of the state last.
    try {
      if (state_->agent) state_->agent->detach();
    } catch (...) {
      // Allocation failed: the thread is then joined when its state goes.
    }
    if (state_->future.wait_for(std::chrono::seconds(0)) == std::future_status::ready &&
        !state_->watchSettled.load(std::memory_order_acquire)) {
      state_->watch.cancel();  // nothing left to settle: see abandon()
    }
    state_.reset();
  }

 private:
  using EndReason = detail::EndReason;

  detail::TaskState<T>& state() const {
    if (!state_) throw std::logic_error("bgagent: use of an empty Task");
    return *state_;
  }

  // A task of the parent's, in a child made by fork(): its runtime's thread is not here.
  bool forkedAway() const noexcept {
    return state_->ownerPid != detail::currentPid().load(std::memory_order_relaxed);
  }

  // Why waiting would never end, if it would not: a forked child waiting on the parent's task.
  std::optional<Error> unreachable() const {
    const detail::TaskState<T>& shared = state();  // throws for an empty Task
    if (shared.ownerPid == detail::currentPid().load(std::memory_order_relaxed) ||
        shared.future.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
      return std::nullopt;
    }
    return Error::of(ErrorCode::InvalidArgument,
                     "agent '" + description() +
                         "' belongs to the process that launched it, not to this forked child: "
                         "it cannot be waited for here (output file '" +
                         outputPath().string() + "')",
                     outputPath().string());
  }

  // In a forked child the parent's state must never be destroyed: its thread's join, and any
  // lock a parent's thread held at the fork, would never end. It is kept until exit.
  void keepParentsStateUntilExit() noexcept {
    std::shared_ptr<void> parents = std::move(state_);
    detail::keepUntilExit(parents);
  }

  // The agent may run on after its task settled (an [ERROR] settles at once, P21): stop it
  // either way. The supervisor ignores agents that have finished.
  void abandon() noexcept {
    if (!state_) return;
    if (forkedAway()) {
      keepParentsStateUntilExit();
      return;
    }
    try {
      if (state_->future.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        cancel();
      } else {
        if (detail::agentMayRun(*state_)) state_->stopAgent(EndReason::Cancelled);
        // Settled without the watcher (a lost ending): its watch holds the state, and the state
        // the watch, so only ending the watch here lets both go.
        if (!state_->watchSettled.load(std::memory_order_acquire)) state_->watch.cancel();
      }
    } catch (...) {
      // Destructors never throw; the watcher still settles the task.
    }
    if (state_->agent) {
      try {
        state_->agent->join();
      } catch (...) {
        // A backend's join that throws leaves its agent to end with its state.
      }
    }
    state_.reset();
  }

  friend struct detail::TaskAccess;
  std::shared_ptr<detail::TaskState<T>> state_;
};

namespace detail {
/// What combinators need of a Task beyond its public API: its shared state.
struct TaskAccess {
  template <typename T>
  static const std::shared_ptr<TaskState<T>>& state(const Task<T>& task) {
    return task.state_;
  }
};
}  // namespace detail

}  // namespace bgagent
