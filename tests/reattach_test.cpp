// SPDX-License-Identifier: MIT
// Agents that survive their host (LaunchOptions::survivesHost) and reattach(): a survivor
// writes its own file and runs on without its host; a later host takes over what an earlier
// one left in an output directory, row by row of the table in docs/reliability.md. The files of
// "earlier hosts" are written here by hand, naming a writer that has exited and an agent this
// test runs; one test kills a real host (a fork of this process) with SIGKILL.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bgagent/bgagent.hpp>
#include <bgagent/runtime/detail/process_liveness.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "catch.hpp"
#include "support/gated_agents.hpp"
#include "support/nothing_left_behind.hpp"
#include "support/process_checks.hpp"
#include "support/test_support.hpp"
#include "support/wait_for_text.hpp"

extern char** environ;

using namespace std::chrono_literals;
using bgagent::ErrorCode;
using bgagent::LaunchOptions;
using bgagent::Runtime;
using bgagent::Status;
using bgagent::Task;
using bgagent::test::endsWithin;
using bgagent::test::readFile;
using bgagent::test::TempDir;
using bgagent::test::waitForText;
using bgagent::test::writeFile;

namespace {

constexpr auto kHang = 20s;  // an upper bound that only a hang reaches

LaunchOptions survivor(const TempDir& dir, std::string description, std::string command) {
  LaunchOptions options = bgagent::test::shell(dir, std::move(description), std::move(command));
  options.workingDirectory = dir.path();
  options.survivesHost = true;
  options.cleanup = bgagent::CleanupPolicy::Keep;  // the tests read the files after
  return options;
}

// A process of this test in a group of its own, as an agent is: `sh -c script`. Killed (the
// whole group) and reaped at scope end.
class GroupLeader {
 public:
  explicit GroupLeader(const std::string& script) {
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setpgroup(&attributes, 0);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    std::vector<char*> argv{const_cast<char*>("sh"), const_cast<char*>("-c"),
                            const_cast<char*>(script.c_str()), nullptr};
    const int spawned = ::posix_spawn(&pid_, "/bin/sh", nullptr, &attributes, argv.data(), environ);
    posix_spawnattr_destroy(&attributes);
    REQUIRE(spawned == 0);
  }
  ~GroupLeader() {
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  GroupLeader(const GroupLeader&) = delete;
  GroupLeader& operator=(const GroupLeader&) = delete;
  pid_t pid() const { return pid_; }
  // Whether it has not exited: asked without reaping it.
  bool running() const {
    siginfo_t info{};
    return ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           info.si_pid == 0;
  }

 private:
  pid_t pid_ = -1;
};

// The pid of a process that has exited and been reaped: an earlier host that died.
pid_t deadProcess() {
  pid_t pid = -1;
  std::vector<char*> argv{const_cast<char*>("sh"), const_cast<char*>("-c"),
                          const_cast<char*>("exit 0"), nullptr};
  REQUIRE(::posix_spawn(&pid, "/bin/sh", nullptr, nullptr, argv.data(), environ) == 0);
  REQUIRE(::waitpid(pid, nullptr, 0) == pid);
  return pid;
}

std::string hostName() {
  char name[256] = {};
  REQUIRE(::gethostname(name, sizeof name - 1) == 0);
  return name;
}

// A file as an earlier host left it: its header, with an Agent: line when `agent` is set.
std::string earlierHeader(pid_t writer, std::optional<pid_t> agent = std::nullopt,
                          std::optional<std::uint64_t> started = std::nullopt,
                          const std::string& host = hostName()) {
  std::string header = std::string(bgagent::test::kStartLine) +
                       "Task: left behind\nWriter: pid=" + std::to_string(writer) +
                       " host=" + host + " protocol=1.1\n";
  if (agent) {
    header += "Agent: pid=" + std::to_string(*agent) + " group=" + std::to_string(*agent);
    if (started) header += " started=" + std::to_string(*started);
    header += "\n";
  }
  return header;
}

// The one task reattach() found in `dir`, none skipped.
Task<> onlyTask(const TempDir& dir) {
  auto found = bgagent::reattach(dir.path());
  REQUIRE(found);
  CHECK(found->skipped.empty());
  REQUIRE(found->tasks.size() == 1);
  return std::move(found->tasks.front());
}

}  // namespace

// --- Survivors while their host lives: followed as any agent, their output their own.

TEST_CASE("a survivor writes its own file in a session of its own, and its host ends it",
          "[reattach][survivor]") {
  TempDir dir;
  Task<> task =
      bgagent::launch(survivor(dir, "survivor",
                               "cut -d' ' -f6 /proc/$$/stat > session; echo '[PROGRESS] 1/2 half'; "
                               "echo hello"));
  REQUIRE(task.wait());
  const bgagent::OutputSnapshot snapshot = task.snapshot();
  CHECK(snapshot.progress.text == "1/2 half");
  CHECK(snapshot.result.at("exitCode") == 0);
  REQUIRE(snapshot.agent.pid > 0);
  // Its launcher, the Agent: line's process, leads its session.
  CHECK(std::stol(readFile(dir / "session")) == snapshot.agent.pid);
  // The Agent: line comes before any line of the agent's own (its gate held it until then).
  const std::string file = readFile(task.outputPath());
  CHECK(file.find("Agent: pid=") < file.find("[PROGRESS] 1/2 half"));
}

TEST_CASE("a survivor's failing exit and unfinished last line are recorded, each on its own line",
          "[reattach][survivor]") {
  TempDir dir;
  Task<> task = bgagent::launch(survivor(dir, "failing", "printf 'no newline'; exit 3"));
  const bgagent::Result<nlohmann::json> outcome = task.wait();
  REQUIRE(!outcome);
  CHECK_THAT(outcome.error().message,
             Catch::Matchers::Contains("exited with code 3; last output: no newline"));
  // Its launcher ended the line and recorded the exit status before the host's ending.
  CHECK(readFile(task.outputPath()).find("no newline\n[EXIT] status=3\n[RESULT]") !=
        std::string::npos);
}

TEST_CASE("a survivor is stopped like any agent while its host lives", "[reattach][survivor]") {
  TempDir dir;
  Task<> task = bgagent::launch(survivor(dir, "stopped", "echo up; exec sleep 100"));
  waitForText(task.outputPath(), "up\n");
  task.cancel();
  CHECK(task.wait().error().code == ErrorCode::Cancelled);
  // Its launcher outlived the group's SIGTERM to record the program's death by it.
  CHECK(readFile(task.outputPath())
            .find("up\n[EXIT] status=" + std::to_string(128 + SIGTERM) +
                  "\n[ERROR] cancelled by the host\n") != std::string::npos);
}

TEST_CASE("a survivor runs on when its runtime shuts down", "[reattach][survivor]") {
  TempDir dir;
  std::filesystem::path path;
  pid_t agent = 0;
  pid_t launcher = 0;  // the Agent: line's process, the program's parent
  {
    // A grace far longer than the wait allows: the survivor must not hold the shutdown.
    Runtime runtime({.shutdownGrace = 10min});
    LaunchOptions options =
        survivor(dir, "lasting", "echo $$ > agent.pid; echo up; exec sleep 100");
    options.runtime = &runtime;
    Task<> task = bgagent::launch(options);
    path = task.outputPath();
    waitForText(path, "up\n");
    std::ifstream(dir / "agent.pid") >> agent;
    REQUIRE(agent > 0);
    launcher = static_cast<pid_t>(bgagent::parseOutput(readFile(path)).agent.pid);
    REQUIRE(launcher > 0);
    runtime.shutdown();  // at once: held by the survivor, it would take the whole grace
    CHECK(task.wait().error().code == ErrorCode::Cancelled);
  }
  // Still running, its file without an ending: a later host re-attaches to it.
  CHECK(!endsWithin(agent, 0ms));
  CHECK(readFile(path).find("[COMPLETE]") == std::string::npos);
  // Killed with no host following it, it still leaves how it ended (P27), and its launcher
  // ends as it did.
  CHECK(::kill(agent, SIGKILL) == 0);
  int status = 0;
  CHECK(::waitpid(launcher, &status, 0) == launcher);  // still this process's child
  CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL));
  CHECK(bgagent::parseOutput(readFile(path)).exitStatus == 128 + SIGKILL);
}

TEST_CASE("a survivor whose program cannot start is an error at launch", "[reattach][survivor]") {
  TempDir dir;
  LaunchOptions options = survivor(dir, "missing", "");
  options.agentType = "Process";
  options.arguments = {GENERATE(std::string("bgagent-no-such-program"), std::string("./nope"))};
  const bgagent::Result<nlohmann::json> outcome = bgagent::launch(options).wait();
  REQUIRE(!outcome);
  CHECK(outcome.error().code == ErrorCode::NotFound);
  CHECK_THAT(outcome.error().message,
             Catch::Matchers::Contains("cannot start '" + options.arguments.front() + "'"));
}

TEST_CASE("an in-process agent cannot be asked to survive its host", "[reattach][survivor]") {
  TempDir dir;
  const auto outcome =
      bgagent::runInThread(survivor(dir, "thread", ""), [](std::stop_token,
                                                           bgagent::OutputWriter&) {
      }).wait();
  REQUIRE(!outcome);
  CHECK(outcome.error().code == ErrorCode::InvalidArgument);
  CHECK_THAT(outcome.error().message, Catch::Matchers::Contains("survivesHost"));
}

// --- reattach(): one test per row of docs/reliability.md's table.

TEST_CASE("re-attach: a file with its ending settles from the file", "[reattach]") {
  TempDir dir;
  writeFile(dir / "done.out", earlierHeader(deadProcess()) +
                                  "[RESULT] {\"success\": true, \"answer\": 42}\n" +
                                  bgagent::test::kCompleteLine);
  Task<> task = onlyTask(dir);
  CHECK(task.description() == "left behind");
  CHECK(task.wait().value().at("answer") == 42);
}

TEST_CASE("re-attach: a running agent is followed to its own RESULT, and this host ends its file",
          "[reattach]") {
  TempDir dir;
  bgagent::test::NothingLeftBehind check;  // before the agent: it goes last
  const auto path = dir / "running.out";
  const auto go = dir / "go";
  REQUIRE(::mkfifo(go.c_str(), 0600) == 0);
  GroupLeader agent("read line < '" + go.string() + "'; echo '[PROGRESS] 1/1 done' >> '" +
                    path.string() + "'; echo '[RESULT] {\"success\": true, \"answer\": 42}' >> '" +
                    path.string() + "'");
  writeFile(path, earlierHeader(deadProcess(), agent.pid(),
                                bgagent::detail::processStartTicks(agent.pid()).value()));
  Task<> task = onlyTask(dir);
  CHECK(task.status() == Status::Running);
  std::ofstream(go) << "go\n";
  CHECK(task.wait().value().at("answer") == 42);
  CHECK(task.snapshot().progress.text == "1/1 done");
  CHECK(task.snapshot().completed);
  CHECK(readFile(path).find("[ERROR]") == std::string::npos);
}

TEST_CASE("re-attach: a followed agent is stopped through its process group", "[reattach]") {
  TempDir dir;
  bgagent::test::NothingLeftBehind check;  // before the agent: it goes last
  const auto path = dir / "stoppable.out";
  // A child in its group, which the leader's SIGTERM alone would not end.
  GroupLeader agent("sleep 100 & echo $! > '" + (dir / "child.pid").string() + "'; wait");
  waitForText(dir / "child.pid", "\n");
  pid_t child = 0;
  std::ifstream(dir / "child.pid") >> child;
  REQUIRE(child > 0);
  writeFile(path, earlierHeader(deadProcess(), agent.pid(),
                                bgagent::detail::processStartTicks(agent.pid()).value()));
  Task<> task = onlyTask(dir);
  task.cancel();
  CHECK(task.wait().error().code == ErrorCode::Cancelled);
  CHECK(endsWithin(agent.pid(), kHang));
  CHECK(endsWithin(child, kHang));
  const std::string file = readFile(path);
  CHECK(file.find("[ERROR] cancelled by the host\n") != std::string::npos);
  CHECK(file.find("[COMPLETE]") != std::string::npos);
}

TEST_CASE("re-attach: an agent that ended with no host gets its ending, its RESULT decides",
          "[reattach]") {
  TempDir dir;
  const auto path = dir / "ended.out";
  const bool wroteResult = GENERATE(true, false);
  INFO("the agent wrote a RESULT: " << wroteResult);
  // Its process is gone (any start time is not that of a process with its pid now); its last
  // line was cut short.
  writeFile(path, earlierHeader(deadProcess(), deadProcess(), 12345) +
                      (wroteResult ? "[RESULT] {\"success\": true}\n" : "") + "half a line");
  Task<> task = onlyTask(dir);
  const bgagent::Result<nlohmann::json> outcome = task.wait();
  const std::string file = readFile(path);
  CHECK(file.find("half a line\n") != std::string::npos);
  CHECK(file.find("[COMPLETE]") != std::string::npos);
  if (wroteResult) {
    CHECK(outcome);
  } else {
    REQUIRE(!outcome);
    CHECK_THAT(outcome.error().message,
               Catch::Matchers::Contains("exit status unknown (started by an earlier host); "
                                         "last output: half a line"));
  }
}

TEST_CASE("re-attach: an agent that ended with no host is ended by its launcher's EXIT record",
          "[reattach]") {
  TempDir dir;
  const auto path = dir / "exited.out";
  const int status = GENERATE(0, 3, 128 + SIGSEGV, 128 + SIGCHLD);
  INFO("[EXIT] status=" << status);
  writeFile(path, earlierHeader(deadProcess(), deadProcess(), 12345) +
                      "working\n[EXIT] status=" + std::to_string(status) + "\n");
  Task<> task = onlyTask(dir);
  const bgagent::Result<nlohmann::json> outcome = task.wait();
  CHECK(readFile(path).find("[COMPLETE]") != std::string::npos);
  if (status == 0) {
    REQUIRE(outcome);
    CHECK(outcome.value().at("exitCode") == 0);
    return;
  }
  REQUIRE(!outcome);
  if (status == 128 + SIGSEGV) {
    CHECK(outcome.error().code == ErrorCode::AgentKilled);
    CHECK_THAT(outcome.error().message,
               Catch::Matchers::Contains("killed by signal 11 (SIGSEGV); last output: working"));
  } else {
    // A status of 128 plus a signal that ends no process is an exit code (P27).
    CHECK(outcome.error().code == ErrorCode::AgentFailed);
    CHECK_THAT(outcome.error().message,
               Catch::Matchers::Contains("exited with code " + std::to_string(status) +
                                         "; last output: working"));
  }
}

TEST_CASE("re-attach: an Agent: pid that names a later process is neither followed nor signalled",
          "[reattach]") {
  TempDir dir;
  GroupLeader other("exec sleep 100");
  const std::uint64_t started = bgagent::detail::processStartTicks(other.pid()).value();
  writeFile(dir / "reused.out", earlierHeader(deadProcess(), other.pid(), started - 1));
  Task<> task = onlyTask(dir);
  // Without a cancel, the task ends at once: the later process is not waited for. With one,
  // there is nothing to signal; the cancel and the runtime's ending of the gone agent are not
  // ordered, so whichever came first names the error, and the file records the unknown status.
  const bool cancelled = GENERATE(false, true);
  if (cancelled) task.cancel();
  const bgagent::Result<nlohmann::json> outcome = task.waitFor(kHang);
  REQUIRE(!outcome);
  if (cancelled) {
    CHECK((outcome.error().code == ErrorCode::Cancelled ||
           outcome.error().code == ErrorCode::AgentFailed));
  } else {
    CHECK(outcome.error().code == ErrorCode::AgentFailed);
  }
  if (outcome.error().code == ErrorCode::AgentFailed) {
    CHECK_THAT(outcome.error().message,
               Catch::Matchers::Contains("exit status unknown (started by an earlier host)"));
  }
  CHECK_THAT(readFile(dir / "reused.out"),
             Catch::Matchers::Contains("exit status unknown (started by an earlier host)"));
  CHECK(other.running());
}

TEST_CASE("re-attach: a group the agent is not in is never signalled", "[reattach]") {
  TempDir dir;
  GroupLeader agent("exec sleep 100");
  GroupLeader bystander("exec sleep 100");
  // The file names the bystander's group as the agent's: only the agent may be stopped.
  std::string header = earlierHeader(deadProcess(), agent.pid(),
                                     bgagent::detail::processStartTicks(agent.pid()).value());
  const std::string own = "group=" + std::to_string(agent.pid());
  header.replace(header.find(own), own.size(), "group=" + std::to_string(bystander.pid()));
  writeFile(dir / "wrong-group.out", header);
  Task<> task = onlyTask(dir);
  task.cancel();
  CHECK(task.wait().error().code == ErrorCode::Cancelled);
  CHECK(endsWithin(agent.pid(), kHang));
  CHECK(bystander.running());
}

TEST_CASE("re-attach: an agent is taken over by one host at a time", "[reattach]") {
  TempDir dir;
  GroupLeader agent("exec sleep 100");
  writeFile(dir / "wanted.out",
            earlierHeader(deadProcess(), agent.pid(),
                          bgagent::detail::processStartTicks(agent.pid()).value()));
  Task<> first = onlyTask(dir);
  auto second = bgagent::reattach(dir.path());
  REQUIRE(second);
  CHECK(second->tasks.empty());
  REQUIRE(second->skipped.size() == 1);
  CHECK_THAT(second->skipped.front().message, Catch::Matchers::Contains("another host follows it"));
  first.cancel();
  CHECK(first.wait().error().code == ErrorCode::Cancelled);
  // Once the first has ended it, the file has its ending: a third finds it finished, as its
  // file tells (a failure that says why).
  Task<> third = onlyTask(dir);
  CHECK_THAT(third.wait().error().message, Catch::Matchers::Contains("cancelled by the host"));
}

TEST_CASE("re-attach: a dead writer's file that names no agent process is ended as crashed",
          "[reattach]") {
  TempDir dir;
  const pid_t writer = deadProcess();
  writeFile(dir / "orphan.out", earlierHeader(writer) + "working on it\n");
  Task<> task = onlyTask(dir);
  const bgagent::Result<nlohmann::json> outcome = task.wait();
  REQUIRE(!outcome);
  CHECK_THAT(outcome.error().message,
             Catch::Matchers::Contains("writer pid " + std::to_string(writer) +
                                       " exited without [COMPLETE]; last output: working on it "
                                       "(found by a later host)"));
  CHECK(readFile(dir / "orphan.out").find("[COMPLETE]") != std::string::npos);
}

TEST_CASE("re-attach: files of live hosts, other hosts and other programs are skipped, saying why",
          "[reattach]") {
  TempDir dir;
  GroupLeader liveHost("exec sleep 100");
  writeFile(dir / "a-live.out", earlierHeader(liveHost.pid()));
  writeFile(dir / "b-elsewhere.out",
            earlierHeader(deadProcess(), std::nullopt, std::nullopt, "another-host.example"));
  writeFile(dir / "c-no-start.out", "just some text\n");
  writeFile(dir / "c-no-writer.out", std::string(bgagent::test::kStartLine) + "Task: x\n");
  writeFile(dir / "c-no-start-time.out", earlierHeader(deadProcess(), liveHost.pid()));
  writeFile(dir / "d-not-output.txt", earlierHeader(deadProcess()));  // not *.out: not read
  std::filesystem::create_symlink(dir / "a-live.out", dir / "e-link.out");
  // This process's own agent, launched into the same directory.
  Task<> own = bgagent::launch(bgagent::test::shell(dir, "own", "echo up; exec sleep 100"));
  waitForText(own.outputPath(), "up\n");

  auto found = bgagent::reattach(dir.path());
  REQUIRE(found);
  CHECK(found->tasks.empty());
  std::vector<std::string> why;
  for (const bgagent::Error& skipped : found->skipped) why.push_back(skipped.message);
  REQUIRE(why.size() == 6);
  CHECK_THAT(why[0], Catch::Matchers::Contains("a-live.out") &&
                         Catch::Matchers::Contains(
                             "its writer, pid " + std::to_string(liveHost.pid()) + ", still runs"));
  CHECK_THAT(why[1], Catch::Matchers::Contains("'another-host.example'"));
  CHECK_THAT(why[2], Catch::Matchers::Contains("its Agent: line has no start time"));
  CHECK_THAT(why[3], Catch::Matchers::Contains("has no [START]"));
  CHECK_THAT(why[4], Catch::Matchers::Contains("names no writer"));
  CHECK_THAT(why[5], Catch::Matchers::Contains("its writer, pid " + std::to_string(::getpid()) +
                                               ", still runs"));
  own.cancel();
}

TEST_CASE("re-attach: a directory that does not exist is an error", "[reattach]") {
  TempDir dir;
  const auto found = bgagent::reattach(dir / "missing");
  REQUIRE(!found);
  CHECK(found.error().code == ErrorCode::NotFound);
  CHECK_THAT(found.error().message, Catch::Matchers::Contains("missing"));
}

#if BGAGENT_TEST_FORK

// Reliability issue, item 6: a host killed with SIGKILL, a survivor running on, and a new host
// that re-attaches, waits for its result and writes its ending.
namespace {

// Forks a host that launches a survivor running `then` once told to go, and SIGKILLs that host
// once the agent runs. Returns the agent's pid (the program's, not its launcher's). The agent
// waits for a line on the FIFO `dir / "go"`.
pid_t survivorOfKilledHost(const TempDir& dir, const std::string& then) {
  const auto ready = dir / "ready";
  const auto go = dir / "go";
  REQUIRE(::mkfifo(ready.c_str(), 0600) == 0);
  REQUIRE(::mkfifo(go.c_str(), 0600) == 0);
  int report[2];
  REQUIRE(::pipe2(report, O_CLOEXEC) == 0);
  std::cout.flush();
  std::fflush(nullptr);
  const pid_t host = ::fork();
  REQUIRE(host >= 0);
  if (host == 0) {
    // Another process: no test macro.
    ::close(report[0]);
    Task<> task = bgagent::launch(survivor(
        dir, "outlives its host", "echo $$ > agent.pid; echo up > ready; read line < go; " + then));
    std::string line;
    std::ifstream(ready) >> line;  // the agent runs
    const char up = line == "up" ? 'y' : 'n';
    if (::write(report[1], &up, 1) != 1) ::_exit(1);
    while (true) ::pause();  // until the SIGKILL
  }
  ::close(report[1]);
  pollfd readable{report[0], POLLIN, 0};
  char up = 'n';
  const bool reported = ::poll(&readable, 1, 30'000) == 1 && ::read(report[0], &up, 1) == 1;
  ::close(report[0]);
  ::kill(host, SIGKILL);
  int status = 0;
  REQUIRE(::waitpid(host, &status, 0) == host);
  REQUIRE(reported);
  REQUIRE(up == 'y');
  pid_t agent = 0;
  std::ifstream(dir / "agent.pid") >> agent;
  REQUIRE(agent > 0);
  CHECK(!endsWithin(agent, 0ms));  // the host is gone, the agent is not
  return agent;
}

// The parent of `pid`, from /proc/PID/stat (after the command's closing parenthesis).
pid_t parentOf(pid_t pid) {
  const std::string stat = readFile("/proc/" + std::to_string(pid) + "/stat");
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string state;
  pid_t parent = 0;
  fields >> state >> parent;
  return parent;
}

}  // namespace

TEST_CASE("a survivor outlives its SIGKILLed host, and a new host re-attaches to its result",
          "[reattach][fork]") {
  TempDir dir;
  const pid_t agent = survivorOfKilledHost(
      dir, "echo '[PROGRESS] 1/1 done'; echo '[RESULT] {\"success\": true, \"answer\": 42}'");

  Task<> task = onlyTask(dir);
  CHECK(task.status() == Status::Running);
  CHECK(task.snapshot().agent.pid == parentOf(agent));  // its launcher, which waits for it
  std::ofstream(dir / "go") << "go\n";
  CHECK(task.wait().value().at("answer") == 42);
  CHECK(task.snapshot().progress.text == "1/1 done");
  CHECK(endsWithin(agent, kHang));
  const std::string file = readFile(task.outputPath());
  CHECK(file.find("[ERROR]") == std::string::npos);
  CHECK(file.find("[COMPLETE]") != std::string::npos);
}

TEST_CASE("a survivor that ends while no host runs leaves its exit status for the next host",
          "[reattach][fork]") {
  TempDir dir;
  const int code = GENERATE(0, 3);
  INFO("exit " << code);
  // A plain command: no RESULT of its own, only its exit status says how it went.
  const pid_t agent = survivorOfKilledHost(dir, "echo finished; exit " + std::to_string(code));
  const pid_t launcher = parentOf(agent);
  std::ofstream(dir / "go") << "go\n";
  REQUIRE(endsWithin(agent, kHang));
  REQUIRE(endsWithin(launcher, kHang));  // after its [EXIT] record

  Task<> task = onlyTask(dir);
  const bgagent::Result<nlohmann::json> outcome = task.wait();
  const std::string file = readFile(task.outputPath());
  CHECK(file.find("finished\n[EXIT] status=" + std::to_string(code) + "\n") != std::string::npos);
  CHECK(file.find("[COMPLETE]") != std::string::npos);
  if (code == 0) {
    REQUIRE(outcome);
    CHECK(outcome.value().at("exitCode") == 0);
  } else {
    REQUIRE(!outcome);
    CHECK_THAT(outcome.error().message,
               Catch::Matchers::Contains("exited with code 3; last output: finished"));
  }
}

#endif
