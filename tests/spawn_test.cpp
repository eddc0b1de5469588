// SPDX-License-Identifier: MIT
// How an agent process starts: what it inherits and what it does not. Built twice: in the main
// test binary (posix_spawn where glibc has posix_spawn_file_actions_addclosefrom_np) and as
// bgagent_spawn_fork_tests with BGAGENT_SPAWN_WITH_FORK=1, the fork+execve way older glibc takes.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bgagent/agents/agent_registry.hpp>
#include <bgagent/runtime/detail/spawn.hpp>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "catch.hpp"
#include "support/process_checks.hpp"
#include "support/test_support.hpp"

using bgagent::ErrorCode;
using bgagent::detail::spawnProcess;
using bgagent::test::TempDir;

namespace {

struct Finished {
  std::string output;  // stdout and stderr, as the pipe carried them
  int exitCode = -1;
};

// Reads the child's pipe to its end, then reaps the child.
Finished finish(bgagent::detail::SpawnedProcess process) {
  Finished finished;
  char buffer[4096];
  while (true) {
    pollfd readable{process.output.get(), POLLIN, 0};
    ::poll(&readable, 1, 10'000);
    const ssize_t got = ::read(process.output.get(), buffer, sizeof buffer);
    if (got == 0) break;
    if (got < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      FAIL("reading the agent's pipe failed: errno " << errno);
    }
    finished.output.append(buffer, static_cast<std::size_t>(got));
  }
  int status = 0;
  REQUIRE(::waitpid(process.pid, &status, 0) == process.pid);
  finished.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return finished;
}

Finished runShell(const std::string& script, const std::map<std::string, std::string>& env = {},
                  const std::string& workingDirectory = {}) {
  auto process = spawnProcess({"/bin/sh", "-c", script}, env, workingDirectory);
  REQUIRE(process);
  return finish(std::move(*process));
}

}  // namespace

TEST_CASE("a spawned agent reads /dev/null, writes both streams to one pipe, gets no host fd",
          "[spawn]") {
  const int leaky = ::open("/dev/null", O_RDONLY);  // no O_CLOEXEC, on purpose
  REQUIRE(leaky >= 0);
  const Finished finished =
      runShell("readlink /proc/self/fd/0; echo out; echo err >&2; ls /proc/self/fd | tr '\\n' ' '");
  ::close(leaky);
  CHECK(finished.exitCode == 0);
  CHECK(finished.output == "/dev/null\nout\nerr\n0 1 2 3 ");  // 3: the directory ls reads
}

TEST_CASE("a spawned agent leads its own process group", "[spawn]") {
  // /proc/<pid>/stat: pid (comm) state ppid pgrp ...
  const Finished finished = runShell(
      "read -r pid comm state ppid pgrp rest < /proc/$$/stat; "
      "[ \"$pid\" = \"$pgrp\" ] && echo leader");
  CHECK(finished.output == "leader\n");
}

namespace {

// A survivor spawned as the supervisor spawns one: its output file (O_APPEND) and its gate (a
// socket pair: the child reads one end, the host writes the line to the other), then reaped.
class GatedSurvivor {
 public:
  GatedSurvivor(const std::filesystem::path& path, const std::string& script,
                const std::map<std::string, std::string>& environment = {}) {
    file_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    REQUIRE(file_ >= 0);
    int gate[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, gate) == 0);
    hostEnd_ = gate[0];
    const bgagent::detail::SurvivorStreams streams{file_, gate[1]};
    auto process = spawnProcess({"/bin/sh", "-c", script}, environment, {}, std::nullopt, &streams);
    ::close(gate[1]);
    REQUIRE(process);
    CHECK(!process->output);  // no pipe: the file is its stdout
    pid_ = process->pid;
  }
  ~GatedSurvivor() {
    if (hostEnd_ >= 0) ::close(hostEnd_);
    ::close(file_);
  }
  GatedSurvivor(const GatedSurvivor&) = delete;
  GatedSurvivor& operator=(const GatedSurvivor&) = delete;

  pid_t pid() const { return pid_; }
  // Writes to its file as the host does before it opens the gate (the Agent: line).
  void hostWrites(const std::string& line) const {
    REQUIRE(::write(file_, line.data(), line.size()) == static_cast<ssize_t>(line.size()));
  }
  // Lets the program run (`line`), or closes the gate without its line, as a host that died.
  void release(bool line = true) {
    if (line) REQUIRE(::write(hostEnd_, "\n", 1) == 1);
    ::close(hostEnd_);
    hostEnd_ = -1;
  }
  // The launcher's wait status.
  int reap() const {
    int status = 0;
    REQUIRE(::waitpid(pid_, &status, 0) == pid_);
    return status;
  }

 private:
  int file_ = -1;
  int hostEnd_ = -1;
  pid_t pid_ = -1;
};

}  // namespace

TEST_CASE(
    "a survivor's spawn writes into its file, waits for its gate, leads a session, and "
    "records how its program ended",
    "[spawn]") {
  TempDir dir;
  const auto path = dir / "survivor.out";
  // /proc/<pid>/stat: pid (comm) state ppid pgrp session ...; stdin is /dev/null again. Its
  // launcher, the spawned process, is its parent and leads its session and group.
  GatedSurvivor survivor(path,
                         "read -r pid comm state ppid pgrp session rest < /proc/$$/stat; "
                         "[ \"$ppid\" = \"$session\" ] && [ \"$ppid\" = \"$pgrp\" ] && "
                         "echo \"leader $ppid\"; readlink /proc/self/fd/0; echo err >&2; "
                         "printf cut; exit 4");
  // Held at the gate: the line written now comes before any of its own.
  CHECK(bgagent::test::readFile(path).empty());
  const std::string first = "the host's line\n";
  survivor.hostWrites(first);
  survivor.release();
  const int status = survivor.reap();
  CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 4));
  // The cut last line is ended before the record (P27).
  CHECK(bgagent::test::readFile(path) == first + "leader " + std::to_string(survivor.pid()) +
                                             "\n/dev/null\nerr\ncut\n[EXIT] status=4\n");
}

TEST_CASE("a survivor's launcher records how its program ended and ends the same way", "[spawn]") {
  TempDir dir;
  const auto path = dir / "ended.out";
  // A death by a signal that ends a process (the launcher's notice of it goes nowhere); an
  // exit with 128 plus a signal that cannot end a process, or plus no signal there is.
  const std::string script = GENERATE(std::string("kill -USR1 $$"), std::string("kill -TERM $$"),
                                      std::string("kill -RTMIN $$"), std::string("exit 148"),
                                      std::string("exit 160"), std::string("exit 250"));
  INFO(script);
  GatedSurvivor survivor(path, script);
  survivor.hostWrites("the host's line\n");
  survivor.release();
  const int status = survivor.reap();
  const std::string written = bgagent::test::readFile(path);
  const std::string prefix = "the host's line\n[EXIT] status=";
  REQUIRE(written.starts_with(prefix));
  const int recorded = std::stoi(written.substr(prefix.size()));
  CHECK(written == prefix + std::to_string(recorded) + "\n");
  // The decode a re-attaching host applies to the record gives what a reaping host saw.
  CHECK(bgagent::detail::waitStatusOfExitRecord(recorded) == status);
  if (script.starts_with("exit")) {
    CHECK((WIFEXITED(status) && "exit " + std::to_string(WEXITSTATUS(status)) == script));
  } else {
    CHECK(WIFSIGNALED(status));
    CHECK(recorded == 128 + WTERMSIG(status));
  }
}

TEST_CASE("a survivor's launcher changes nothing its program sees, whatever the environment",
          "[spawn]") {
  TempDir dir;
  const auto path = dir / "plain.out";
  // Names a launcher's script could use, exported by the host; a PATH without its tools.
  GatedSurvivor survivor(
      path,
      "echo \"$line $status $nl\"; "
      "for fd in 3 4 5 6 7 8 9 10; do [ -e /proc/$$/fd/$fd ] && echo \"fd $fd\"; done; "
      "grep -c . /proc/$$/status >/dev/null 2>&1 || echo 'no grep'",
      {{"line", "mine"}, {"status", "7"}, {"nl", "x"}, {"PATH", "/nonexistent"}});
  survivor.hostWrites("the host's line\n");
  survivor.release();
  const int status = survivor.reap();
  CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  // Its values, no descriptor of the launcher's, its own PATH; and the launcher still found
  // the tools that tell an ended line (no blank line before the record).
  CHECK(bgagent::test::readFile(path) == "the host's line\nmine 7 x\nno grep\n[EXIT] status=0\n");
}

TEST_CASE("a survivor's gate closed without its line runs nothing", "[spawn]") {
  TempDir dir;
  const auto path = dir / "never.out";
  GatedSurvivor survivor(path, "echo ran");
  survivor.release(false);  // as a host that died before it wrote the Agent: line
  const int status = survivor.reap();
  CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 125));
  CHECK(bgagent::test::readFile(path).empty());
}

TEST_CASE("a spawned agent starts with default signal dispositions and no blocked signal",
          "[spawn]") {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction previous {};
  REQUIRE(::sigaction(SIGUSR1, &ignore, &previous) == 0);
  sigset_t blocked;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGUSR2);
  sigset_t previousMask;
  REQUIRE(::pthread_sigmask(SIG_BLOCK, &blocked, &previousMask) == 0);
  const Finished finished = runShell("grep -E '^Sig(Ign|Blk)' /proc/self/status");
  ::pthread_sigmask(SIG_SETMASK, &previousMask, nullptr);
  ::sigaction(SIGUSR1, &previous, nullptr);
  // Masks in hex, bit n-1 for signal n.
  unsigned long long blockedMask = ~0ULL;
  unsigned long long ignoredMask = ~0ULL;
  REQUIRE(std::sscanf(finished.output.c_str(), "SigBlk:\t%llx\nSigIgn:\t%llx", &blockedMask,
                      &ignoredMask) == 2);
  CHECK(blockedMask == 0);
  // glibc's posix_spawn leaves its two reserved signals (32, 33) ignored; no other may be.
  CHECK((ignoredMask & ~0x180000000ULL) == 0);
}

TEST_CASE("a spawned agent gets its working directory and environment", "[spawn]") {
  TempDir dir;
  const Finished finished =
      runShell("pwd; echo \"$BGAGENT_SPAWN_TEST $HOME\"",
               {{"BGAGENT_SPAWN_TEST", "given"}, {"HOME", "/nowhere"}}, dir.path().string());
  CHECK(finished.output == std::filesystem::canonical(dir.path()).string() + "\ngiven /nowhere\n");
}

TEST_CASE("a bare program name is searched in the agent's PATH, then in the host's", "[spawn]") {
  TempDir dir;
  bgagent::test::writeFile(dir / "bgagent-spawn-probe", "#!/bin/sh\necho probe \"$@\"\n");
  std::filesystem::permissions(dir / "bgagent-spawn-probe", std::filesystem::perms::owner_all);
  auto fromAgentPath =
      spawnProcess({"bgagent-spawn-probe", "ran"}, {{"PATH", dir.path().string()}}, {});
  REQUIRE(fromAgentPath);
  CHECK(finish(std::move(*fromAgentPath)).output == "probe ran\n");
  // Not in the agent's PATH: the host's finds sh.
  auto fromHostPath = spawnProcess({"sh", "-c", "echo host"}, {{"PATH", dir.path().string()}}, {});
  REQUIRE(fromHostPath);
  CHECK(finish(std::move(*fromHostPath)).output == "host\n");
}

TEST_CASE("a program that cannot start is an error at once, naming it", "[spawn]") {
  TempDir dir;
  const auto missing = spawnProcess({"bgagent-no-such-program"}, {}, {});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::NotFound);
  CHECK(missing.error().message ==
        "cannot start 'bgagent-no-such-program': No such file or directory");

  const auto nowhere = spawnProcess({"/bin/true"}, {}, (dir / "absent").string());
  REQUIRE_FALSE(nowhere);
  CHECK(nowhere.error().code == ErrorCode::NotFound);
  CHECK(nowhere.error().message == "cannot start '/bin/true': working directory '" +
                                       (dir / "absent").string() + "' does not exist");
  bgagent::test::writeFile(dir / "a-file", "");
  const auto notDirectory = spawnProcess({"/bin/true"}, {}, (dir / "a-file").string());
  REQUIRE_FALSE(notDirectory);
  CHECK(notDirectory.error().code == ErrorCode::InvalidArgument);
  CHECK(notDirectory.error().message == "cannot start '/bin/true': working directory '" +
                                            (dir / "a-file").string() + "': Not a directory");

  bgagent::test::writeFile(dir / "not-executable", "#!/bin/sh\n");
  const auto refused = spawnProcess({(dir / "not-executable").string()}, {}, {});
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::Io);
  CHECK(refused.error().message.find("Permission denied") != std::string::npos);
}

// Runs `check` in a child of this process and says whether it exited 0: for what must not touch
// the test process itself (its standard streams, its descriptors).
bool inChildProcess(const std::function<bool()>& check) {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(check() ? 0 : 1);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// Its forked child rearranges the standard descriptors, which ThreadSanitizer's runtime in a
// fork of a multi-threaded process does not survive; it runs in the dev and asan builds.
#if BGAGENT_TEST_FORK
TEST_CASE("a survivor's file and gate in the host's standard descriptors reach it intact",
          "[spawn]") {
  TempDir dir;
  const std::string path = (dir / "low.out").string();
  CHECK(inChildProcess([&path] {
    // The file at descriptor 0, the gate at 1, as a host started with stdin and stdout closed
    // gets them: the child's dup2 onto 0 must not overwrite the file before it becomes stdout.
    int file = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    int gate[2];
    if (file < 0 || ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, gate) != 0) return false;
    const auto placeAt = [](int& fd, int wanted) {
      if (fd == wanted) return true;
      if (::dup3(fd, wanted, O_CLOEXEC) != wanted) return false;
      ::close(fd);
      fd = wanted;
      return true;
    };
    if (!placeAt(file, STDIN_FILENO) || !placeAt(gate[0], STDOUT_FILENO)) return false;
    const bgagent::detail::SurvivorStreams streams{file, gate[0]};
    auto process =
        spawnProcess({"/bin/sh", "-c", "echo out; echo err >&2"}, {}, {}, std::nullopt, &streams);
    if (!process || ::write(gate[1], "\n", 1) != 1) return false;
    ::close(gate[1]);
    int status = 0;
    if (::waitpid(process->pid, &status, 0) != process->pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
      return false;
    }
    return bgagent::test::readFile(path) == "out\nerr\n[EXIT] status=0\n";
  }));
}
#endif

TEST_CASE("a host started with its standard streams closed still reads its agents' output",
          "[spawn]") {
  CHECK(inChildProcess([] {
    ::close(STDIN_FILENO);
    ::close(STDOUT_FILENO);
    ::close(STDERR_FILENO);
    auto process = spawnProcess({"/bin/sh", "-c", "echo out; echo err >&2"}, {}, {});
    if (!process) return false;
    std::string output;
    char buffer[256];
    while (true) {
      pollfd readable{process->output.get(), POLLIN, 0};
      ::poll(&readable, 1, 10'000);
      const ssize_t got = ::read(process->output.get(), buffer, sizeof buffer);
      if (got == 0) break;
      if (got < 0 && errno != EAGAIN && errno != EINTR) return false;
      if (got > 0) output.append(buffer, static_cast<std::size_t>(got));
    }
    int status = 0;
    return ::waitpid(process->pid, &status, 0) == process->pid && WIFEXITED(status) &&
           WEXITSTATUS(status) == 0 && output == "out\nerr\n";
  }));
}

#if BGAGENT_SPAWN_WITH_FORK
TEST_CASE("without close_range, the descriptors /proc/self/fd lists are closed, one kept",
          "[spawn]") {
  CHECK(inChildProcess([] {
    int opened[3];
    for (int& fd : opened) fd = ::open("/dev/null", O_RDONLY);
    if (!bgagent::detail::closeListedDescriptors(opened[0], opened[1])) {
      return false;
    }
    const auto isOpen = [](int fd) { return ::fcntl(fd, F_GETFD) != -1; };
    return isOpen(STDERR_FILENO) && !isOpen(opened[0]) && isOpen(opened[1]) && !isOpen(opened[2]);
  }));
}
#endif

TEST_CASE("a Bash agent runs to its RESULT however its process was started", "[spawn]") {
  TempDir dir;
  bgagent::LaunchOptions options;
  options.description = "spawned";
  options.prompt = R"(echo '[RESULT] {"success": true, "n": 7}')";
  options.outputDirectory = dir.path();
  const auto result = bgagent::launch(options).wait();
  REQUIRE(result);
  CHECK((*result)["n"] == 7);
}
