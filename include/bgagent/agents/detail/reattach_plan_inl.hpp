// SPDX-License-Identifier: MIT
// bgagent/agents/detail/reattach_plan_inl.hpp: the bodies of reattach_plan.hpp's functions
// (inline in header-only mode, built once in src/bgagent.cpp in compiled mode;
// core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/agents/detail/reattach_plan.hpp>
// What the bodies use besides their header:
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bgagent/protocol/output_file.hpp>
#include <bgagent/protocol/output_writer.hpp>
#include <bgagent/runtime/detail/process_liveness.hpp>
#include <cstdint>
#include <string>
#include <system_error>
#include <utility>

namespace bgagent::detail {

namespace reattach_detail {

// Whether the file's writer still runs: its pid exists and, when the agent's start time is
// known, did not start after the agent (a later process that took the writer's pid, as a
// restarted container's first process takes its predecessor's). This process counts as a
// writer that runs: it follows its own agents.
inline bool writerRuns(const OutputSnapshot& snapshot) {
  if (!isAlive(snapshot.writer.pid)) return false;
  if (snapshot.agent.started == 0) return true;
  const std::optional<std::uint64_t> writerStarted = processStartTicks(snapshot.writer.pid);
  return !writerStarted || *writerStarted <= snapshot.agent.started;
}

// The ending of a file whose writer died and named no process of the agent: nobody else will
// ever write it.
inline Result<void> endOrphanedFile(OutputWriter& writer, const OutputSnapshot& snapshot) {
  if (snapshot.pendingBytes > 0) {
    // Its last line was cut short: the ending starts on a line of its own.
    if (Result<void> ended = writer.relay("\n"); !ended) return ended;
  }
  std::string error =
      "writer pid " + std::to_string(snapshot.writer.pid) + " exited without [COMPLETE]";
  if (!snapshot.tail.empty()) error += "; last output: " + snapshot.tail[snapshot.tail.size() - 1];
  return writer.finish(error + " (found by a later host)", std::nullopt);
}

inline ReattachPlan planOne(const std::filesystem::path& path, const std::string& hostName,
                            FsyncPolicy fsync) {
  ReattachPlan plan;
  plan.path = path;
  const auto skip = [&plan](const std::string& why) -> ReattachPlan {
    plan.skipped = Error::ofFile(ErrorCode::InvalidArgument, plan.path.string(), why);
    return std::move(plan);
  };
  OutputFile file(path.string());
  if (Result<std::size_t> read = file.refresh(); !read) {
    plan.skipped = read.error();
    return plan;
  }
  plan.snapshot = file.snapshot();
  const OutputSnapshot& snapshot = plan.snapshot;
  if (snapshot.completed) {
    plan.step = ReattachStep::Settled;
    return plan;
  }
  if (snapshot.status == Status::Pending) return skip("has no [START]: not an agent's output");
  if (snapshot.writer.pid <= 0) return skip("names no writer (no Writer: pid=)");
  if (snapshot.writer.host != hostName) {
    return skip("was written on host '" + snapshot.writer.host +
                "', whose processes cannot be seen from here");
  }
  if (writerRuns(snapshot)) {
    return skip("its writer, pid " + std::to_string(snapshot.writer.pid) +
                ", still runs and follows it");
  }
  if (snapshot.agent.pid > 0 && snapshot.agent.started == 0) {
    return skip(
        "its Agent: line has no start time: a later process given its pid could not "
        "be told from it");
  }
  // The lock a following host holds: one host at a time takes a file over, and writes its
  // ending (the host that launched a survivor holds it too, while it follows the agent).
  Result<OutputWriter> writer = OutputWriter::open(path, WriterOptions{OpenMode::Append, fsync});
  if (!writer) {
    plan.skipped = writer.error();
    return plan;
  }
  const int fd = OutputWriterAccess::descriptor(*writer);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    return skip("another host follows it (it holds the file's lock)");
  }
  // Read again under the lock: a host that held it until just now may have ended the file,
  // or removed it (the open then made a new, empty one, which goes again).
  const Result<std::size_t> reread = file.refresh();
  if (!reread || file.snapshot().restarts > 0) {
    struct stat made {};
    if (::fstat(fd, &made) == 0 && made.st_size == 0) ::unlink(path.c_str());
    return skip("changed while it was read (another host ended or removed it)");
  }
  plan.snapshot = file.snapshot();
  if (snapshot.completed) {
    plan.step = ReattachStep::Settled;
    return plan;
  }
  if (snapshot.agent.pid > 0) {
    plan.step = ReattachStep::Follow;
    plan.writer.emplace(std::move(*writer));
    return plan;
  }
  if (Result<void> ended = endOrphanedFile(*writer, snapshot); !ended) {
    plan.skipped = ended.error();
    return plan;
  }
  plan.step = ReattachStep::Settled;
  return plan;
}

}  // namespace reattach_detail

BGAGENT_INLINE Result<std::vector<ReattachPlan>> planReattach(
    const std::filesystem::path& directory, FsyncPolicy fsync) {
  std::error_code error;
  std::vector<std::filesystem::path> paths;
  for (std::filesystem::directory_iterator entry(directory, error), end; !error && entry != end;
       entry.increment(error)) {
    // Regular files only: a host writes no symlink there, and follows none.
    std::error_code unreadable;
    if (entry->path().extension() == ".out" && entry->is_regular_file(unreadable) &&
        !entry->is_symlink(unreadable)) {
      paths.push_back(entry->path());
    }
  }
  if (error) {
    return Error{
        error == std::errc::no_such_file_or_directory ? ErrorCode::NotFound : ErrorCode::Io,
        "cannot re-attach to the agents in '" + directory.string() + "': " + error.message(), "", 0,
        error.value()};
  }
  std::sort(paths.begin(), paths.end());
  const std::string hostName = OutputWriterAccess::hostName();
  std::vector<ReattachPlan> plans;
  plans.reserve(paths.size());
  for (const std::filesystem::path& path : paths) {
    plans.push_back(reattach_detail::planOne(path, hostName, fsync));
  }
  return plans;
}

}  // namespace bgagent::detail
