// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/host_exit_guard_inl.hpp: the bodies of host_exit_guard.hpp's functions
// (inline in header-only mode, built once in src/bgagent.cpp in compiled mode;
// core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/runtime/detail/host_exit_guard.hpp>
// What the bodies use besides their header:
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bgagent/core/detail/syscall.hpp>
#include <bgagent/core/detail/system_message.hpp>
#include <bgagent/runtime/detail/close_descriptors.hpp>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <vector>

namespace bgagent::detail {

namespace host_exit_detail {

// One bit per possible pid (the kernel's pid_max), made before the fork: the keeper, the child
// of a fork in a threaded host, may not allocate.
inline std::vector<std::uint64_t> groupBits(const std::unordered_set<pid_t>& groups) {
  std::int64_t pidMax = 1 << 22;  // the kernel's largest pid_max
  std::ifstream("/proc/sys/kernel/pid_max") >> pidMax;
  std::vector<std::uint64_t> bits(static_cast<std::size_t>(pidMax / 64 + 1));
  for (const pid_t group : groups) {
    const auto index = static_cast<std::size_t>(group);
    if (index / 64 < bits.size()) bits[index / 64] |= std::uint64_t{1} << (index % 64);
  }
  return bits;
}

// The keeper: async-signal-safe system calls only, every signal but SIGKILL and SIGSTOP blocked
// (inherited from the fork). Records are 4-byte ints: +group held, -group let go. At the end of
// the stream (every copy of the host's end closed) it kills the groups still held.
[[noreturn]] inline void runKeeper(int socket, std::uint64_t* bits, std::size_t words) noexcept {
  ::setpgid(0, 0);  // out of the host's group: a signal to that group must not end it first
  ::prctl(PR_SET_NAME, HostExitGuard::kKeeperName, 0, 0, 0);
  closeDescriptorsFrom(0, socket, 1 << 20);  // the host's terminal and pipes included
  const char ready = 'k';
  ::syscall(SYS_write, socket, &ready, 1);
  alignas(4) char buffer[4096];
  std::size_t held = 0;
  while (true) {
    const long got = ::syscall(SYS_read, socket, buffer + held, sizeof buffer - held);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    held += static_cast<std::size_t>(got);
    std::size_t offset = 0;
    for (; offset + sizeof(int) <= held; offset += sizeof(int)) {
      int record = 0;
      std::memcpy(&record, buffer + offset, sizeof record);
      const auto index = static_cast<std::size_t>(record < 0 ? -static_cast<long>(record) : record);
      if (index == 0 || index / 64 >= words) continue;
      const std::uint64_t bit = std::uint64_t{1} << (index % 64);
      bits[index / 64] = record > 0 ? (bits[index / 64] | bit) : (bits[index / 64] & ~bit);
    }
    std::memmove(buffer, buffer + offset, held - offset);
    held -= offset;
  }
  for (std::size_t word = 0; word < words; ++word) {
    for (std::size_t bit = 0; bit < 64; ++bit) {
      if ((bits[word] >> bit & 1U) != 0) {
        ::syscall(SYS_kill, -static_cast<long>(word * 64 + bit), SIGKILL);
      }
    }
  }
  ::syscall(SYS_exit_group, 0);
  __builtin_unreachable();
}

}  // namespace host_exit_detail

BGAGENT_INLINE Result<void> HostExitGuard::protect(pid_t group) {
  std::lock_guard lock(mutex_);
  groups_.insert(group);
  if (keeper_ > 0 && owner_ == ::getpid() && send(group)) return {};
  // None yet, or it is gone: a new one, handed every group held.
  if (keeper_ > 0) endKeeper();
  Result<void> started = startKeeper();
  if (!started) groups_.erase(group);
  return started;
}

BGAGENT_INLINE void HostExitGuard::release(pid_t group) noexcept {
  std::lock_guard lock(mutex_);
  groups_.erase(group);
  // A keeper that cannot be told is gone; the next protect() starts another.
  if (keeper_ > 0 && owner_ == ::getpid()) send(-group);
}

BGAGENT_INLINE void HostExitGuard::end() noexcept {
  std::lock_guard lock(mutex_);
  endKeeper();
}

BGAGENT_INLINE pid_t HostExitGuard::keeperPid() const {
  std::lock_guard lock(mutex_);
  return keeper_;
}

BGAGENT_INLINE Result<void> HostExitGuard::startKeeper() {
  int ends[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) {
    const int error = errno;
    return Error{
        ErrorCode::Io,
        "cannot start the process that stops agents when the host dies: " + systemMessage(error),
        "", 0, error};
  }
  UniqueFd hostEnd(ends[0]);
  UniqueFd keeperEnd(ends[1]);
  std::vector<std::uint64_t> bits = host_exit_detail::groupBits(groups_);

  // No host signal handler may run in the keeper, and no signal but SIGKILL may end it.
  sigset_t allSignals;
  sigfillset(&allSignals);
  sigset_t previousMask;
  ::pthread_sigmask(SIG_SETMASK, &allSignals, &previousMask);
  const pid_t pid = ::fork();
  if (pid == 0) host_exit_detail::runKeeper(keeperEnd.get(), bits.data(), bits.size());
  const int forkError = errno;
  ::pthread_sigmask(SIG_SETMASK, &previousMask, nullptr);
  if (pid < 0) {
    return Error{ErrorCode::Io,
                 "cannot start the process that stops agents when the host dies: " +
                     systemMessage(forkError),
                 "", 0, forkError};
  }
  keeper_ = pid;
  owner_ = ::getpid();
  // Ready once it has its name and its descriptors: a keeper that cannot get there is no keeper.
  keeperEnd.reset();
  char ready = 0;
  if (retryOnInterrupt([&] { return ::read(hostEnd.get(), &ready, 1); }) != 1) {
    endKeeper();
    return Error{ErrorCode::Io,
                 "cannot start the process that stops agents when the host dies: it ended at once",
                 "", 0, 0};
  }
  socket_ = std::move(hostEnd);
  return {};
}

BGAGENT_INLINE bool HostExitGuard::send(int record) noexcept {
  char bytes[sizeof record];
  std::memcpy(bytes, &record, sizeof record);
  // MSG_NOSIGNAL: a keeper killed from outside must not take the host down with SIGPIPE.
  // MSG_DONTWAIT: one stopped from outside must not block a launch; it is replaced instead.
  const ssize_t sent = retryOnInterrupt(
      [&] { return ::send(socket_.get(), bytes, sizeof bytes, MSG_NOSIGNAL | MSG_DONTWAIT); });
  return sent == static_cast<ssize_t>(sizeof bytes);
}

BGAGENT_INLINE void HostExitGuard::endKeeper() noexcept {
  if (keeper_ > 0 && owner_ == ::getpid()) {
    // Killed before its socket closes, so that it never reads the end of the stream as the
    // host's death and kills a group it still holds.
    ::kill(keeper_, SIGKILL);
    int status = 0;
    retryOnInterrupt([&] { return ::waitpid(keeper_, &status, 0); });
  }
  socket_.reset();
  keeper_ = -1;
}

}  // namespace bgagent::detail
