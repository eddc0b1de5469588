// SPDX-License-Identifier: MIT
// bgagent/core/detail/duration_text.hpp: durations in messages: "250ms", "1.5s", "2m30s".
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/core/detail/config.hpp>
#include <chrono>
#include <cstdio>
#include <string>

namespace bgagent::detail {

template <typename Rep, typename Period>
std::string durationText(std::chrono::duration<Rep, Period> duration) {
  using namespace std::chrono;
  const auto millis = duration_cast<milliseconds>(duration).count();
  char text[32];
  if (millis < 1000) {
    std::snprintf(text, sizeof text, "%lldms", static_cast<long long>(millis));
  } else if (millis < 60'000) {
    std::snprintf(text, sizeof text, "%gs", static_cast<double>(millis) / 1000.0);
  } else {
    std::snprintf(text, sizeof text, "%lldm%llds", static_cast<long long>(millis / 60'000),
                  static_cast<long long>((millis % 60'000) / 1000));
  }
  return text;
}

}  // namespace bgagent::detail
