// bgagent/detail/worker_threads.hpp: the runtime's record of in-process agents' threads. It
// knows every running one (so a shutdown can stop them and wait for their endings) and joins the
// threads of detached agents once they have finished: no thread of its own, and never a join
// that waits for an agent's work (a thread is joined only after it says it has finished).
// A part of the runtime's loop.
// Thread safety: track(), adopt() and finished() from any thread; the rest on the loop's.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <algorithm>
#include <atomic>
#include <bgagent/detail/agent_control.hpp>
#include <bgagent/detail/event_loop.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace bgagent::detail {

/// One in-process agent's thread, as the runtime sees it.
struct WorkerRecord {
  /// Requests the agent's stop token, recording why. Set before the thread starts.
  std::function<void(EndReason)> stop;
  /// Raised by the thread as its very last act, after the ending is written.
  std::atomic<bool> finished{false};
};

class WorkerThreads final : public LoopPart {
 public:
  explicit WorkerThreads(const EventLoop& loop) : loop_(loop) {}

  /// Starts following a running agent. Once the runtime is shutting down, the agent is stopped
  /// at once (a launch that raced with the shutdown).
  void track(const std::shared_ptr<WorkerRecord>& record) {
    bool stopNow = false;
    {
      std::lock_guard lock(mutex_);
      running_.push_back(record);
      stopNow = closed_;
    }
    if (stopNow) record->stop(EndReason::HostShutdown);
  }

  /// The thread of `record` has finished (called by that thread, last).
  void finished(WorkerRecord& record) const noexcept {
    record.finished.store(true, std::memory_order_release);
    loop_.wake();
  }

  /// Takes a detached agent's thread over; it is joined on the loop's thread once finished.
  void adopt(std::jthread thread, std::shared_ptr<WorkerRecord> record) {
    if (!thread.joinable()) return;
    {
      std::lock_guard lock(mutex_);
      adopted_.push_back({std::move(thread), std::move(record)});
    }
    loop_.wake();
  }

  /// Stops every running agent with `reason` and refuses none later (see track()).
  void stopAll(EndReason reason) {
    std::vector<std::shared_ptr<WorkerRecord>> running;
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
      running = running_;
    }
    for (const auto& record : running) {
      if (!record->finished.load(std::memory_order_acquire)) record->stop(reason);
    }
  }

  /// Whether every agent followed has finished (its ending is written).
  bool allFinished() const {
    std::lock_guard lock(mutex_);
    return std::all_of(running_.begin(), running_.end(), [](const auto& record) {
      return record->finished.load(std::memory_order_acquire);
    });
  }

  /// Joins every adopted thread, waiting for the unfinished ones (their stop was requested):
  /// the last act of a runtime's thread.
  void joinAll() {
    std::vector<Adopted> adopted;
    {
      std::lock_guard lock(mutex_);
      adopted.swap(adopted_);
    }
    adopted.clear();  // each jthread's destructor requests its stop and joins it
    std::lock_guard lock(mutex_);
    idle_.notify_all();
  }

  /// Blocks until every adopted thread has been joined, at most `timeout` (tests). True when
  /// idle.
  bool waitUntilIdle(std::chrono::steady_clock::duration timeout) {
    std::unique_lock lock(mutex_);
    return idle_.wait_for(lock, timeout, [this] { return adopted_.empty() && joining_ == 0; });
  }

  void onReady(std::uint64_t /*key*/) override {}

  void onTurn(SteadyClock::time_point /*now*/) override {
    std::vector<Adopted> toJoin;
    {
      std::lock_guard lock(mutex_);
      const auto done = [](const auto& record) {
        return record->finished.load(std::memory_order_acquire);
      };
      std::erase_if(running_, done);
      for (auto it = adopted_.begin(); it != adopted_.end();) {
        if (done(it->record)) {
          toJoin.push_back(std::move(*it));
          it = adopted_.erase(it);
        } else {
          ++it;
        }
      }
      joining_ = toJoin.size();
    }
    if (toJoin.empty()) return;
    toJoin.clear();  // finished: each join waits only for the thread's return
    std::lock_guard lock(mutex_);
    joining_ = 0;
    idle_.notify_all();
  }

  std::optional<SteadyClock::time_point> nextTimer() override { return std::nullopt; }

 private:
  struct Adopted {
    std::jthread thread;
    std::shared_ptr<WorkerRecord> record;
  };

  const EventLoop& loop_;
  mutable std::mutex mutex_;
  std::condition_variable idle_;                        // notified when adopted threads joined
  std::vector<std::shared_ptr<WorkerRecord>> running_;  // guarded by mutex_
  std::vector<Adopted> adopted_;                        // guarded by mutex_
  std::size_t joining_ = 0;                             // guarded by mutex_
  bool closed_ = false;                                 // guarded by mutex_
};

}  // namespace bgagent::detail
