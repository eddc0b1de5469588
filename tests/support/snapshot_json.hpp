// SPDX-License-Identifier: MIT
// tests/support/snapshot_json.hpp: an OutputSnapshot as JSON, the shape of the golden files'
// expectations (tests/data/*.expected.json), so a mismatch prints readably.
#pragma once

#include <bgagent/protocol/agent_state.hpp>
#include <bgagent/protocol/detail/timestamp.hpp>
#include <nlohmann/json.hpp>
#include <optional>

namespace bgagent::test {

inline nlohmann::json timeOrNull(const std::optional<SystemTime>& time) {
  return time ? nlohmann::json(detail::formatTimestamp(*time)) : nlohmann::json(nullptr);
}

inline nlohmann::json toJson(const OutputSnapshot& snapshot) {
  nlohmann::json warnings = nlohmann::json::array();
  for (const Error& warning : snapshot.warnings) warnings.push_back(warning.message);
  return {
      {"status", toString(snapshot.status)},
      {"completed", snapshot.completed},
      {"startedAt", timeOrNull(snapshot.startedAt)},
      {"completedAt", timeOrNull(snapshot.completedAt)},
      {"lastHeartbeatAt", timeOrNull(snapshot.lastHeartbeatAt)},
      {"heartbeats", snapshot.heartbeats},
      {"description", snapshot.description},
      {"writerPid", snapshot.writer.pid},
      {"writerHost", snapshot.writer.host},
      {"protocol", std::to_string(snapshot.writer.protocolMajor) + "." +
                       std::to_string(snapshot.writer.protocolMinor)},
      {"progressText", snapshot.progress.text},
      {"progressPercent", snapshot.progress.percent ? nlohmann::json(*snapshot.progress.percent)
                                                    : nlohmann::json(nullptr)},
      {"progressUpdates", snapshot.progress.updates},
      {"exitStatus",
       snapshot.exitStatus ? nlohmann::json(*snapshot.exitStatus) : nlohmann::json(nullptr)},
      {"hasResult", snapshot.hasResult},
      {"result", snapshot.result},
      {"error", snapshot.error ? nlohmann::json(snapshot.error->message) : nlohmann::json(nullptr)},
      {"errorCode",
       snapshot.error ? nlohmann::json(toString(snapshot.error->code)) : nlohmann::json(nullptr)},
      {"errorRecords", snapshot.errorRecords},
      {"tail", snapshot.tail.lines()},
      {"warnings", warnings},
      {"warningCount", snapshot.warningCount},
      {"lines", snapshot.lines},
      {"pendingBytes", snapshot.pendingBytes},
  };
}

}  // namespace bgagent::test
