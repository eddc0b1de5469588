// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/wake_fd.hpp: an eventfd that wakes a thread blocked in epoll_wait, from
// any thread or a std::stop_callback.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <bgagent/core/detail/unique_fd.hpp>
#include <cerrno>
#include <cstdint>
#include <system_error>

namespace bgagent::detail {

class WakeFd {
 public:
  WakeFd() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (!fd_) throw std::system_error(errno, std::generic_category(), "bgagent: eventfd");
  }

  int get() const noexcept { return fd_.get(); }

  /// Wakes the waiting thread. Async-signal-safe and lock-free: one write.
  void wake() const noexcept {
    const std::uint64_t one = 1;
    // EAGAIN means the counter is already non-zero: the thread will wake anyway.
    [[maybe_unused]] const ssize_t written = ::write(fd_.get(), &one, sizeof one);
  }

  /// Resets the counter after a wake-up.
  void drain() const noexcept {
    std::uint64_t count = 0;
    [[maybe_unused]] const ssize_t read = ::read(fd_.get(), &count, sizeof count);
  }

 private:
  UniqueFd fd_;
};

}  // namespace bgagent::detail
