// SPDX-License-Identifier: MIT
// bgagent/agents/detail/task_launch_inl.hpp: the bodies of task_launch.hpp's functions (inline in
// header-only mode, built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/agents/detail/task_launch.hpp>
// What the bodies use besides their header:
#include <bgagent/protocol/output_writer.hpp>
#include <bgagent/runtime/detail/default_runtime.hpp>
#include <bgagent/runtime/runtime.hpp>
#include <memory>
#include <string>
#include <utility>

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
