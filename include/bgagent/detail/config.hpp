// SPDX-License-Identifier: MIT
// bgagent/detail/config.hpp: the platform and language checks every header relies on.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#if __cplusplus < 202002L
#error "bgagent needs C++20 (link bgagent::bgagent, which requests cxx_std_20)"
#endif

#if !defined(__linux__)
#error "bgagent supports Linux only: it relies on inotify, eventfd and O_CLOEXEC"
#endif
