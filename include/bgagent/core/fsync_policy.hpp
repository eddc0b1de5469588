// SPDX-License-Identifier: MIT
// bgagent/core/fsync_policy.hpp: FsyncPolicy, when an output file's records are forced to disk
// (docs/protocol.md, "Writing"; LaunchOptions::fsync, WriterOptions).
// Thread safety: a value type.
#pragma once

namespace bgagent {

/// When the writer forces records to disk (docs/protocol.md, "Writing").
enum class FsyncPolicy {
  Never,     ///< leave it to the page cache: for files only live processes read
  OnSettle,  ///< fdatasync after RESULT, ERROR and COMPLETE: no durable COMPLETE without them
};

}  // namespace bgagent
