// bgagent/detail/process_supervisor.hpp: the one thread that serves every process agent.
// It relays each child's stdout and stderr into its output file through an OutputRelay (the
// line rules: a child can write PROGRESS, RESULT and ERROR, never START or COMPLETE; the output
// cap), runs the kill sequence (SIGTERM to the group, the grace period, SIGKILL), reaps every child
// through its pidfd, and closes the file with how the agent ended. One epoll set, no thread per
// child.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>

#include <atomic>
#include <bgagent/detail/duration_text.hpp>
#include <bgagent/detail/file_system.hpp>
#include <bgagent/detail/output_relay.hpp>
#include <bgagent/detail/process_liveness.hpp>
#include <bgagent/detail/spawn.hpp>
#include <bgagent/detail/task_events.hpp>
#include <bgagent/detail/wake_fd.hpp>
#include <bgagent/output_writer.hpp>
#include <bgagent/protocol.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace bgagent::detail {

/// Why the host ended an agent, shared by the Task and the supervisor.
enum class EndReason : int { None, Cancelled, TimedOut, HostShutdown };

constexpr std::string_view toString(EndReason reason) noexcept {
  switch (reason) {
    case EndReason::None:
      return "none";
    case EndReason::Cancelled:
      return "cancelled";
    case EndReason::TimedOut:
      return "timed out";
    case EndReason::HostShutdown:
      return "host shutdown";
  }
  return "unknown";
}

/// How an agent with no timeout of its own records a deadline of an enclosing withTimeout.
inline constexpr std::string_view kEnclosingDeadline = "timed out (an enclosing deadline passed)";

struct AgentControl {
  std::atomic<EndReason> endReason{EndReason::None};
  /// Set once the process has been reaped: stopping it then has nothing left to do.
  std::atomic<bool> reaped{false};
  /// Settles the task with an error when its file cannot record the ending (a full disk). Set
  /// before the agent starts; called once, from the thread that writes the ending.
  std::function<void(const Error&)> onEndingLost;
  /// What happens to the task, for its event log (the supervisor reports its kills).
  TaskEvents events;
  /// When the task was made, for the events' elapsed time.
  std::chrono::steady_clock::time_point launchedAt = std::chrono::steady_clock::now();
};

struct ProcessLaunch {
  std::vector<std::string> argv;
  std::map<std::string, std::string> environment;
  std::string workingDirectory;
  std::optional<std::chrono::steady_clock::duration> timeout;
  std::chrono::steady_clock::duration gracePeriod = std::chrono::seconds(2);
  std::uint64_t maxOutputBytes = std::uint64_t{64} << 20;
};

class ProcessSupervisor {
 public:
  using Clock = std::chrono::steady_clock;

  ProcessSupervisor() {
    if (!epoll_) throw std::system_error(errno, std::generic_category(), "bgagent: epoll_create1");
    watch(wake_.get(), kWakeKey);
    thread_ = std::jthread([this](const std::stop_token& stop) { run(stop); });
  }
  ~ProcessSupervisor() {
    thread_.request_stop();
    wake_.wake();
    thread_.join();
  }
  ProcessSupervisor(const ProcessSupervisor&) = delete;
  ProcessSupervisor& operator=(const ProcessSupervisor&) = delete;
  ProcessSupervisor(ProcessSupervisor&&) = delete;
  ProcessSupervisor& operator=(ProcessSupervisor&&) = delete;

  static ProcessSupervisor& shared() {
    static ProcessSupervisor supervisor;
    return supervisor;
  }

  /// Starts the process and supervises it; `writer` has written START already and is taken
  /// over on success. Returns the agent's id for stop(), or the spawn error (the writer is then
  /// still the caller's, to record it).
  Result<std::uint64_t> start(ProcessLaunch launch, OutputWriter& writer,
                              std::shared_ptr<AgentControl> control) {
    Result<SpawnedProcess> spawned =
        spawnProcess(launch.argv, launch.environment, launch.workingDirectory);
    if (!spawned) return spawned.error();
    auto child = std::make_unique<Child>(std::move(writer), launch.maxOutputBytes);
    child->pid = spawned->pid;
    child->output = std::move(spawned->output);
    child->pidFd = openPidFd(child->pid, child->exited);
    child->control = std::move(control);
    child->launch = std::move(launch);
    if (child->launch.timeout) {
      child->deadline = saturatingAdd<Clock>(Clock::now(), *child->launch.timeout);
    }
    // Registered here, not by the thread: epoll is level-triggered, so an event that comes
    // before the thread has taken the child over comes again after. The thread only needs
    // waking for a timer: a deadline, or the reaping poll when there is no pidfd.
    const bool needsTimer = child->deadline || !child->pidFd;
    std::uint64_t id = 0;
    {
      std::lock_guard lock(mutex_);
      child->id = ++lastId_;
      id = child->id;
      watch(child->output.get(), id * 2);
      if (child->pidFd) watch(child->pidFd.get(), id * 2 + 1);
      added_.push_back(std::move(child));
    }
    if (needsTimer) wake_.wake();
    return id;
  }

  /// Starts the kill sequence for agent `id` (if it still runs), recording `reason`.
  void stop(std::uint64_t id, EndReason reason) {
    {
      std::lock_guard lock(mutex_);
      stops_.emplace_back(id, reason);
    }
    wake_.wake();
  }

  /// Blocks until no child is supervised (tests: everything reaped and closed), at most
  /// `timeout`. True when idle.
  bool waitUntilIdle(Clock::duration timeout) {
    std::unique_lock lock(mutex_);
    return idle_.wait_for(lock, timeout, [this] { return childCount_ == 0 && added_.empty(); });
  }

  std::size_t childCount() const {
    std::lock_guard lock(mutex_);
    return childCount_;
  }

 private:
  static constexpr std::uint64_t kWakeKey = 0;
  static constexpr auto kReapPoll = std::chrono::milliseconds(20);

  struct Child {
    Child(OutputWriter outputWriter, std::uint64_t maxOutputBytes)
        : writer(std::move(outputWriter)), relay(maxOutputBytes) {}
    std::uint64_t id = 0;
    pid_t pid = -1;
    UniqueFd output;
    UniqueFd pidFd;
    OutputWriter writer;
    std::shared_ptr<AgentControl> control;
    ProcessLaunch launch;
    std::optional<Clock::time_point> deadline;
    std::optional<Clock::time_point> killAt;
    OutputRelay relay;
    bool exited = false;
    bool relayFailed = false;
    std::optional<int> status;  // the wait status, once reaped without a pidfd
  };

  // Keys in the epoll set: 0 wakes; a child's pipe is 2*id, its pidfd 2*id+1.
  void watch(int fd, std::uint64_t key) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = key;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event);
  }

  // An epoll registration belongs to the open file description, not the descriptor: a copy of
  // it elsewhere (a child between fork and exec) would keep a closed descriptor's events
  // coming. Unregister first, then close.
  void closeWatched(UniqueFd& fd) {
    if (!fd) return;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd.get(), nullptr);
    fd.reset();
  }

  void run(const std::stop_token& stop) {
    std::vector<epoll_event> events(64);
    while (!stop.stop_requested()) {
      const int ready = ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()),
                                     millisecondsToNextTimer());
      for (int i = 0; i < ready; ++i) {
        const std::uint64_t key = events[static_cast<std::size_t>(i)].data.u64;
        if (key == kWakeKey) {
          wake_.drain();
          continue;
        }
        const auto found = children_.find(key / 2);
        if (found == children_.end()) continue;
        if (key % 2 == 0) {
          relayOutput(*found->second);
        } else {
          found->second->exited = true;
        }
      }
      takeQueued();
      const Clock::time_point now = Clock::now();
      std::vector<std::uint64_t> finished;
      for (auto& [id, child] : children_) {
        if (!child->pidFd && !child->exited) {
          // No pidfd (an old kernel, a seccomp filter, no descriptor left): ask at a short
          // interval instead. waitpid reaps it here, so finish() must not wait again.
          int status = 0;
          if (::waitpid(child->pid, &status, WNOHANG) == child->pid) {
            child->status = status;
            child->exited = true;
          }
        }
        if (child->exited) {
          finished.push_back(id);
          continue;
        }
        if (child->deadline && now >= *child->deadline && !child->killAt) {
          beginKill(*child, EndReason::TimedOut, now);
        }
        if (child->killAt && now >= *child->killAt) {
          ::kill(-child->pid, SIGKILL);  // the grace period is over
          reportKill(*child, SIGKILL);
          child->killAt = Clock::time_point::max();
        }
      }
      for (const std::uint64_t id : finished) finish(id);
    }
    // Shutting down: no agent outlives its supervisor.
    takeQueued();
    for (auto& [id, child] : children_) {
      child->control->endReason.store(EndReason::HostShutdown, std::memory_order_release);
      ::kill(-child->pid, SIGKILL);
      reportKill(*child, SIGKILL);
    }
    while (!children_.empty()) finish(children_.begin()->first);
  }

  int millisecondsToNextTimer() const {
    std::optional<Clock::time_point> next;
    for (const auto& [id, child] : children_) {
      if (child->exited) return 0;
      if (!child->pidFd)
        next = next ? std::min(*next, Clock::now() + kReapPoll) : Clock::now() + kReapPoll;
      // Before the kill sequence the deadline is the timer; during it, the end of the grace.
      const std::optional<Clock::time_point> timer =
          child->killAt ? child->killAt : child->deadline;
      if (timer && *timer != Clock::time_point::max())
        next = next ? std::min(*next, *timer) : *timer;
    }
    if (!next) return -1;
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(*next - Clock::now());
    return static_cast<int>(std::clamp<std::int64_t>(wait.count(), 0, 24 * 3600 * 1000));
  }

  void takeQueued() {
    std::vector<std::unique_ptr<Child>> added;
    std::vector<std::pair<std::uint64_t, EndReason>> stops;
    {
      std::lock_guard lock(mutex_);
      added.swap(added_);
      stops.swap(stops_);
    }
    for (auto& child : added) children_.emplace(child->id, std::move(child));
    {
      std::lock_guard lock(mutex_);
      childCount_ = children_.size();
    }
    for (const auto& [id, reason] : stops) {
      const auto found = children_.find(id);
      if (found != children_.end() && !found->second->killAt) {
        beginKill(*found->second, reason, Clock::now());
      }
    }
  }

  static void beginKill(Child& child, EndReason reason, Clock::time_point now) {
    child.control->endReason.store(reason, std::memory_order_release);
    // The whole group: `sh -c 'work & wait'` leaves no grandchild behind.
    ::kill(-child.pid, SIGTERM);
    reportKill(child, SIGTERM);
    child.killAt = now + child.launch.gracePeriod;
  }

  static void reportKill(Child& child, int signal) {
    const AgentControl& control = *child.control;
    child.control->events.report("killed", [&] {
      return nlohmann::json{
          {"signal", signal == SIGKILL ? "SIGKILL" : "SIGTERM"},
          {"pid", child.pid},
          {"reason", toString(control.endReason.load(std::memory_order_acquire))},
          // An agent can run on after its task settled (an early ERROR settles it at once).
          {"afterSettled", control.events.ended()},
          {"elapsedMs",
           std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - control.launchedAt)
               .count()}};
    });
  }

  void relayOutput(Child& child) {
    char buffer[64 * 1024];
    // A bounded number of reads per turn, so one chatty child cannot starve the others.
    for (int reads = 0; reads < 16; ++reads) {
      const ssize_t count = ::read(child.output.get(), buffer, sizeof buffer);
      if (count > 0) {
        child.relay.feed(std::string_view(buffer, static_cast<std::size_t>(count)));
        continue;
      }
      if (count == 0 || (errno != EINTR && errno != EAGAIN)) {
        closeWatched(child.output);  // EOF: every writer of the pipe is gone
      }
      break;
    }
    flushPending(child);
  }

  static void flushPending(Child& child) {
    const std::string lines = child.relay.takeLines();
    if (lines.empty()) return;
    // A failed write (a full disk) cannot be reported to the child: relaying stops, and the
    // ending reports the error if it persists (writeEnding).
    if (!child.relayFailed && !child.writer.relay(lines)) child.relayFailed = true;
  }

  void finish(std::uint64_t id) {
    const auto found = children_.find(id);
    std::unique_ptr<Child> child = std::move(found->second);
    children_.erase(found);
    // Background processes the agent left in its group end with it. Before the reap: until
    // then the leader's zombie keeps its group id from being reused.
    ::kill(-child->pid, SIGKILL);
    int status = child->status.value_or(0);
    const pid_t reaped = child->status ? child->pid : ::waitpid(child->pid, &status, 0);
    child->control->reaped.store(true, std::memory_order_release);
    if (child->output) {
      char buffer[64 * 1024];
      ssize_t count = 0;
      while ((count = ::read(child->output.get(), buffer, sizeof buffer)) > 0) {
        child->relay.feed(std::string_view(buffer, static_cast<std::size_t>(count)));
      }
    }
    child->relay.endOfOutput();
    flushPending(*child);
    writeEnding(*child, reaped == child->pid ? std::optional<int>(status) : std::nullopt);
    closeWatched(child->output);
    closeWatched(child->pidFd);
    child.reset();  // its descriptors close before it stops counting
    {
      std::lock_guard lock(mutex_);
      childCount_ = children_.size();
    }
    idle_.notify_all();
  }

  static void writeEnding(Child& child, std::optional<int> status) {
    const EndReason reason = child.control->endReason.load(std::memory_order_acquire);
    std::optional<std::string> error;
    if (reason == EndReason::Cancelled) error = "cancelled by the host";
    if (reason == EndReason::TimedOut)
      error = child.launch.timeout ? "timed out after " + durationText(*child.launch.timeout)
                                   : std::string(kEnclosingDeadline);
    if (reason == EndReason::HostShutdown) error = "the host shut down";
    std::optional<nlohmann::json> result;
    if (!child.relay.wroteResult()) {
      result = nlohmann::json{{"success", false}};
      if (!status) {
        (*result)["error"] = "exit status unknown (reaped elsewhere)";
      } else if (WIFEXITED(*status)) {
        const int code = WEXITSTATUS(*status);
        (*result)["exitCode"] = code;
        if (code == 0 && reason == EndReason::None) {
          (*result)["success"] = true;
        } else if (code != 0) {
          (*result)["error"] = "exited with code " + std::to_string(code);
        }
      } else if (WIFSIGNALED(*status)) {
        const int signal = WTERMSIG(*status);
        const char* name = ::sigabbrev_np(signal);
        (*result)["signal"] = signal;
        (*result)["error"] = "killed by signal " + std::to_string(signal) +
                             (name != nullptr ? std::string(" (SIG") + name + ")" : std::string());
      }
      if (!(*result)["success"].get<bool>()) {
        (*result)["lastOutput"] = child.relay.lastLines();
      }
    }
    Result<void> written = child.writer.finish(error, result);
    // The file cannot say how the agent ended: tell the task directly, or it would wait forever.
    if (!written && child.control->onEndingLost) child.control->onEndingLost(written.error());
  }

  UniqueFd epoll_{::epoll_create1(EPOLL_CLOEXEC)};
  WakeFd wake_;
  mutable std::mutex mutex_;
  std::uint64_t lastId_ = 0;                                // guarded by mutex_
  std::vector<std::unique_ptr<Child>> added_;               // guarded by mutex_
  std::vector<std::pair<std::uint64_t, EndReason>> stops_;  // guarded by mutex_
  std::size_t childCount_ = 0;                              // guarded by mutex_
  std::condition_variable idle_;                            // notified when childCount_ changes
  std::unordered_map<std::uint64_t, std::unique_ptr<Child>> children_;  // the thread's own
  std::jthread thread_;  // last: started after every member above exists
};

}  // namespace bgagent::detail
