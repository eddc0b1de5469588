// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/process_liveness.hpp: knowing when a writer process exits. A pidfd
// (Linux 5.3) becomes readable when the process exits, so the runtime's epoll learns it at once;
// without pidfd support, kill(pid, 0) is asked at the poll interval. A process's start time
// tells it from a later one with the same pid.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/core/detail/unique_fd.hpp>
#include <cstdint>
#include <optional>

namespace bgagent::detail {

/// A pidfd for `pid`, or an empty UniqueFd when the kernel has none (then use isAlive()).
/// `exited` is set when the process is already gone, and, given the start time of the process
/// meant (processStartTicks), when the pid names a later process by now.
UniqueFd openPidFd(std::int64_t pid, bool& exited,
                   std::optional<std::uint64_t> started = std::nullopt);

/// Whether a process with this id exists (a zombie counts as existing).
bool isAlive(std::int64_t pid);

/// When the process started, in clock ticks after boot (/proc/PID/stat's 22nd field): with its
/// pid, what tells it from a later process given the same pid. None when it cannot be read.
std::optional<std::uint64_t> processStartTicks(std::int64_t pid);

/// Whether the process has exited and waits to be reaped (its state in /proc/PID/stat is Z).
bool isZombie(std::int64_t pid);

/// The process group of a process (/proc/PID/stat's 5th field); none when it cannot be read.
std::optional<std::int64_t> processGroupOf(std::int64_t pid);

}  // namespace bgagent::detail

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/runtime/detail/process_liveness_inl.hpp>
#endif
