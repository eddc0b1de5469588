// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/default_runtime_inl.hpp: the bodies of default_runtime.hpp's functions
// (inline in header-only mode, built once in src/bgagent.cpp in compiled mode;
// core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/runtime/detail/default_runtime.hpp>
// What the bodies use besides their header:
#include <pthread.h>

#include <bgagent/core/detail/fork_state.hpp>
#include <cstdlib>
#include <new>
#include <utility>

namespace bgagent::detail {

BGAGENT_INLINE std::shared_ptr<RuntimeCore> DefaultRuntime::get() {
  DefaultRuntime& slot = instance();
  std::lock_guard lock(slot.mutex_);
  if (slot.core_ == nullptr || slot.core_->forkedAway()) {
    // The parent's runtime, in a forked child: destroying it would join a thread that does
    // not exist here, so it is kept, never destroyed.
    if (slot.core_ != nullptr) {
      std::shared_ptr<void> parents = std::move(slot.core_);
      keepUntilExit(parents);
      if (parents != nullptr) {
        // No memory even to keep it: it stays here (the slot is never destroyed either).
        slot.core_ = std::static_pointer_cast<RuntimeCore>(std::move(parents));
        throw std::bad_alloc();
      }
    }
    slot.core_ = std::make_shared<RuntimeCore>();
    if (!slot.exitHandlerInstalled_) {
      slot.exitHandlerInstalled_ = std::atexit(&shutdownAtExit) == 0;
    }
  }
  return slot.core_;
}

BGAGENT_INLINE DefaultRuntime::DefaultRuntime() {
  // Keeps the slot's mutex usable in a child (fork() copies it as it is, possibly locked by a
  // thread that does not exist there) and tells every runtime which process it is in.
  static_cast<void>(currentPid());  // its atfork handler runs first: the child knows itself
  ::pthread_atfork([] { instance().mutex_.lock(); }, [] { instance().mutex_.unlock(); },
                   [] { instance().mutex_.unlock(); });
}

BGAGENT_INLINE DefaultRuntime& DefaultRuntime::instance() {
  static DefaultRuntime* const slot = new DefaultRuntime();  // never destroyed
  return *slot;
}

BGAGENT_INLINE void DefaultRuntime::shutdownAtExit() noexcept {
  std::shared_ptr<RuntimeCore> core;
  {
    DefaultRuntime& slot = instance();
    std::lock_guard lock(slot.mutex_);
    core = slot.core_;
  }
  if (core == nullptr || core->forkedAway()) return;
  try {
    if (core->isLoopThread()) {
      core->killAllNow();  // exit() from a callback: no agent outlives the host but survivors
    } else {
      core->shutdown();  // from an in-process agent's thread, only asks
    }
  } catch (...) {
    // Nothing is left to tell at exit.
  }
}

}  // namespace bgagent::detail
