// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/watch_canceller.hpp: what a WatchHandle needs of the part that runs
// its watch: ending a watch by id.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <cstdint>

namespace bgagent::detail {

/// The part that runs watches, as a WatchHandle sees it.
class WatchCanceller {
 public:
  /// Ends the watch with this id, from any thread; an id that already ended is ignored.
  virtual void unwatch(std::uint64_t id) = 0;

 protected:
  ~WatchCanceller() = default;
};

}  // namespace bgagent::detail
