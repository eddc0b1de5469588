// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/runtime_core_inl.hpp: the bodies of runtime_core.hpp's functions (inline
// in header-only mode, built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/runtime/detail/runtime_core.hpp>
// What the bodies use besides their header:
#include <bgagent/core/detail/file_system.hpp>
#include <stdexcept>

namespace bgagent::detail {

BGAGENT_INLINE Error runtimeOfParentError() {
  return Error::of(ErrorCode::InvalidArgument,
                   "the runtime belongs to the process that made it, not to this forked child: no "
                   "agent can start on it here (use the default runtime, or a Runtime made here)");
}

BGAGENT_INLINE RuntimeCore::RuntimeCore(RuntimeOptions options)
    : options_(options),
      watches_(loop_, kWatches, options.forcePolling, options.maxOpenOutputFiles) {
  loop_.setPart(kWatches, watches_);
  loop_.setPart(kProcesses, processes_);
  loop_.setPart(kTimers, timers_);
  loop_.setPart(kThreads, threads_);
  loop_.setPart(kShutdown, *this);
  thread_ = std::jthread([this] { run(); });
}

BGAGENT_INLINE RuntimeCore::~RuntimeCore() {
  try {
    shutdown();
  } catch (...) {
    // Destroyed on its own thread: only a bug of bgagent's gets here.
  }
}

BGAGENT_INLINE std::optional<Error> RuntimeCore::refusal() const {
  if (forkedAway()) return runtimeOfParentError();
  if (shutdownRequested_.load(std::memory_order_acquire)) return runtimeShutDownError();
  return std::nullopt;
}

BGAGENT_INLINE void RuntimeCore::shutdown() {
  if (forkedAway()) return;
  if (isLoopThread()) {
    throw std::logic_error(
        "bgagent: a runtime cannot be shut down from its own thread (a callback or "
        "continuation), which would wait for itself");
  }
  shutdownRequested_.store(true, std::memory_order_release);
  loop_.wake();
  if (threads_.isWorkerThread()) return;
  std::vector<TimerQueue::Callback> dropped;
  {
    std::lock_guard lock(joinMutex_);
    if (thread_.joinable()) thread_.join();
    dropped.swap(droppedTimers_);
  }
}

BGAGENT_INLINE void RuntimeCore::run() {
  loop_.enter();
  while (phase_ != Phase::Done) loop_.turn();
  threads_.joinAll();
  loop_.leave();
}

BGAGENT_INLINE void RuntimeCore::onTurn(SteadyClock::time_point now) {
  if (phase_ == Phase::Running && !acceptsWork()) {
    phase_ = Phase::Draining;
    drainUntil_ = saturatingAdd<SteadyClock>(
        saturatingAdd<SteadyClock>(now, options_.shutdownGrace), kReapMargin);
    processes_.beginShutdown(options_.shutdownGrace);
    threads_.stopAll(EndReason::HostShutdown);
    backendAgents_.stopAll(EndReason::HostShutdown);
  }
  if (phase_ != Phase::Draining) return;
  const bool drained =
      processes_.childCount() == 0 && threads_.allFinished() && backendAgents_.allEnded();
  if (!drained && now < drainUntil_) return;
  processes_.killRemaining();
  // Destroyed by shutdown()'s caller, after the join (their owners' continuations run there).
  droppedTimers_ = timers_.close();
  // Every ending that was written is read before the rest are told the runtime is gone.
  watches_.readAll();
  watches_.close("the watcher shut down");
  phase_ = Phase::Done;
}

BGAGENT_INLINE std::optional<SteadyClock::time_point> RuntimeCore::nextTimer() {
  if (phase_ == Phase::Draining) return drainUntil_;
  return std::nullopt;
}

}  // namespace bgagent::detail
