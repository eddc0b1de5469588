// SPDX-License-Identifier: MIT
// bgagent/agents/agent_registry_inl.hpp: the bodies of agent_registry.hpp's functions
// (inline, or built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/agents/agent_registry.hpp>
// What the bodies use besides their header:
#include <bgagent/protocol/output_writer.hpp>
#include <bgagent/runtime/detail/default_runtime.hpp>
#include <cstddef>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace bgagent::detail {

BGAGENT_INLINE std::shared_ptr<RuntimeCore> runtimeFor(const LaunchOptions& options) {
  return options.runtime != nullptr ? options.runtime->core() : DefaultRuntime::get();
}

BGAGENT_INLINE Error internalError(std::string message) {
  return Error::of(ErrorCode::Internal, std::move(message));
}

BGAGENT_INLINE void recordStartFailure(AgentStart& start, const Error& error) {
  nlohmann::json result;
  result["success"] = false;
  result["error"] = error.message;
  if (start.writer().finish(error.message, result)) return;
  Result<OutputWriter> again =
      OutputWriter::open(start.outputPath(), WriterOptions{OpenMode::Append, FsyncPolicy::Never});
  if (again) (void)again->finish(error.message, result);
}

}  // namespace bgagent::detail

namespace bgagent {

BGAGENT_INLINE AgentRegistry::AgentRegistry() {
  add("Bash", [](const LaunchOptions& options) -> Result<std::vector<std::string>> {
    if (options.prompt.empty()) return invalid("a \"Bash\" agent needs a prompt (the command)");
    return std::vector<std::string>{"/bin/sh", "-c", options.prompt};
  });
  add("Process", [](const LaunchOptions& options) -> Result<std::vector<std::string>> {
    if (options.arguments.empty()) return invalid("a \"Process\" agent needs arguments");
    return options.arguments;
  });
}

BGAGENT_INLINE void AgentRegistry::addBackend(const std::string& name,
                                              std::shared_ptr<const AgentBackend> backend) {
  if (!backend)
    throw std::invalid_argument("bgagent: AgentRegistry::addBackend() of a null backend");
  std::lock_guard lock(mutex_);
  types_[name] = std::move(backend);
}

BGAGENT_INLINE void AgentRegistry::add(const std::string& name, CommandBuilder build) {
  addBackend(name, std::make_shared<const CommandBackend>(std::move(build)));
}

BGAGENT_INLINE void AgentRegistry::addFunction(const std::string& name, FunctionBody body) {
  addBackend(name, std::make_shared<const FunctionBackend>(std::move(body)));
}

BGAGENT_INLINE void AgentRegistry::addCommand(const std::string& name,
                                              std::vector<std::string> command) {
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

BGAGENT_INLINE bool AgentRegistry::contains(const std::string& name) const {
  std::lock_guard lock(mutex_);
  return types_.contains(name);
}

BGAGENT_INLINE AgentRegistry& AgentRegistry::defaultRegistry() {
  static AgentRegistry registry;
  return registry;
}

BGAGENT_INLINE Error AgentRegistry::invalid(std::string message) {
  return Error::of(ErrorCode::InvalidArgument, std::move(message));
}

}  // namespace bgagent
