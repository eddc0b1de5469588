// SPDX-License-Identifier: MIT
// 01_hello_agent: launch three shell agents in the background, wait for all, print their results.
//
// A "Bash" agent runs its prompt with /bin/sh -c. bgagent writes its output file (START, the
// agent's own lines, then RESULT and COMPLETE from its exit), and the Task is settled from that
// file. Any line the agent prints as `[PROGRESS] ...` or `[RESULT] {...}` is its own report.
#include <bgagent/bgagent.hpp>
#include <cstdio>
#include <string>
#include <vector>

int main() {
  struct Job {
    const char* description;
    const char* command;
  };
  // Real work, each reporting one RESULT line of its own.
  const std::vector<Job> jobs{
      {"count services",
       R"SH(printf '[RESULT] {"details": "%s lines"}\n' "$(grep -c . /etc/services)")SH"},
      {"list headers",
       R"SH(printf '[RESULT] {"details": "%s entries"}\n' "$(ls /usr/include | wc -l)")SH"},
      {"checksum passwd",
       R"SH(printf '[RESULT] {"details": "%s"}\n' "$(sha256sum /etc/passwd | cut -c1-16)")SH"},
  };

  // Launch agents in the background: each launch returns at once.
  std::vector<bgagent::Task<>> tasks;
  for (const Job& job : jobs) {
    tasks.push_back(bgagent::launch({.description = job.description,
                                     .prompt = job.command,
                                     .cleanup = bgagent::CleanupPolicy::DeleteOnSuccess}));
  }
  std::printf("launched %zu agents in the background\n", tasks.size());

  // Wait for all of them.
  int succeeded = 0;
  for (const bgagent::Task<>& task : tasks) {
    const bgagent::Result<nlohmann::json> result = task.wait();
    if (result) {
      ++succeeded;
      std::printf("%-16s succeeded: %s\n", task.description().c_str(),
                  result->value("details", "").c_str());
    } else {
      std::printf("%-16s %s\n", task.description().c_str(), result.error().message.c_str());
    }
  }
  std::printf("%d of %zu agents succeeded\n", succeeded, tasks.size());
  return succeeded == static_cast<int>(tasks.size()) ? 0 : 1;
}
