// SPDX-License-Identifier: MIT
// bgagent/monitor/detail/interrupt_guard.hpp: SIGINT and SIGTERM while a dashboard is on screen.
// The first signal shows the cursor again and wakes the display, which cancels its tasks and waits
// for them; a second one gives up waiting: the host's own disposition takes it at once. Once
// the display is done, the guard puts the host's handlers back and raises the signal again, so
// the program ends (or its own handler runs) as if the dashboard had not been there.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <bgagent/monitor/detail/terminal.hpp>
#include <cerrno>
#include <cstdint>
#include <functional>

namespace bgagent::detail {

class InterruptGuard {
 public:
  /// Installs the handlers unless another guard has them, or `install` is false. A signal the
  /// host ignores stays ignored. `display` is an eventfd the display waits on.
  InterruptGuard(bool install, int display) {
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

  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  ~InterruptGuard() { restore(); }

  /// Whether this guard holds the handlers (and so may hide the cursor: it can show it again).
  bool owner() const noexcept { return owner_; }

  /// A signal shows the cursor of `terminal` again. Call once the hide sequence is out.
  void showCursorOnSignal(int terminal) noexcept {
    if (owner_) cursorFd().store(terminal);
  }

  /// The signal caught, or 0.
  int caught() const noexcept { return owner_ ? caughtSignal().load() : 0; }

  /// Puts the host's handlers back; then, when a signal was caught, runs `beforeRaise` and
  /// raises the signal again for them.
  void restoreAndRaise(const std::function<void()>& beforeRaise = {}) {
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

 private:
  static constexpr std::array<int, 2> kSignals{SIGINT, SIGTERM};
  static_assert(std::atomic<int>::is_always_lock_free, "the handler needs lock-free atomics");

  // Shared with the handler, which can reach nothing else.
  static std::atomic<bool>& active() {
    static std::atomic<bool> value{false};
    return value;
  }
  static std::atomic<int>& caughtSignal() {
    static std::atomic<int> value{0};
    return value;
  }
  static std::atomic<int>& cursorFd() {
    static std::atomic<int> value{-1};
    return value;
  }
  static std::atomic<int>& wakeFd() {
    static std::atomic<int> value{-1};
    return value;
  }
  static std::array<struct sigaction, 2>& previous() {
    static std::array<struct sigaction, 2> value{};
    return value;
  }

  // Async-signal-safe only: atomics, write, sigaction, raise.
  static void onSignal(int signal) {
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

  void restore() noexcept {
    if (!owner_) return;
    restoreHandlers();
    release();
  }

  void restoreHandlers() noexcept {
    for (std::size_t i = 0; i < kSignals.size(); ++i) {
      if (installed_[i]) ::sigaction(kSignals[i], &previous()[i], nullptr);
      installed_[i] = false;
    }
    owner_ = false;
  }

  static void release() noexcept {
    cursorFd().store(-1);
    wakeFd().store(-1);
    active().store(false);
  }

  bool owner_ = false;
  std::array<bool, 2> installed_{};
};

}  // namespace bgagent::detail
