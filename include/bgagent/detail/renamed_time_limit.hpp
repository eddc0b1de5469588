// bgagent/detail/renamed_time_limit.hpp: a member renamed to a time limit (LaunchOptions::
// timeout, RetryOptions::attemptTimeout), kept for one release so that code setting it still
// compiles, with a deprecation warning where it sets it. Only the setting warns: copying options
// that never name it does not, as a [[deprecated]] data member would in implicit copies.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <chrono>
#include <optional>

namespace bgagent::detail {

template <typename Duration>
struct RenamedTimeLimit {
  RenamedTimeLimit() = default;
  // Implicit, as the member's old type was: `.timeout = 5s` and `options.timeout = 5s` compile.
  template <typename Rep, typename Period>
  [[deprecated(
      "renamed: set LaunchOptions::timeLimit or RetryOptions::attemptTimeLimit; a "
      "timeout now only bounds a wait")]] RenamedTimeLimit(  // NOLINT
      std::chrono::duration<Rep, Period> limit)
      : value(limit) {}

  std::optional<Duration> value;  ///< what old code set; the new member wins when both are set
};

}  // namespace bgagent::detail
