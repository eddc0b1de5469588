// SPDX-License-Identifier: MIT
// bgagent/agents/function_backend.hpp: FunctionBackend, agents that are callables in this process.
//
// Owns: FunctionBody and FunctionBackend. Each agent runs `body(stop_token, writer, options)`
// on a std::jthread of its own; the body's value becomes the RESULT, an exception the ERROR,
// and a stop (cancel, a timeout, the runtime's shutdown) requests the token, the file then
// saying why. The runtime follows the thread: its shutdown stops it, and a detached agent's
// thread is joined by the runtime once it has finished.
// Thread safety: start() from any thread; the body runs on the agent's thread.
// Lifetime: destroying the task's handle requests the token and joins the thread (as bounded
// as the body's checks of the token, docs/threading.md); Task::detach() hands it to the runtime.
// Errors: the output file's, from start(); what the body throws becomes its ERROR, never a
// throw in the host.
// Example:
//   registry.addFunction("Count", [](std::stop_token, bgagent::OutputWriter&,
//                                    const bgagent::LaunchOptions&) { return 42; });
#pragma once

#include <bgagent/agents/agent_backend.hpp>
#include <bgagent/core/detail/duration_text.hpp>
#include <bgagent/runtime/detail/runtime_core.hpp>
#include <exception>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>

namespace bgagent {

/// An in-process agent's body: runs on its own std::jthread; its value becomes the RESULT.
using FunctionBody =
    std::function<nlohmann::json(std::stop_token, OutputWriter&, const LaunchOptions&)>;

namespace detail {

/// How an in-process agent's file records why its stop token was requested.
inline std::optional<std::string> stopText(StopReason reason, const LaunchOptions& options,
                                           bool stopRequested) {
  switch (reason) {
    case StopReason::TimedOut:
      return options.timeLimit ? "timed out after " + durationText(*options.timeLimit)
                               : std::string(kEnclosingDeadline);
    case StopReason::HostShutdown:
      return std::string(kHostShutDown);
    default:
      if (stopRequested) return std::string("cancelled by the host");
      return std::nullopt;
  }
}

/// One in-process agent: its thread, and the runtime's record of it.
class FunctionAgent final : public RunningAgent {
 public:
  FunctionAgent(RuntimeCore& runtime, std::shared_ptr<WorkerRecord> record, std::jthread thread)
      : runtime_(runtime), record_(std::move(record)), thread_(std::move(thread)) {}
  FunctionAgent(const FunctionAgent&) = delete;
  FunctionAgent& operator=(const FunctionAgent&) = delete;
  FunctionAgent(FunctionAgent&&) = delete;
  FunctionAgent& operator=(FunctionAgent&&) = delete;
  ~FunctionAgent() override = default;  // a thread still joinable here is stopped and joined

  void stop(StopReason reason) override { record_->stop(reason); }
  bool ended() const noexcept override { return record_->finished.load(std::memory_order_acquire); }
  void join() override {
    if (thread_.joinable()) {
      thread_.request_stop();
      thread_.join();
    }
  }
  void detach() override {
    // Joined by the runtime once it has finished, never by whichever thread lets go last.
    if (thread_.joinable()) runtime_.threads().adopt(std::move(thread_), record_);
  }

 private:
  RuntimeCore& runtime_;  // outlives this: the task's state holds both, the runtime longer
  std::shared_ptr<WorkerRecord> record_;
  std::jthread thread_;
};

}  // namespace detail

class FunctionBackend final : public AgentBackend {
 public:
  explicit FunctionBackend(FunctionBody body) : body_(std::move(body)) {}

  Result<std::unique_ptr<RunningAgent>> start(AgentStart& start) const override {
    if (Result<void> made = start.createOutputFile(); !made) return made.error();
    detail::BackendAccess::markFollowedByRuntime(start);  // the runtime follows it already
    detail::RuntimeCore& runtime = detail::BackendAccess::runtime(start);
    auto record = std::make_shared<detail::WorkerRecord>();
    record->waker = runtime.threads().waker();
    // The thread owns its writer, body and options, never the task's state nor the runtime:
    // the state may be destroyed on the runtime's thread, which must not be the one to wait for
    // this thread, and the runtime must never be destroyed (its thread joined) from this one.
    std::jthread thread([body = body_, writer = std::move(start.writer()),
                         options = start.options(), link = start.link(),
                         record](const std::stop_token& stop) mutable {
      detail::WorkerThreads::markAgentThread(record->waker.get());
      std::optional<std::string> error;
      std::optional<nlohmann::json> value;
      {
        // The body and what it owns end here, before the thread says it has finished.
        FunctionBody work = std::move(body);
        try {
          value = work(stop, writer, options);
          error = detail::stopText(link.stopReason(), options, stop.stop_requested());
        } catch (const std::exception& exception) {
          error = std::string("threw: ") + exception.what();
        } catch (...) {
          error = "threw an exception that is not a std::exception";
        }
      }
      // One record, so a reader sees the ending whole.
      if (Result<void> written = writer.finish(error, value); !written) {
        link.endingLost(written.error());
      }
      detail::WorkerThreads::markAgentThread(nullptr);
      detail::WorkerThreads::finished(*record);
    });
    record->stop = [stop = thread.get_stop_source(),
                    link = start.link()](StopReason reason) mutable {
      link.recordStop(reason);
      stop.request_stop();
    };
    runtime.threads().track(record);
    std::unique_ptr<RunningAgent> agent =
        std::make_unique<detail::FunctionAgent>(runtime, std::move(record), std::move(thread));
    return agent;
  }

 private:
  FunctionBody body_;
};

}  // namespace bgagent
