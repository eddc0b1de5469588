// SPDX-License-Identifier: MIT
// tests/stress/stress.cpp: a storm of agents through nested combinators, checked from /proc.
//
// 1,000 agents by default (--agents N), planned from a fixed seed (--seed N): shell agents that
// succeed, fail, print a RESULT, sleep, leave grandchildren or ignore SIGTERM, and in-process
// agents that return, throw or wait on their stop token. They run in groups nested through
// combinators (allSettled, runLimited, all of races, sequence with a parallel stage, retry with
// and without an attempt time limit, withTimeLimit over all and race, any, all) under one
// top-level allSettled, while each agent's fate is played out at a random moment: it runs to its
// end, the host cancels it, a time limit stops it (LaunchOptions::timeLimit, withTimeLimit, an
// enclosing deadline, a retry's attempt limit), or its process is SIGKILLed from outside
// (through a pidfd of the pid the agent reported itself).
//
// Checked at the end, each failure a line starting "stress: FAIL" and exit status 1:
//   - every task (agents, groups, the top) settled exactly once: one "settled" event and one
//     whenSettled continuation each, and every planned agent was launched;
//   - every agent settled in a state its fate allows (docs/errors.md, docs/combinators.md): a
//     fate whose action can come after the agent's own end allows that end too, and an agent
//     under race, any or all of races may be cancelled by its combinator; each is counted;
//   - the error code matches the state, and each combinator's outcome matches its inputs (the
//     codes allSettled and runLimited collected, a sequence's last stage, a deadline's TimedOut);
//   - every output file is complete, parses without a protocol error or warning (a later
//     failure kept as a warning, P24, is counted), agrees with its task, and names why a stopped
//     agent ended; one race where the task and the file part is allowed only in its exact shape
//     and counted: an in-process agent's time limit handled after the agent succeeded (the task
//     TimedOut, the file a success);
//   - once the program's own Runtime is shut down: as many descriptors (/proc/self/fd) and
//     threads (/proc/self/task) as before the storm, no child process (children of every
//     /proc/self/task/*/children, zombies included; a keeper (`role=bgagent-keeper`) only as
//     many as before, i.e. the default runtime's), and no orphan: no live process in an agent's
//     process group, none of the pids the agents wrote down.
// Threads: the main thread plans and launches; one std::jthread plays the cancels and kills at
// their times; the runtimes' threads run the launches that combinators make later, and every
// listener and continuation. Sleeps happen only in the workload (agents' work, the moments of
// cancels and kills), never to wait for an event; the one place that looks again at an interval
// is the final count of threads and descriptors, for which the kernel has no event.
// Run: bgagent_stress [--seed N] [--agents N] [--keep] [--verbose]; ctest -L stress.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bgagent/bgagent.hpp>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace {

using namespace std::chrono_literals;
using Clock = bgagent::SteadyClock;
using Json = nlohmann::json;
using Milliseconds = std::chrono::milliseconds;
using bgagent::Status;
using bgagent::Task;

// ---------------------------------------------------------------------------------------------
// What an agent is, and what is done to it.

/// What an agent does when nothing stops it.
enum class Body {
  ShellQuick,       // echoes and exits 0
  ShellResult,      // prints a RESULT of its own
  ShellFail,        // exits 3
  ShellFailResult,  // prints a RESULT with "success": false
  ShellMedium,      // sleeps a moment, then prints a RESULT
  ShellLong,        // sleeps 30 s (exec'd, or as a child of the shell)
  ShellFamily,      // two background sleeps of 30 s and a wait: grandchildren
  ShellStubborn,    // ignores SIGTERM, sleeps 30 s in the background and waits
  FunctionQuick,    // returns at once
  FunctionFail,     // throws
  FunctionMedium,   // reports progress, works a moment (stops early when asked)
  FunctionLong,     // waits 30 s for its stop token
};

/// What the host does to an agent.
enum class Fate {
  Natural,        // nothing: it ends by itself
  HostCancel,     // Task::cancel() (through a TaskView) at a random moment after its launch
  TimeLimit,      // LaunchOptions::timeLimit
  WrapTimeLimit,  // withTimeLimit(task, limit)
  AttemptLimit,   // a retry's attemptTimeLimit
  GroupDeadline,  // withTimeLimit over the combinator it is in
  ExternalKill,   // SIGKILL from outside the library, a random moment after it reported its pid
};

constexpr std::string_view nameOf(Body body) {
  switch (body) {
    case Body::ShellQuick:
      return "sh-quick";
    case Body::ShellResult:
      return "sh-result";
    case Body::ShellFail:
      return "sh-fail";
    case Body::ShellFailResult:
      return "sh-fail-result";
    case Body::ShellMedium:
      return "sh-medium";
    case Body::ShellLong:
      return "sh-long";
    case Body::ShellFamily:
      return "sh-family";
    case Body::ShellStubborn:
      return "sh-stubborn";
    case Body::FunctionQuick:
      return "fn-quick";
    case Body::FunctionFail:
      return "fn-fail";
    case Body::FunctionMedium:
      return "fn-medium";
    case Body::FunctionLong:
      return "fn-long";
  }
  return "?";
}

constexpr std::string_view nameOf(Fate fate) {
  switch (fate) {
    case Fate::Natural:
      return "natural";
    case Fate::HostCancel:
      return "cancel";
    case Fate::TimeLimit:
      return "time-limit";
    case Fate::WrapTimeLimit:
      return "with-time-limit";
    case Fate::AttemptLimit:
      return "attempt-limit";
    case Fate::GroupDeadline:
      return "group-deadline";
    case Fate::ExternalKill:
      return "sigkill";
  }
  return "?";
}

constexpr bool isShell(Body body) {
  return body < Body::FunctionQuick;
}

constexpr bool isLong(Body body) {
  return body == Body::ShellLong || body == Body::ShellFamily || body == Body::ShellStubborn ||
         body == Body::FunctionLong;
}

/// How the agent ends by itself; nothing for the long ones, which only an action ends (a 30 s
/// sleep would outlast the run's bound).
std::optional<Status> naturalEnd(Body body) {
  switch (body) {
    case Body::ShellFail:
    case Body::ShellFailResult:
    case Body::FunctionFail:
      return Status::Failed;
    case Body::ShellLong:
    case Body::ShellFamily:
    case Body::ShellStubborn:
    case Body::FunctionLong:
      return std::nullopt;
    default:
      return Status::Succeeded;
  }
}

/// The error code a task's state comes with (docs/errors.md); "ok" for a success.
std::string codeFor(Status status) {
  switch (status) {
    case Status::Succeeded:
      return "ok";
    case Status::Failed:
      return "AgentFailed";
    case Status::Cancelled:
      return "Cancelled";
    case Status::TimedOut:
      return "DeadlineExceeded";
    case Status::Crashed:
      return "AgentKilled";
    default:
      return "?";
  }
}

std::optional<Status> statusNamed(std::string_view name) {
  for (Status status : {Status::Pending, Status::Running, Status::Succeeded, Status::Failed,
                        Status::Cancelled, Status::TimedOut, Status::Stalled, Status::Crashed}) {
    if (bgagent::toString(status) == name) return status;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Records of what happened to each task, written by listeners and continuations on the
// runtimes' threads and by the action thread, read by the main thread at the end.

/// The settling of one task as its events told it.
struct Seen {
  bool launched = false;
  int settledEvents = 0;
  int continuations = 0;
  std::string status;      // the "settled" event's status word
  std::string code;        // its error code; "ok" when it succeeded
  std::string message;     // its error message
  std::string outputFile;  // the agent's output file; empty for a group
};

/// One task followed from its launch to the end of the run.
struct Tracked {
  std::string description;

  mutable std::mutex mutex;
  std::optional<bgagent::TaskView> view;   // guarded by mutex
  bgagent::TaskSubscription subscription;  // guarded by mutex
  bool launched = false;                   // guarded by mutex
  int settledEvents = 0;                   // guarded by mutex
  std::string status;                      // guarded by mutex
  std::string code;                        // guarded by mutex
  std::string message;                     // guarded by mutex
  std::string outputFile;                  // guarded by mutex
  std::atomic<int> continuations{0};       // whenSettled runs; read once the run is over

  Seen seen() const {
    std::lock_guard lock(mutex);
    return {launched, settledEvents, continuations.load(std::memory_order_acquire), status, code,
            message,  outputFile};
  }
  bool settled() const {
    std::lock_guard lock(mutex);
    return settledEvents > 0;
  }
};

/// An agent: its plan (fixed before the launch, read-only after) and what happened to it.
struct Leaf : Tracked {
  std::size_t index = 0;
  Body body = Body::ShellQuick;
  Fate fate = Fate::Natural;
  bool mayBeStoppedByCombinator = false;  // an input of race, any, or all of races
  Milliseconds work{};                    // the medium bodies' work
  Milliseconds actionDelay{};             // cancel: after launch; kill: after the pid is known
  Milliseconds limit{};                   // TimeLimit, WrapTimeLimit, AttemptLimit
  Milliseconds grace{};                   // between SIGTERM and SIGKILL
  std::filesystem::path pidFile;          // shell agents append their pids there

  bool pidSeen = false;     // guarded by mutex
  bool cancelSent = false;  // guarded by mutex
  bool killSent = false;    // guarded by mutex
  bool actionLate = false;  // guarded by mutex: the action found the task settled already
};

/// What a group's own outcome must be.
enum class GroupExpect {
  AnyEnding,        // race, any, all of races: decided by timing; settling once is checked
  Succeeds,         // all of natural successes, retry, parallel stage
  CollectsInputs,   // allSettled, runLimited: succeeds with every input's code, in order
  FollowsLastLeaf,  // sequence, retry: ends as its last (deciding) agent did
  TimesOut,         // withTimeLimit over all or race, and the combinator inside it
};

struct Group : Tracked {
  std::string kind;
  GroupExpect expect = GroupExpect::AnyEnding;
  std::vector<Leaf*> inputs;            // CollectsInputs: the agents, in input order
  Leaf* lastLeaf = nullptr;             // FollowsLastLeaf
  std::optional<std::size_t> topIndex;  // its place in the top-level allSettled
};

// ---------------------------------------------------------------------------------------------
// Small POSIX helpers.

/// A pidfd: a handle on one process that a reused pid cannot be mistaken for.
class PidFd {
 public:
  explicit PidFd(pid_t pid) : fd_(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))) {}
  ~PidFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  PidFd(const PidFd&) = delete;
  PidFd& operator=(const PidFd&) = delete;
  PidFd(PidFd&&) = delete;
  PidFd& operator=(PidFd&&) = delete;

  bool valid() const noexcept { return fd_ >= 0; }

  /// SIGKILL to exactly this process; false when it has been reaped already.
  bool kill() const {
    return ::syscall(SYS_pidfd_send_signal, fd_, SIGKILL, static_cast<siginfo_t*>(nullptr), 0) == 0;
  }

  /// Whether the process exits within `timeout` (the pidfd becomes readable when it does).
  bool exitsWithin(Milliseconds timeout) const {
    pollfd exited{fd_, POLLIN, 0};
    int ready = 0;
    do {
      ready = ::poll(&exited, 1, static_cast<int>(timeout.count()));
    } while (ready < 0 && errno == EINTR);
    return ready == 1;
  }

 private:
  int fd_;
};

/// What /proc/PID/stat says of a process.
struct ProcessStat {
  char state = '?';
  pid_t parent = 0;
  pid_t group = 0;
  std::uint64_t startTicks = 0;  // start time, clock ticks after boot
  std::string command;
};

std::optional<ProcessStat> readStat(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/stat");
  std::string text;
  if (!in || !std::getline(in, text)) return std::nullopt;
  // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses; it ends at the last
  // ')'.
  const std::size_t open = text.find('(');
  const std::size_t close = text.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close + 2 >= text.size()) {
    return std::nullopt;
  }
  ProcessStat stat;
  stat.command = text.substr(open + 1, close - open - 1);
  std::istringstream fields(text.substr(close + 2));
  std::vector<std::string> values;
  std::string value;
  while (fields >> value) values.push_back(value);
  // After comm: state(3) ppid(4) pgrp(5) ... starttime(22), counted from 1 with pid.
  if (values.size() < 20) return std::nullopt;
  stat.state = values[0].empty() ? '?' : values[0][0];
  stat.parent = static_cast<pid_t>(std::stol(values[1]));
  stat.group = static_cast<pid_t>(std::stol(values[2]));
  stat.startTicks = std::stoull(values[19]);
  return stat;
}

std::optional<ProcessStat> readStat(pid_t pid) {
  return readStat(std::to_string(pid));
}

std::size_t countEntries(const char* directory) {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(directory)) ++count;
  return count;
}

std::size_t descriptorCount() {
  return countEntries("/proc/self/fd");
}
std::size_t threadCount() {
  return countEntries("/proc/self/task");
}

/// This process's children, from every thread's children list (zombies included).
std::vector<pid_t> childPids() {
  std::vector<pid_t> pids;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream children(task.path() / "children");
    long pid = 0;
    while (children >> pid) pids.push_back(static_cast<pid_t>(pid));
  }
  return pids;
}

/// A child is a keeper when its arguments hold the keeper's marker: a helper a runtime keeps
/// for as long as it lives.
bool isKeeper(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  const std::string command((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return command.find(bgagent::detail::HostExitGuard::kKeeperMarker) != std::string::npos;
}

std::size_t keeperCount() {
  const std::vector<pid_t> children = childPids();
  return static_cast<std::size_t>(std::count_if(children.begin(), children.end(), isKeeper));
}

/// Waits until `count()` is at most `target`, or `bound` passed; the last count. The kernel
/// offers no event for these (a joined thread can stay listed in /proc/self/task for a moment
/// after join() returns), so this is the one place that looks again at a short interval.
std::size_t settleCount(const std::function<std::size_t()>& count, std::size_t target,
                        Clock::duration bound) {
  const auto deadline = Clock::now() + bound;
  std::size_t now = count();
  while (now > target && Clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
    now = count();
  }
  return now;
}

/// Lets the process open many descriptors: at the storm's peak every running agent holds a
/// pipe, a pidfd, its writer's file and its watch's file.
rlim_t raiseDescriptorLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  const rlim_t wanted = std::min<rlim_t>(limit.rlim_max, 65536);
  if (limit.rlim_cur < wanted) {
    limit.rlim_cur = wanted;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) (void)::getrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur;
}

std::string seconds(Clock::duration duration) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", std::chrono::duration<double>(duration).count());
  return text;
}

std::string shellQuote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// ---------------------------------------------------------------------------------------------

/// Runs actions at their times on a thread of its own: the host's cancels and the kills from
/// outside. Waiting for an action's time is the workload's timing, not a synchronisation.
class ActionThread {
 public:
  using Action = std::function<void()>;

  ActionThread() : thread_([this](const std::stop_token& stop) { run(stop); }) {}
  ~ActionThread() { stop(); }
  ActionThread(const ActionThread&) = delete;
  ActionThread& operator=(const ActionThread&) = delete;
  ActionThread(ActionThread&&) = delete;
  ActionThread& operator=(ActionThread&&) = delete;

  void schedule(Clock::time_point at, Action action) {
    {
      std::lock_guard lock(mutex_);
      queue_.emplace(at, std::move(action));
    }
    changed_.notify_one();
  }

  /// Stops and joins the thread; actions not yet due are dropped (outside the lock: they hold
  /// views and pidfds).
  void stop() {
    thread_.request_stop();
    if (thread_.joinable()) thread_.join();
    std::multimap<Clock::time_point, Action> dropped;
    {
      std::lock_guard lock(mutex_);
      dropped.swap(queue_);
    }
  }

 private:
  void run(const std::stop_token& stop) {
    std::unique_lock lock(mutex_);
    while (!stop.stop_requested()) {
      if (queue_.empty()) {
        changed_.wait(lock, stop, [this] { return !queue_.empty(); });
        continue;
      }
      const Clock::time_point due = queue_.begin()->first;
      if (Clock::now() < due) {
        // Until the first action's time, or an earlier action, or the stop.
        changed_.wait_until(lock, stop, due,
                            [this, due] { return !queue_.empty() && queue_.begin()->first < due; });
        continue;
      }
      Action action = std::move(queue_.begin()->second);
      queue_.erase(queue_.begin());
      lock.unlock();
      action();  // calls into bgagent: never under this lock
      action = nullptr;
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable_any changed_;
  std::multimap<Clock::time_point, Action> queue_;  // guarded by mutex_
  std::jthread thread_;                             // last: the members above outlive it
};

// ---------------------------------------------------------------------------------------------

struct StormOptions {
  std::uint64_t seed = 13;
  std::size_t agents = 1000;
  bool keepFiles = false;
  bool verbose = false;
};

/// How a leaf is chosen for its place in a group.
enum class Role {
  Free,            // any body, any fate
  NaturalSuccess,  // a body that succeeds, nothing done to it
  NaturalFailure,  // a body that fails, nothing done to it
  LongUnderLimit,  // a long body ended by a time limit of its group or retry
};

/// Plans the groups, launches them and follows every task. Planning and the first launches run
/// on the main thread (the only user of the random generator); later launches (runLimited,
/// sequence stages, retry attempts) on the runtime's thread.
class Storm {
 public:
  Storm(const StormOptions& options, bgagent::Runtime& runtime, std::filesystem::path directory)
      : options_(options),
        random_(options.seed),
        runtime_(runtime),
        outputDirectory_(directory / "out"),
        pidDirectory_(directory / "pids") {
    std::filesystem::create_directories(outputDirectory_);
    std::filesystem::create_directories(pidDirectory_);
    leaves_.reserve(options.agents);
  }

  /// Plans and launches every group under one allSettled.
  Task<std::vector<bgagent::Result<Json>>> launchAll() {
    std::vector<Task<Json>> groups;
    while (leaves_.size() < options_.agents) {
      Task<Json> group = launchGroup();
      Group& record = *groups_.back();
      record.topIndex = groups.size();
      track(record, group);
      groups.push_back(std::move(group));
    }
    Task<std::vector<bgagent::Result<Json>>> top = bgagent::allSettled(std::move(groups));
    top_.description = "top allSettled";
    top_.kind = "top";
    track(top_, top);
    return top;
  }

  /// Waits until every launched agent's task has settled (its whenSettled continuation ran)
  /// and nothing is left to launch, or `bound` passed.
  bool waitForEveryLeaf(Clock::duration bound) {
    std::unique_lock lock(settleMutex_);
    return settleChanged_.wait_for(lock, bound,
                                   [this] { return leavesSettled_ == options_.agents; });
  }

  /// Stops the action thread; no cancel or kill comes after this.
  void stopActions() { actions_.stop(); }

  /// Ends every subscription and drops every view, so nothing of the run is held or called.
  void letGo() {
    const auto release = [](Tracked& tracked) {
      bgagent::TaskSubscription subscription;
      std::optional<bgagent::TaskView> view;
      {
        std::lock_guard lock(tracked.mutex);
        subscription = std::move(tracked.subscription);
        view = std::move(tracked.view);
        tracked.view.reset();
      }
      subscription.end();  // outside the record's lock: a listener running now takes it
    };
    for (auto& leaf : leaves_) release(*leaf);
    for (auto& group : groups_) release(*group);
    release(top_);
  }

  const std::vector<std::unique_ptr<Leaf>>& leaves() const { return leaves_; }
  const std::vector<std::unique_ptr<Group>>& groups() const { return groups_; }
  const Group& top() const { return top_; }
  std::size_t mostRunning() const { return mostRunning_.load(std::memory_order_relaxed); }
  const std::filesystem::path& pidDirectory() const { return pidDirectory_; }

 private:
  // --- planning (main thread) ---------------------------------------------------------------

  int pick(int low, int high) { return std::uniform_int_distribution<int>(low, high)(random_); }
  Milliseconds between(int low, int high) { return Milliseconds(pick(low, high)); }
  template <typename T>
  T weighted(std::initializer_list<std::pair<T, double>> choices) {
    std::vector<double> weights;
    for (const auto& choice : choices) weights.push_back(choice.second);
    const auto index = static_cast<std::size_t>(
        std::discrete_distribution<int>(weights.begin(), weights.end())(random_));
    return (choices.begin() + index)->first;
  }

  std::size_t remaining() const { return options_.agents - leaves_.size(); }

  Leaf& newLeaf(Role role, bool mayBeStoppedByCombinator) {
    auto leaf = std::make_unique<Leaf>();
    leaf->index = leaves_.size();
    leaf->mayBeStoppedByCombinator = mayBeStoppedByCombinator;
    switch (role) {
      case Role::Free:
        leaf->body = weighted<Body>({{Body::ShellQuick, 8},
                                     {Body::ShellResult, 6},
                                     {Body::ShellFail, 6},
                                     {Body::ShellFailResult, 4},
                                     {Body::ShellMedium, 12},
                                     {Body::ShellLong, 8},
                                     {Body::ShellFamily, 8},
                                     {Body::ShellStubborn, 6},
                                     {Body::FunctionQuick, 8},
                                     {Body::FunctionFail, 6},
                                     {Body::FunctionMedium, 12},
                                     {Body::FunctionLong, 10}});
        if (isLong(leaf->body) && isShell(leaf->body)) {
          leaf->fate = weighted<Fate>({{Fate::HostCancel, 30},
                                       {Fate::TimeLimit, 15},
                                       {Fate::WrapTimeLimit, 15},
                                       {Fate::ExternalKill, 40}});
        } else if (isLong(leaf->body)) {
          leaf->fate = weighted<Fate>(
              {{Fate::HostCancel, 40}, {Fate::TimeLimit, 35}, {Fate::WrapTimeLimit, 25}});
        } else if (isShell(leaf->body)) {
          leaf->fate = weighted<Fate>({{Fate::Natural, 30},
                                       {Fate::HostCancel, 25},
                                       {Fate::TimeLimit, 12},
                                       {Fate::WrapTimeLimit, 10},
                                       {Fate::ExternalKill, 23}});
        } else {
          leaf->fate = weighted<Fate>({{Fate::Natural, 40},
                                       {Fate::HostCancel, 30},
                                       {Fate::TimeLimit, 15},
                                       {Fate::WrapTimeLimit, 15}});
        }
        break;
      case Role::NaturalSuccess:
        leaf->body = weighted<Body>({{Body::ShellQuick, 3},
                                     {Body::ShellResult, 3},
                                     {Body::ShellMedium, 2},
                                     {Body::FunctionQuick, 3},
                                     {Body::FunctionMedium, 2}});
        break;
      case Role::NaturalFailure:
        leaf->body = weighted<Body>(
            {{Body::ShellFail, 2}, {Body::ShellFailResult, 1}, {Body::FunctionFail, 2}});
        break;
      case Role::LongUnderLimit:
        leaf->body = weighted<Body>({{Body::ShellLong, 1},
                                     {Body::ShellFamily, 1},
                                     {Body::ShellStubborn, 1},
                                     {Body::FunctionLong, 1}});
        leaf->fate = Fate::GroupDeadline;  // the caller names a retry's attempt limit
        break;
    }
    // A long agent's cancel, kill or time limit comes late enough for hundreds to overlap while
    // the rest are launched (seconds under TSan); a medium or quick agent's comes early, to race
    // with its own end.
    leaf->work = between(100, 2000);
    leaf->actionDelay = isLong(leaf->body) ? between(500, 6000) : between(0, 800);
    leaf->limit = isLong(leaf->body) ? between(500, 6000) : between(100, 2500);
    leaf->grace = between(100, 800);
    leaf->description = "stress-" + std::to_string(leaf->index) + "-" +
                        std::string(nameOf(leaf->body)) + "-" + std::string(nameOf(leaf->fate));
    leaf->pidFile = pidDirectory_ / std::to_string(leaf->index);
    leaves_.push_back(std::move(leaf));
    return *leaves_.back();
  }

  Group& newGroup(std::string kind, GroupExpect expect) {
    auto group = std::make_unique<Group>();
    group->kind = std::move(kind);
    group->expect = expect;
    group->description = "group-" + std::to_string(groups_.size()) + "-" + group->kind;
    groups_.push_back(std::move(group));
    return *groups_.back();
  }

  std::vector<Leaf*> newLeaves(std::size_t count, Role role, bool mayBeStoppedByCombinator) {
    std::vector<Leaf*> made;
    for (std::size_t i = 0; i < count; ++i) {
      made.push_back(&newLeaf(role, mayBeStoppedByCombinator));
    }
    return made;
  }

  std::size_t size(int low, int high) {
    return std::min(static_cast<std::size_t>(pick(low, high)), remaining());
  }

  /// Plans and launches one group; its record is groups_.back().
  Task<Json> launchGroup() {
    enum class Kind { Settled, Limited, AllOfRaces, Sequence, Retry, Deadline, Any, AllOk };
    Kind kind = weighted<Kind>({{Kind::Settled, 4},
                                {Kind::Limited, 2},
                                {Kind::AllOfRaces, 2},
                                {Kind::Sequence, 2},
                                {Kind::Retry, 2},
                                {Kind::Deadline, 2},
                                {Kind::Any, 1},
                                {Kind::AllOk, 1}});
    // Too few agents left for the kind's smallest shape: an allSettled of what is left.
    if (remaining() < 4) kind = Kind::Settled;
    switch (kind) {
      case Kind::Settled:
        return launchSettled();
      case Kind::Limited:
        return launchLimited();
      case Kind::AllOfRaces:
        return launchAllOfRaces();
      case Kind::Sequence:
        return launchSequence();
      case Kind::Retry:
        return launchRetry();
      case Kind::Deadline:
        return launchDeadline();
      case Kind::Any:
        return launchAny();
      case Kind::AllOk:
        return launchAllOk();
    }
    return launchSettled();
  }

  static Json codesOf(const std::vector<bgagent::Result<Json>>& outcomes) {
    Json codes = Json::array();
    for (const auto& outcome : outcomes) {
      codes.push_back(outcome ? std::string("ok")
                              : std::string(bgagent::toString(outcome.error().code)));
    }
    return codes;
  }

  // allSettled of free agents: every input's code, in order.
  Task<Json> launchSettled() {
    Group& group = newGroup("allSettled", GroupExpect::CollectsInputs);
    group.inputs = newLeaves(size(4, 14), Role::Free, false);
    std::vector<Task<Json>> tasks;
    for (Leaf* leaf : group.inputs) tasks.push_back(launchLeaf(*leaf));
    return bgagent::then(
        bgagent::allSettled(std::move(tasks)),
        [](std::vector<bgagent::Result<Json>> outcomes) { return codesOf(outcomes); });
  }

  // runLimited of free agents, launched lazily on the runtime's thread, a few at a time.
  Task<Json> launchLimited() {
    Group& group = newGroup("runLimited", GroupExpect::CollectsInputs);
    group.inputs = newLeaves(size(8, 20), Role::Free, false);
    std::vector<std::function<Task<Json>()>> launches;
    for (Leaf* leaf : group.inputs) {
      launches.emplace_back([this, leaf] { return launchLeaf(*leaf); });
    }
    const auto limit = static_cast<std::size_t>(pick(4, 8));
    return bgagent::then(
        bgagent::runLimited(std::move(launches), limit),
        [](std::vector<bgagent::Result<Json>> outcomes) { return codesOf(outcomes); });
  }

  // all of races of free agents: any input may be cancelled by its race, or by the all.
  Task<Json> launchAllOfRaces() {
    const int races = pick(2, 4);
    std::vector<Task<Json>> tasks;
    for (int r = 0; r < races && remaining() >= 2; ++r) {
      Group& race = newGroup("race", GroupExpect::AnyEnding);
      std::vector<Task<Json>> runners;
      for (Leaf* leaf : newLeaves(size(2, 4), Role::Free, true)) {
        runners.push_back(launchLeaf(*leaf));
      }
      Task<Json> raced = bgagent::race(std::move(runners));
      track(race, raced);
      tasks.push_back(std::move(raced));
    }
    newGroup("allOfRaces", GroupExpect::AnyEnding);  // last: the caller's record
    return bgagent::then(bgagent::all(std::move(tasks)),
                         [](std::vector<Json> values) { return Json(std::move(values)); });
  }

  // A sequence: natural successes (a single agent, or all of a few as a parallel stage), then
  // a free agent that decides how the sequence ends. Later stages start on the runtime's thread.
  Task<Json> launchSequence() {
    const int stages = std::min(pick(2, 4), static_cast<int>(remaining()));
    std::vector<bgagent::Stage<Json>> planned;
    for (int s = 0; s + 1 < stages; ++s) {
      const std::string name = "stage " + std::to_string(s + 1);
      // A parallel stage takes up to 3 agents; each stage after it needs one.
      const auto stagesAfter = static_cast<std::size_t>(stages - s - 1);
      if (remaining() >= 3 + stagesAfter && pick(1, 10) <= 3) {
        Group& inner = newGroup("parallel-stage", GroupExpect::Succeeds);
        inner.inputs = newLeaves(size(2, 3), Role::NaturalSuccess, false);
        planned.emplace_back(name, [this, &inner] {
          std::vector<Task<Json>> tasks;
          for (Leaf* leaf : inner.inputs) tasks.push_back(launchLeaf(*leaf));
          Task<std::vector<Json>> together = bgagent::all(std::move(tasks));
          track(inner, together);
          return together;
        });
      } else {
        Leaf* leaf = &newLeaf(Role::NaturalSuccess, false);
        planned.emplace_back(name, [this, leaf] { return launchLeaf(*leaf); });
      }
    }
    Leaf* last = &newLeaf(Role::Free, false);
    planned.emplace_back("last stage", [this, last] { return launchLeaf(*last); });
    Group& group = newGroup("sequence", GroupExpect::FollowsLastLeaf);
    group.lastLeaf = last;
    return bgagent::then(bgagent::sequence(std::move(planned)),
                         [](std::vector<Json> values) { return Json(std::move(values)); });
  }

  // retry: failures then a success; or an attempt that runs past its attempt time limit, then
  // one that may or may not finish within it. Attempts after the first start on the runtime's
  // thread when the backoff ends.
  Task<Json> launchRetry() {
    Group& group = newGroup("retry", GroupExpect::FollowsLastLeaf);
    auto attempts = std::make_shared<std::vector<Leaf*>>();
    bgagent::RetryOptions retryOptions;
    retryOptions.backoff = bgagent::Backoff::fixed(20ms);
    if (pick(0, 1) == 0) {
      const auto failures = static_cast<std::size_t>(pick(1, 2));
      *attempts = newLeaves(failures, Role::NaturalFailure, false);
      attempts->push_back(&newLeaf(Role::NaturalSuccess, false));
      group.kind = "retry-after-failures";
    } else {
      Leaf& slow = newLeaf(Role::LongUnderLimit, false);
      Leaf& second = newLeaf(Role::NaturalSuccess, false);
      slow.fate = Fate::AttemptLimit;
      second.fate = Fate::AttemptLimit;  // the limit applies to every attempt: it may time out
      slow.limit = between(300, 1500);
      second.limit = slow.limit;
      for (Leaf* leaf : {&slow, &second}) {
        leaf->description = "stress-" + std::to_string(leaf->index) + "-" +
                            std::string(nameOf(leaf->body)) + "-" + std::string(nameOf(leaf->fate));
      }
      *attempts = {&slow, &second};
      retryOptions.attemptTimeLimit = slow.limit;
      group.kind = "retry-after-time-limit";
    }
    group.description += "-" + group.kind;
    retryOptions.maxAttempts = static_cast<int>(attempts->size());
    group.lastLeaf = attempts->back();
    return bgagent::retry(
        [this, attempts](int attempt) {
          return launchLeaf(*(*attempts)[static_cast<std::size_t>(attempt - 1)]);
        },
        retryOptions);
  }

  // withTimeLimit over all or race of long agents: every input ends timed out (rule C6).
  Task<Json> launchDeadline() {
    const bool overRace = pick(0, 1) == 1;
    Group& inner =
        newGroup(overRace ? "race-under-deadline" : "all-under-deadline", GroupExpect::TimesOut);
    std::vector<Task<Json>> tasks;
    for (Leaf* leaf : newLeaves(size(2, 4), Role::LongUnderLimit, false)) {
      tasks.push_back(launchLeaf(*leaf));
    }
    const Milliseconds limit = between(1000, 6000);
    Group& group = newGroup("deadline", GroupExpect::TimesOut);
    group.description += overRace ? "-over-race" : "-over-all";
    if (overRace) {
      Task<Json> raced = bgagent::race(std::move(tasks));
      track(inner, raced);
      return bgagent::withTimeLimit(std::move(raced), limit);
    }
    Task<std::vector<Json>> together = bgagent::all(std::move(tasks));
    track(inner, together);
    return bgagent::then(bgagent::withTimeLimit(std::move(together), limit),
                         [](std::vector<Json> values) { return Json(std::move(values)); });
  }

  // any of free agents: the first success cancels the others.
  Task<Json> launchAny() {
    newGroup("any", GroupExpect::AnyEnding);
    std::vector<Task<Json>> tasks;
    for (Leaf* leaf : newLeaves(size(3, 5), Role::Free, true)) tasks.push_back(launchLeaf(*leaf));
    return bgagent::any(std::move(tasks));
  }

  // all of natural successes: succeeds with every value.
  Task<Json> launchAllOk() {
    Group& group = newGroup("all", GroupExpect::Succeeds);
    group.inputs = newLeaves(size(3, 6), Role::NaturalSuccess, false);
    std::vector<Task<Json>> tasks;
    for (Leaf* leaf : group.inputs) tasks.push_back(launchLeaf(*leaf));
    return bgagent::then(bgagent::all(std::move(tasks)),
                         [](std::vector<Json> values) { return Json(std::move(values)); });
  }

  // --- launching and following (any thread) -------------------------------------------------

  std::string commandFor(const Leaf& leaf) const {
    // Each pid goes to the agent's pid file with its start time (field 22 of /proc/PID/stat,
    // read with shell builtins), which tells the process from a later one with its pid.
    const std::string pids = shellQuote(leaf.pidFile.string());
    const auto record = [&pids](const std::string& pid) {
      return "p=" + pid + "; read -r s < /proc/$p/stat; set -- $s; echo \"$p ${22}\" >> " + pids +
             "; ";
    };
    // The agent's own pid first, then to the host as a PROGRESS line (what a kill waits for).
    std::string command = record("$$") + "echo \"[PROGRESS] pid=$$\"; ";
    const std::string result =
        "echo '[RESULT] {\"success\": true, \"agent\": " + std::to_string(leaf.index) + "}'";
    char pause[32];
    std::snprintf(pause, sizeof pause, "%.3f", std::chrono::duration<double>(leaf.work).count());
    switch (leaf.body) {
      case Body::ShellQuick:
        return command + "echo 'quick agent " + std::to_string(leaf.index) + "'";
      case Body::ShellResult:
        return command + result;
      case Body::ShellFail:
        return command + "echo 'failing on purpose' >&2; exit 3";
      case Body::ShellFailResult:
        return command + "echo '[RESULT] {\"success\": false, \"error\": \"declined on purpose\"}'";
      case Body::ShellMedium:
        return command + "sleep " + pause + "; " + result;
      case Body::ShellLong:
        return command + (leaf.index % 2 == 0 ? "exec sleep 30" : "sleep 30; echo woke");
      case Body::ShellFamily:
        return command + "sleep 30 & " + record("$!") + "sleep 30 & " + record("$!") + "wait";
      case Body::ShellStubborn:
        return command + "trap '' TERM; sleep 30 & " + record("$!") + "wait";
      default:  // an in-process body: never a command
        return command;
    }
  }

  Task<Json> startAgent(const Leaf& leaf) {
    bgagent::LaunchOptions options;
    options.description = leaf.description;
    options.outputDirectory = outputDirectory_;
    options.cleanup = bgagent::CleanupPolicy::Keep;  // every file is checked at the end
    options.gracePeriod = leaf.grace;
    options.runtime = &runtime_;
    if (leaf.fate == Fate::TimeLimit) options.timeLimit = leaf.limit;
    if (isShell(leaf.body)) {
      options.prompt = commandFor(leaf);
      return bgagent::launch(options);
    }
    const Body body = leaf.body;
    const std::size_t index = leaf.index;
    const Milliseconds work = body == Body::FunctionLong ? Milliseconds(30s) : leaf.work;
    return bgagent::runInThread(
        options, [body, index, work](std::stop_token stop, bgagent::OutputWriter& out) -> Json {
          if (body == Body::FunctionFail) throw std::runtime_error("failing on purpose");
          if (body == Body::FunctionMedium || body == Body::FunctionLong) {
            if (!out.progress("working")) throw std::runtime_error("cannot write PROGRESS");
            // The work: `work` of time, cut short by the stop token.
            std::mutex mutex;
            std::condition_variable_any never;
            std::unique_lock lock(mutex);
            (void)never.wait_for(lock, stop, work, [] { return false; });
          }
          return Json{{"success", true}, {"agent", index}};
        });
  }

  /// Launches the agent, follows it, and gives it its fate.
  Task<Json> launchLeaf(Leaf& leaf) {
    Task<Json> task = startAgent(leaf);
    const std::size_t now = running_.fetch_add(1, std::memory_order_relaxed) + 1;
    std::size_t most = mostRunning_.load(std::memory_order_relaxed);
    while (now > most && !mostRunning_.compare_exchange_weak(most, now)) {
    }
    track(leaf, task, &leaf);
    if (leaf.fate == Fate::HostCancel) {
      actions_.schedule(Clock::now() + leaf.actionDelay, [&leaf] {
        std::optional<bgagent::TaskView> view;
        {
          std::lock_guard lock(leaf.mutex);
          if (leaf.settledEvents > 0) {
            leaf.actionLate = true;
            return;
          }
          leaf.cancelSent = true;
          view = leaf.view;
        }
        if (view) view->cancel();  // outside the record's lock: the listener takes it
      });
    }
    if (leaf.fate == Fate::WrapTimeLimit) {
      return bgagent::withTimeLimit(std::move(task), leaf.limit);
    }
    return task;
  }

  /// Follows a task: its events, its settling, and for an agent the pid it reports.
  template <typename T>
  void track(Tracked& record, const Task<T>& task, Leaf* leaf = nullptr) {
    bgagent::TaskView view(task);
    bgagent::TaskSubscription subscription =
        view.subscribe([this, &record, leaf](std::string_view kind, const Json& fields) {
          if (kind == "settled") {
            std::lock_guard lock(record.mutex);
            ++record.settledEvents;
            record.status = fields.value("status", "");
            record.outputFile = fields.value("outputFile", "");
            if (fields.contains("error")) {
              record.code = fields["error"].value("code", "");
              record.message = fields["error"].value("message", "");
            } else {
              record.code = "ok";
            }
          } else if (kind == "progress" && leaf != nullptr) {
            onProgress(*leaf, fields.value("text", ""));
          }
        });
    view.whenSettled([this, &record, leaf] {
      record.continuations.fetch_add(1, std::memory_order_acq_rel);
      if (leaf == nullptr) return;
      running_.fetch_sub(1, std::memory_order_relaxed);
      {
        std::lock_guard lock(settleMutex_);
        ++leavesSettled_;
      }
      settleChanged_.notify_all();
    });
    std::lock_guard lock(record.mutex);
    record.view = std::move(view);
    record.subscription = std::move(subscription);
    record.launched = true;
  }

  /// A shell agent reported its pid: a kill from outside is due a moment later. A pidfd taken
  /// now names this process even if the pid is reused before the kill.
  void onProgress(Leaf& leaf, std::string_view text) {
    if (!text.starts_with("pid=")) return;
    pid_t pid = 0;
    const auto digits = text.substr(4);
    if (std::from_chars(digits.data(), digits.data() + digits.size(), pid).ec != std::errc{} ||
        pid <= 0) {
      return;
    }
    {
      std::lock_guard lock(leaf.mutex);
      if (leaf.pidSeen) return;
      leaf.pidSeen = true;
      if (leaf.fate != Fate::ExternalKill) return;
      // Settled: reaped already, so the pid may be another process's by now.
      if (leaf.settledEvents > 0) {
        leaf.actionLate = true;
        return;
      }
    }
    auto process = std::make_shared<PidFd>(pid);
    actions_.schedule(Clock::now() + leaf.actionDelay, [&leaf, process] {
      std::lock_guard lock(leaf.mutex);
      // Without a pidfd (the process was gone already when its pid arrived) nothing is sent:
      // a bare pid could have been reused.
      if (leaf.settledEvents > 0 || !process->valid() || !process->kill()) {
        leaf.actionLate = true;
        return;
      }
      leaf.killSent = true;
    });
  }

  StormOptions options_;
  std::mt19937_64 random_;  // the main thread's, while planning
  bgagent::Runtime& runtime_;
  std::filesystem::path outputDirectory_;
  std::filesystem::path pidDirectory_;
  // Records: made by the main thread before the tasks they follow, destroyed after them.
  std::vector<std::unique_ptr<Leaf>> leaves_;
  std::vector<std::unique_ptr<Group>> groups_;
  Group top_;
  std::atomic<std::size_t> running_{0};
  std::atomic<std::size_t> mostRunning_{0};
  std::mutex settleMutex_;
  std::condition_variable_any settleChanged_;
  std::size_t leavesSettled_ = 0;  // guarded by settleMutex_
  ActionThread actions_;           // last: its thread uses the records above
};

// ---------------------------------------------------------------------------------------------
// The checks.

class Checks {
 public:
  explicit Checks(bool verbose) : verbose_(verbose) {}

  /// Records a failed check; the first few of each kind are printed in full.
  void fail(const std::string& kind, const std::string& what) {
    const int seen = ++failures_[kind];
    if (seen <= 5 || verbose_) std::printf("stress: FAIL %s: %s\n", kind.c_str(), what.c_str());
    if (seen == 6 && !verbose_) {
      std::printf("stress: FAIL %s: ... (more not shown; --verbose shows all)\n", kind.c_str());
    }
  }
  bool passed() const { return failures_.empty(); }
  void printCounts() const {
    for (const auto& [kind, count] : failures_) {
      std::printf("stress: %d failed check(s) of kind '%s'\n", count, kind.c_str());
    }
  }

 private:
  bool verbose_;
  std::map<std::string, int> failures_;
};

/// The agent's plan in words, for a failure's message.
std::string planOf(const Leaf& leaf) {
  std::string plan = std::string(nameOf(leaf.body)) + ", " + std::string(nameOf(leaf.fate));
  if (leaf.body == Body::ShellMedium || leaf.body == Body::FunctionMedium) {
    plan += ", works " + std::to_string(leaf.work.count()) + " ms";
  }
  if (leaf.fate == Fate::TimeLimit || leaf.fate == Fate::WrapTimeLimit ||
      leaf.fate == Fate::AttemptLimit) {
    plan += ", limit " + std::to_string(leaf.limit.count()) + " ms";
  }
  if (leaf.fate == Fate::HostCancel || leaf.fate == Fate::ExternalKill) {
    plan += ", after " + std::to_string(leaf.actionDelay.count()) + " ms";
  }
  return plan;
}

/// The states an agent may settle in after its fate (docs/errors.md, docs/combinators.md).
std::set<Status> allowedStates(const Leaf& leaf) {
  std::set<Status> allowed;
  const std::optional<Status> natural = naturalEnd(leaf.body);
  switch (leaf.fate) {
    case Fate::Natural:
      break;
    case Fate::HostCancel:
      allowed.insert(Status::Cancelled);
      break;
    case Fate::TimeLimit:
    case Fate::WrapTimeLimit:
    case Fate::AttemptLimit:
    case Fate::GroupDeadline:
      allowed.insert(Status::TimedOut);
      break;
    case Fate::ExternalKill:
      allowed.insert(Status::Crashed);
      break;
  }
  // The action may come after the agent's own end (a time limit that passes as it exits, a
  // cancel or kill after it finished): the end it reached stands.
  if (natural) allowed.insert(*natural);
  if (leaf.mayBeStoppedByCombinator) allowed.insert(Status::Cancelled);
  return allowed;
}

/// The codes a combinator may have collected from this agent: its own, and DeadlineExceeded
/// from a withTimeLimit around it whose deadline passed as the agent finished (a value after
/// the deadline is not a finish in time: docs/combinators.md, withTimeLimit).
std::set<std::string> collectedCodes(const Leaf& leaf, Status status) {
  std::set<std::string> codes{codeFor(status)};
  if (leaf.fate == Fate::WrapTimeLimit || leaf.fate == Fate::AttemptLimit) {
    codes.insert("DeadlineExceeded");
  }
  return codes;
}

std::string join(const std::set<Status>& states) {
  std::string text;
  for (Status status : states) text += (text.empty() ? "" : "|") + std::string(toString(status));
  return text;
}

std::string join(const std::set<std::string>& words) {
  std::string text;
  for (const std::string& word : words) text += (text.empty() ? "" : "|") + word;
  return text;
}

struct Tally {
  std::size_t shellAgents = 0;
  std::size_t functionAgents = 0;
  std::size_t cancelsSent = 0;
  std::size_t killsSent = 0;
  std::size_t timeLimited = 0;  // fates with a time limit
  std::size_t lateActions = 0;  // a cancel or kill that found its agent done
  std::size_t stoppedByCombinator = 0;
  std::size_t laterFailures = 0;         // P24 warnings: a failure after the first
  std::size_t limitAfterOwnSuccess = 0;  // the task TimedOut; its file kept the success
  std::size_t settledOnce = 0;
  std::size_t groupsSettledOnce = 0;
  std::size_t filesChecked = 0;
  std::size_t resultsLost = 0;
  std::map<Status, std::size_t> byState;
  std::map<std::string, std::size_t> byFateAndState;
};

void checkLeaves(const Storm& storm, Checks& checks, Tally& tally) {
  for (const auto& owned : storm.leaves()) {
    const Leaf& leaf = *owned;
    const Seen seen = leaf.seen();
    const std::string who = "agent '" + leaf.description + "'";
    isShell(leaf.body) ? ++tally.shellAgents : ++tally.functionAgents;
    {
      std::lock_guard lock(leaf.mutex);
      tally.cancelsSent += leaf.cancelSent ? 1 : 0;
      tally.killsSent += leaf.killSent ? 1 : 0;
      tally.lateActions += leaf.actionLate ? 1 : 0;
    }
    if (leaf.fate == Fate::TimeLimit || leaf.fate == Fate::WrapTimeLimit ||
        leaf.fate == Fate::AttemptLimit || leaf.fate == Fate::GroupDeadline) {
      ++tally.timeLimited;
    }
    if (!seen.launched) {
      checks.fail("launched", who + " was never launched");
      ++tally.resultsLost;
      continue;
    }
    if (seen.settledEvents != 1 || seen.continuations != 1) {
      checks.fail("settled once", who + " settled " + std::to_string(seen.settledEvents) +
                                      " time(s) by its events and ran " +
                                      std::to_string(seen.continuations) + " continuation(s)");
      if (seen.settledEvents == 0) ++tally.resultsLost;
      if (seen.settledEvents == 0) continue;
    } else {
      ++tally.settledOnce;
    }
    const std::optional<Status> status = statusNamed(seen.status);
    if (!status) {
      checks.fail("state", who + " settled with an unknown state '" + seen.status + "'");
      continue;
    }
    ++tally.byState[*status];
    ++tally.byFateAndState[std::string(nameOf(leaf.fate)) + " -> " +
                           std::string(bgagent::toString(*status))];
    const std::set<Status> allowed = allowedStates(leaf);
    if (!allowed.contains(*status)) {
      checks.fail("state", who + " (" + planOf(leaf) + ") settled " + seen.status + ", expected " +
                               join(allowed) + ": " + seen.message);
    }
    if (*status == Status::Cancelled && leaf.mayBeStoppedByCombinator) {
      std::lock_guard lock(leaf.mutex);
      if (!leaf.cancelSent) ++tally.stoppedByCombinator;
    }
    if (seen.code != codeFor(*status)) {
      checks.fail("error code", who + " settled " + seen.status + " with the code '" + seen.code +
                                    "', expected '" + codeFor(*status) + "': " + seen.message);
    }
  }
}

/// Checks one agent's output file: complete, parsed without a protocol error or warning, in
/// agreement with its task, and saying why a stopped agent ended.
void checkFile(const Leaf& leaf, Checks& checks, Tally& tally) {
  const Seen seen = leaf.seen();
  const std::string who = "agent '" + leaf.description + "'";
  if (!seen.launched || seen.settledEvents == 0) return;  // reported already
  if (seen.outputFile.empty()) {
    checks.fail("file", who + " has no output file");
    return;
  }
  bgagent::OutputFile file(seen.outputFile);
  const auto read = file.refresh();
  if (!read) {
    checks.fail("file", who + ": " + read.error().message);
    return;
  }
  ++tally.filesChecked;
  const bgagent::OutputSnapshot& snapshot = file.snapshot();
  const std::string where = who + " (" + planOf(leaf) + ") file '" + seen.outputFile + "'";
  if (!snapshot.completed) checks.fail("file complete", where + " has no [COMPLETE]");
  if (snapshot.error && (snapshot.error->code == bgagent::ErrorCode::MalformedOutput ||
                         snapshot.error->code == bgagent::ErrorCode::InvalidResult)) {
    checks.fail("file parse", where + ": " + snapshot.error->message);
  }
  // Later failures are warnings too (P24: the host's RESULT after its own ERROR), with the
  // same code as a broken line (MalformedOutput): told apart by the failure's words.
  for (const bgagent::Error& warning : snapshot.warnings) {
    const std::size_t said = warning.message.find(": line ");
    const std::string_view what = said == std::string::npos
                                      ? std::string_view(warning.message)
                                      : std::string_view(warning.message).substr(said + 2);
    const std::size_t colon = what.find(": ");
    const std::string_view words = colon == std::string::npos ? what : what.substr(colon + 2);
    if (words.starts_with("RESULT reports success=false") ||
        words.starts_with("agent reported an error")) {
      ++tally.laterFailures;
    } else {
      checks.fail("file parse", where + ": " + warning.message);
    }
  }
  if (snapshot.description != leaf.description) {
    checks.fail("file", where + " names the task '" + snapshot.description + "'");
  }
  const bool succeeded = seen.status == "Succeeded";
  // An in-process agent's time limit is its watch's timeout: when the runtime's thread comes to
  // the deadline late and the agent has finished meanwhile, the task settles TimedOut and the
  // file keeps the agent's success (agent_registry.hpp, watchTask). Counted, allowed only so.
  const bool limitPassedAsItSucceeded =
      seen.status == "TimedOut" && leaf.fate == Fate::TimeLimit && !isShell(leaf.body) &&
      snapshot.status == Status::Succeeded && snapshot.errorRecords == 0;
  if (limitPassedAsItSucceeded) {
    ++tally.limitAfterOwnSuccess;
  } else if ((snapshot.status == Status::Succeeded) != succeeded) {
    checks.fail("file agrees", where + " is " + std::string(toString(snapshot.status)) +
                                   " but its task settled " + seen.status);
  }
  std::ifstream in(seen.outputFile, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto says = [&text](std::string_view words) {
    return text.find(words) != std::string::npos;
  };
  const bool namesStop = (seen.status == "Cancelled" && says("[ERROR] cancelled by the host")) ||
                         (seen.status == "TimedOut" && says("[ERROR] timed out"));
  if ((seen.status == "Cancelled" || seen.status == "TimedOut") && !namesStop &&
      !limitPassedAsItSucceeded) {
    checks.fail("file says why",
                where + " of a " + seen.status + " task does not say the host stopped it");
  }
  if (seen.status == "Crashed" && !says("killed by signal 9 (SIGKILL)")) {
    checks.fail("file says why", where + " of a Crashed task does not name SIGKILL");
  }
}

void checkGroups(const Storm& storm, const std::vector<bgagent::Result<Json>>* topOutcomes,
                 Checks& checks, Tally& tally) {
  for (const auto& owned : storm.groups()) {
    const Group& group = *owned;
    const Seen seen = group.seen();
    const std::string who = "group '" + group.description + "'";
    if (!seen.launched) {
      checks.fail("launched", who + " was never launched");
      continue;
    }
    if (seen.settledEvents != 1 || seen.continuations != 1) {
      checks.fail("settled once", who + " settled " + std::to_string(seen.settledEvents) +
                                      " time(s) by its events and ran " +
                                      std::to_string(seen.continuations) + " continuation(s)");
      if (seen.settledEvents == 0) {
        ++tally.resultsLost;
        continue;
      }
    } else {
      ++tally.groupsSettledOnce;
    }
    const std::optional<Status> status = statusNamed(seen.status);
    if (!status || seen.code != codeFor(*status)) {
      checks.fail("error code", who + " settled " + seen.status + " with the code '" + seen.code +
                                    "': " + seen.message);
      continue;
    }
    switch (group.expect) {
      case GroupExpect::AnyEnding:
        break;
      case GroupExpect::Succeeds:
        if (*status != Status::Succeeded) {
          checks.fail("group",
                      who + " settled " + seen.status + ", expected Succeeded: " + seen.message);
        }
        break;
      case GroupExpect::TimesOut:
        if (*status != Status::TimedOut) {
          checks.fail("group",
                      who + " settled " + seen.status + ", expected TimedOut: " + seen.message);
        }
        break;
      case GroupExpect::FollowsLastLeaf: {
        const Seen last = group.lastLeaf->seen();
        const std::optional<Status> lastStatus = statusNamed(last.status);
        if (!lastStatus) break;  // reported with the agent
        const std::set<std::string> codes = collectedCodes(*group.lastLeaf, *lastStatus);
        if (!codes.contains(seen.code)) {
          checks.fail("group", who + " ended with '" + seen.code + "' but its last agent '" +
                                   group.lastLeaf->description + "' settled " + last.status +
                                   " (expected " + join(codes) + ")");
        }
        break;
      }
      case GroupExpect::CollectsInputs: {
        if (*status != Status::Succeeded) {
          checks.fail("group", who + " settled " + seen.status + ", expected Succeeded");
          break;
        }
        if (topOutcomes == nullptr || !group.topIndex || *group.topIndex >= topOutcomes->size()) {
          checks.fail("results", who + " has no outcome in the top-level allSettled");
          ++tally.resultsLost;
          break;
        }
        const bgagent::Result<Json>& outcome = (*topOutcomes)[*group.topIndex];
        if (!outcome || !outcome->is_array() || outcome->size() != group.inputs.size()) {
          checks.fail("results", who + " collected " +
                                     (outcome ? outcome->dump() : outcome.error().message) +
                                     " for " + std::to_string(group.inputs.size()) + " inputs");
          ++tally.resultsLost;
          break;
        }
        for (std::size_t i = 0; i < group.inputs.size(); ++i) {
          const Leaf& leaf = *group.inputs[i];
          const std::optional<Status> leafStatus = statusNamed(leaf.seen().status);
          if (!leafStatus) continue;  // reported with the agent
          const std::set<std::string> codes = collectedCodes(leaf, *leafStatus);
          const std::string collected = (*outcome)[i].get<std::string>();
          if (!codes.contains(collected)) {
            checks.fail("results", who + " collected '" + collected + "' for its input '" +
                                       leaf.description + "', which settled " +
                                       std::string(toString(*leafStatus)) + " (expected " +
                                       join(codes) + ")");
          }
        }
        break;
      }
    }
  }
  const Seen top = storm.top().seen();
  if (top.settledEvents != 1 || top.continuations != 1 || top.status != "Succeeded") {
    checks.fail("settled once", "the top allSettled settled " + std::to_string(top.settledEvents) +
                                    " time(s) (" + std::to_string(top.continuations) +
                                    " continuation(s)) as '" + top.status + "'");
  } else {
    ++tally.groupsSettledOnce;
  }
}

struct Leftovers {
  std::size_t descriptors = 0;
  std::size_t threads = 0;
  std::size_t children = 0;
  std::size_t zombies = 0;
  std::size_t orphans = 0;
  std::size_t pidsRecorded = 0;  // processes the agents wrote down
};

/// A pid an agent wrote down, with its start time: the process, not a later one with its pid.
struct RecordedProcess {
  pid_t pid = 0;
  std::uint64_t startTicks = 0;
};

/// Reads every pid the shell agents wrote; the first of each file is the agent's own, the
/// leader of its process group.
std::vector<RecordedProcess> readPids(const std::filesystem::path& directory,
                                      std::set<pid_t>& groups) {
  std::vector<RecordedProcess> recorded;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    std::ifstream in(entry.path());
    RecordedProcess process;
    long pid = 0;
    bool first = true;
    while (in >> pid >> process.startTicks) {
      if (pid <= 0) continue;
      process.pid = static_cast<pid_t>(pid);
      if (first) groups.insert(process.pid);
      recorded.push_back(process);
      first = false;
    }
  }
  return recorded;
}

/// No child of this process (but as many keepers as before), no zombie, none of the processes
/// the agents wrote down alive, and no live process left in an agent's process group.
void checkProcesses(const Storm& storm, std::size_t keepersBefore, std::uint64_t startTicks,
                    Checks& checks, Leftovers& left) {
  for (pid_t child : childPids()) {
    const auto stat = readStat(child);
    if (isKeeper(child) && keepersBefore > 0) {
      --keepersBefore;  // the default runtime's, alive as it is
      continue;
    }
    ++left.children;
    const bool zombie = stat && stat->state == 'Z';
    left.zombies += zombie ? 1 : 0;
    checks.fail(zombie ? "zombie" : "child",
                "child " + std::to_string(child) + " (" + (stat ? stat->command : "?") +
                    ", state " + (stat ? std::string(1, stat->state) : "?") + ") is left");
  }
  std::set<pid_t> groups;
  const std::vector<RecordedProcess> recorded = readPids(storm.pidDirectory(), groups);
  left.pidsRecorded = recorded.size();
  // A zombie is gone: it is this process's child (counted above), or its parent's (PID 1 in a
  // container, say, which may never reap it).
  const auto alive = [](const ProcessStat& stat) { return stat.state != 'Z'; };
  std::map<pid_t, std::string> suspects;  // pid: why it is one
  for (const RecordedProcess& process : recorded) {
    const auto stat = readStat(process.pid);
    if (stat && alive(*stat) && stat->startTicks == process.startTicks) {
      suspects.emplace(process.pid, "written down by an agent");
    }
  }
  // Processes no agent wrote down (a grandchild's own children): any still in an agent's group.
  // One started before this program is another's, in a group whose id was reused.
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto stat = readStat(name);
    if (stat && alive(*stat) && groups.contains(stat->group) && stat->startTicks >= startTicks) {
      suspects.emplace(static_cast<pid_t>(std::stol(name)), "in an agent's process group");
    }
  }
  suspects.erase(::getpid());
  const auto deadline = Clock::now() + 3s;
  for (const auto& [pid, why] : suspects) {
    // One SIGKILLed an instant ago may not have died yet: its exit is an event to wait for.
    PidFd process(pid);
    const auto wait = std::chrono::duration_cast<Milliseconds>(deadline - Clock::now());
    if (!process.valid() || process.exitsWithin(std::max(wait, Milliseconds(0)))) continue;
    const auto stat = readStat(pid);
    if (!stat || !alive(*stat)) continue;
    ++left.orphans;
    checks.fail("orphan", "process " + std::to_string(pid) + " (" + stat->command + ", state " +
                              std::string(1, stat->state) + ", group " +
                              std::to_string(stat->group) + ", parent " +
                              std::to_string(stat->parent) + ", " + why + ") outlived its agent");
  }
}

struct Arguments {
  StormOptions options;
  bool valid = true;
};

Arguments parseArguments(int argc, char** argv) {
  Arguments parsed;
  const auto number = [&](int& i, const char* name) -> std::optional<std::uint64_t> {
    if (i + 1 >= argc) return std::nullopt;
    const std::string_view text(argv[++i]);
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size()) {
      std::fprintf(stderr, "stress: %s needs a number, not '%s'\n", name, argv[i]);
      return std::nullopt;
    }
    return value;
  };
  for (int i = 1; i < argc && parsed.valid; ++i) {
    const std::string_view argument(argv[i]);
    if (argument == "--seed") {
      const auto value = number(i, "--seed");
      parsed.valid = value.has_value();
      if (value) parsed.options.seed = *value;
    } else if (argument == "--agents") {
      const auto value = number(i, "--agents");
      parsed.valid = value.has_value() && *value >= 1 && *value <= 100000;
      if (value) parsed.options.agents = static_cast<std::size_t>(*value);
    } else if (argument == "--keep") {
      parsed.options.keepFiles = true;
    } else if (argument == "--verbose") {
      parsed.options.verbose = true;
    } else {
      parsed.valid = false;
    }
  }
  return parsed;
}

/// Makes the threads and descriptors that live as long as the process before they are counted:
/// the sanitizer's helper thread (started with the first thread) and the default runtime (made
/// by its first use; combinators over combined tasks use its timers).
void warmUp(const std::filesystem::path& directory) {
  pid_t helper = 0;
  std::jthread([&helper] { helper = ::gettid(); }).join();
  const auto listed = std::filesystem::path("/proc/self/task") / std::to_string(helper);
  settleCount([&] { return std::filesystem::exists(listed) ? std::size_t{1} : std::size_t{0}; }, 0,
              2s);
  const auto done = directory / "warm-up.out";
  std::ofstream(done) << "[START] 2026-01-30T10:00:00Z\n[COMPLETE] 2026-01-30T10:00:01Z\n";
  // Twice: the runtime closes a settled watch's file on its next turn.
  for (int turn = 0; turn < 2; ++turn) {
    if (!bgagent::waitForCompletion(done, 20s).succeeded()) {
      throw std::runtime_error("the warm-up wait on '" + done.string() + "' failed");
    }
  }
}

std::uint64_t ownStartTicks() {
  const auto stat = readStat(::getpid());
  return stat ? stat->startTicks : 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Arguments arguments = parseArguments(argc, argv);
  if (!arguments.valid) {
    std::fprintf(stderr, "usage: %s [--seed N] [--agents N (1..100000)] [--keep] [--verbose]\n",
                 argv[0]);
    return 2;
  }
  const StormOptions& options = arguments.options;
  const rlim_t descriptorLimit = raiseDescriptorLimit();
  std::string pattern = (std::filesystem::temp_directory_path() / "bgagent-stress-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    std::fprintf(stderr, "stress: cannot create a directory from '%s': %s\n", pattern.c_str(),
                 std::strerror(errno));
    return 1;
  }
  const std::filesystem::path directory = pattern;
  warmUp(directory);

  const std::size_t descriptorsBefore = descriptorCount();
  const std::size_t threadsBefore = threadCount();
  const std::size_t keepersBefore = keeperCount();
  const std::uint64_t startTicks = ownStartTicks();
  std::printf("stress: seed %llu, %zu agents, descriptor limit %llu, in %s\n",
              static_cast<unsigned long long>(options.seed), options.agents,
              static_cast<unsigned long long>(descriptorLimit), directory.c_str());
  std::fflush(stdout);

  Checks checks(options.verbose);
  Tally tally;
  Leftovers left;
  const Clock::time_point started = Clock::now();
  Clock::duration stormTime{};
  Clock::duration launchTime{};
  std::size_t mostRunning = 0;
  std::size_t groupCount = 0;
  {
    auto runtime = std::make_unique<bgagent::Runtime>();
    Storm storm(options, *runtime, directory);
    std::optional<std::vector<bgagent::Result<Json>>> topOutcomes;
    {
      Task<std::vector<bgagent::Result<Json>>> top = storm.launchAll();
      launchTime = Clock::now() - started;
      // Generous: the run takes well under a minute; this only turns a hang into a failure.
      bgagent::Result<std::vector<bgagent::Result<Json>>> outcome = top.waitFor(180s);
      if (outcome) {
        topOutcomes = std::move(*outcome);
      } else {
        checks.fail("hang", "the top-level allSettled did not settle: " + outcome.error().message);
      }
      // Inputs that race, any or all left running are still being stopped: wait for each.
      if (!storm.waitForEveryLeaf(60s)) {
        checks.fail("hang", "not every agent settled within 60 s of the storm's end");
      }
      stormTime = Clock::now() - started;
      storm.stopActions();
    }  // the top task goes: it has settled, so this stops nothing
    mostRunning = storm.mostRunning();
    groupCount = storm.groups().size() + 1;  // and the top allSettled
    storm.letGo();
    runtime->shutdown();
    runtime.reset();

    checkLeaves(storm, checks, tally);
    checkGroups(storm, topOutcomes ? &*topOutcomes : nullptr, checks, tally);
    for (const auto& leaf : storm.leaves()) checkFile(*leaf, checks, tally);
    checkProcesses(storm, keepersBefore, startTicks, checks, left);
  }  // the storm's records go: nothing refers to them any more

  // The kernel lists a joined thread, and closes a descriptor sent to a reaped child, a moment
  // after: settleCount waits that moment out.
  const std::size_t descriptorsAfter = settleCount(descriptorCount, descriptorsBefore, 2s);
  const std::size_t threadsAfter = settleCount(threadCount, threadsBefore, 2s);
  left.descriptors =
      descriptorsAfter > descriptorsBefore ? descriptorsAfter - descriptorsBefore : 0;
  left.threads = threadsAfter > threadsBefore ? threadsAfter - threadsBefore : 0;
  if (left.descriptors != 0) {
    checks.fail("descriptors", std::to_string(descriptorsBefore) + " open before the storm, " +
                                   std::to_string(descriptorsAfter) + " after");
  }
  if (left.threads != 0) {
    checks.fail("threads", std::to_string(threadsBefore) + " before the storm, " +
                               std::to_string(threadsAfter) + " after");
  }
  const Clock::duration wallTime = Clock::now() - started;

  const bool passed = checks.passed();
  std::printf("stress: outcomes:");
  for (const auto& [status, count] : tally.byState) {
    std::printf(" %zu %s", count, std::string(bgagent::toString(status)).c_str());
  }
  std::printf("\n");
  if (options.verbose || !passed) {
    for (const auto& [pair, count] : tally.byFateAndState) {
      std::printf("stress:   %-34s %zu\n", pair.c_str(), count);
    }
  }
  checks.printCounts();
  std::printf(
      "stress: races allowed and counted: %zu cancels or kills came after the agent's own end, "
      "%zu agents cancelled by their combinator, %zu "
      "in-process successes settled as their late time limit, %zu later failures kept as "
      "warnings (P24)\n",
      tally.lateActions, tally.stoppedByCombinator, tally.limitAfterOwnSuccess,
      tally.laterFailures);
  std::printf(
      "stress: %s: seed %llu, %zu agents (%zu shell, %zu in-process) in %zu groups, at most %zu "
      "running at once; host cancels %zu, time limits %zu (%zu timed out), SIGKILLed from "
      "outside %zu (%zu crashed); settled once: %zu/%zu agents, %zu/%zu groups; files checked "
      "%zu; pids followed %zu; leaks: %zu descriptors, %zu threads, %zu children, %zu zombies, "
      "%zu orphans; results lost %zu; wall %s (launch %s, storm %s)\n",
      passed ? "PASS" : "FAIL", static_cast<unsigned long long>(options.seed), options.agents,
      tally.shellAgents, tally.functionAgents, groupCount, mostRunning, tally.cancelsSent,
      tally.timeLimited, tally.byState[Status::TimedOut], tally.killsSent,
      tally.byState[Status::Crashed], tally.settledOnce, options.agents, tally.groupsSettledOnce,
      groupCount, tally.filesChecked, left.pidsRecorded, left.descriptors, left.threads,
      left.children, left.zombies, left.orphans, tally.resultsLost, seconds(wallTime).c_str(),
      seconds(launchTime).c_str(), seconds(stormTime).c_str());
  if (passed && !options.keepFiles) {
    std::error_code ignored;
    std::filesystem::remove_all(directory, ignored);
  } else {
    std::printf("stress: files kept in %s\n", directory.c_str());
  }
  return passed ? 0 : 1;
}
