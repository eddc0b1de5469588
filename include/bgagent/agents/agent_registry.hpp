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
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace bgagent {

class AgentRegistry {
 public:
  AgentRegistry() {
    add("Bash", [](const LaunchOptions& options) -> Result<std::vector<std::string>> {
      if (options.prompt.empty()) return invalid("a \"Bash\" agent needs a prompt (the command)");
      return std::vector<std::string>{"/bin/sh", "-c", options.prompt};
    });
    add("Process", [](const LaunchOptions& options) -> Result<std::vector<std::string>> {
      if (options.arguments.empty()) return invalid("a \"Process\" agent needs arguments");
      return options.arguments;
    });
  }

  /// Registers (or replaces) an agent type run by `backend` (agent_backend.hpp).
  void addBackend(const std::string& name, std::shared_ptr<const AgentBackend> backend) {
    if (!backend)
      throw std::invalid_argument("bgagent: AgentRegistry::addBackend() of a null backend");
    std::lock_guard lock(mutex_);
    types_[name] = std::move(backend);
  }

  /// Registers (or replaces) a process agent type (a CommandBackend).
  void add(const std::string& name, CommandBuilder build) {
    addBackend(name, std::make_shared<const CommandBackend>(std::move(build)));
  }

  /// Registers (or replaces) an in-process agent type (a FunctionBackend).
  void addFunction(const std::string& name, FunctionBody body) {
    addBackend(name, std::make_shared<const FunctionBackend>(std::move(body)));
  }

  /// Registers a command-line type: `command` with "{prompt}" in any argument replaced by the
  /// prompt (passed as an argument, never through a shell), or the prompt appended when no
  /// argument names it.
  void addCommand(const std::string& name, std::vector<std::string> command) {
    add(name,
        [command =
             std::move(command)](const LaunchOptions& options) -> Result<std::vector<std::string>> {
          std::vector<std::string> argv = command;
          bool placed = false;
          for (std::string& argument : argv) {
            for (std::size_t at = argument.find("{prompt}"); at != std::string::npos;
                 at = argument.find("{prompt}", at + options.prompt.size())) {
              argument.replace(at, 8, options.prompt);
              placed = true;
            }
          }
          if (!placed) argv.push_back(options.prompt);
          return argv;
        });
  }

  bool contains(const std::string& name) const {
    std::lock_guard lock(mutex_);
    return types_.contains(name);
  }

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
  static AgentRegistry& defaultRegistry() {
    static AgentRegistry registry;
    return registry;
  }

 private:
  static Error invalid(std::string message) {
    return Error::of(ErrorCode::InvalidArgument, std::move(message));
  }

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
