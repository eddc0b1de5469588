// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/default_runtime.hpp: the process-wide runtime that launch(),
// waitForCompletion() and Watcher::shared() use unless told otherwise: made on first use,
// never destroyed, shut down at exit, and made anew in a forked child (docs/threading.md, rules
// 24-26).
// Thread safety: get() from any thread.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <pthread.h>

#include <bgagent/core/detail/fork_state.hpp>
#include <bgagent/runtime/detail/runtime_core.hpp>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <new>

namespace bgagent::detail {

/// The process-wide runtime that launch() and waitForCompletion() use unless given another.
/// Never destroyed: its thread may run a continuation while other globals are being destroyed,
/// so it must not be one of them (the parts it owns outlive every caller). An atexit handler
/// shuts it down (SIGTERM, the grace period, SIGKILL for running agents). In a child made by
/// fork() the parent's runtime has no thread: the child gets a runtime of its own on first use,
/// and the parent's is left untouched (its memory and descriptors are not reclaimed).
class DefaultRuntime {
 public:
  static std::shared_ptr<RuntimeCore> get() {
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

 private:
  DefaultRuntime() {
    // Keeps the slot's mutex usable in a child (fork() copies it as it is, possibly locked by a
    // thread that does not exist there) and tells every runtime which process it is in.
    static_cast<void>(currentPid());  // its atfork handler runs first: the child knows itself
    ::pthread_atfork([] { instance().mutex_.lock(); }, [] { instance().mutex_.unlock(); },
                     [] { instance().mutex_.unlock(); });
  }

  static DefaultRuntime& instance() {
    static DefaultRuntime* const slot = new DefaultRuntime();  // never destroyed
    return *slot;
  }

  static void shutdownAtExit() noexcept {
    std::shared_ptr<RuntimeCore> core;
    {
      DefaultRuntime& slot = instance();
      std::lock_guard lock(slot.mutex_);
      core = slot.core_;
    }
    if (core == nullptr || core->forkedAway()) return;
    try {
      if (core->isLoopThread()) {
        core->killAllNow();  // exit() from a callback: no agent outlives the host
      } else {
        core->shutdown();  // from an in-process agent's thread, only asks
      }
    } catch (...) {
      // Nothing is left to tell at exit.
    }
  }

  std::mutex mutex_;
  std::shared_ptr<RuntimeCore> core_;  // guarded by mutex_
  bool exitHandlerInstalled_ = false;  // guarded by mutex_
};

}  // namespace bgagent::detail
