// SPDX-License-Identifier: MIT
// 03_timeout: wait for a slow agent with a timeout, then stop it.
//
// The agent starts, reports progress, and then takes far longer than the host will wait. The
// host's waitForCompletion ends with TimedOut after the timeout (the outcome is a value, not an
// exception) and the host stops the agent itself.
#include <fcntl.h>
#include <signal.h>
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

// A slow agent: the last step runs for a minute.
constexpr const char* kSlowScript = R"SH(
echo "[START] $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "Task: Index the whole archive"
echo "[PROGRESS] 1/2 listing files"
exec sleep 60
)SH";

pid_t launchAgent(const std::filesystem::path& outputFile) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, outputFile.c_str(),
                                   O_WRONLY | O_CREAT | O_EXCL | O_APPEND, 0600);
  std::vector<char*> argv{const_cast<char*>("sh"), const_cast<char*>("-c"),
                          const_cast<char*>(kSlowScript), nullptr};
  pid_t pid = -1;
  const int status = posix_spawn(&pid, "/bin/sh", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return status == 0 ? pid : -1;
}

}  // namespace

int main() {
  using namespace std::chrono_literals;
  std::string pattern =
      (std::filesystem::temp_directory_path() / "bgagent-timeout-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::filesystem::path outputFile = std::filesystem::path(pattern) / "slow.out";
  const pid_t pid = launchAgent(outputFile);
  if (pid < 0) return 1;

  const auto started = std::chrono::steady_clock::now();
  const bgagent::WaitOutcome outcome = bgagent::waitForCompletion(outputFile, 1s);
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);

  kill(pid, SIGTERM);  // the host decides what a timeout means: here, stop the agent
  waitpid(pid, nullptr, 0);
  std::filesystem::remove_all(pattern);

  std::printf("waited %lld ms; the agent had reached: %s\n", static_cast<long long>(waited.count()),
              outcome.snapshot.progress.text.c_str());
  if (outcome.status != bgagent::Status::TimedOut) {
    std::printf("expected a timeout, got %s\n",
                std::string(bgagent::toString(outcome.status)).c_str());
    return 1;
  }
  std::printf("timed out as expected: %s\n", outcome.error->message.c_str());
  return 0;
}
