// SPDX-License-Identifier: MIT
// bgagent/runtime/runtime_inl.hpp: the bodies of runtime.hpp's functions (inline in
// header-only mode, built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/runtime/runtime.hpp>
// What the bodies use besides their header:
#include <bgagent/core/detail/fork_state.hpp>
#include <utility>

namespace bgagent {

BGAGENT_INLINE Runtime::Runtime(RuntimeOptions options)
    : core_(std::make_shared<detail::RuntimeCore>(options)) {}

BGAGENT_INLINE Runtime::~Runtime() {
  if (core_ && core_->forkedAway()) {
    std::shared_ptr<void> parents = std::move(core_);
    detail::keepUntilExit(parents);  // never destroyed here
    return;
  }
  try {
    if (core_) core_->shutdown();
  } catch (...) {
    // Destroyed on its own thread (from a callback): a misuse that must not throw here.
  }
}

}  // namespace bgagent
