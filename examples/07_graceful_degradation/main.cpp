// SPDX-License-Identifier: MIT
// 07_graceful_degradation: the seed's robust background task, in C++.
//
// A flaky agent is retried with exponential backoff until it succeeds; an agent whose service
// stays down falls back to a simpler one; and a failure that must not stop the host becomes a
// value ({"success": false, "error": ...}) it can report.
#include <unistd.h>

#include <bgagent/bgagent.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

using namespace std::chrono_literals;

namespace {

bgagent::Task<> flaky(const std::string& description, const std::filesystem::path& counter,
                      int failures) {
  bgagent::LaunchOptions options;
  options.description = description;
  options.agentType = "Process";
  options.arguments = {FLAKY_AGENT, counter.string(), std::to_string(failures)};
  return bgagent::launch(options);
}

}  // namespace

int main() {
  const std::filesystem::path counters = std::filesystem::temp_directory_path() /
                                         ("bgagent-degradation-" + std::to_string(::getpid()));
  std::filesystem::create_directories(counters);

  // 1. Retry: fails twice, then succeeds; each attempt says which it is in its own file.
  auto summary = bgagent::retry(
      [&](int attempt) {
        return flaky("summarise (attempt " + std::to_string(attempt) + ")", counters / "summary",
                     2);
      },
      {.maxAttempts = 4, .backoff = bgagent::Backoff::exponential(20ms, 500ms)});

  // 2. Fallback: the service stays down, so a simpler agent answers instead.
  auto review = bgagent::withFallback(
      flaky("review with the LLM", counters / "review", 100), [&](const bgagent::Error& error) {
        std::printf("review: falling back (%s)\n", error.message.c_str());
        bgagent::LaunchOptions options;
        options.description = "review with the linter";
        options.prompt = R"(echo '[RESULT] {"success": true, "summary": "lint clean"}')";
        return bgagent::launch(options);
      });

  // 3. Failure as a value: the host reports it and goes on.
  auto optional = bgagent::failureAsValue(flaky("optional stats", counters / "stats", 100));

  const nlohmann::json summarised = summary.get();
  std::printf("summary after %d runs: %s\n", summarised["runs"].get<int>(),
              summarised["summary"].get<std::string>().c_str());
  std::printf("review: %s\n", review.get()["summary"].get<std::string>().c_str());
  const nlohmann::json stats = optional.get();
  std::printf("optional stats: success=%s, error: %s\n", stats["success"].dump().c_str(),
              stats["error"].get<std::string>().c_str());

  std::error_code ignored;
  std::filesystem::remove_all(counters, ignored);
  std::printf("degraded gracefully\n");
  return 0;
}
