// SPDX-License-Identifier: MIT
// bgagent/agents/function_backend_inl.hpp: the bodies of function_backend.hpp's functions
// (inline, or built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/agents/function_backend.hpp>
// What the bodies use besides their header:
#include <bgagent/core/detail/duration_text.hpp>
#include <exception>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>

namespace bgagent {

namespace detail {

BGAGENT_INLINE std::optional<std::string> stopText(StopReason reason, const LaunchOptions& options,
                                                   bool stopRequested) {
  switch (reason) {
    case StopReason::TimedOut:
      return options.timeLimit ? "timed out after " + durationText(*options.timeLimit)
                               : std::string(kEnclosingDeadline);
    case StopReason::HostShutdown:
      return std::string(kHostShutDown);
    case StopReason::Cancelled:
      return std::string(kCancelledByHost);
    default:
      if (stopRequested) return std::string(kCancelledByHost);
      return std::nullopt;
  }
}

BGAGENT_INLINE void FunctionAgent::join() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

BGAGENT_INLINE void FunctionAgent::detach() {
  // Joined by the runtime once it has finished, never by whichever thread lets go last.
  if (thread_.joinable()) runtime_.threads().adopt(std::move(thread_), record_);
}

}  // namespace detail

BGAGENT_INLINE Result<std::unique_ptr<RunningAgent>> FunctionBackend::start(
    AgentStart& start) const {
  if (start.options().survivesHost) {
    return Error::of(ErrorCode::InvalidArgument,
                     "survivesHost is for process agents: an in-process agent ends with its host");
  }
  if (Result<void> made = start.createOutputFile(); !made) return made.error();
  detail::BackendAccess::markFollowedByRuntime(start);  // the runtime follows it already
  detail::RuntimeCore& runtime = detail::BackendAccess::runtime(start);
  auto record = std::make_shared<detail::WorkerRecord>();
  record->waker = runtime.threads().waker();
  // The thread owns its writer, body and options, never the task's state nor the runtime:
  // the state may be destroyed on the runtime's thread, which must not be the one to wait for
  // this thread, and the runtime must never be destroyed (its thread joined) from this one.
  std::jthread thread([body = body_, writer = std::move(start.writer()), options = start.options(),
                       link = start.link(), record](const std::stop_token& stop) mutable {
    detail::WorkerThreads::markAgentThread(record->waker.get());
    std::optional<std::string> error;
    std::optional<nlohmann::json> value;
    bool returned = false;
    {
      // The body and what it owns end here, before the thread says it has finished.
      FunctionBody work = std::move(body);
      try {
        value = work(stop, writer, options);
        returned = true;
      } catch (const std::exception& exception) {
        error = std::string("threw: ") + exception.what();
      } catch (...) {
        error = "threw an exception that is not a std::exception";
      }
    }
    // From here a stop no longer changes what the task says: the ending states it or not. A
    // stop asked without a reason (the handle let go) is read first: a later one is not ours.
    const bool stopAsked = stop.stop_requested();
    const StopReason reason = link.claimEnding();
    if (returned) {
      error = detail::stopText(reason, options, stopAsked);
    } else if (std::optional<std::string> stopped = detail::stopText(reason, options, false)) {
      // Stopped before it threw (likely why it threw): the ending says so first.
      error = *stopped + "; then " + *error;
    }
    // One record, so a reader sees the ending whole.
    if (Result<void> written = writer.finish(error, value); !written) {
      link.endingLost(written.error());
    }
    detail::WorkerThreads::markAgentThread(nullptr);
    detail::WorkerThreads::finished(*record);
  });
  record->stop = [stop = thread.get_stop_source(), link = start.link()](StopReason reason) mutable {
    link.recordStop(reason);
    stop.request_stop();
  };
  runtime.threads().track(record);
  std::unique_ptr<RunningAgent> agent =
      std::make_unique<detail::FunctionAgent>(runtime, std::move(record), std::move(thread));
  return agent;
}

}  // namespace bgagent
