// SPDX-License-Identifier: MIT
// 02_build_monitor: watch a real build in the background until it completes or reports an
// error, printing its progress as it arrives.
//
// The agent is a shell script that compiles, links and tests a small C++ program, writing the
// output-file protocol as it goes. The host does not poll: waitForCompletion is woken by the
// kernel when the file grows, and its onUpdate callback prints each new PROGRESS line.
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bgagent/bgagent.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

extern char** environ;

namespace {

// The build: every step's failure becomes an [ERROR] record, its output free lines.
constexpr const char* kBuildScript = R"SH(
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
echo "[START] $(now)"
echo "Task: Build and test hello"
echo "Writer: pid=$$"
cd "$1" || exit 1
cat > hello.cpp <<'SOURCE'
#include <cstdio>
int main() { std::puts("hello from the build"); }
SOURCE
echo "[PROGRESS] 1/3 compiling"
c++ -c hello.cpp -o hello.o 2>&1 || { echo "[ERROR] compiling hello.cpp failed"; exit 1; }
echo "[PROGRESS] 2/3 linking"
c++ hello.o -o hello 2>&1 || { echo "[ERROR] linking hello failed"; exit 1; }
echo "[PROGRESS] 3/3 testing"
output=$(./hello)
[ "$output" = "hello from the build" ] || { echo "[ERROR] unexpected output: $output"; exit 1; }
printf '[RESULT] {"success": true, "details": "built and tested hello", "binary": "%s/hello"}\n' "$PWD"
echo "[COMPLETE] $(now)"
)SH";

// Starts `sh -c kBuildScript sh workDir` with stdout and stderr appended to outputFile.
pid_t launchBuild(const std::filesystem::path& outputFile, const std::filesystem::path& workDir) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, outputFile.c_str(),
                                   O_WRONLY | O_CREAT | O_EXCL | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  const std::string dir = workDir.string();
  std::vector<char*> argv{const_cast<char*>("sh"),         const_cast<char*>("-c"),
                          const_cast<char*>(kBuildScript), const_cast<char*>("sh"),
                          const_cast<char*>(dir.c_str()),  nullptr};
  pid_t pid = -1;
  const int status = posix_spawn(&pid, "/bin/sh", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return status == 0 ? pid : -1;
}

}  // namespace

int main() {
  std::string pattern = (std::filesystem::temp_directory_path() / "bgagent-build-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::filesystem::path workDir = pattern;
  const std::filesystem::path outputFile = workDir / "build.out";

  const pid_t pid = launchBuild(outputFile, workDir);
  if (pid < 0) {
    std::fprintf(stderr, "cannot start the build\n");
    return 1;
  }
  std::printf("build started in the background (pid %d), output in %s\n", pid, outputFile.c_str());

  bgagent::WaitOptions options;
  options.timeout = std::chrono::minutes(2);
  options.writerPid = pid;  // a build that dies without [COMPLETE] ends the wait at once
  std::uint64_t progressShown = 0;
  options.onUpdate = [&progressShown](const bgagent::OutputSnapshot& snapshot) {
    if (snapshot.progress.updates == progressShown) return;
    progressShown = snapshot.progress.updates;
    std::printf("  progress: %3.0f%%  %s\n", snapshot.progress.percent.value_or(0.0),
                snapshot.progress.text.c_str());
  };
  const bgagent::WaitOutcome outcome = bgagent::waitForCompletion(outputFile, options);
  waitpid(pid, nullptr, 0);

  if (outcome.succeeded()) {
    std::printf("build succeeded: %s\n", outcome.result().value("details", "").c_str());
  } else {
    std::printf("build %s: %s\n", std::string(bgagent::toString(outcome.status)).c_str(),
                outcome.error->message.c_str());
    for (const std::string& line : outcome.snapshot.tail.lines())
      std::printf("  | %s\n", line.c_str());
  }
  std::filesystem::remove_all(workDir);
  return outcome.succeeded() ? 0 : 1;
}
