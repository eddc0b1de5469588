// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/runtime_core.hpp: one runtime: one std::jthread turning one EventLoop
// whose parts are the file watches, the child processes, the timers and the in-process threads; and
// the shutdown that ends them in one documented order (docs/threading.md, rule 25).
// Thread safety: everything here may be called from any thread; shutdown() waits for the
// runtime's thread, so from that thread it throws, and from an in-process agent's thread it
// only asks.
// Lifetime: the last owner (Runtime, a task) destroys it; never in a forked child (fork_state).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <bgagent/core/detail/fork_state.hpp>
#include <bgagent/runtime/detail/backend_agents.hpp>
#include <bgagent/runtime/detail/event_loop.hpp>
#include <bgagent/runtime/detail/file_watches.hpp>
#include <bgagent/runtime/detail/process_supervisor.hpp>
#include <bgagent/runtime/detail/timer_queue.hpp>
#include <bgagent/runtime/detail/worker_threads.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace bgagent::detail {

/// How a runtime works; see bgagent::Runtime.
struct RuntimeOptions {
  /// Poll every file at its poll interval, never use inotify (tests, odd file systems).
  bool forcePolling = false;
  /// At shutdown, running process agents get SIGTERM and, this long later at most (or after
  /// their own grace period, if shorter), SIGKILL.
  SteadyClock::duration shutdownGrace = std::chrono::seconds(2);
  /// How many output files may hold a descriptor at once; the others are opened for each read
  /// (a stat while they do not change), still woken by inotify. 0: half of RLIMIT_NOFILE's
  /// soft limit, asked again when reached.
  std::size_t maxOpenOutputFiles = 0;
};

/// The error of work started, in a forked child, on a runtime its parent made.
Error runtimeOfParentError();

class RuntimeCore final : private LoopPart {
 public:
  explicit RuntimeCore(RuntimeOptions options = {});

  /// Shuts down (see shutdown()). Never destroyed in a forked child (what the child inherits
  /// is kept until exit, fork_state.hpp), where joining the parent's thread would never end.
  ~RuntimeCore();

  RuntimeCore(const RuntimeCore&) = delete;
  RuntimeCore& operator=(const RuntimeCore&) = delete;
  RuntimeCore(RuntimeCore&&) = delete;
  RuntimeCore& operator=(RuntimeCore&&) = delete;

  FileWatches& watches() noexcept { return watches_; }
  ProcessSupervisor& processes() noexcept { return processes_; }
  TimerQueue& timers() noexcept { return timers_; }
  WorkerThreads& threads() noexcept { return threads_; }
  BackendAgents& backendAgents() noexcept { return backendAgents_; }

  /// Whether the calling thread is the runtime's (where callbacks and continuations run).
  bool isLoopThread() const noexcept { return loop_.isLoopThread(); }

  /// False once shutdown() was called, and in a forked child: no new agent starts.
  bool acceptsWork() const noexcept { return !refusal(); }

  /// Why no new work starts here, or nullopt when it does.
  std::optional<Error> refusal() const;

  /// Whether this process is a fork of the one that made the runtime: its thread does not exist
  /// here, so nothing of it may be waited for or touched.
  bool forkedAway() const noexcept {
    return ownerPid_ != currentPid().load(std::memory_order_relaxed);
  }

  /// Ends the runtime in the order of docs/threading.md, rule 25: no new agent starts; every
  /// running process agent gets SIGTERM, then SIGKILL after the shorter of its grace period and
  /// shutdownGrace, and its file records "the host shut down"; every in-process agent's stop
  /// token is requested; every other backend's agent is stopped with StopReason::HostShutdown; once
  /// all of them have written their endings (or shutdownGrace and a second more have passed), every
  /// file is read a last time, open waits settle Cancelled, and the thread joins the detached
  /// agents' threads and exits. Blocks until then, then destroys the timers that never fired, here
  /// (a retry waiting out its backoff settles Cancelled). Idempotent. Throws std::logic_error from
  /// the runtime's own thread, which cannot wait for itself; from an in-process agent's thread it
  /// asks and returns (waiting would wait for the caller's own ending).
  void shutdown();

  /// SIGKILL to every running agent's group, without waiting: for an exit that cannot wait (one
  /// called from the runtime's own thread).
  void killAllNow() noexcept { processes_.killAllGroupsNow(); }

 private:
  enum Part : std::size_t { kWatches, kProcesses, kTimers, kThreads, kShutdown };
  enum class Phase { Running, Draining, Done };
  // Reaping what SIGKILL ended takes a moment more than the grace period.
  static constexpr std::chrono::seconds kReapMargin{1};

  void run();

  // The shutdown, as the loop's last part: it runs after the others in each turn.
  void onReady(std::uint64_t /*key*/) override {}

  void onTurn(SteadyClock::time_point now) override;

  std::optional<SteadyClock::time_point> nextTimer() override;

  RuntimeOptions options_;
  pid_t ownerPid_ = currentPid().load(std::memory_order_relaxed);
  std::atomic<bool> shutdownRequested_{false};
  EventLoop loop_;
  FileWatches watches_;
  ProcessSupervisor processes_{loop_, kProcesses};
  TimerQueue timers_{loop_};
  WorkerThreads threads_{loop_};
  BackendAgents backendAgents_;
  Phase phase_ = Phase::Running;                     // the thread's own
  SteadyClock::time_point drainUntil_{};             // the thread's own
  std::vector<TimerQueue::Callback> droppedTimers_;  // the thread's, then joinMutex_'s
  std::mutex joinMutex_;
  std::jthread thread_;  // last: started after every member above exists; joined under joinMutex_
};

}  // namespace bgagent::detail

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/runtime/detail/runtime_core_inl.hpp>
#endif
