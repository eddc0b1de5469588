// SPDX-License-Identifier: MIT
// 02_build_monitor: run a real build in the background, printing its progress as it arrives,
// until it completes or reports an error.
//
// The agent is a shell script that compiles, links and tests a small C++ program in a scratch
// directory of its own, reporting PROGRESS lines and an ERROR or a RESULT; bgagent writes the
// rest of its output file. The host does not poll: the file's growth wakes the runtime (inotify),
// and a subscription to the task prints each new progress report.
#include <bgagent/bgagent.hpp>
#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

namespace {

// The build: every step's failure becomes an [ERROR] record, its output free lines.
constexpr const char* kBuildScript = R"SH(
work=$(mktemp -d) && cd "$work" || exit 1
trap 'rm -rf "$work"' EXIT
cat > hello.cpp <<'SOURCE'
#include <cstdio>
int main() { std::puts("hello from the build"); }
SOURCE
echo "[PROGRESS] 1/3 compiling"
c++ -c hello.cpp -o hello.o || { echo "[ERROR] compiling hello.cpp failed"; exit 1; }
echo "[PROGRESS] 2/3 linking"
c++ hello.o -o hello || { echo "[ERROR] linking hello failed"; exit 1; }
echo "[PROGRESS] 3/3 testing"
output=$(./hello)
[ "$output" = "hello from the build" ] || { echo "[ERROR] unexpected output: $output"; exit 1; }
echo '[RESULT] {"success": true, "details": "built and tested hello"}'
)SH";

}  // namespace

int main() {
  bgagent::Task<> build = bgagent::launch({.description = "Build and test hello",
                                           .prompt = kBuildScript,
                                           .timeLimit = std::chrono::minutes(2),
                                           .cleanup = bgagent::CleanupPolicy::DeleteOnSuccess});
  std::printf("build started in the background, output in %s\n", build.outputPath().c_str());

  // Each progress report once, in order, on the runtime's thread (so: quick, no call back into
  // the task).
  const bgagent::TaskSubscription progress =
      bgagent::TaskView(build).subscribe([](std::string_view kind, const nlohmann::json& fields) {
        if (kind != "progress") return;
        const double percent = fields["percent"].is_number() ? fields["percent"].get<double>() : 0;
        std::printf("  progress: %3.0f%%  %s\n", percent,
                    fields["text"].get<std::string>().c_str());
      });

  const bgagent::Result<nlohmann::json> result = build.wait();
  if (result) {
    std::printf("build succeeded: %s\n", result->value("details", "").c_str());
    return 0;
  }
  std::printf("build %s: %s\n", std::string(bgagent::toString(build.status())).c_str(),
              result.error().message.c_str());
  for (const std::string& line : build.snapshot().tail.lines())
    std::printf("  | %s\n", line.c_str());
  return 1;
}
