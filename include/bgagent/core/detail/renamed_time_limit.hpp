// SPDX-License-Identifier: MIT
// bgagent/core/detail/renamed_time_limit.hpp: a member renamed to a time limit (LaunchOptions::
// timeout, RetryOptions::attemptTimeout), kept for one release so that code using it still
// compiles, with a deprecation warning where it uses it. It reads and writes as the
// std::optional it was; only a use warns: copying options that never name it does not, as a
// [[deprecated]] data member would in implicit copies.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <chrono>
#include <optional>

#define BGAGENT_RENAMED_TIME_LIMIT                                                  \
  [[deprecated(                                                                     \
      "renamed: use LaunchOptions::timeLimit or RetryOptions::attemptTimeLimit; a " \
      "timeout now only bounds a wait")]]

namespace bgagent::detail {

template <typename Duration>
struct RenamedTimeLimit {
  RenamedTimeLimit() = default;
  // Implicit, as the member's old type was: `.timeout = 5s` and `options.timeout = 5s` compile.
  template <typename Rep, typename Period>
  BGAGENT_RENAMED_TIME_LIMIT RenamedTimeLimit(  // NOLINT(google-explicit-constructor)
      std::chrono::duration<Rep, Period> limit)
      : value(limit) {}
  BGAGENT_RENAMED_TIME_LIMIT RenamedTimeLimit(std::nullopt_t) {}              // NOLINT
  BGAGENT_RENAMED_TIME_LIMIT RenamedTimeLimit(std::optional<Duration> limit)  // NOLINT
      : value(limit) {}

  BGAGENT_RENAMED_TIME_LIMIT explicit operator bool() const noexcept { return value.has_value(); }
  BGAGENT_RENAMED_TIME_LIMIT bool has_value() const noexcept { return value.has_value(); }
  BGAGENT_RENAMED_TIME_LIMIT const Duration& operator*() const { return *value; }
  BGAGENT_RENAMED_TIME_LIMIT const Duration* operator->() const { return &*value; }
  BGAGENT_RENAMED_TIME_LIMIT void reset() noexcept { value.reset(); }
  BGAGENT_RENAMED_TIME_LIMIT operator std::optional<Duration>() const {  // NOLINT
    return value;
  }

  /// What old code set; the library reads it through resolvedTimeLimit().
  std::optional<Duration> value;
};

/// The limit asked for: the new member's when set, else what old code set under the former name.
template <typename Duration>
std::optional<Duration> resolvedTimeLimit(const std::optional<Duration>& current,
                                          const RenamedTimeLimit<Duration>& former) {
  return current ? current : former.value;
}

}  // namespace bgagent::detail

#undef BGAGENT_RENAMED_TIME_LIMIT
