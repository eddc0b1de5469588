// SPDX-License-Identifier: MIT
// bgagent/agents/agent_registry.hpp: agent types by name, and launch().
//
// Owns: AgentRegistry, the seed's `subagent_type`: a name ("Bash", "Process", "Explore", ...)
// mapped to the backend that starts agents of that type (agent_backend.hpp): a command line
// built from the LaunchOptions (CommandBackend), an in-process function (FunctionBackend), or a
// backend of the host's own. launch() starts one in the background and returns its Task at once.
// Built-in types: "Bash" runs the prompt with /bin/sh -c (the only type whose strings reach a
// shell, since running a shell command is what it is for); "Process" runs `arguments` with no
// shell. A launch that cannot start (an unknown type, an output directory that cannot be
// written, a missing program) returns a Task already settled Failed with that error.
// Thread safety: add/launch may be called from any thread.
// Example:
//   auto& registry = bgagent::AgentRegistry::defaultRegistry();
//   registry.addCommand("Explore", {"explore-agent", "--json", "{prompt}"});
//   auto task = bgagent::launch({.description = "map the repo", .prompt = "list modules",
//                                .agentType = "Explore"});
#pragma once

#include <bgagent/agents/agent_backend.hpp>
#include <bgagent/agents/detail/task_launch.hpp>
#include <bgagent/agents/function_backend.hpp>
#include <bgagent/agents/launch_options.hpp>
#include <bgagent/agents/process_backend.hpp>
#include <bgagent/agents/task.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace bgagent {

class AgentRegistry {
 public:
  AgentRegistry();

  /// Registers (or replaces) an agent type run by `backend` (agent_backend.hpp).
  void addBackend(const std::string& name, std::shared_ptr<const AgentBackend> backend);

  /// Registers (or replaces) a process agent type (a CommandBackend).
  void add(const std::string& name, CommandBuilder build);

  /// Registers (or replaces) an in-process agent type (a FunctionBackend).
  void addFunction(const std::string& name, FunctionBody body);

  /// Registers a command-line type: `command` with "{prompt}" in any argument replaced by the
  /// prompt (passed as an argument, never through a shell), or the prompt appended when no
  /// argument names it.
  void addCommand(const std::string& name, std::vector<std::string> command);

  bool contains(const std::string& name) const;

  /// Starts an agent of `options.agentType` in the background.
  template <typename T = nlohmann::json>
  Task<T> launch(const LaunchOptions& options) const {
    std::shared_ptr<const AgentBackend> backend;
    std::string registered;  // the names, for an error that says what would have worked
    {
      std::lock_guard lock(mutex_);
      if (const auto found = types_.find(options.agentType); found != types_.end()) {
        backend = found->second;
      } else {
        for (const auto& [name, type] : types_) {
          registered += (registered.empty() ? "'" : ", '") + name + "'";
        }
      }
    }
    if (!backend) {
      return Task<T>(detail::failedState<T>(
          options, Error::of(ErrorCode::NotFound,
                             "agent type '" + options.agentType + "' is not registered (" +
                                 (registered.empty() ? std::string("no type is registered")
                                                     : "registered: " + registered) +
                                 ")")));
    }
    return detail::startTask<T>(options, *backend);
  }

  /// The registry launch() uses.
  static AgentRegistry& defaultRegistry();

 private:
  static Error invalid(std::string message);

  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const AgentBackend>> types_;  // guarded by mutex_
};

/// Starts an agent with the default registry (the seed's Task({... run_in_background: true})).
template <typename T = nlohmann::json>
Task<T> launch(const LaunchOptions& options) {
  return AgentRegistry::defaultRegistry().launch<T>(options);
}

/// Starts `body(stop_token, OutputWriter&)` on a std::jthread as an agent; its return value
/// (converted with to_json; void becomes {"success": true}) is the RESULT, an exception the
/// ERROR. The body should check the token regularly: cancel and timeouts request it.
template <typename Body>
auto runInThread(const LaunchOptions& options, Body body) {
  using Value = std::invoke_result_t<Body&, std::stop_token, OutputWriter&>;
  using T = std::conditional_t<std::is_void_v<Value>, nlohmann::json, Value>;
  FunctionBody wrapped = [body = std::move(body)](std::stop_token stop, OutputWriter& writer,
                                                  const LaunchOptions&) mutable -> nlohmann::json {
    if constexpr (std::is_void_v<Value>) {
      body(std::move(stop), writer);
      return {{"success", true}};
    } else {
      return nlohmann::json(body(std::move(stop), writer));
    }
  };
  return detail::startTask<T>(options, FunctionBackend(std::move(wrapped)));
}

}  // namespace bgagent

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/agents/detail/agent_registry_inl.hpp>
#endif
