// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/worker_threads_inl.hpp: the bodies of worker_threads.hpp's functions
// (inline in header-only mode, built once in src/bgagent.cpp in compiled mode;
// core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/runtime/detail/worker_threads.hpp>
// What the bodies use besides their header:
#include <algorithm>
#include <utility>

namespace bgagent::detail {

BGAGENT_INLINE void LoopWaker::wake() const {
  std::lock_guard lock(mutex_);
  if (loop_ != nullptr) loop_->wake();
}

BGAGENT_INLINE void LoopWaker::forget() {
  std::lock_guard lock(mutex_);
  loop_ = nullptr;
}

BGAGENT_INLINE void WorkerThreads::track(const std::shared_ptr<WorkerRecord>& record) {
  bool stopNow = false;
  {
    std::lock_guard lock(mutex_);
    running_.push_back(record);
    stopNow = closed_;
  }
  if (stopNow) record->stop(EndReason::HostShutdown);
}

BGAGENT_INLINE void WorkerThreads::finished(WorkerRecord& record) noexcept {
  record.finished.store(true, std::memory_order_release);
  try {
    if (record.waker) record.waker->wake();
  } catch (...) {
    // A mutex that failed to lock: the loop then sees the flag at its next turn.
  }
}

BGAGENT_INLINE void WorkerThreads::adopt(std::jthread thread,
                                         std::shared_ptr<WorkerRecord> record) {
  if (!thread.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    adopted_.push_back({std::move(thread), std::move(record)});
  }
  loop_.wake();
}

BGAGENT_INLINE void WorkerThreads::stopAll(EndReason reason) {
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

BGAGENT_INLINE bool WorkerThreads::allFinished() const {
  std::lock_guard lock(mutex_);
  return std::all_of(running_.begin(), running_.end(), [](const auto& record) {
    return record->finished.load(std::memory_order_acquire);
  });
}

BGAGENT_INLINE void WorkerThreads::joinAll() {
  std::vector<Adopted> adopted;
  {
    std::lock_guard lock(mutex_);
    adopted.swap(adopted_);
  }
  adopted.clear();  // each jthread's destructor requests its stop and joins it
  std::lock_guard lock(mutex_);
  idle_.notify_all();
}

BGAGENT_INLINE bool WorkerThreads::waitUntilIdle(std::chrono::steady_clock::duration timeout) {
  std::unique_lock lock(mutex_);
  return idle_.wait_for(lock, timeout, [this] { return adopted_.empty() && joining_ == 0; });
}

BGAGENT_INLINE void WorkerThreads::onTurn(SteadyClock::time_point /*now*/) {
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

BGAGENT_INLINE const LoopWaker*& WorkerThreads::runningAgentOf() noexcept {
  thread_local const LoopWaker* waker = nullptr;
  return waker;
}

}  // namespace bgagent::detail
