// bgagent/detail/thread_reaper.hpp: joins the threads of detached in-process agents. A detached
// agent's thread must still be joined (no thread is ever detached), but not by whichever thread
// drops its task last: that may be the shared watcher's, which every wait needs. The reaper's
// own thread joins them as they are handed over.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/detail/config.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <thread>
#include <utility>
#include <vector>

namespace bgagent::detail {

class ThreadReaper {
 public:
  ThreadReaper() : thread_([this](const std::stop_token& stop) { run(stop); }) {}
  ~ThreadReaper() {
    thread_.request_stop();
    thread_.join();
  }
  ThreadReaper(const ThreadReaper&) = delete;
  ThreadReaper& operator=(const ThreadReaper&) = delete;
  ThreadReaper(ThreadReaper&&) = delete;
  ThreadReaper& operator=(ThreadReaper&&) = delete;

  static ThreadReaper& shared() {
    static ThreadReaper reaper;
    return reaper;
  }

  /// Blocks until every thread handed over so far has been joined, at most `timeout` (tests:
  /// nothing left running). True when idle.
  bool waitUntilIdle(std::chrono::steady_clock::duration timeout) {
    std::unique_lock lock(mutex_);
    return idle_.wait_for(lock, timeout, [this] { return adopted_.empty() && joining_ == 0; });
  }

  /// Takes `thread` over and joins it on the reaper's thread.
  void adopt(std::jthread thread) {
    if (!thread.joinable()) return;
    {
      std::lock_guard lock(mutex_);
      adopted_.push_back(std::move(thread));
    }
    changed_.notify_all();
  }

 private:
  void run(const std::stop_token& stop) {
    std::unique_lock lock(mutex_);
    while (true) {
      changed_.wait(lock, stop, [this] { return !adopted_.empty(); });
      std::vector<std::jthread> toJoin;
      toJoin.swap(adopted_);
      joining_ = toJoin.size();
      lock.unlock();
      toJoin.clear();  // each jthread's destructor requests its stop and joins it
      lock.lock();
      joining_ = 0;
      idle_.notify_all();
      if (stop.stop_requested() && adopted_.empty()) return;
    }
  }

  std::mutex mutex_;
  std::condition_variable_any changed_;
  std::condition_variable idle_;       // notified when a batch has been joined
  std::vector<std::jthread> adopted_;  // guarded by mutex_
  std::size_t joining_ = 0;            // guarded by mutex_
  std::jthread thread_;                // last: started after the members it uses
};

}  // namespace bgagent::detail
