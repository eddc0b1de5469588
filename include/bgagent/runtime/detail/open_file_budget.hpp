// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/open_file_budget.hpp: which watched files keep a descriptor open. A host
// may watch more files than it may hold descriptors (100,000 under a limit of 20,000): the
// files read most recently keep theirs, up to a budget, and the others are opened for each read
// (OutputFile::closeDescriptor). The budget also leaves the rest of the process's descriptors
// to its agents' pipes and the host's own files.
// Thread safety: none; the runtime's thread's own.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/core/detail/config.hpp>
#include <cstddef>
#include <cstdint>
#include <list>
#include <unordered_map>

namespace bgagent::detail {

class OpenFileBudget {
 public:
  /// At most `limit` descriptors; 0 means half of RLIMIT_NOFILE's soft limit, read again by
  /// refreshLimit() when the budget is full (a host may raise its limit after its runtime
  /// started; a limit lowered below what is open is met by the watches' EMFILE fallback).
  explicit OpenFileBudget(std::size_t limit);

  /// The file of watch `id` was just read and holds its descriptor: it is the most recent.
  void touch(std::uint64_t id);

  /// The file of watch `id` holds no descriptor any more (closed, or its watch is over).
  void forget(std::uint64_t id);

  /// The watch whose descriptor must close to bring the budget back within its limit (the one
  /// read longest ago), taken off the budget; 0 when within it.
  std::uint64_t takeExcess();

  /// No file holds a descriptor any more (every watch is over).
  void clear() noexcept {
    order_.clear();
    positions_.clear();
  }

  /// Reads RLIMIT_NOFILE again when the limit is the automatic one.
  void refreshLimit();

  /// How many files hold a descriptor now.
  std::size_t size() const noexcept { return positions_.size(); }
  /// How many may.
  std::size_t limit() const noexcept { return limit_; }

 private:
  std::size_t chosenLimit_;  // 0: automatic
  std::size_t limit_;
  std::list<std::uint64_t> order_;  // watch ids, read longest ago first
  std::unordered_map<std::uint64_t, std::list<std::uint64_t>::iterator> positions_;
};

}  // namespace bgagent::detail

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/runtime/detail/open_file_budget_inl.hpp>
#endif
