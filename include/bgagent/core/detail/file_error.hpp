// SPDX-License-Identifier: MIT
// bgagent/core/detail/file_error.hpp: Errors about output files, worded one way everywhere:
// "output file 'PATH': WHAT: SYSTEM MESSAGE".
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/core/detail/syscall.hpp>
#include <bgagent/core/error.hpp>
#include <cerrno>
#include <string>
#include <string_view>

namespace bgagent::detail {

/// The most specific code for a failed file operation's errno.
inline ErrorCode codeForErrno(int errorNumber) noexcept {
  switch (errorNumber) {
    case ENOENT:
      return ErrorCode::NotFound;
    case EEXIST:
    case EISDIR:
    case ENOTDIR:
    case ELOOP:
    case ENAMETOOLONG:
      return ErrorCode::InvalidArgument;
    default:
      return ErrorCode::Io;
  }
}

/// An Error naming the file, what failed, and (when errorNumber is set) the system's words.
inline Error fileError(ErrorCode code, const std::string& path, std::string_view what,
                       int errorNumber = 0) {
  std::string message = "output file '" + path + "': ";
  message += what;
  if (errorNumber != 0) message += ": " + systemMessage(errorNumber);
  return Error{code, std::move(message), path, 0, errorNumber};
}

/// fileError for the errno a system call just set.
inline Error fileErrorFromErrno(const std::string& path, std::string_view what) {
  const int errorNumber = errno;
  return fileError(codeForErrno(errorNumber), path, what, errorNumber);
}

}  // namespace bgagent::detail
