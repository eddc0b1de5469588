// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/default_runtime.hpp: the process-wide runtime that launch(),
// waitForCompletion() and Watcher::shared() use unless told otherwise: made on first use,
// never destroyed, shut down at exit, and made anew in a forked child (docs/threading.md, rules
// 24-26).
// Thread safety: get() from any thread.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/runtime/detail/runtime_core.hpp>
#include <memory>
#include <mutex>

namespace bgagent::detail {

/// The process-wide runtime that launch() and waitForCompletion() use unless given another.
/// Never destroyed: its thread may run a continuation while other globals are being destroyed,
/// so it must not be one of them (the parts it owns outlive every caller). An atexit handler
/// shuts it down (SIGTERM, the grace period, SIGKILL for running agents). In a child made by
/// fork() the parent's runtime has no thread: the child gets a runtime of its own on first use,
/// and the parent's is left untouched (its memory and descriptors are not reclaimed).
class DefaultRuntime {
 public:
  static std::shared_ptr<RuntimeCore> get();

 private:
  DefaultRuntime();

  static DefaultRuntime& instance();

  static void shutdownAtExit() noexcept;

  std::mutex mutex_;
  std::shared_ptr<RuntimeCore> core_;  // guarded by mutex_
  bool exitHandlerInstalled_ = false;  // guarded by mutex_
};

}  // namespace bgagent::detail

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/runtime/detail/default_runtime_inl.hpp>
#endif
