// SPDX-License-Identifier: MIT
// 06_deployment: the seed's deployment orchestration, in C++.
//
// Lint, tests and the build run in parallel; when all of them passed, the backend and then the
// frontend are "deployed" (real commands copying the built files into a release directory),
// then smoke tests check what was deployed. The first stage that fails is reported by name.
// `deployment --break deploy-backend` makes that stage fail, to show the report.
#include <unistd.h>

#include <bgagent/bgagent.hpp>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace {

// A "Bash" agent running `command` in `directory`.
bgagent::Task<> shell(const std::string& description, const std::string& command,
                      const std::filesystem::path& directory) {
  bgagent::LaunchOptions options;
  options.description = description;
  options.prompt = command;
  options.workingDirectory = directory;
  options.cleanup = bgagent::CleanupPolicy::DeleteOnSuccess;
  return bgagent::launch(options);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string broken = argc == 3 && std::strcmp(argv[1], "--break") == 0 ? argv[2] : "";
  const std::filesystem::path work =
      std::filesystem::temp_directory_path() / ("bgagent-deployment-" + std::to_string(::getpid()));
  std::filesystem::create_directories(work / "src");
  std::filesystem::create_directories(work / "release");
  const auto stage = [&](const std::string& name, const std::string& command) {
    const std::string failing = "echo '" + name + ": target unreachable' >&2; exit 1";
    return bgagent::Stage<>{name,
                            [=] { return shell(name, broken == name ? failing : command, work); }};
  };

  auto deployment = bgagent::sequence({
      // Lint, tests and build in parallel: the stage passes when all three did, its value the
      // array of their results.
      {"checks",
       [&] {
         std::vector<bgagent::Task<>> checks;
         checks.push_back(
             shell("lint", "echo 'int main() {}' > src/app.c && grep -q main src/app.c", work));
         checks.push_back(shell("unit tests", "echo '[PROGRESS] 1/1 tests'; true", work));
         checks.push_back(shell("build",
                                "mkdir -p dist && echo 'backend v1.4.2' > dist/backend.bin && "
                                "echo 'frontend v1.4.2' > dist/frontend.bin",
                                work));
         return bgagent::all(std::move(checks));
       }},
      stage("validate", "test -s dist/backend.bin && test -s dist/frontend.bin"),
      stage("deploy-backend", "cp dist/backend.bin release/ && echo deployed backend"),
      stage("deploy-frontend", "cp dist/frontend.bin release/ && echo deployed frontend"),
      stage("smoke-tests",
            "grep -q 'backend v1.4.2' release/backend.bin && "
            "grep -q 'frontend v1.4.2' release/frontend.bin"),
  });
  std::printf("deployment running in the background\n");

  const auto outcome =
      bgagent::withTimeLimit(std::move(deployment), std::chrono::minutes(5)).wait();
  std::error_code ignored;
  std::filesystem::remove_all(work, ignored);
  if (!outcome) {
    std::printf("deployment failed at stage '%s'\n  %s\n", outcome.error().stage.c_str(),
                outcome.error().message.c_str());
    return 1;
  }
  std::printf("deployment succeeded: %zu stages\n", outcome->size());
  return 0;
}
