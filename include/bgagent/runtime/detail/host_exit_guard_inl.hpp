// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/host_exit_guard_inl.hpp: the bodies of host_exit_guard.hpp's functions
// (inline in header-only mode, built once in src/bgagent.cpp in compiled mode;
// core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/runtime/detail/host_exit_guard.hpp>
// What the bodies use besides their header:
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <bgagent/core/detail/syscall.hpp>
#include <bgagent/core/detail/system_message.hpp>
#include <cerrno>
#include <vector>

namespace bgagent::detail {

namespace host_exit_detail {

// The keeper's program. Records are lines: `+ GROUP START` holds a group whose leader started
// at START, `- GROUP` lets go of it. At the end of the stream each group still held is killed,
// unless a process with another start time now has the leader's pid (the id was reused). A
// leader already gone cannot have had its id reused while its group lives on. A record cut
// short by the host's death is passed over: `+ 1` would be `kill -9 -1`, every process of the
// user. `kill -9 -G`, not `kill -KILL -- -G`: dash's kill takes no `--`.
inline constexpr const char* kKeeperProgram = R"awk(
$1 == "+" && NF == 3 && $2 ~ /^[0-9]+$/ && $2 > 1 && $3 ~ /^[0-9]+$/ { held[$2] = $3; next }
$1 == "-" && NF == 2 && $2 ~ /^[0-9]+$/ { delete held[$2]; next }
END {
  for (group in held) {
    stat = "/proc/" group "/stat"
    if ((getline line < stat) > 0) {
      close(stat)
      sub(/^.*\) /, "", line)
      split(line, field, " ")
      if (held[group] != 0 && field[20] != held[group]) continue
    }
    groups = groups " -" group
  }
  if (groups != "") system("kill -9" groups " 2>/dev/null")
}
)awk";

// The host's ends of the keepers' sockets. A child forked without exec closes its copies, or
// it would hold a stream open after the host died and keep its keeper from killing anything.
struct HostEnds {
  std::mutex mutex;
  std::vector<int> fds;
};

inline HostEnds& hostEnds() {
  static HostEnds* const ends = [] {
    auto* made = new HostEnds();  // never destroyed: a fork may come during the host's exit
    ::pthread_atfork([] { hostEnds().mutex.lock(); }, [] { hostEnds().mutex.unlock(); },
                     [] {
                       for (const int fd : hostEnds().fds) ::close(fd);
                       hostEnds().fds.clear();  // no allocation: the child of a fork
                       hostEnds().mutex.unlock();
                     });
    return made;
  }();
  return *ends;
}

inline Error keeperError(int errorNumber, const std::string& why) {
  return Error{ErrorCode::Io,
               "cannot start the process that stops agents when the host dies: " + why, "", 0,
               errorNumber};
}

// Spawns awk with `input` as its stdin, nothing else open, every signal blocked, in a group of
// its own. Returns its pid, or -errno.
inline pid_t spawnKeeper(int input) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, input, STDIN_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
  posix_spawn_file_actions_addchdir_np(&actions, "/");  // pins no directory of the host's
#endif
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t allSignals;
  sigfillset(&allSignals);
  posix_spawnattr_setsigmask(&attributes, &allSignals);     // only SIGKILL ends it
  posix_spawnattr_setsigdefault(&attributes, &allSignals);  // none ignored for its children
  posix_spawnattr_setpgroup(&attributes, 0);  // a signal to the host's group must not reach it
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  // awk as argv[0] (busybox picks its applet by it); the marker shows in `ps -f`.
  char name[] = "awk";
  char option[] = "-v";
  std::string marker(HostExitGuard::kKeeperMarker);
  char* arguments[] = {name, option, marker.data(), const_cast<char*>(kKeeperProgram), nullptr};
  char path[] = "PATH=/usr/local/bin:/usr/bin:/bin";
  char locale[] = "LC_ALL=C";
  char* environment[] = {path, locale, nullptr};
  pid_t pid = -1;
  int status = ENOENT;
  for (const char* candidate : {"/usr/bin/awk", "/bin/awk"}) {
    status = ::posix_spawn(&pid, candidate, &actions, &attributes, arguments, environment);
    if (status != ENOENT) break;
  }
  if (status == ENOENT) {
    status = ::posix_spawnp(&pid, "awk", &actions, &attributes, arguments, environment);
  }
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  return status == 0 ? pid : -status;
}

inline std::string heldRecord(pid_t group, std::uint64_t started) {
  return "+ " + std::to_string(group) + ' ' + std::to_string(started) + '\n';
}

}  // namespace host_exit_detail

BGAGENT_INLINE Result<void> HostExitGuard::protect(pid_t group, std::uint64_t started) {
  std::lock_guard lock(mutex_);
  // After the last turn the supervisor refuses every start: nothing is left to hold.
  if (stopped_) return {};
  groups_[group] = started;
  if (keeper_ > 0 && owner_ == ::getpid() &&
      tellKeeper(host_exit_detail::heldRecord(group, started))) {
    return {};
  }
  // None yet, or it cannot be told: a new one, handed every group held.
  endKeeper();
  Result<void> begun = startKeeper();
  if (!begun) groups_.erase(group);
  return begun;
}

BGAGENT_INLINE void HostExitGuard::release(pid_t group) noexcept {
  std::lock_guard lock(mutex_);
  groups_.erase(group);
  if (keeper_ <= 0 || owner_ != ::getpid() || tellKeeper("- " + std::to_string(group) + '\n')) {
    return;
  }
  // A keeper that missed this record could kill the group's id once reused: it goes now, and
  // the agents still running get a new one.
  endKeeper();
  if (!groups_.empty()) static_cast<void>(startKeeper());
}

BGAGENT_INLINE void HostExitGuard::stopKeeper() noexcept {
  std::lock_guard lock(mutex_);
  stopped_ = true;
  endKeeper();
}

BGAGENT_INLINE pid_t HostExitGuard::keeperPid() const {
  std::lock_guard lock(mutex_);
  return owner_ == ::getpid() ? keeper_ : -1;
}

BGAGENT_INLINE Result<void> HostExitGuard::startKeeper() {
  int ends[2];
  host_exit_detail::HostEnds& hostEnds = host_exit_detail::hostEnds();
  {
    // Made and registered under the lock a fork waits for: no child can copy it unregistered.
    std::lock_guard registry(hostEnds.mutex);
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) {
      const int error = errno;
      return host_exit_detail::keeperError(error, systemMessage(error));
    }
    hostEnds.fds.push_back(ends[0]);
  }
  UniqueFd hostEnd(ends[0]);
  const UniqueFd keeperEnd(ends[1]);
  const pid_t pid = host_exit_detail::spawnKeeper(keeperEnd.get());
  if (pid < 0) {
    std::lock_guard registry(hostEnds.mutex);
    std::erase(hostEnds.fds, hostEnd.get());
    return host_exit_detail::keeperError(-pid, "awk: " + systemMessage(-pid));
  }
  keeper_ = pid;
  owner_ = ::getpid();
  socket_ = std::move(hostEnd);
  // The keeper is this process's child, not reaped: its pid cannot name another process yet.
  keeperPidFd_ = UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  std::string records;
  for (const auto& [group, started] : groups_)
    records += host_exit_detail::heldRecord(group, started);
  if (!records.empty() && !tellKeeper(records)) {
    const int error = errno;
    endKeeper();
    return host_exit_detail::keeperError(error, "it does not read: " + systemMessage(error));
  }
  return {};
}

BGAGENT_INLINE bool HostExitGuard::tellKeeper(const std::string& records) noexcept {
  std::size_t sent = 0;
  while (sent < records.size()) {
    // MSG_NOSIGNAL: a keeper killed from outside must not take the host down with SIGPIPE.
    const ssize_t count = ::send(socket_.get(), records.data() + sent, records.size() - sent,
                                 MSG_NOSIGNAL | MSG_DONTWAIT);
    if (count > 0) {
      sent += static_cast<std::size_t>(count);
      continue;
    }
    if (count < 0 && errno == EINTR) continue;
    if (count < 0 && errno != EAGAIN) return false;
    // A full socket: the keeper is behind. One stopped from outside is given up on.
    pollfd writable{socket_.get(), POLLOUT, 0};
    if (retryOnInterrupt([&] { return ::poll(&writable, 1, kKeeperPatienceMs); }) != 1) {
      errno = ETIMEDOUT;
      return false;
    }
  }
  return true;
}

BGAGENT_INLINE void HostExitGuard::endKeeper() noexcept {
  if (keeper_ <= 0) return;
  if (owner_ == ::getpid()) {
    {
      host_exit_detail::HostEnds& hostEnds = host_exit_detail::hostEnds();
      std::lock_guard registry(hostEnds.mutex);
      std::erase(hostEnds.fds, socket_.get());
    }
    // Killed before its stream ends, so that it never reads that as the host's death. Through
    // its pidfd where there is one: a pid reaped elsewhere (a host's own wait) may be reused.
    if (keeperPidFd_) {
      ::syscall(SYS_pidfd_send_signal, keeperPidFd_.get(), SIGKILL, nullptr, 0);
    } else {
      ::kill(keeper_, SIGKILL);
    }
    int status = 0;
    retryOnInterrupt([&] { return ::waitpid(keeper_, &status, 0); });
    socket_.reset();
  } else {
    // A forked child's copy: the fork closed it already, and its number may be another's now.
    static_cast<void>(socket_.release());
    static_cast<void>(keeperPidFd_.release());
  }
  keeperPidFd_.reset();
  keeper_ = -1;
}

}  // namespace bgagent::detail
