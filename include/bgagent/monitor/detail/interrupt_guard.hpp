// SPDX-License-Identifier: MIT
// bgagent/monitor/detail/interrupt_guard.hpp: SIGINT and SIGTERM while a dashboard is on screen.
// The first signal shows the cursor again and wakes the display, which cancels its tasks and waits
// for them; a second one gives up waiting: the host's own disposition takes it at once. Once
// the display is done, the guard puts the host's handlers back and raises the signal again, so
// the program ends (or its own handler runs) as if the dashboard had not been there.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <signal.h>

#include <array>
#include <atomic>
#include <bgagent/monitor/detail/terminal.hpp>
#include <functional>

namespace bgagent::detail {

class InterruptGuard {
 public:
  /// Installs the handlers unless another guard has them, or `install` is false. A signal the
  /// host ignores stays ignored. `display` is an eventfd the display waits on.
  InterruptGuard(bool install, int display);

  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  ~InterruptGuard();

  /// Whether this guard holds the handlers (and so may hide the cursor: it can show it again).
  bool owner() const noexcept { return owner_; }

  /// A signal shows the cursor of `terminal` again. Call once the hide sequence is out.
  void showCursorOnSignal(int terminal) noexcept;

  /// The signal caught, or 0.
  int caught() const noexcept;

  /// Puts the host's handlers back; then, when a signal was caught, runs `beforeRaise` and
  /// raises the signal again for them.
  void restoreAndRaise(const std::function<void()>& beforeRaise = {});

 private:
  static constexpr std::array<int, 2> kSignals{SIGINT, SIGTERM};
  static_assert(std::atomic<int>::is_always_lock_free, "the handler needs lock-free atomics");

  // Shared with the handler, which can reach nothing else.
  static std::atomic<bool>& active();
  static std::atomic<int>& caughtSignal();
  static std::atomic<int>& cursorFd();
  static std::atomic<int>& wakeFd();
  static std::array<struct sigaction, 2>& previous();

  // Async-signal-safe only: atomics, write, sigaction, raise.
  static void onSignal(int signal);

  void restore() noexcept;

  void restoreHandlers() noexcept;

  static void release() noexcept;

  bool owner_ = false;
  std::array<bool, 2> installed_{};
};

}  // namespace bgagent::detail

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/monitor/detail/interrupt_guard_inl.hpp>
#endif
