// SPDX-License-Identifier: MIT
// bgagent/combinators/detail/task_control_inl.hpp: the bodies of task_control.hpp's functions
// (inline, or built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/combinators/detail/task_control.hpp>
// What the bodies use besides their header:
#include <cstddef>
#include <string>

namespace bgagent::detail {

BGAGENT_INLINE Status statusOf(const Error& error) noexcept {
  switch (error.code) {
    case ErrorCode::Cancelled:
      return Status::Cancelled;
    case ErrorCode::DeadlineExceeded:
      return Status::TimedOut;
    case ErrorCode::AgentKilled:
      return Status::Crashed;
    default:
      return Status::Failed;
  }
}

BGAGENT_INLINE Status statusForStop(EndReason reason) noexcept {
  return reason == EndReason::TimedOut ? Status::TimedOut : Status::Cancelled;
}

BGAGENT_INLINE ErrorCode codeForStop(EndReason reason) noexcept {
  return reason == EndReason::TimedOut ? ErrorCode::DeadlineExceeded : ErrorCode::Cancelled;
}

BGAGENT_INLINE std::string settledText(std::size_t settled, std::size_t total) {
  return std::to_string(settled) + "/" + std::to_string(total) + " settled";
}

}  // namespace bgagent::detail
