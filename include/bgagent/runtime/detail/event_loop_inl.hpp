// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/event_loop_inl.hpp: the bodies of event_loop.hpp's functions (inline in
// header-only mode, built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/runtime/detail/event_loop.hpp>
// What the bodies use besides their header:
#include <algorithm>
#include <bgagent/runtime/detail/runtime_syscall.hpp>
#include <cerrno>
#include <system_error>

namespace bgagent::detail {

BGAGENT_INLINE EventLoop::EventLoop() {
  if (!epoll_) throw std::system_error(errno, std::generic_category(), "bgagent: epoll_create1");
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = kWakeKey;
  if (runtimeSyscalls.epollCtl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &event) != 0) {
    throw std::system_error(errno, std::generic_category(), "bgagent: epoll_ctl (wake-up)");
  }
}

BGAGENT_INLINE bool EventLoop::add(int fd, std::size_t index, std::uint64_t key) const noexcept {
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = (static_cast<std::uint64_t>(index + 1) << kTagShift) | key;
  return runtimeSyscalls.epollCtl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) == 0;
}

BGAGENT_INLINE void EventLoop::remove(int fd) const noexcept {
  runtimeSyscalls.epollCtl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

BGAGENT_INLINE void EventLoop::turn() {
  const int ready = ::epoll_wait(epoll_.get(), events_.data(), static_cast<int>(events_.size()),
                                 millisecondsToNextTimer());
  for (int i = 0; i < ready; ++i) {
    const std::uint64_t key = events_[static_cast<std::size_t>(i)].data.u64;
    if (key == kWakeKey) {
      wake_.drain();
      continue;
    }
    const std::size_t index = static_cast<std::size_t>(key >> kTagShift) - 1;
    if (index < parts_.size() && parts_[index] != nullptr) {
      parts_[index]->onReady(key & ((std::uint64_t{1} << kTagShift) - 1));
    }
  }
  const SteadyClock::time_point now = SteadyClock::now();
  for (LoopPart* part : parts_) {
    if (part != nullptr) part->onTurn(now);
  }
}

BGAGENT_INLINE int EventLoop::millisecondsToNextTimer() {
  std::optional<SteadyClock::time_point> next;
  for (LoopPart* part : parts_) {
    if (part == nullptr) continue;
    if (const auto timer = part->nextTimer()) next = next ? std::min(*next, *timer) : *timer;
  }
  if (!next) return -1;
  const auto wait = std::chrono::ceil<std::chrono::milliseconds>(*next - SteadyClock::now());
  return static_cast<int>(std::clamp<std::int64_t>(wait.count(), 0, 24 * 3600 * 1000));
}

}  // namespace bgagent::detail
