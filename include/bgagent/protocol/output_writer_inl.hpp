// SPDX-License-Identifier: MIT
// bgagent/protocol/output_writer_inl.hpp: the bodies of output_writer.hpp's functions
// (inline, or built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/protocol/output_writer.hpp>
// What the bodies use besides their header:
#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

#include <bgagent/core/detail/syscall.hpp>
#include <bgagent/protocol/detail/timestamp.hpp>
#include <cerrno>
#include <chrono>
#include <cstddef>

namespace bgagent {

BGAGENT_INLINE Result<OutputWriter> OutputWriter::open(const std::filesystem::path& path,
                                                       WriterOptions options) {
  const std::string pathText = path.string();
  // The kernel would read the path only up to a NUL: another file than the one named.
  if (const std::size_t nul = pathText.find('\0'); nul != std::string::npos) {
    return Error::ofFile(ErrorCode::InvalidArgument, pathText.substr(0, nul),
                         "the path contains a NUL byte at offset " + std::to_string(nul));
  }
  int flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
  if (options.mode == OpenMode::CreateNew) flags |= O_EXCL;
  detail::UniqueFd fd(detail::openFile(pathText.c_str(), flags, 0600));
  if (!fd) {
    return Error::ofErrno(pathText, options.mode == OpenMode::CreateNew
                                        ? "cannot create"
                                        : "cannot open for appending");
  }
  return OutputWriter(pathText, std::move(fd), options.fsync);
}

BGAGENT_INLINE Result<void> OutputWriter::start(std::string_view description) {
  std::string record = std::string(protocol::kStart) + ' ' + now() + '\n';
  record += std::string(protocol::kTaskKey) + ' ' + oneLine(description) + '\n';
  record += std::string(protocol::kWriterKey) + " pid=" + std::to_string(::getpid()) +
            " host=" + hostName() + " protocol=" + std::to_string(protocol::kMajorVersion) + '.' +
            std::to_string(protocol::kMinorVersion) + '\n';
  return writeRecord(record, protocol::kStart, false);
}

BGAGENT_INLINE Result<void> OutputWriter::agentProcess(const AgentProcessInfo& process) {
  // A start time that could not be read (0) is left out: the line must not say what is not
  // known, and a reader warns of a 0.
  std::string record = std::string(protocol::kAgentKey) + " pid=" + std::to_string(process.pid) +
                       " group=" + std::to_string(process.group);
  if (process.started != 0) record += " started=" + std::to_string(process.started);
  record += '\n';
  return writeRecord(record, protocol::kAgentKey, false);
}

BGAGENT_INLINE Result<void> OutputWriter::output(std::string_view text) {
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  std::string record;
  record.reserve(text.size() + 8);
  while (true) {
    const std::size_t newline = text.find('\n');
    const std::string_view line = text.substr(0, newline);
    // Readers drop a final '\r' before they look for a marker (P1): so must this test.
    const std::string_view asRead = line.ends_with('\r') ? line.substr(0, line.size() - 1) : line;
    if (protocol::isMarkerLine(asRead)) record += ' ';
    record += line;
    record += '\n';
    if (newline == std::string_view::npos) break;
    text.remove_prefix(newline + 1);
  }
  return writeRecord(record, "output", false);
}

BGAGENT_INLINE Result<void> OutputWriter::finish(const std::optional<std::string>& errorMessage,
                                                 const std::optional<nlohmann::json>& value) {
  std::string record;
  if (errorMessage) record += std::string(protocol::kError) + ' ' + oneLine(*errorMessage) + '\n';
  if (value) record += resultRecord(*value);
  record += std::string(protocol::kComplete) + ' ' + now() + '\n';
  return writeRecord(record, protocol::kComplete, true);
}

BGAGENT_INLINE std::string OutputWriter::resultRecord(const nlohmann::json& value) {
  std::string record = std::string(protocol::kResult) + '\n';
  // replace: invalid UTF-8 in a string becomes U+FFFD instead of an exception.
  record += value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  record += '\n';
  return record;
}

BGAGENT_INLINE std::string OutputWriter::now() {
  return detail::formatTimestamp(std::chrono::system_clock::now());
}

BGAGENT_INLINE std::string OutputWriter::hostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "unknown";
  std::string host(name);
  for (char& c : host) {
    if (c == ' ' || c == '\n' || c == '\r') c = '_';
  }
  return host;
}

BGAGENT_INLINE std::string OutputWriter::oneLine(std::string_view text) {
  std::string line(text);
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return line;
}

BGAGENT_INLINE Result<void> OutputWriter::writeMarker(std::string_view marker,
                                                      const std::string& text, bool settles) {
  std::string record(marker);
  if (!text.empty()) record += ' ' + text;
  record += '\n';
  return writeRecord(record, marker, settles);
}

BGAGENT_INLINE Result<void> OutputWriter::writeRecord(std::string_view record,
                                                      std::string_view what, bool settles) {
  const auto failed = [&](std::string_view action) {
    const int errorNumber = errno;  // first: building the message allocates
    return Error::ofFile(errorCodeFor(errorNumber), path_,
                         std::string(action) + ' ' + std::string(what), errorNumber);
  };
  // After a write that failed part-way, the file may end inside a line: end it first, or the
  // next record would be glued to it and lost to every reader.
  if (partialLine_) {
    const char newline = '\n';
    if (detail::writeSome(fd_.get(), &newline, 1) != 1) return failed("cannot write");
    partialLine_ = false;
  }
  bool wroteSome = false;
  while (!record.empty()) {
    const ssize_t written = detail::writeSome(fd_.get(), record.data(), record.size());
    if (written == 0) errno = EIO;  // no progress and no errno: never loop on it
    if (written <= 0) partialLine_ = wroteSome;
    if (written <= 0) return failed("cannot write");
    record.remove_prefix(static_cast<std::size_t>(written));
    wroteSome = true;
  }
  if (settles && fsync_ == FsyncPolicy::OnSettle && detail::syncData(fd_.get()) != 0 &&
      errno != EINVAL) {  // EINVAL: the file (a pipe, a device) cannot be synced; nothing to do
    return failed("cannot sync");
  }
  return {};
}

}  // namespace bgagent
