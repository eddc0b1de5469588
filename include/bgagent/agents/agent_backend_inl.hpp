// SPDX-License-Identifier: MIT
// bgagent/agents/agent_backend_inl.hpp: the bodies of agent_backend.hpp's functions (inline
// in header-only mode, built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/agents/agent_backend.hpp>
// What the bodies use besides their header:
#include <bgagent/agents/detail/output_directory.hpp>
#include <cerrno>
#include <filesystem>
#include <stdexcept>
#include <utility>

namespace bgagent {

BGAGENT_INLINE void AgentLink::agentEnded() const {
  if (control_->wakeRuntime) control_->wakeRuntime();
}

BGAGENT_INLINE void AgentLink::endingLost(const Error& error) const {
  if (control_->onEndingLost) control_->onEndingLost(error);
}

BGAGENT_INLINE Result<void> AgentStart::createOutputFile() {
  if (writer_) throw std::logic_error("bgagent: AgentStart::createOutputFile() called twice");
  Result<std::filesystem::path> directory =
      options_.outputDirectory.empty() ? detail::defaultOutputDirectory()
                                       : Result<std::filesystem::path>(options_.outputDirectory);
  if (!directory) return directory.error();
  // A name is this process's pid and a sequence number: a file left at it by an earlier
  // process with the same pid (pids are reused) is skipped, never written to.
  Result<OutputWriter> writer = Error{};
  for (int tries = 0; tries < kNameTries; ++tries) {
    outputPath_ = detail::outputFileName(*directory, options_.description);
    writer = OutputWriter::open(outputPath_, WriterOptions{OpenMode::CreateNew, options_.fsync});
    if (writer || writer.error().systemError != EEXIST) break;
  }
  if (!writer) return writer.error();
  if (Result<void> started = writer->start(options_.description); !started) {
    return started.error();
  }
  writer_.emplace(std::move(*writer));
  return {};
}

BGAGENT_INLINE OutputWriter& AgentStart::writer() {
  if (!writer_) throw std::logic_error("bgagent: AgentStart::writer() before createOutputFile()");
  return *writer_;
}

}  // namespace bgagent
