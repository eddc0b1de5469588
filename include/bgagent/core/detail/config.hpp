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

// Two ways to build bgagent. Header-only (the default, target bgagent::bgagent): every
// definition is inline and each header includes the bodies of its functions (its `_inl.hpp`).
// Compiled mode (CMake option BGAGENT_COMPILED, target bgagent::compiled, which defines
// BGAGENT_COMPILED_LIB for its users): the non-template functions are built once in
// src/bgagent.cpp, and the programs that link it see their declarations only. One program uses
// one mode: mixing them breaks the one-definition rule.
#if defined(BGAGENT_COMPILED_LIB)
#define BGAGENT_INLINE
#if defined(BGAGENT_BUILDING_LIB)
#define BGAGENT_INCLUDE_BODIES 1
#else
#define BGAGENT_INCLUDE_BODIES 0
#endif
#else
#define BGAGENT_INLINE inline
#define BGAGENT_INCLUDE_BODIES 1
#endif
