// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/wake_fd.hpp: an eventfd that wakes a thread blocked in epoll_wait, from
// any thread or a std::stop_callback.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/core/detail/unique_fd.hpp>

namespace bgagent::detail {

class WakeFd {
 public:
  WakeFd();

  int get() const noexcept { return fd_.get(); }

  /// Wakes the waiting thread. Async-signal-safe and lock-free: one write.
  void wake() const noexcept;

  /// Resets the counter after a wake-up.
  void drain() const noexcept;

 private:
  UniqueFd fd_;
};

}  // namespace bgagent::detail

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/runtime/detail/wake_fd_inl.hpp>
#endif
