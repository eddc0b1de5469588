// 01_hello_agent: launch three shell agents in the background, wait for all, print their results.
//
// Each agent is a plain /bin/sh script that speaks the output-file protocol (docs/protocol.md):
// any program in any language can be an agent. The host starts them without blocking, waits
// for the processes, then reads each output file with bgagent::OutputFile.
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bgagent/bgagent.hpp>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

extern char** environ;

namespace {

struct Agent {
  std::string name;
  std::string work;  // a shell command whose output becomes the RESULT's "details"
  std::filesystem::path outputFile;
  pid_t pid = -1;
};

// The agent's script: the protocol's records around real work.
std::string agentScript(const Agent& agent) {
  return "now() { date -u +%Y-%m-%dT%H:%M:%SZ; }\n"
         "echo \"[START] $(now)\"\n"
         "echo 'Task: " +
         agent.name +
         "'\n"
         "echo '[PROGRESS] 1/2 working'\n"
         "details=$(" +
         agent.work +
         ") || { echo \"[ERROR] command failed\"; exit 1; }\n"
         "echo '[PROGRESS] 2/2 done'\n"
         "printf '[RESULT] {\"success\": true, \"details\": \"%s\"}\\n' \"$details\"\n"
         "echo \"[COMPLETE] $(now)\"\n";
}

// Starts `sh -c script` with stdout appended to the agent's output file; does not wait.
bool launch(Agent& agent) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, agent.outputFile.c_str(),
                                   O_WRONLY | O_CREAT | O_EXCL | O_APPEND, 0600);
  const std::string script = agentScript(agent);
  std::vector<char*> argv{const_cast<char*>("sh"), const_cast<char*>("-c"),
                          const_cast<char*>(script.c_str()), nullptr};
  const int status = posix_spawn(&agent.pid, "/bin/sh", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return status == 0;
}

}  // namespace

int main() {
  std::string pattern = (std::filesystem::temp_directory_path() / "bgagent-hello-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::filesystem::path directory = pattern;

  std::vector<Agent> agents{
      {"count-services", "grep -c . /etc/services", {}, -1},
      {"list-headers", "ls /usr/include | wc -l", {}, -1},
      {"checksum-passwd", "sha256sum /etc/passwd | cut -c1-16", {}, -1},
  };
  for (Agent& agent : agents) {
    agent.outputFile = directory / (agent.name + ".out");
    if (!launch(agent)) std::fprintf(stderr, "cannot launch %s\n", agent.name.c_str());
  }
  std::printf("launched %zu agents in the background\n", agents.size());

  int succeeded = 0;
  for (Agent& agent : agents) {
    if (agent.pid > 0) waitpid(agent.pid, nullptr, 0);
    bgagent::OutputFile file(agent.outputFile);
    if (auto read = file.refresh(); !read) {
      std::printf("%s: %s\n", agent.name.c_str(), read.error().message.c_str());
      continue;
    }
    const bgagent::OutputSnapshot& snapshot = file.snapshot();
    if (snapshot.status == bgagent::AgentStatus::Succeeded) {
      ++succeeded;
      std::printf("%-16s succeeded: %s\n", snapshot.description.c_str(),
                  snapshot.result.value("details", "").c_str());
    } else {
      std::printf("%-16s %s: %s\n", agent.name.c_str(),
                  std::string(bgagent::toString(snapshot.status)).c_str(),
                  snapshot.error ? snapshot.error->message.c_str() : "no COMPLETE");
    }
  }
  std::printf("%d of %zu agents succeeded\n", succeeded, agents.size());
  std::filesystem::remove_all(directory);
  return succeeded == static_cast<int>(agents.size()) ? 0 : 1;
}
