// SPDX-License-Identifier: MIT
// bgagent/core/detail/unique_fd.hpp: a move-only owner of a file descriptor.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <unistd.h>

#include <bgagent/core/detail/config.hpp>
#include <utility>

namespace bgagent::detail {

class UniqueFd {
 public:
  UniqueFd() noexcept = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  int release() noexcept { return std::exchange(fd_, -1); }

  void reset(int fd = -1) noexcept {
    // Never retry close() on EINTR: on Linux the descriptor is already released, and a retry
    // could close one another thread has just been given.
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace bgagent::detail
