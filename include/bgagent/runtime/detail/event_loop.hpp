// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/event_loop.hpp: the one epoll set a runtime's thread sleeps in, and the
// parts it serves. Each part (file watches, child processes, timers, in-process threads) registers
// its descriptors here under a key tagged with the part's index, says when it next needs a turn,
// and does its work once per turn; the loop only dispatches. One eventfd wakes the loop for every
// part. The loop itself owns no thread: the runtime's thread calls turn().
// Thread safety: add(), remove() and wake() from any thread (epoll_ctl and eventfd writes are
// thread-safe); turn() from the runtime's thread only.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <sys/epoll.h>

#include <array>
#include <atomic>
#include <bgagent/core/detail/unique_fd.hpp>
#include <bgagent/runtime/detail/wake_fd.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <thread>
#include <vector>

namespace bgagent::detail {

using SteadyClock = std::chrono::steady_clock;

/// What the loop asks of each part, always on the runtime's thread.
class LoopPart {
 public:
  /// A descriptor this part registered is readable; `key` is the part's own, without its tag.
  virtual void onReady(std::uint64_t key) = 0;
  /// Once per turn, after the ready descriptors: queued work, due timers, settled entries.
  virtual void onTurn(SteadyClock::time_point now) = 0;
  /// When this part next needs a turn without being woken, or nullopt.
  virtual std::optional<SteadyClock::time_point> nextTimer() = 0;

 protected:
  LoopPart() = default;
  ~LoopPart() = default;
  LoopPart(const LoopPart&) = default;
  LoopPart& operator=(const LoopPart&) = default;
  LoopPart(LoopPart&&) = default;
  LoopPart& operator=(LoopPart&&) = default;
};

class EventLoop {
 public:
  static constexpr std::size_t kMaxParts = 8;

  EventLoop();

  /// Serves `part` under `index` (< kMaxParts). Before the first turn only.
  void setPart(std::size_t index, LoopPart& part) { parts_.at(index) = &part; }

  /// Registers `fd` (level-triggered, readable) for part `index` with its own `key` (< 2^56).
  /// Returns false with errno set when the kernel refuses (ENOMEM, ENOSPC: the per-user limit of
  /// watched descriptors): the caller decides what that means for its entry.
  [[nodiscard]] bool add(int fd, std::size_t index, std::uint64_t key) const noexcept;

  /// An epoll registration belongs to the open file description, not the descriptor: a copy of
  /// it elsewhere (a child between fork and exec) would keep a closed descriptor's events
  /// coming. Remove before closing.
  void remove(int fd) const noexcept;

  /// Wakes the loop for a turn. Async-signal-safe and lock-free: one write.
  void wake() const noexcept { wake_.wake(); }

  /// Whether the calling thread is the one running turns.
  bool isLoopThread() const noexcept {
    return loopThread_.load(std::memory_order_acquire) == std::this_thread::get_id();
  }

  /// Marks the calling thread as the loop's; the runtime's thread calls it first.
  void enter() noexcept {
    loopThread_.store(std::this_thread::get_id(), std::memory_order_release);
  }

  /// The runtime's thread is done with the loop (a later thread may be given its id).
  void leave() noexcept { loopThread_.store(std::thread::id{}, std::memory_order_release); }

  /// Sleeps until a descriptor is ready, a part's timer is due or wake() is called, then
  /// dispatches the ready descriptors and gives every part its turn.
  void turn();

 private:
  static constexpr std::uint64_t kWakeKey = 0;
  static constexpr int kTagShift = 56;

  int millisecondsToNextTimer();

  UniqueFd epoll_{::epoll_create1(EPOLL_CLOEXEC)};
  WakeFd wake_;
  std::array<LoopPart*, kMaxParts> parts_{};  // set before the first turn, then read-only
  std::vector<epoll_event> events_ = std::vector<epoll_event>(64);  // the loop's thread's own
  std::atomic<std::thread::id> loopThread_{};
};

}  // namespace bgagent::detail

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/runtime/detail/event_loop_inl.hpp>
#endif
