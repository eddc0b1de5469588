// SPDX-License-Identifier: MIT
// bgagent/runtime/wait.hpp: waitForCompletion, the blocking wait on one output file.
//
// Owns: waitForCompletion(outputFile, timeout) and waitForCompletion(outputFile, options). The
// waiting is done by a Watcher (the default runtime's Watcher::shared() unless one is given):
// the calling thread sleeps on a future until the runtime settles the wait, woken by the kernel
// (inotify) when the file changes, or at the poll interval where inotify cannot be trusted.
// Errors: the outcome is a value for everything the agent or its file can do (failed, timed
// out, cancelled, stalled, crashed), a file that was never created (NotFound, at the timeout)
// and one whose directory does not exist (NotFound, at once: create the directory before
// waiting); misuse throws std::invalid_argument or std::logic_error.
// Thread safety: call from any thread but a watcher callback (that would wait on itself).
// Example:
//   bgagent::WaitOutcome outcome = bgagent::waitForCompletion("build.out", 30s);
//   if (outcome.succeeded()) use(outcome.result()); else report(outcome.error->message);
#pragma once

#include <bgagent/protocol/wait_outcome.hpp>
#include <bgagent/runtime/watcher.hpp>
#include <filesystem>

namespace bgagent {

/// Waits until `outputFile` settles or one of `options`' limits ends the wait.
[[nodiscard("the outcome says how the agent ended, or why the wait did")]] WaitOutcome
waitForCompletion(const std::filesystem::path& outputFile, WaitOptions options,
                  Watcher& watcher = Watcher::shared());

/// Waits at most `timeout` for `outputFile` to settle (the seed's waitForCompletion).
[[nodiscard("the outcome says how the agent ended, or why the wait did")]] WaitOutcome
waitForCompletion(const std::filesystem::path& outputFile, SteadyClock::duration timeout);

}  // namespace bgagent

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/runtime/wait_inl.hpp>
#endif
