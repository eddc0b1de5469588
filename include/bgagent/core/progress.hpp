// SPDX-License-Identifier: MIT
// bgagent/core/progress.hpp: Progress, an agent's latest [PROGRESS] record (docs/protocol.md, P11),
// as a snapshot and a dashboard row carry it.
// Thread safety: a value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace bgagent {

/// The latest [PROGRESS] record (P11).
struct Progress {
  std::string text;               ///< the latest PROGRESS text
  std::optional<double> percent;  ///< from a leading `NN%` or `k/n`, when the latest text has one
  std::uint64_t updates = 0;      ///< how many PROGRESS lines were read

  /// Equal when every field is.
  friend bool operator==(const Progress&, const Progress&) = default;
};

}  // namespace bgagent
