// bgagent/detail/runtime_core.hpp: one runtime: one std::jthread turning one EventLoop whose
// parts are the file watches, the child processes, the timers and the in-process threads; and
// the shutdown that ends them in one documented order. The process-wide default runtime lives
// here too: created on first use, never destroyed (so no thread runs under a destroyed global),
// shut down at exit, and made anew in a child after fork().
// Thread safety: everything here may be called from any thread, but shutdown() not from the
// runtime's own thread.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <bgagent/detail/event_loop.hpp>
#include <bgagent/detail/file_system.hpp>
#include <bgagent/detail/file_watches.hpp>
#include <bgagent/detail/process_supervisor.hpp>
#include <bgagent/detail/timer_queue.hpp>
#include <bgagent/detail/worker_threads.hpp>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <thread>

namespace bgagent::detail {

/// How a runtime works; see bgagent::Runtime.
struct RuntimeOptions {
  /// Poll every file at its poll interval, never use inotify (tests, odd file systems).
  bool forcePolling = false;
  /// At shutdown, running process agents get SIGTERM and, this long later at most (or after
  /// their own grace period, if shorter), SIGKILL.
  SteadyClock::duration shutdownGrace = std::chrono::seconds(2);
};

/// This process's id, kept up to date across fork() without a system call per question.
inline std::atomic<pid_t>& currentPid() noexcept {
  static std::atomic<pid_t> pid{::getpid()};
  return pid;
}

/// Keeps `object` alive until the process ends, without destroying it ever: for what a forked
/// child holds of its parent's (a runtime, a task), whose destruction would join a thread that
/// does not exist in the child or take a lock a parent's thread held at the fork. Lock-free, so
/// a lock copied locked by fork() cannot hold it up; reachable from a global, so a leak checker
/// does not report it. False when there was no memory even for that: the caller's object then
/// goes as usual.
inline bool keepUntilExit(std::shared_ptr<void>& object) noexcept {
  struct Kept {
    std::shared_ptr<void> object;
    Kept* next;
  };
  static std::atomic<Kept*> kept{nullptr};
  auto* node = new (std::nothrow) Kept{std::move(object), kept.load(std::memory_order_relaxed)};
  if (node == nullptr) return false;
  while (!kept.compare_exchange_weak(node->next, node, std::memory_order_release,
                                     std::memory_order_relaxed)) {
  }
  return true;
}

/// The error of work started on a runtime that has shut down.
inline Error runtimeShutDownError() {
  return Error{
      ErrorCode::Cancelled, "the runtime has shut down: no agent can start on it", "", 0, 0, {}};
}

class RuntimeCore final : private LoopPart {
 public:
  explicit RuntimeCore(RuntimeOptions options = {})
      : options_(options), watches_(loop_, kWatches, options.forcePolling) {
    loop_.setPart(kWatches, watches_);
    loop_.setPart(kProcesses, processes_);
    loop_.setPart(kTimers, timers_);
    loop_.setPart(kThreads, threads_);
    loop_.setPart(kShutdown, *this);
    thread_ = std::jthread([this] { run(); });
  }

  /// Shuts down (see shutdown()). Never destroyed in a forked child (Runtime and
  /// DefaultRuntime let go of it there), where joining the parent's thread would never end.
  ~RuntimeCore() {
    try {
      shutdown();
    } catch (...) {
      // Destroyed on its own thread: only a bug of bgagent's gets here.
    }
  }

  RuntimeCore(const RuntimeCore&) = delete;
  RuntimeCore& operator=(const RuntimeCore&) = delete;
  RuntimeCore(RuntimeCore&&) = delete;
  RuntimeCore& operator=(RuntimeCore&&) = delete;

  FileWatches& watches() noexcept { return watches_; }
  ProcessSupervisor& processes() noexcept { return processes_; }
  TimerQueue& timers() noexcept { return timers_; }
  WorkerThreads& threads() noexcept { return threads_; }
  const RuntimeOptions& options() const noexcept { return options_; }

  /// Whether the calling thread is the runtime's (where callbacks and continuations run).
  bool isLoopThread() const noexcept { return loop_.isLoopThread(); }

  /// False once shutdown() was called: no new agent starts.
  bool acceptsWork() const noexcept { return !shutdownRequested_.load(std::memory_order_acquire); }

  /// Whether this process is a fork of the one that made the runtime: its thread does not exist
  /// here, so nothing of it may be waited for or touched.
  bool forkedAway() const noexcept {
    return ownerPid_ != currentPid().load(std::memory_order_relaxed);
  }

  /// Ends the runtime, in this order: no new agent starts; every running process agent gets
  /// SIGTERM, then SIGKILL after the shorter of its grace period and shutdownGrace, and its
  /// file records "the host shut down"; every in-process agent's stop token is requested; once
  /// all of them have written their endings (or shutdownGrace and a second more have passed),
  /// every file is read a last time, open waits settle Cancelled, pending timers are dropped,
  /// and the thread joins the detached agents' threads and exits. Blocks until then. Idempotent;
  /// throws std::logic_error from the runtime's own thread, which cannot wait for itself.
  void shutdown() {
    if (forkedAway()) return;
    if (isLoopThread()) {
      throw std::logic_error(
          "bgagent: a runtime cannot be shut down from its own thread (a callback or "
          "continuation), which would wait for itself");
    }
    shutdownRequested_.store(true, std::memory_order_release);
    loop_.wake();
    std::lock_guard lock(joinMutex_);
    if (thread_.joinable()) thread_.join();
  }

  /// SIGKILL to every running agent's group, without waiting: for an exit that cannot wait (one
  /// called from the runtime's own thread).
  void killAllNow() noexcept { processes_.killAllGroupsNow(); }

 private:
  enum Part : std::size_t { kWatches, kProcesses, kTimers, kThreads, kShutdown };
  enum class Phase { Running, Draining, Done };
  // Reaping what SIGKILL ended takes a moment more than the grace period.
  static constexpr std::chrono::seconds kReapMargin{1};

  void run() {
    loop_.enter();
    while (phase_ != Phase::Done) loop_.turn();
    threads_.joinAll();
  }

  // The shutdown, as the loop's last part: it runs after the others in each turn.
  void onReady(std::uint64_t /*key*/) override {}

  void onTurn(SteadyClock::time_point now) override {
    if (phase_ == Phase::Running && !acceptsWork()) {
      phase_ = Phase::Draining;
      drainUntil_ = saturatingAdd<SteadyClock>(
          saturatingAdd<SteadyClock>(now, options_.shutdownGrace), kReapMargin);
      processes_.beginShutdown(options_.shutdownGrace);
      threads_.stopAll(EndReason::HostShutdown);
    }
    if (phase_ != Phase::Draining) return;
    const bool drained = processes_.childCount() == 0 && threads_.allFinished();
    if (!drained && now < drainUntil_) return;
    processes_.killRemaining();
    timers_.close();
    // Every ending that was written is read before the rest are told the runtime is gone.
    watches_.readAll();
    watches_.close("the watcher shut down");
    phase_ = Phase::Done;
  }

  std::optional<SteadyClock::time_point> nextTimer() override {
    if (phase_ == Phase::Draining) return drainUntil_;
    return std::nullopt;
  }

  RuntimeOptions options_;
  pid_t ownerPid_ = currentPid().load(std::memory_order_relaxed);
  std::atomic<bool> shutdownRequested_{false};
  EventLoop loop_;
  FileWatches watches_;
  ProcessSupervisor processes_{loop_, kProcesses};
  TimerQueue timers_{loop_};
  WorkerThreads threads_{loop_};
  Phase phase_ = Phase::Running;  // the thread's own
  SteadyClock::time_point drainUntil_{};
  std::mutex joinMutex_;
  std::jthread thread_;  // last: started after every member above exists
};

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
    ::pthread_atfork([] { instance().mutex_.lock(); }, [] { instance().mutex_.unlock(); },
                     [] {
                       currentPid().store(::getpid(), std::memory_order_relaxed);
                       instance().mutex_.unlock();
                     });
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
        core->shutdown();
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
