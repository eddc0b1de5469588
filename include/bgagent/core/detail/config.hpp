// SPDX-License-Identifier: MIT
// bgagent/core/detail/config.hpp: the platform and language checks every header relies on.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#if __cplusplus < 202002L
#error "bgagent needs C++20 (link bgagent::bgagent, which requests cxx_std_20)"
#endif

#if !defined(__linux__)
#error "bgagent supports Linux only: it relies on inotify, eventfd and O_CLOEXEC"
#endif

// What dropping a value on the floor means, said where it happens. Macros, not attributes
// written in place: clang-format misreads a class whose name follows [[nodiscard("...")]].
#define BGAGENT_NODISCARD_TASK                                                         \
  [[nodiscard(                                                                         \
      "a discarded Task cancels its work at once: keep the Task, or call detach() on " \
      "it to let the work run without a handle")]]
#define BGAGENT_NODISCARD_RESULT                                                        \
  [[nodiscard(                                                                          \
      "the Result says whether the work succeeded: check it, or cast it to void where " \
      "only waiting matters")]]
