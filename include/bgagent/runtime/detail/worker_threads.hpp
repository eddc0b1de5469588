// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/worker_threads.hpp: the runtime's record of in-process agents' threads. It
// knows every running one (so a shutdown can stop them and wait for their endings) and joins the
// threads of detached agents once they have finished: no thread of its own, and never a join
// that waits for an agent's work (a thread is joined only after it says it has finished).
// A part of the runtime's loop.
// Thread safety: track(), adopt() and finished() from any thread; the rest on the loop's.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <atomic>
#include <bgagent/runtime/detail/agent_control.hpp>
#include <bgagent/runtime/detail/event_loop.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace bgagent::detail {

/// Wakes a runtime's loop for as long as the runtime exists, and does nothing after: what an
/// agent's thread holds instead of the runtime itself, so that thread never owns (and so never
/// destroys, and never joins from within) the runtime.
class LoopWaker {
 public:
  explicit LoopWaker(const EventLoop& loop) : loop_(&loop) {}
  void wake() const;
  /// The runtime is going away: later wakes do nothing.
  void forget();

 private:
  mutable std::mutex mutex_;
  const EventLoop* loop_;  // guarded by mutex_
};

/// One in-process agent's thread, as the runtime sees it.
struct WorkerRecord {
  /// Requests the agent's stop token, recording why. Set before track().
  std::function<void(EndReason)> stop;
  /// Raised by the thread as its very last act, after the ending is written.
  std::atomic<bool> finished{false};
  /// How the thread tells the runtime it has finished; set before the thread starts.
  std::shared_ptr<const LoopWaker> waker;
};

class WorkerThreads final : public LoopPart {
 public:
  explicit WorkerThreads(const EventLoop& loop) : loop_(loop) {}
  WorkerThreads(const WorkerThreads&) = delete;
  WorkerThreads& operator=(const WorkerThreads&) = delete;
  WorkerThreads(WorkerThreads&&) = delete;
  WorkerThreads& operator=(WorkerThreads&&) = delete;
  ~WorkerThreads() { waker_->forget(); }

  /// What an agent's thread keeps to tell this runtime it has finished (WorkerRecord::waker).
  std::shared_ptr<const LoopWaker> waker() const noexcept { return waker_; }

  /// Starts following a running agent (its record's stop is set). Once the runtime is
  /// shutting down, the agent is stopped at once (a launch that raced with the shutdown).
  void track(const std::shared_ptr<WorkerRecord>& record);

  /// The thread of `record` has finished (called by that thread, last). Touches only the
  /// record: the runtime may be gone.
  static void finished(WorkerRecord& record) noexcept;

  /// Whether the calling thread is one of the agents' followed here.
  bool isWorkerThread() const noexcept { return runningAgentOf() == waker_.get(); }

  /// Marks the calling thread as an agent of the runtime `waker` wakes, until cleared with
  /// nullptr (the agent's thread, first and before it says it has finished). A thread-local,
  /// not a thread id: ids of joined threads are reused.
  static void markAgentThread(const LoopWaker* waker) noexcept { runningAgentOf() = waker; }

  /// Takes a detached agent's thread over; it is joined on the loop's thread once finished.
  void adopt(std::jthread thread, std::shared_ptr<WorkerRecord> record);

  /// Stops every running agent with `reason` and refuses none later (see track()).
  void stopAll(EndReason reason);

  /// Whether every agent followed has finished (its ending is written).
  bool allFinished() const;

  /// Joins every adopted thread, waiting for the unfinished ones (their stop was requested):
  /// the last act of a runtime's thread. Threads adopted later wait for the runtime's
  /// destruction (the default runtime's, for the process's end).
  void joinAll();

  /// Blocks until every adopted thread has been joined, at most `timeout` (tests). True when
  /// idle.
  bool waitUntilIdle(std::chrono::steady_clock::duration timeout);

  void onReady(std::uint64_t /*key*/) override {}

  void onTurn(SteadyClock::time_point /*now*/) override;

  std::optional<SteadyClock::time_point> nextTimer() override { return std::nullopt; }

 private:
  static const LoopWaker*& runningAgentOf() noexcept;

  struct Adopted {
    std::jthread thread;
    std::shared_ptr<WorkerRecord> record;
  };

  const EventLoop& loop_;
  std::shared_ptr<LoopWaker> waker_ = std::make_shared<LoopWaker>(loop_);
  mutable std::mutex mutex_;
  std::condition_variable idle_;                        // notified when adopted threads joined
  std::vector<std::shared_ptr<WorkerRecord>> running_;  // guarded by mutex_
  std::vector<Adopted> adopted_;                        // guarded by mutex_
  std::size_t joining_ = 0;                             // guarded by mutex_
  bool closed_ = false;                                 // guarded by mutex_
};

}  // namespace bgagent::detail

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/runtime/detail/worker_threads_inl.hpp>
#endif
