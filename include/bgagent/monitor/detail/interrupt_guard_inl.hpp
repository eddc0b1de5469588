// SPDX-License-Identifier: MIT
// bgagent/monitor/detail/interrupt_guard_inl.hpp: the bodies of interrupt_guard.hpp's functions
// (inline, or built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/monitor/detail/interrupt_guard.hpp>
// What the bodies use besides their header:
#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <bgagent/monitor/detail/terminal.hpp>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <functional>

namespace bgagent::detail {

BGAGENT_INLINE InterruptGuard::InterruptGuard(bool install, int display) {
  if (!install || active().exchange(true)) return;
  caughtSignal().store(0);
  cursorFd().store(-1);
  wakeFd().store(display);
  for (std::size_t i = 0; i < kSignals.size(); ++i) {
    struct sigaction current {};
    if (::sigaction(kSignals[i], nullptr, &current) != 0 || current.sa_handler == SIG_IGN) {
      continue;
    }
    previous()[i] = current;
    struct sigaction ours {};
    ours.sa_handler = &onSignal;
    sigemptyset(&ours.sa_mask);
    ours.sa_flags = SA_RESTART;
    installed_[i] = ::sigaction(kSignals[i], &ours, nullptr) == 0;
    owner_ = owner_ || installed_[i];
  }
  // The host ignores both: nothing to hold.
  if (!owner_) release();
}

BGAGENT_INLINE InterruptGuard::~InterruptGuard() {
  restore();
}

BGAGENT_INLINE void InterruptGuard::showCursorOnSignal(int terminal) noexcept {
  if (owner_) cursorFd().store(terminal);
}

BGAGENT_INLINE int InterruptGuard::caught() const noexcept {
  return owner_ ? caughtSignal().load() : 0;
}

BGAGENT_INLINE void InterruptGuard::restoreAndRaise(const std::function<void()>& beforeRaise) {
  if (!owner_) return;
  restoreHandlers();
  // Read after the handlers are back (and before another guard may start): a signal caught
  // up to then is raised, a later one went straight to the host.
  const int signal = caughtSignal().exchange(0);
  release();
  if (signal == 0) return;
  if (beforeRaise) {
    try {
      beforeRaise();
    } catch (...) {
      // The signal is raised all the same.
    }
  }
  ::raise(signal);
}

BGAGENT_INLINE std::atomic<bool>& InterruptGuard::active() {
  static std::atomic<bool> value{false};
  return value;
}

BGAGENT_INLINE std::atomic<int>& InterruptGuard::caughtSignal() {
  static std::atomic<int> value{0};
  return value;
}

BGAGENT_INLINE std::atomic<int>& InterruptGuard::cursorFd() {
  static std::atomic<int> value{-1};
  return value;
}

BGAGENT_INLINE std::atomic<int>& InterruptGuard::wakeFd() {
  static std::atomic<int> value{-1};
  return value;
}

BGAGENT_INLINE std::array<struct sigaction, 2>& InterruptGuard::previous() {
  static std::array<struct sigaction, 2> value{};
  return value;
}

BGAGENT_INLINE void InterruptGuard::onSignal(int signal) {
  const int savedErrno = errno;
  const int terminal = cursorFd().exchange(-1);
  if (terminal >= 0) {
    [[maybe_unused]] const ssize_t shown =
        ::write(terminal, kShowCursor.data(), kShowCursor.size());
  }
  int none = 0;
  if (!caughtSignal().compare_exchange_strong(none, signal)) {
    // Asked twice: the host's disposition takes this one as soon as the handler returns (the
    // first one is raised again later, if the program is still there).
    for (std::size_t i = 0; i < kSignals.size(); ++i) {
      if (kSignals[i] == signal) ::sigaction(signal, &previous()[i], nullptr);
    }
    ::raise(signal);
  } else if (const int display = wakeFd().load(); display >= 0) {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t written = ::write(display, &one, sizeof one);
  }
  errno = savedErrno;
}

BGAGENT_INLINE void InterruptGuard::restore() noexcept {
  if (!owner_) return;
  restoreHandlers();
  release();
}

BGAGENT_INLINE void InterruptGuard::restoreHandlers() noexcept {
  for (std::size_t i = 0; i < kSignals.size(); ++i) {
    if (installed_[i]) ::sigaction(kSignals[i], &previous()[i], nullptr);
    installed_[i] = false;
  }
  owner_ = false;
}

BGAGENT_INLINE void InterruptGuard::release() noexcept {
  cursorFd().store(-1);
  wakeFd().store(-1);
  active().store(false);
}

}  // namespace bgagent::detail
