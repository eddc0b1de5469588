// SPDX-License-Identifier: MIT
// bgagent/protocol/agent_state_inl.hpp: the bodies of agent_state.hpp's functions (inline in
// header-only mode, built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/protocol/agent_state.hpp>
// What the bodies use besides their header:
#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace bgagent {

BGAGENT_INLINE OutputTail::OutputTail(std::size_t capacity, std::size_t lineBytes)
    : slots_(std::max<std::size_t>(capacity, 1)), capacity_(capacity), lineBytes_(lineBytes) {}

BGAGENT_INLINE void OutputTail::push(std::string_view line) {
  if (capacity_ == 0) return;
  slots_[next_].assign(line.substr(0, lineBytes_));
  next_ = (next_ + 1) % capacity_;
  size_ = std::min(size_ + 1, capacity_);
}

BGAGENT_INLINE void OutputTail::clear() noexcept {
  next_ = 0;
  size_ = 0;
}

BGAGENT_INLINE std::vector<std::string> OutputTail::lines() const {
  std::vector<std::string> result;
  result.reserve(size_);
  for (std::size_t i = 0; i < size_; ++i) result.push_back((*this)[i]);
  return result;
}

BGAGENT_INLINE bool operator==(const OutputTail& left, const OutputTail& right) {
  if (left.size_ != right.size_) return false;
  for (std::size_t i = 0; i < left.size_; ++i) {
    if (left[i] != right[i]) return false;
  }
  return true;
}

}  // namespace bgagent
