// SPDX-License-Identifier: MIT
// bgagent/core/detail/fork_state.hpp: what fork() changes for bgagent. A child made by fork() has
// the parent's memory but none of its threads: every runtime, task and lock it inherits belongs
// to the parent. This header tells which process is running (kept up to date across fork() by
// an atfork handler, so asking costs an atomic load) and keeps what the child inherited alive
// without ever destroying it.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <new>

namespace bgagent::detail {

/// This process's id. The atfork handler that keeps it current is installed with it, before any
/// runtime exists, so every runtime and task can tell that it was inherited.
inline std::atomic<pid_t>& currentPid() noexcept {
  static std::atomic<pid_t> pid{::getpid()};
  [[maybe_unused]] static const bool tracked =
      ::pthread_atfork(nullptr, nullptr,
                       [] { currentPid().store(::getpid(), std::memory_order_relaxed); }) == 0;
  return pid;
}

/// Keeps `object` alive until the process ends, without ever destroying it: for what a forked
/// child holds of its parent's (a runtime, a task), whose destruction would join a thread that
/// does not exist in the child or take a lock a parent's thread held at the fork. Lock-free, so
/// a lock copied locked by fork() cannot hold it up; reachable from a global, so a leak checker
/// does not report it. Only when there is no memory even for that does `object` keep its
/// value, for the caller to let go of as best it can.
inline void keepUntilExit(std::shared_ptr<void>& object) noexcept {
  struct Kept {
    std::shared_ptr<void> object;
    Kept* next;
  };
  static std::atomic<Kept*> kept{nullptr};
  auto* node = new (std::nothrow) Kept{nullptr, kept.load(std::memory_order_relaxed)};
  if (node == nullptr) return;
  node->object = std::move(object);
  while (!kept.compare_exchange_weak(node->next, node, std::memory_order_release,
                                     std::memory_order_relaxed)) {
  }
}

}  // namespace bgagent::detail
