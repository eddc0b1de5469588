// SPDX-License-Identifier: MIT
// bgagent/runtime/runtime.hpp: Runtime, the one thread that serves a host's agents.
//
// Owns: Runtime and RuntimeOptions. A runtime is one std::jthread sleeping in one epoll set
// (libuv's model): inotify for output files, pidfds and pipes for process agents, timers for
// deadlines, backoffs and futures, and the joins of detached in-process agents' threads are all
// served there. Callbacks and combinators' continuations run on that thread. launch() and
// waitForCompletion() use the process-wide default runtime unless told otherwise
// (LaunchOptions::runtime, a Watcher made from a Runtime); a host may make its own for tests,
// embedding or isolation. docs/threading.md states the rules.
// Lifetime: shutdown() (or the destructor) stops every agent the runtime runs: SIGTERM, the
// grace period (at most RuntimeOptions::shutdownGrace), SIGKILL, each file recording "the host
// shut down"; in-process agents' stop tokens are requested; open waits settle Cancelled
// (docs/threading.md, rule 25, has the order and the bounds). The default runtime is never
// destroyed and is shut down the same way at exit. Tasks keep their runtime's memory alive, so
// a task that outlives its runtime's shutdown is safe to query, cancel and destroy; a
// WatchHandle does not, and must not outlive its runtime.
// Fork: a child made by fork() gets a default runtime of its own on first use; a task of the
// parent's waited on in the child fails at once with an error saying so, and so does a launch
// on a Runtime the parent made.
// Thread safety: every member may be called from any thread; shutdown() not from the runtime's
// own thread (std::logic_error).
// Example:
//   bgagent::Runtime runtime({.shutdownGrace = std::chrono::seconds(5)});
//   auto task = bgagent::launch({.description = "build", .prompt = "make", .runtime = &runtime});
//   runtime.shutdown();  // the build is stopped if it still runs
#pragma once

#include <bgagent/runtime/detail/default_runtime.hpp>
#include <memory>

namespace bgagent {

/// A Runtime's options: `forcePolling` (false; true polls every file and never uses inotify),
/// `shutdownGrace` (2 s: at shutdown, the most a process agent gets between SIGTERM and
/// SIGKILL, or its own grace period if shorter) and `maxOpenOutputFiles` (0: half of
/// RLIMIT_NOFILE's soft limit; the files read most recently keep a descriptor, the others are
/// opened for each read, so a host may watch more files than it may open).
using RuntimeOptions = detail::RuntimeOptions;

/// The one thread that serves a host's agents, waits and timers (one epoll loop). launch() and
/// waitForCompletion() use the process-wide default; a host may make its own and name it in
/// LaunchOptions::runtime. Every member may be called from any thread; shutdown() not from
/// the runtime's own.
class Runtime {
 public:
  /// Starts the runtime's thread.
  explicit Runtime(RuntimeOptions options = {});

  /// Shuts down, as shutdown() does. In a forked child the parent's runtime is let go of
  /// without waiting for a thread that does not exist there.
  ~Runtime();

  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;
  Runtime(Runtime&&) = delete;
  Runtime& operator=(Runtime&&) = delete;

  /// Stops every agent and wait of this runtime and joins its thread (see the header). Process
  /// agents are waited for at most shutdownGrace (and a second to reap); in-process agents as
  /// long, after which their tasks settle Cancelled and their threads finish on their own,
  /// except a detached agent's thread, which the runtime's thread joins before it ends (so it
  /// takes as long as that agent takes to notice its stop token). Idempotent. Called from an
  /// in-process agent's own thread it only asks, and returns at once: waiting would wait for
  /// that agent's ending.
  void shutdown() { core_->shutdown(); }

  /// False once shut down, and in a forked child for a runtime the parent made: a launch on it
  /// then fails at once.
  bool acceptsWork() const noexcept { return core_->acceptsWork(); }

  /// Whether the calling thread is this runtime's (callbacks and continuations run there).
  bool isRuntimeThread() const noexcept { return core_->isLoopThread(); }

  /// Whether this runtime has an inotify instance (false: every file is polled).
  bool usesInotify() const noexcept { return core_->watches().usesInotify(); }

  /// Process agents running now (tests and dashboards: what a shutdown would stop).
  std::size_t processAgentCount() const { return core_->processes().childCount(); }

  /// What tasks and watchers share of the runtime (internal).
  const std::shared_ptr<detail::RuntimeCore>& core() const noexcept { return core_; }

 private:
  std::shared_ptr<detail::RuntimeCore> core_;
};

}  // namespace bgagent

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/runtime/runtime_inl.hpp>
#endif
