// SPDX-License-Identifier: MIT
// bgagent/core/detail/file_error_inl.hpp: the bodies of file_error.hpp's functions (inline in
// header-only mode, built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/core/detail/file_error.hpp>
// What the bodies use besides their header:
#include <bgagent/core/detail/syscall.hpp>
#include <cerrno>
#include <string>
#include <string_view>
#include <utility>

namespace bgagent::detail {

BGAGENT_INLINE ErrorCode codeForErrno(int errorNumber) noexcept {
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

BGAGENT_INLINE Error fileError(ErrorCode code, const std::string& path, std::string_view what,
                               int errorNumber) {
  std::string message = "output file '" + path + "': ";
  message += what;
  if (errorNumber != 0) message += ": " + systemMessage(errorNumber);
  return Error{code, std::move(message), path, 0, errorNumber};
}

BGAGENT_INLINE Error fileErrorFromErrno(const std::string& path, std::string_view what) {
  const int errorNumber = errno;
  return fileError(codeForErrno(errorNumber), path, what, errorNumber);
}

}  // namespace bgagent::detail
