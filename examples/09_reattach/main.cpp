// SPDX-License-Identifier: MIT
// 09_reattach: agents that outlive a crashed host, and the host that takes them over.
//
//   reattach start DIR    launches two agents that survive their host into DIR, then dies by
//                         SIGKILL, as a host the OOM killer ends would: no code of it runs;
//   reattach resume DIR   the host started again: finds the agents in DIR, waits for the one
//                         still running, and prints what each did.
//
// The agents write their own output files (LaunchOptions::survivesHost), so nothing of theirs
// is lost with the host; each file's `Agent:` line tells the new host which process to follow.
#include <bgagent/bgagent.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

int start(const std::filesystem::path& directory) {
  std::filesystem::create_directories(directory);
  const auto survivor = [&directory](const char* description, const char* command) {
    return bgagent::launch({.description = description,
                            .prompt = command,
                            .outputDirectory = directory,
                            .cleanup = bgagent::CleanupPolicy::Keep,
                            .workingDirectory = directory,
                            .survivesHost = true});
  };
  std::vector<bgagent::Task<>> tasks;
  tasks.push_back(survivor("Quick check",
                           "echo '[PROGRESS] 1/1 checked'; "
                           "echo '[RESULT] {\"success\": true, "
                           "\"details\": \"3 files checked\"}'"));
  // The build goes on to link once a file named `linker-free` appears in DIR: the restarted
  // host makes it, so the example shows the build still running when it re-attaches.
  tasks.push_back(survivor("Long build",
                           "echo '[PROGRESS] 1/3 configure'; echo '[PROGRESS] 2/3 compile'; "
                           "while [ ! -e linker-free ]; do sleep 0.1; done; "
                           "echo '[PROGRESS] 3/3 link'; "
                           "echo '[RESULT] {\"success\": true, "
                           "\"details\": \"built 12 targets\"}'"));
  for (const bgagent::Task<>& task : tasks) {
    if (task.status() == bgagent::Status::Failed) {
      std::printf("could not launch '%s': %s\n", task.description().c_str(),
                  task.wait().error().message.c_str());
      return 1;
    }
  }
  std::printf("launched %zu agents into %s; the host now dies by SIGKILL\n", tasks.size(),
              directory.c_str());
  std::fflush(stdout);
  std::raise(SIGKILL);  // the crash: no destructor, no atexit handler
  return 1;
}

int resume(const std::filesystem::path& directory) {
  bgagent::Result<bgagent::Reattached<nlohmann::json>> found = bgagent::reattach(directory);
  if (!found) {
    std::printf("cannot re-attach: %s\n", found.error().message.c_str());
    return 1;
  }
  for (const bgagent::Error& skipped : found->skipped) {
    std::printf("skipped: %s\n", skipped.message.c_str());
  }
  int succeeded = 0;
  for (bgagent::Task<>& task : found->tasks) {
    std::printf("%s: %s at re-attach (%s)\n", task.description().c_str(),
                task.settled() ? "finished" : "still running",
                task.snapshot().progress.text.c_str());
  }
  std::ofstream(directory / "linker-free").put('\n');  // the build may go on
  for (bgagent::Task<>& task : found->tasks) {
    const bgagent::Result<nlohmann::json> result = task.wait();
    if (result) {
      ++succeeded;
      std::printf("%s: %s\n", task.description().c_str(),
                  result->value("details", std::string()).c_str());
    } else {
      std::printf("%s: %s\n", task.description().c_str(), result.error().message.c_str());
    }
  }
  std::printf("re-attached %zu agents: %d succeeded\n", found->tasks.size(), succeeded);
  return succeeded == static_cast<int>(found->tasks.size()) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc == 3 ? argv[1] : "";
  if (mode == "start") return start(argv[2]);
  if (mode == "resume") return resume(argv[2]);
  std::printf("usage: %s start DIR | resume DIR\n", argv[0]);
  return 2;
}
