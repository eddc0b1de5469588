// SPDX-License-Identifier: MIT
// 05_test_pipeline: the seed's sequential pipeline, in C++.
//
// Unit, integration and end-to-end tests run one phase after another, each as a background
// agent; the pipeline stops at the first phase that fails and reports it. `test_pipeline
// --break integration` makes that phase fail, to show the report.
#include <bgagent/bgagent.hpp>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

struct PhaseReport {
  std::string phase;
  int passed = 0;
  int failed = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(PhaseReport, phase, passed, failed)

// A stage that launches one phase of tests when the stage before it has passed.
bgagent::Stage<PhaseReport> phase(const std::string& name, int tests, bool broken) {
  return {name, [=] {
            bgagent::LaunchOptions options;
            options.description = name + " tests";
            options.agentType = "Process";
            options.arguments = {RUN_PHASE, name, std::to_string(tests)};
            if (broken) options.arguments.emplace_back("broken");
            return bgagent::launch<PhaseReport>(options);
          }};
}

int main(int argc, char** argv) {
  const std::string broken = argc == 3 && std::strcmp(argv[1], "--break") == 0 ? argv[2] : "";

  bgagent::Task<std::vector<PhaseReport>> pipeline = bgagent::sequence<PhaseReport>({
      phase("unit", 12, broken == "unit"),
      phase("integration", 8, broken == "integration"),
      phase("e2e", 3, broken == "e2e"),
  });
  std::printf("test pipeline running in the background\n");

  const bgagent::Result<std::vector<PhaseReport>> outcome = pipeline.wait();
  if (!outcome) {
    // The seed's `{ stage: ..., error: ... }`: which phase failed, and why.
    std::printf("pipeline failed at stage '%s'\n  %s\n", outcome.error().stage.c_str(),
                outcome.error().message.c_str());
    std::printf("  output file: %s\n", outcome.error().path.c_str());
    return 1;
  }
  int passed = 0;
  for (const PhaseReport& report : *outcome) {
    std::printf("%-12s %3d passed\n", report.phase.c_str(), report.passed);
    passed += report.passed;
  }
  std::printf("pipeline passed: %d tests in %zu phases\n", passed, outcome->size());
  return 0;
}
