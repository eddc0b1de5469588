// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/open_file_budget_inl.hpp: the bodies of open_file_budget.hpp's functions
// (inline in header-only mode, built once in src/bgagent.cpp in compiled mode;
// core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/runtime/detail/open_file_budget.hpp>
// What the bodies use besides their header:
#include <sys/resource.h>

#include <algorithm>

namespace bgagent::detail {

BGAGENT_INLINE OpenFileBudget::OpenFileBudget(std::size_t limit)
    : chosenLimit_(limit), limit_(limit) {
  refreshLimit();
}

BGAGENT_INLINE void OpenFileBudget::touch(std::uint64_t id) {
  const auto [position, added] = positions_.try_emplace(id);
  if (added) {
    position->second = order_.insert(order_.end(), id);
  } else {
    order_.splice(order_.end(), order_, position->second);  // moved last, no allocation
  }
}

BGAGENT_INLINE void OpenFileBudget::forget(std::uint64_t id) {
  const auto position = positions_.find(id);
  if (position == positions_.end()) return;
  order_.erase(position->second);
  positions_.erase(position);
}

BGAGENT_INLINE std::uint64_t OpenFileBudget::takeExcess() {
  if (positions_.size() <= limit_) return 0;
  const std::uint64_t oldest = order_.front();
  forget(oldest);
  return oldest;
}

BGAGENT_INLINE void OpenFileBudget::refreshLimit() {
  if (chosenLimit_ != 0) return;
  rlimit files{};
  rlim_t soft = 1024;  // without an answer: the most common default
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0) {
    // Unlimited still stops at the kernel's fs.nr_open, 1,048,576 unless raised.
    soft = files.rlim_cur == RLIM_INFINITY ? rlim_t{1} << 20 : files.rlim_cur;
  }
  limit_ = std::max<std::size_t>(static_cast<std::size_t>(soft / 2), 1);
}

}  // namespace bgagent::detail
