// SPDX-License-Identifier: MIT
// bgagent/core/error_inl.hpp: the bodies of error.hpp's functions (inline in header-only mode,
// built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/core/error.hpp>
// What the bodies use besides their header:
#include <bgagent/core/detail/system_message.hpp>
#include <cerrno>
#include <string>
#include <string_view>
#include <utility>

namespace bgagent {

BGAGENT_INLINE ErrorCode errorCodeFor(int errorNumber) noexcept {
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

BGAGENT_INLINE Error Error::ofFile(ErrorCode code, const std::string& path, std::string_view what,
                                   int errorNumber) {
  std::string message = "output file '" + path + "': ";
  message += what;
  if (errorNumber != 0) message += ": " + detail::systemMessage(errorNumber);
  return Error{code, std::move(message), path, 0, errorNumber, {}, {}};
}

BGAGENT_INLINE Error Error::ofErrno(const std::string& path, std::string_view what) {
  const int errorNumber = errno;
  return ofFile(errorCodeFor(errorNumber), path, what, errorNumber);
}

}  // namespace bgagent
