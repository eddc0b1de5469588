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
#include <bgagent/runtime/detail/runtime_core.hpp>
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
std::optional<std::string> stopText(StopReason reason, const LaunchOptions& options,
                                    bool stopRequested);

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
  void join() override;
  void detach() override;

 private:
  RuntimeCore& runtime_;  // outlives this: the task's state holds both, the runtime longer
  std::shared_ptr<WorkerRecord> record_;
  std::jthread thread_;
};

}  // namespace detail

/// Runs each agent as a FunctionBody on a std::jthread of its own in this process; the backend
/// of AgentRegistry::addFunction() types and of runInThread().
class FunctionBackend final : public AgentBackend {
 public:
  /// A backend whose agents run `body`.
  explicit FunctionBackend(FunctionBody body) : body_(std::move(body)) {}

  Result<std::unique_ptr<RunningAgent>> start(AgentStart& start) const override;

 private:
  FunctionBody body_;
};

}  // namespace bgagent

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/agents/function_backend_inl.hpp>
#endif
