// SPDX-License-Identifier: MIT
// bgagent/core/error.hpp: the error vocabulary of the library.
//
// Owns: ErrorCode (a small canonical set), Error (code + message + place + errno) and
// Exception (an Error thrown by get() and by misuse-free APIs that cannot return a value).
// Messages are lowercase and carry the place first: "output file 'a.out' line 7: RESULT is not
// valid JSON: unexpected end of input". docs/errors.md describes every code.
// Thread safety: value types; no shared state.
#pragma once

#include <bgagent/core/detail/config.hpp>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bgagent {

/// The canonical error codes. Return the most specific one that applies.
enum class ErrorCode {
  /// A stop was requested (by the host or a combinator) before the work finished.
  Cancelled,
  /// A timeout or deadline passed before the work finished.
  DeadlineExceeded,
  /// A file, directory, command or registered name does not exist.
  NotFound,
  /// The caller passed a value the API cannot work with (an empty path, a directory where a
  /// file is expected). Use this for bad arguments, not for bad file contents.
  InvalidArgument,
  /// An output file breaks the protocol (docs/protocol.md): a marker out of order, a bound
  /// exceeded, a protocol version this reader does not support.
  MalformedOutput,
  /// The RESULT record is not valid JSON, or does not convert to the requested type.
  InvalidResult,
  /// The agent reported a failure: an ERROR record or a RESULT with "success": false.
  AgentFailed,
  /// The agent was killed by a signal or exited without completing its output file.
  AgentKilled,
  /// A system call failed (the Error carries errno): a full disk, a permission, a read error.
  Io,
  /// A bug in bgagent: an invariant broke. Please report it.
  Internal,
};

/// The code's name as written in docs/errors.md, e.g. "MalformedOutput".
constexpr std::string_view toString(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::Cancelled:
      return "Cancelled";
    case ErrorCode::DeadlineExceeded:
      return "DeadlineExceeded";
    case ErrorCode::NotFound:
      return "NotFound";
    case ErrorCode::InvalidArgument:
      return "InvalidArgument";
    case ErrorCode::MalformedOutput:
      return "MalformedOutput";
    case ErrorCode::InvalidResult:
      return "InvalidResult";
    case ErrorCode::AgentFailed:
      return "AgentFailed";
    case ErrorCode::AgentKilled:
      return "AgentKilled";
    case ErrorCode::Io:
      return "Io";
    case ErrorCode::Internal:
      return "Internal";
  }
  return "Unknown";
}

/// The most specific code for a failed system call's errno: NotFound for ENOENT;
/// InvalidArgument for EEXIST, EISDIR, ENOTDIR, ELOOP, ENAMETOOLONG; Io for any other.
ErrorCode errorCodeFor(int errorNumber) noexcept;

/// What went wrong and where. `message` is the whole human-readable text (it already names the
/// path and line); the other fields repeat the place for programs.
struct Error {
  ErrorCode code = ErrorCode::Internal;  ///< what kind of failure, for programs to branch on
  std::string message;                   ///< the whole text for people: what failed, where, and why
  std::string path;                      ///< the file concerned, or empty
  std::uint64_t line = 0;                ///< 1-based line in `path`, or 0 when no line applies
  int systemError = 0;                   ///< errno of the failed system call, or 0
  /// Errors that belong with this one: a combinator's other failures, in input order
  /// (docs/combinators.md, C2).
  std::vector<Error> related{};
  /// The stage of a sequence or pipeline that failed, or empty (docs/combinators.md).
  std::string stage{};

  /// An error that no line or system call stands behind: a code, the message and, when a file
  /// is concerned, its path.
  static Error of(ErrorCode code, std::string message, std::string path = {}) {
    return Error{code, std::move(message), std::move(path), 0, 0, {}, {}};
  }

  /// An error about an output file (or its directory), worded one way everywhere: "output file
  /// 'PATH': WHAT", then ": " and the system's words for `errorNumber` when it is not 0.
  static Error ofFile(ErrorCode code, const std::string& path, std::string_view what,
                      int errorNumber = 0);

  /// ofFile for the errno a system call just set, with the code errorCodeFor gives it. errno
  /// is read when this starts, after its arguments are made: pass text that needs no allocation
  /// (a literal, an existing string), or read errno first and call ofFile.
  static Error ofErrno(const std::string& path, std::string_view what);

  /// Equal when every field is, related errors included.
  friend bool operator==(const Error&, const Error&) = default;
};

/// An Error thrown as an exception: by Task<T>::get() and by calls that have no way to return
/// a value. what() is the Error's message.
class Exception : public std::runtime_error {
 public:
  /// Carries `error`; what() returns its message.
  explicit Exception(Error error) : std::runtime_error(error.message), error_(std::move(error)) {}

  /// The Error thrown, with its code and place.
  const Error& error() const noexcept { return error_; }

 private:
  Error error_;
};

}  // namespace bgagent

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/core/error_inl.hpp>
#endif
