// SPDX-License-Identifier: MIT
// bgagent/protocol/detail/read_buffer_inl.hpp: the bodies of read_buffer.hpp's functions (inline in
// header-only mode, built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/protocol/detail/read_buffer.hpp>
// What the bodies use besides their header:
#include <memory>

namespace bgagent::detail {

BGAGENT_INLINE ReadBuffer::ReadBuffer() {
  if (inUse()) {
    owned_ = std::make_unique<char[]>(kSize);
    data_ = owned_.get();
  } else {
    inUse() = true;
    data_ = shared();
  }
}

BGAGENT_INLINE ReadBuffer::~ReadBuffer() {
  if (!owned_) inUse() = false;
}

BGAGENT_INLINE char* ReadBuffer::shared() {
  thread_local std::unique_ptr<char[]> buffer = std::make_unique<char[]>(kSize);
  return buffer.get();
}

BGAGENT_INLINE bool& ReadBuffer::inUse() {
  thread_local bool used = false;
  return used;
}

}  // namespace bgagent::detail
