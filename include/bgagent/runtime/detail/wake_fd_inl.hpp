// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/wake_fd_inl.hpp: the bodies of wake_fd.hpp's functions (inline in
// header-only mode, built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/runtime/detail/wake_fd.hpp>
// What the bodies use besides their header:
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

namespace bgagent::detail {

BGAGENT_INLINE WakeFd::WakeFd() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!fd_) throw std::system_error(errno, std::generic_category(), "bgagent: eventfd");
}

BGAGENT_INLINE void WakeFd::wake() const noexcept {
  const std::uint64_t one = 1;
  // EAGAIN means the counter is already non-zero: the thread will wake anyway.
  [[maybe_unused]] const ssize_t written = ::write(fd_.get(), &one, sizeof one);
}

BGAGENT_INLINE void WakeFd::drain() const noexcept {
  std::uint64_t count = 0;
  [[maybe_unused]] const ssize_t read = ::read(fd_.get(), &count, sizeof count);
}

}  // namespace bgagent::detail
