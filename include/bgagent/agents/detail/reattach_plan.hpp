// SPDX-License-Identifier: MIT
// bgagent/agents/detail/reattach_plan.hpp: what reattach() decides for each file of an output
// directory, read once: settle it from the file, follow its agent's process, or skip it with
// why (the table in docs/reliability.md, "Agents that survive their host, and re-attaching").
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/core/error.hpp>
#include <bgagent/core/fsync_policy.hpp>
#include <bgagent/core/result.hpp>
#include <bgagent/protocol/agent_state.hpp>
#include <bgagent/protocol/output_writer.hpp>
#include <filesystem>
#include <optional>
#include <vector>

namespace bgagent::detail {

enum class ReattachStep {
  Settled,  // the file has its ending (one written just now included)
  Follow,   // the agent's process may still run: adopt it
  Skip,     // not this host's to take over
};

struct ReattachPlan {
  std::filesystem::path path;
  ReattachStep step = ReattachStep::Skip;
  OutputSnapshot snapshot;
  std::optional<OutputWriter> writer;  // Follow: appends the ending, holds the file's lock
  std::optional<Error> skipped;        // why, for Skip
};

/// Reads every `*.out` file of `directory` and decides each one's step (the table in
/// docs/reliability.md). Writes the ending of a file whose writer is gone and that names no
/// process to follow, since no one else ever will.
Result<std::vector<ReattachPlan>> planReattach(const std::filesystem::path& directory,
                                               FsyncPolicy fsync);

}  // namespace bgagent::detail

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/agents/detail/reattach_plan_inl.hpp>
#endif
