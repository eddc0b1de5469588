// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/agent_control_inl.hpp: the bodies of agent_control.hpp's functions (inline
// in header-only mode, built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/runtime/detail/agent_control.hpp>

namespace bgagent::detail {

BGAGENT_INLINE Error runtimeShutDownError() {
  return Error::of(ErrorCode::Cancelled, "the runtime has shut down: no agent can start on it");
}

BGAGENT_INLINE EndReason AgentControl::recordEnd(EndReason reason) noexcept {
  tryRecordEnd(reason);
  return endReason.load(std::memory_order_acquire);
}

BGAGENT_INLINE bool AgentControl::tryRecordEnd(EndReason reason) noexcept {
  std::lock_guard lock(endMutex_);
  if (endingClaimed_) return false;
  EndReason expected = EndReason::None;
  return endReason.compare_exchange_strong(expected, reason, std::memory_order_acq_rel);
}

BGAGENT_INLINE EndReason AgentControl::claimEnding() noexcept {
  std::lock_guard lock(endMutex_);
  endingClaimed_ = true;
  return endReason.load(std::memory_order_acquire);
}

BGAGENT_INLINE bool AgentControl::reportedItsOwnFailure(const Error& failure) const {
  // The agent's reports fail a file as AgentFailed; a RESULT cut short by the crash fails it as
  // InvalidResult or MalformedOutput, which is the crash's doing. Of the AgentFailed ones, the
  // host's record of the crash and the relay's cut are the host's words, not the agent's.
  return failure.code == ErrorCode::AgentFailed &&
         failure.message.find(": " + crashRecord) == std::string::npos &&
         failure.message.find(kOutputCapCut) == std::string::npos;
}

}  // namespace bgagent::detail
