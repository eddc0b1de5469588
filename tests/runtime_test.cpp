// SPDX-License-Identifier: MIT
// Runtime: one thread serves every kind of agent and wait; shutdown stops agents with SIGTERM,
// the grace period, then SIGKILL, each file saying so; a forked child gets a runtime of its own.
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <bgagent/bgagent.hpp>
#include <bgagent/runtime/detail/process_liveness.hpp>
#include <bgagent/runtime/detail/runtime_syscall.hpp>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>

#include "catch.hpp"
#include "support/gated_agents.hpp"
#include "support/nothing_left_behind.hpp"
#include "support/process_checks.hpp"
#include "support/test_support.hpp"
#include "support/wait_for_text.hpp"

using namespace std::chrono_literals;
using bgagent::ErrorCode;
using bgagent::LaunchOptions;
using bgagent::Runtime;
using bgagent::Status;
using bgagent::Task;
using bgagent::test::childProcessCount;
using bgagent::test::endsWithin;
using bgagent::test::readFile;
using bgagent::test::ResourceCounts;
using bgagent::test::shell;
using bgagent::test::TempDir;
using bgagent::test::waitForText;

namespace {

// A shell agent that runs in `dir`, where its relative paths point.
LaunchOptions shellIn(const TempDir& dir, std::string description, std::string command) {
  LaunchOptions options = shell(dir, std::move(description), std::move(command));
  options.workingDirectory = dir.path();
  return options;
}

// The pid a shell agent wrote (`echo $$ > file`); 0 when there is none.
pid_t pidIn(const std::filesystem::path& path) {
  pid_t pid = 0;
  std::ifstream(path) >> pid;
  return pid;
}

LaunchOptions on(Runtime& runtime, LaunchOptions options) {
  options.runtime = &runtime;
  return options;
}

// The thread count once the kernel has caught up: a thread that was just joined can still be
// listed in /proc for a moment, and no event says when it goes. Bounded.
std::size_t threadsAddedOnceSettled(const ResourceCounts& counts, std::size_t expected) {
  const auto deadline = bgagent::SteadyClock::now() + 10s;
  while (counts.threadsAdded() != expected && bgagent::SteadyClock::now() < deadline) {
    std::this_thread::yield();
  }
  return counts.threadsAdded();
}

// The runtime's count of process agents once it reaches `expected` (at most 10 s): a child may
// write a file of its own before the thread that spawned it has handed it to the runtime.
std::size_t processAgentsOnceHandedOver(const Runtime& runtime, std::size_t expected) {
  const auto deadline = bgagent::SteadyClock::now() + 10s;
  while (runtime.processAgentCount() != expected && bgagent::SteadyClock::now() < deadline) {
    std::this_thread::yield();
  }
  return runtime.processAgentCount();
}

#if BGAGENT_TEST_FORK
// Waits for a forked child's exit through its pidfd, at most `timeout`; a child that has not
// exited by then is killed (and reaped), and there is no status.
std::optional<int> exitStatusWithin(pid_t child, std::chrono::milliseconds timeout) {
  const int pidFd = static_cast<int>(::syscall(SYS_pidfd_open, child, 0));
  REQUIRE(pidFd >= 0);
  pollfd ready{pidFd, POLLIN, 0};
  const int polled = ::poll(&ready, 1, static_cast<int>(timeout.count()));
  ::close(pidFd);
  if (polled != 1) ::kill(child, SIGKILL);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  if (polled != 1) return std::nullopt;
  return status;
}

// The same, where a child killed for a hang fails the test instead of outliving it.
int exitStatusOf(pid_t child, std::chrono::milliseconds timeout) {
  const std::optional<int> status = exitStatusWithin(child, timeout);
  REQUIRE(status);
  return *status;
}
#endif

// An in-process agent that runs until its stop token is requested.
Task<> untilStopped(Runtime& runtime, const TempDir& dir, const std::string& name) {
  LaunchOptions options = on(runtime, shell(dir, name, ""));
  return bgagent::runInThread(options, [](std::stop_token stop, bgagent::OutputWriter& out) {
    (void)out.progress("waiting for the stop token");
    bgagent::test::Gate never;
    (void)never.waitOrStop(stop);
  });
}

}  // namespace

TEST_CASE("one runtime thread serves a process agent, an in-process agent, a deadline and a retry",
          "[runtime][threads]") {
  TempDir dir;
  ResourceCounts counts;
  {
    Runtime runtime;
    auto process = bgagent::launch(on(runtime, shell(dir, "process", "echo up; exec sleep 100")));
    auto inProcess = untilStopped(runtime, dir, "in-process");
    auto deadline = bgagent::withTimeLimit(
        bgagent::launch(on(runtime, shell(dir, "deadline", "echo up; exec sleep 100"))), 1h);
    const auto retryUp = dir / "retry.up";
    auto retried = bgagent::retry(
        [&](int attempt) {
          // The first attempt fails at once; the second runs until it is stopped.
          return bgagent::launch(on(runtime, shell(dir, "attempt",
                                                   attempt == 1 ? "exit 1"
                                                                : "echo up > '" + retryUp.string() +
                                                                      "'; exec sleep 100")));
        },
        {.maxAttempts = 2, .backoff = bgagent::Backoff::fixed(1ms)});
    waitForText(process.outputPath(), "up\n");
    waitForText(inProcess.outputPath(), "waiting for the stop token");
    waitForText(deadline.outputPath(), "up\n");
    waitForText(retryUp, "up\n");

    CHECK(process.status() == Status::Running);
    CHECK(inProcess.status() == Status::Running);
    CHECK(deadline.status() == Status::Running);
    CHECK(retried.status() == Status::Running);
    // retry.up is the shell's own write: the spawning thread may not have handed its child over.
    CHECK(processAgentsOnceHandedOver(runtime, 3) == 3);
    // The runtime's one thread, and the in-process agent's own.
    CHECK(threadsAddedOnceSettled(counts, 2) == 2);

    retried.cancel();
    deadline.cancel();
    inProcess.cancel();
    process.cancel();
    CHECK(retried.wait().error().code == ErrorCode::Cancelled);
    CHECK(deadline.wait().error().code == ErrorCode::Cancelled);
    CHECK(inProcess.wait().error().code == ErrorCode::Cancelled);
    CHECK(process.wait().error().code == ErrorCode::Cancelled);
  }
  CHECK(childProcessCount() == 0);
  CHECK(threadsAddedOnceSettled(counts, 0) == 0);
  CHECK(counts.descriptorsAdded() == 0);
}

TEST_CASE(
    "shutting a runtime down sends SIGTERM, then SIGKILL after the grace, and says so in "
    "every file",
    "[runtime][shutdown]") {
  TempDir dir;
  ResourceCounts counts;
  std::promise<bgagent::WaitOutcome> watched;
  {
    Runtime runtime({.shutdownGrace = 300ms});
    // Exits when asked; ignores the request and must be killed; an in-process agent; a wait.
    auto polite = bgagent::launch(
        on(runtime,
           shell(dir, "polite", "trap 'echo got TERM; exit 3' TERM; echo up; sleep 100 & wait")));
    auto stubborn = bgagent::launch(
        on(runtime,
           shell(dir, "stubborn",
                 "trap 'echo ignored TERM' TERM; echo up; while :; do sleep 100 & wait; done")));
    auto inProcess = untilStopped(runtime, dir, "in-process");
    bgagent::Watcher watcher(runtime);
    auto handle = watcher.watch(dir / "never.out", {}, [&watched](bgagent::WaitOutcome outcome) {
      watched.set_value(std::move(outcome));
    });
    waitForText(polite.outputPath(), "up\n");
    waitForText(stubborn.outputPath(), "up\n");
    waitForText(inProcess.outputPath(), "waiting for the stop token");

    const auto began = bgagent::SteadyClock::now();
    runtime.shutdown();
    // The stubborn agent held the shutdown for the whole grace period.
    CHECK(bgagent::SteadyClock::now() - began >= 300ms);
    CHECK_FALSE(runtime.acceptsWork());
    CHECK(runtime.processAgentCount() == 0);

    const std::string politeFile = readFile(polite.outputPath());
    CHECK(politeFile.find("got TERM\n") != std::string::npos);
    CHECK(politeFile.find("[ERROR] the host shut down\n") != std::string::npos);
    CHECK(polite.snapshot().result.at("exitCode") == 3);
    CHECK(polite.status() == Status::Cancelled);
    CHECK(polite.wait().error().code == ErrorCode::Cancelled);

    const std::string stubbornFile = readFile(stubborn.outputPath());
    CHECK(stubbornFile.find("ignored TERM\n") != std::string::npos);
    CHECK(stubbornFile.find("[ERROR] the host shut down\n") != std::string::npos);
    CHECK(stubborn.snapshot().result.at("signal") == SIGKILL);
    CHECK(stubborn.status() == Status::Cancelled);

    CHECK(readFile(inProcess.outputPath()).find("[ERROR] the host shut down\n") !=
          std::string::npos);
    CHECK(inProcess.status() == Status::Cancelled);

    const bgagent::WaitOutcome outcome = watched.get_future().get();
    CHECK(outcome.status == bgagent::Status::Cancelled);
    CHECK(outcome.error->message ==
          "output file '" + (dir / "never.out").string() + "': the watcher shut down");

    // Nothing starts on it any more, and waits on it end at once.
    auto late = bgagent::launch(on(runtime, shell(dir, "late", "true")));
    REQUIRE(late.settled());
    CHECK(late.wait().error().code == ErrorCode::Cancelled);
    CHECK(late.wait().error().message ==
          "agent 'late': the runtime has shut down: no agent can start on it");
    CHECK(bgagent::waitForCompletion(dir / "never.out", {}, watcher).status ==
          bgagent::Status::Cancelled);
    runtime.shutdown();  // idempotent
  }
  CHECK(childProcessCount() == 0);
  CHECK(threadsAddedOnceSettled(counts, 0) == 0);
  CHECK(counts.descriptorsAdded() == 0);
}

TEST_CASE("a retry waiting out its backoff when the runtime shuts down settles Cancelled",
          "[runtime][shutdown]") {
  TempDir dir;
  Runtime runtime;
  std::promise<void> backingOff;
  auto retried = bgagent::retry(
      [&](int) { return bgagent::launch(on(runtime, shell(dir, "fails", "exit 1"))); },
      {.maxAttempts = 2,
       .backoff = bgagent::Backoff::fixed(1h),
       // Asked on the runtime's thread, which schedules the backoff right after.
       .retryIf = [&](const bgagent::Error&) {
         backingOff.set_value();
         return true;
       }});
  backingOff.get_future().get();
  runtime.shutdown();
  REQUIRE(retried.settled());
  CHECK(retried.status() == Status::Cancelled);
  CHECK(retried.wait().error().code == ErrorCode::Cancelled);
  CHECK(retried.wait().error().message ==
        "'retry(up to 2 attempts)' was cancelled: nothing was left to finish it (its runtime "
        "shut down)");
}

TEST_CASE("a runtime cannot be shut down from its own thread", "[runtime][shutdown]") {
  TempDir dir;
  bgagent::test::writeFile(dir / "done.out",
                           std::string(bgagent::test::kStartLine) + bgagent::test::kCompleteLine);
  Runtime runtime;
  bgagent::Watcher watcher(runtime);
  std::promise<std::string> thrown;
  auto handle = watcher.watch(dir / "done.out", {}, [&](bgagent::WaitOutcome) {
    try {
      runtime.shutdown();
      thrown.set_value("nothing");
    } catch (const std::logic_error& error) {
      thrown.set_value(error.what());
    }
  });
  CHECK(thrown.get_future().get() ==
        "bgagent: a runtime cannot be shut down from its own thread (a callback or "
        "continuation), which would wait for itself");
  CHECK(runtime.acceptsWork());
}

#if BGAGENT_TEST_FORK

TEST_CASE("a forked child gets a runtime of its own and a clear error for its parent's tasks",
          "[runtime][fork]") {
  TempDir dir;
  // Forked only once the runtime's thread has told of the agent's only output and left the
  // listener: a fork copies the locks other threads hold at that moment, and a sanitizer's
  // allocator may have no fork handler to free them. (Narrower, not closed: the thread may
  // still be finishing its turn.)
  std::promise<void> reported;
  auto parents = bgagent::launch(shell(dir, "parent's", "echo '[PROGRESS] up'; exec sleep 100"));
  {
    const bgagent::TaskSubscription progress =
        bgagent::TaskView(parents).subscribe([&reported, once = std::make_shared<std::once_flag>()](
                                                 std::string_view kind, const nlohmann::json&) {
          if (kind == "progress") std::call_once(*once, [&reported] { reported.set_value(); });
        });
    REQUIRE(reported.get_future().wait_for(20s) == std::future_status::ready);
  }  // ending the subscription waits for a listener in flight

  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // No test macro here: this is another process. The exit code says what failed, and a
    // file says why.
    int failed = 0;
    std::ofstream why(dir / "child.txt");
    auto own = bgagent::launch(shell(dir, "child's", "echo from the child"));
    if (const auto result = own.waitFor(10s); !result) {
      failed |= 1;
      why << "own launch: " << result.error().message << std::endl;
    }
    const auto waited = parents.waitFor(10s);
    if (waited || waited.error().code != ErrorCode::InvalidArgument ||
        waited.error().message.find("not to this forked child") == std::string::npos) {
      failed |= 2;
      why << "the parent's task: " << (waited ? "a value" : waited.error().message) << std::endl;
    }
    {
      // A combinator over it settles at once with the same error, and lets go of it without
      // stopping anything of the parent's.
      auto timed = bgagent::withTimeLimit(std::move(parents), 1h);
      const auto combined = timed.waitFor(10s);
      if (combined || combined.error().code != ErrorCode::InvalidArgument) {
        failed |= 4;
        why << "a combinator over it: " << (combined ? "a value" : combined.error().message)
            << std::endl;
      }
    }
    why.close();
    ::_exit(failed);
  }
  const std::optional<int> status = exitStatusWithin(child, 30s);
  std::stringstream said;
  said << std::ifstream(dir / "child.txt").rdbuf();  // empty when the child wrote nothing
  INFO("the child said: " << said.str());
  REQUIRE(status);
  REQUIRE(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
  CHECK(parents.status() == Status::Running);
  parents.cancel();
  CHECK(parents.wait().error().code == ErrorCode::Cancelled);
}

TEST_CASE("a forked child cannot use a runtime its parent made, and says so at once",
          "[runtime][fork]") {
  TempDir dir;
  Runtime parentsRuntime;
  auto parents =
      bgagent::launch(on(parentsRuntime, shell(dir, "parent's", "echo up; exec sleep 100")));
  waitForText(parents.outputPath(), "up\n");

  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    int failed = 0;
    auto refused = bgagent::launch(on(parentsRuntime, shell(dir, "refused", "true")));
    const auto result = refused.waitFor(10s);
    if (result || result.error().code != ErrorCode::InvalidArgument ||
        result.error().message.find("not to this forked child") == std::string::npos) {
      failed |= 1;
    }
    if (parents.waitFor(10s)) failed |= 2;
    try {
      bgagent::Watcher watcher(parentsRuntime);
      auto handle = watcher.watch(dir / "any.out", {}, [](bgagent::WaitOutcome) {});
      failed |= 4;
    } catch (const std::logic_error&) {
      // refused at once, as it must be
    }
    // The default runtime is the child's own and works.
    if (!bgagent::launch(shell(dir, "child's", "true")).waitFor(10s)) failed |= 8;
    ::_exit(failed);
  }
  const int status = exitStatusOf(child, 30s);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(parents.status() == Status::Running);
  parents.cancel();
  CHECK(parents.wait().error().code == ErrorCode::Cancelled);
}

TEST_CASE("at exit the default runtime asks its running agents to stop with SIGTERM",
          "[runtime][shutdown][fork]") {
  TempDir dir;
  const auto ready = dir / "ready";
  REQUIRE(::mkfifo(ready.c_str(), 0600) == 0);
  const auto marker = dir / "marker";
  const auto outputPath = dir / "output-path";
  // The child's exit() flushes what it inherited: nothing of the parent's may be waiting.
  std::cout.flush();
  std::fflush(nullptr);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    auto task = bgagent::launch(shell(dir, "left running",
                                      "trap 'echo got TERM > \"" + marker.string() +
                                          "\"; exit 0' TERM; echo up > '" + ready.string() +
                                          "'; sleep 100 & wait"));
    std::ofstream(outputPath) << task.outputPath().string();
    std::string line;
    std::ifstream(ready) >> line;  // the agent's trap is in place
    task.detach();                 // still running when the process exits
    std::exit(line == "up" ? 0 : 1);
  }
  const int status = exitStatusOf(child, 30s);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(readFile(marker) == "got TERM\n");
  const std::string file = readFile(readFile(outputPath));
  CHECK(file.find("[ERROR] the host shut down\n") != std::string::npos);
  CHECK(file.find("[COMPLETE]") != std::string::npos);
}

namespace {

enum class HostEnd { SigKilled, CalledExit };

// What else happens to the host before it ends.
enum class Twist {
  None,
  KeeperKilledFirst,   // its keeper is killed from outside after the first launch
  ForkedChildLivesOn,  // it forks a child that does not exec and outlives it
};

// A host process (a fork of this one) launches `agents` agents, each with a grandchild in its
// group, and ends as `how` says once they run, after `twist`: a keeper killed from outside
// must be replaced at the second launch by one that holds both agents; a forked child must not
// keep the keeper from seeing its host end. Checks that every agent, grandchild and keeper ends
// after the host.
void checkAgentsEndWithTheirHost(HostEnd how, int agents, Twist twist) {
  TempDir dir;
  const auto ready = dir / "ready";
  REQUIRE(::mkfifo(ready.c_str(), 0600) == 0);
  int report[2];
  REQUIRE(::pipe2(report, O_CLOEXEC) == 0);
  std::cout.flush();
  std::fflush(nullptr);
  const pid_t host = ::fork();
  REQUIRE(host >= 0);
  if (host == 0) {
    // Another process: no test macro. A failure reports keeper pid 0.
    ::close(report[0]);
    std::vector<bgagent::Task<>> tasks;
    pid_t keeper = 0;
    for (int index = 0; index < agents; ++index) {
      if (index == 1 && twist == Twist::KeeperKilledFirst) {
        const pid_t first = bgagent::detail::DefaultRuntime::get()->processes().hostExitKeeperPid();
        siginfo_t info{};
        // Dead, not reaped: the runtime finds it gone at its next record and reaps it.
        if (first <= 0 || ::kill(first, SIGKILL) != 0 ||
            ::waitid(P_PID, static_cast<id_t>(first), &info, WEXITED | WNOWAIT) != 0) {
          ::_exit(1);
        }
      }
      const std::string name = "agent-" + std::to_string(index);
      tasks.push_back(bgagent::launch(shellIn(dir, name,
                                              "echo $$ > " + name + ".pid; sleep 100 & echo $! > " +
                                                  name + "-grandchild.pid; echo up > '" +
                                                  ready.string() + "'; wait")));
      std::ofstream(dir / (name + ".path")) << tasks.back().outputPath().string();
      std::string line;
      std::ifstream(ready) >> line;  // the agent runs, its pids are written
      if (line != "up") ::_exit(1);
    }
    keeper = bgagent::detail::DefaultRuntime::get()->processes().hostExitKeeperPid();
    pid_t forked = 0;
    if (twist == Twist::ForkedChildLivesOn) {
      forked = ::fork();
      if (forked == 0) {
        while (true) ::pause();  // until the test's SIGKILL
      }
    }
    const pid_t pids[] = {keeper, forked};
    if (::write(report[1], pids, sizeof pids) != sizeof pids) ::_exit(1);
    if (how == HostEnd::CalledExit) ::_exit(0);  // no destructor, no atexit handler runs
    while (true) ::pause();                      // until the SIGKILL
  }
  ::close(report[1]);
  pollfd readable{report[0], POLLIN, 0};
  const bool ran = ::poll(&readable, 1, 30'000) == 1;
  pid_t pids[2] = {0, 0};
  const bool reported = ran && ::read(report[0], pids, sizeof pids) == sizeof pids;
  const pid_t keeper = pids[0];
  const pid_t forked = pids[1];
  ::close(report[0]);
  if (!reported || how == HostEnd::SigKilled) ::kill(host, SIGKILL);
  const int status = exitStatusOf(host, 30s);
  REQUIRE(reported);
  CHECK((how == HostEnd::SigKilled ? WIFSIGNALED(status) : WIFEXITED(status)));

  for (int index = 0; index < agents; ++index) {
    const std::string name = "agent-" + std::to_string(index);
    INFO(name);
    // The file names the agent's process, group and start time.
    bgagent::OutputFile file(readFile(dir / (name + ".path")));
    REQUIRE(file.readAppended());
    const pid_t agent = pidIn(dir / (name + ".pid"));
    CHECK(file.snapshot().agent.pid == agent);
    CHECK(file.snapshot().agent.group == agent);
    CHECK(file.snapshot().agent.started > 0);
    CHECK(endsWithin(agent, 20s));
    CHECK(endsWithin(pidIn(dir / (name + "-grandchild.pid")), 20s));
  }
  CHECK(keeper > 0);
  CHECK((keeper > 0 && endsWithin(keeper, 20s)));
  if (forked > 0) {
    CHECK(::kill(forked, SIGKILL) == 0);
    CHECK(endsWithin(forked, 20s));
  }
}

}  // namespace

// Reliability issue, item 6: a host that dies leaves no agent behind, even when no code of it
// can run any more (SIGKILL, _exit); each file names the agent's process.
TEST_CASE("agents and their children end when their host is SIGKILLed", "[runtime][fork]") {
  checkAgentsEndWithTheirHost(HostEnd::SigKilled, 2, Twist::None);
}

TEST_CASE("agents and their children end when their host calls _exit", "[runtime][fork]") {
  checkAgentsEndWithTheirHost(HostEnd::CalledExit, 1, Twist::None);
}

TEST_CASE("a keeper killed from outside is replaced by one that holds every running agent",
          "[runtime][fork]") {
  checkAgentsEndWithTheirHost(HostEnd::SigKilled, 2, Twist::KeeperKilledFirst);
}

TEST_CASE("a child the host forked without exec does not keep its agents alive after it",
          "[runtime][fork]") {
  checkAgentsEndWithTheirHost(HostEnd::SigKilled, 1, Twist::ForkedChildLivesOn);
}

#endif

// The keeper is the runtime's own child: started by its first process agent, reaped at its end.
TEST_CASE("a runtime's keeper starts with its first process agent and is reaped at its end",
          "[runtime][shutdown]") {
  TempDir dir;
  pid_t keeper = 0;
  int keeperPidFd = -1;
  {
    Runtime runtime;
    const auto& processes = runtime.core()->processes();
    CHECK(processes.hostExitKeeperPid() == -1);
    auto task = bgagent::launch(
        on(runtime, shellIn(dir, "one", "echo $$ > one.pid; echo up; exec sleep 100")));
    waitForText(task.outputPath(), "up\n");
    keeper = processes.hostExitKeeperPid();
    REQUIRE(keeper > 0);
    CHECK(readFile("/proc/" + std::to_string(keeper) + "/cmdline")
              .find(bgagent::detail::HostExitGuard::kKeeperMarker) != std::string::npos);
    keeperPidFd = static_cast<int>(::syscall(SYS_pidfd_open, keeper, 0));
    REQUIRE(keeperPidFd >= 0);
    // The file names the agent's process as /proc knows it.
    const pid_t agent = pidIn(dir / "one.pid");
    bgagent::OutputFile file(task.outputPath());
    REQUIRE(file.readAppended());
    CHECK(
        file.snapshot().agent ==
        bgagent::AgentProcessInfo{agent, agent, bgagent::detail::processStartTicks(agent).value()});
    task.cancel();
    CHECK(task.wait().error().code == ErrorCode::Cancelled);
  }
  // Reaped by the runtime: its pidfd says it exited, and no child of ours has its pid.
  pollfd exited{keeperPidFd, POLLIN, 0};
  CHECK(::poll(&exited, 1, 0) == 1);
  ::close(keeperPidFd);
  int status = 0;
  CHECK(::waitpid(keeper, &status, WNOHANG) == -1);
  CHECK(errno == ECHILD);
}

namespace {

// What /proc says descriptor `fd` is: "pipe:[...]", "anon_inode:inotify", "anon_inode:[pidfd]".
std::string descriptorKind(int fd) {
  std::error_code ignored;
  return std::filesystem::read_symlink("/proc/self/fd/" + std::to_string(fd), ignored).string();
}

// epoll_ctl as the kernel would refuse it (ENOSPC: the user's epoll watch limit) for the
// descriptors whose kind starts with one of `refused`.
template <const char*... Refused>
int refuseRegistration(int epoll, int operation, int fd, epoll_event* event) {
  const std::string kind = descriptorKind(fd);
  if (operation == EPOLL_CTL_ADD && (kind.starts_with(Refused) || ...)) {
    errno = ENOSPC;
    return -1;
  }
  return ::epoll_ctl(epoll, operation, fd, event);
}

constexpr char kInotify[] = "anon_inode:inotify";
constexpr char kPipe[] = "pipe:";
constexpr char kPidFd[] = "anon_inode:[pidfd]";

}  // namespace

// Reliability issue, item 4: a registration the kernel refuses is never an exception on the
// runtime's thread nor an exit nobody sees: each part polls what it could not register.
TEST_CASE("a runtime whose inotify cannot join the loop polls every file instead",
          "[runtime][fault]") {
  TempDir dir;
  bgagent::test::NothingLeftBehind check;  // first: its warm-up launch uses the default runtime
  bgagent::test::ScopedSyscall refuse(bgagent::detail::runtimeSyscalls.epollCtl,
                                      &refuseRegistration<kInotify>);
  std::optional<Runtime> runtime;
  REQUIRE_NOTHROW(runtime.emplace());
  CHECK_FALSE(runtime->usesInotify());
  auto task = bgagent::launch(on(*runtime, shell(dir, "polled", "echo '[RESULT] {\"n\": 7}'")));
  const auto result = task.wait();
  REQUIRE(result);
  CHECK(result->at("n") == 7);
  runtime.reset();  // before the seam is restored
}

TEST_CASE("a process agent whose pipe and pidfd cannot join the loop still ends in full",
          "[runtime][fault]") {
  TempDir dir;
  bgagent::test::NothingLeftBehind check;  // first: its warm-up launch uses the default runtime
  bgagent::test::ScopedSyscall refuse(bgagent::detail::runtimeSyscalls.epollCtl,
                                      &refuseRegistration<kPipe, kPidFd>);
  Runtime runtime;  // after the seam's change, so it goes before the seam is restored
  auto task = bgagent::launch(
      on(runtime, shell(dir, "unregistered", "echo '[PROGRESS] 1/2 half'; echo said; exit 3")));
  const auto result = task.wait();
  REQUIRE_FALSE(result);
  CHECK(task.status() == Status::Failed);
  CHECK(task.snapshot().result.at("exitCode") == 3);
  CHECK(task.snapshot().progress.text == "1/2 half");
  CHECK(task.snapshot().tail.lines() == std::vector<std::string>{"said"});
}

namespace {

std::atomic<unsigned> pipeReads{0};
std::atomic<unsigned> blockingReaps{0};

// Every other read of a pipe is interrupted, as a signal handler installed without SA_RESTART
// interrupts it.
ssize_t interruptEveryOtherPipeRead(int fd, void* buffer, size_t count) {
  if (descriptorKind(fd).starts_with(kPipe) && pipeReads.fetch_add(1) % 2 == 0) {
    errno = EINTR;
    return -1;
  }
  return ::read(fd, buffer, count);
}

// The first blocking reap is interrupted.
pid_t interruptFirstBlockingReap(pid_t pid, int* status, int options) {
  if (options == 0 && blockingReaps.fetch_add(1) == 0) {
    errno = EINTR;
    return -1;
  }
  return ::waitpid(pid, status, options);
}

int noPidFd(pid_t, unsigned) {
  errno = ENOSYS;  // a kernel before 5.3, or a seccomp filter
  return -1;
}

int noDescriptorLeft(int*, int) {
  errno = EMFILE;
  return -1;
}

}  // namespace

// Reliability issue, "Also": the supervisor's own calls, each fault with a defined outcome.
TEST_CASE("interrupted pipe reads and reaps lose no output and no exit status",
          "[runtime][fault][process]") {
  TempDir dir;
  bgagent::test::NothingLeftBehind check;  // first: its warm-up launch uses the default runtime
  bgagent::test::ScopedSyscall interruptReads(bgagent::detail::runtimeSyscalls.read,
                                              &interruptEveryOtherPipeRead);
  bgagent::test::ScopedSyscall interruptReaps(bgagent::detail::runtimeSyscalls.waitpid,
                                              &interruptFirstBlockingReap);
  Runtime runtime;  // after the seam's change, so it goes before the seam is restored
  LaunchOptions options = on(runtime, shell(dir, "interrupted", "seq 1 2000; exit 4"));
  options.cleanup = bgagent::CleanupPolicy::Keep;  // read below
  auto task = bgagent::launch(options);
  REQUIRE_FALSE(task.wait());
  CHECK(task.snapshot().result.at("exitCode") == 4);
  std::string expected;
  for (int i = 1; i <= 2000; ++i) expected += std::to_string(i) + "\n";
  CHECK(readFile(task.outputPath()).find(expected) != std::string::npos);
  CHECK(pipeReads.load() > 2);
  CHECK(blockingReaps.load() >= 2);
}

TEST_CASE("an agent whose pidfd cannot be opened is reaped by polling, its exit code kept",
          "[runtime][fault][process]") {
  TempDir dir;
  bgagent::test::NothingLeftBehind check;  // first: its warm-up launch uses the default runtime
  bgagent::test::ScopedSyscall refuse(bgagent::detail::runtimeSyscalls.pidFdOpen, &noPidFd);
  Runtime runtime;  // after the seam's change, so it goes before the seam is restored
  auto task = bgagent::launch(on(runtime, shell(dir, "no pidfd", "echo out; exit 3")));
  REQUIRE_FALSE(task.wait());
  CHECK(task.snapshot().result.at("exitCode") == 3);
  CHECK(task.snapshot().tail.lines() == std::vector<std::string>{"out"});
}

namespace {

std::atomic<int> exitChecks{0};

// The reaping poll's first question is interrupted (a host handler without SA_RESTART); the
// next ones reach the kernel.
int interruptFirstExitCheck(idtype_t type, id_t id, siginfo_t* info, int options) {
  if (exitChecks.fetch_add(1) == 0) {
    errno = EINTR;
    return -1;
  }
  return ::waitid(type, id, info, options);
}

}  // namespace

TEST_CASE("an interrupted exit check of the reaping poll is asked again, the exit code kept",
          "[runtime][fault][process]") {
  TempDir dir;
  bgagent::test::NothingLeftBehind check;  // first: its warm-up launch uses the default runtime
  bgagent::test::ScopedSyscall refusePidFd(bgagent::detail::runtimeSyscalls.pidFdOpen, &noPidFd);
  bgagent::test::ScopedSyscall interrupt(bgagent::detail::runtimeSyscalls.waitid,
                                         &interruptFirstExitCheck);
  Runtime runtime;  // after the seam's change, so it goes before the seam is restored
  auto task = bgagent::launch(on(runtime, shell(dir, "interrupted poll", "exit 5")));
  REQUIRE_FALSE(task.wait());
  CHECK(task.snapshot().result.at("exitCode") == 5);
  CHECK(exitChecks.load() >= 2);
}

namespace {

// kill(2) refused for every signal to a process group, as for agents that run as another
// user now; other targets reach the kernel.
int refuseGroupSignals(pid_t pid, int signal) {
  if (pid < 0) {
    errno = EPERM;
    return -1;
  }
  return ::kill(pid, signal);
}

// kill(2) finds nobody for the first SIGTERM, as when the group has just ended.
int noGroupForSigterm(pid_t pid, int signal) {
  if (pid < 0 && signal == SIGTERM) {
    errno = ESRCH;
    return -1;
  }
  return ::kill(pid, signal);
}

}  // namespace

TEST_CASE("an agent whose SIGKILL is refused ends its task at once, saying it runs on",
          "[runtime][fault][process]") {
  TempDir dir;
  // The agent the runtime gave up on is this test's to end and reap, whatever fails below.
  struct EndedAtScopeEnd {
    pid_t pid = 0;
    ~EndedAtScopeEnd() {
      if (pid <= 0) return;
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  } agentEnd;
  pid_t& agent = agentEnd.pid;
  {
    bgagent::test::ScopedSyscall refuse(bgagent::detail::runtimeSyscalls.kill, &refuseGroupSignals);
    const bool atShutdown = GENERATE(false, true);
    INFO("stopped by " << (atShutdown ? "the runtime's shutdown" : "a cancel"));
    Runtime runtime({.shutdownGrace = std::chrono::milliseconds(100)});
    LaunchOptions options =
        on(runtime, shellIn(dir, "unstoppable", "echo $$ > agent.pid; echo up; exec sleep 100"));
    options.gracePeriod = std::chrono::milliseconds(100);
    options.cleanup = bgagent::CleanupPolicy::Keep;
    auto task = bgagent::launch(options);
    waitForText(task.outputPath(), "up\n");
    agent = pidIn(dir / "agent.pid");
    if (atShutdown) {
      runtime.shutdown();  // returns: it does not wait for a reap that cannot come
    } else {
      task.cancel();
    }
    const auto outcome = task.wait();
    REQUIRE_FALSE(outcome);
    CHECK(outcome.error().code == ErrorCode::Cancelled);
    CHECK_THAT(outcome.error().message,
               Catch::Matchers::Contains("it could not be stopped: SIGKILL to group " +
                                         std::to_string(agent) + " was refused") &&
                   Catch::Matchers::Contains("it runs on, unfollowed"));
    CHECK(::waitpid(agent, nullptr, WNOHANG) == 0);  // indeed still running
  }
  // The test ends it, and reaps it: a child of this process.
  CHECK(::kill(agent, SIGKILL) == 0);
  CHECK(::waitpid(agent, nullptr, 0) == agent);
  agent = 0;
}

TEST_CASE("a group that is already gone (ESRCH) is no refusal: the kill sequence goes on",
          "[runtime][fault][process]") {
  TempDir dir;
  bgagent::test::NothingLeftBehind check;  // first: its warm-up launch uses the default runtime
  bgagent::test::ScopedSyscall vanish(bgagent::detail::runtimeSyscalls.kill, &noGroupForSigterm);
  Runtime runtime;  // after the seam's change, so it goes before the seam is restored
  LaunchOptions options = on(runtime, shellIn(dir, "vanishing", "echo up; exec sleep 100"));
  options.gracePeriod = std::chrono::milliseconds(100);
  auto task = bgagent::launch(options);
  waitForText(task.outputPath(), "up\n");
  task.cancel();
  const auto outcome = task.wait();
  REQUIRE_FALSE(outcome);
  CHECK(outcome.error().code == ErrorCode::Cancelled);
  CHECK_THAT(outcome.error().message, !Catch::Matchers::Contains("could not be stopped"));
  CHECK(task.snapshot().result.at("signal") == SIGKILL);
}

TEST_CASE("a launch with no descriptor left for its pipe fails with the system's reason",
          "[runtime][fault][process]") {
  TempDir dir;
  bgagent::test::NothingLeftBehind check;  // first: its warm-up launch uses the default runtime
  bgagent::test::ScopedSyscall refuse(bgagent::detail::runtimeSyscalls.pipe2, &noDescriptorLeft);
  Runtime runtime;  // after the seam's change, so it goes before the seam is restored
  LaunchOptions options = on(runtime, shell(dir, "no pipe", "echo never"));
  options.cleanup = bgagent::CleanupPolicy::Keep;  // read below
  auto task = bgagent::launch(options);
  const auto result = task.wait();
  REQUIRE_FALSE(result);
  CHECK(result.error().code == ErrorCode::Io);
  CHECK_THAT(result.error().message,
             Catch::Contains("cannot start '/bin/sh': cannot create its output pipe: Too many "
                             "open files"));
  CHECK(readFile(task.outputPath()).find("[ERROR] cannot start '/bin/sh'") != std::string::npos);
}
