// SPDX-License-Identifier: MIT
// bgagent/core/detail/file_error.hpp: Errors about output files, worded one way everywhere:
// "output file 'PATH': WHAT: SYSTEM MESSAGE".
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/core/error.hpp>
#include <string>
#include <string_view>

namespace bgagent::detail {

/// The most specific code for a failed file operation's errno.
ErrorCode codeForErrno(int errorNumber) noexcept;

/// An Error naming the file, what failed, and (when errorNumber is set) the system's words.
Error fileError(ErrorCode code, const std::string& path, std::string_view what,
                int errorNumber = 0);

/// fileError for the errno a system call just set.
Error fileErrorFromErrno(const std::string& path, std::string_view what);

}  // namespace bgagent::detail

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/core/detail/file_error_inl.hpp>
#endif
