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
  EndReason expected = EndReason::None;
  if (endReason.compare_exchange_strong(expected, reason, std::memory_order_acq_rel)) {
    return reason;
  }
  return expected;
}

}  // namespace bgagent::detail
