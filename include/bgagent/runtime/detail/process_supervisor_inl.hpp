// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/process_supervisor_inl.hpp: the bodies of process_supervisor.hpp's
// functions (inline in header-only mode, built once in src/bgagent.cpp in compiled mode;
// core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/runtime/detail/process_supervisor.hpp>
// What the bodies use besides their header:
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bgagent/core/detail/duration_text.hpp>
#include <bgagent/core/detail/file_system.hpp>
#include <bgagent/core/detail/system_message.hpp>
#include <bgagent/protocol/output_file.hpp>
#include <bgagent/protocol/protocol.hpp>
#include <bgagent/runtime/detail/process_liveness.hpp>
#include <bgagent/runtime/detail/runtime_syscall.hpp>
#include <bgagent/runtime/detail/spawn.hpp>
#include <cerrno>
#include <limits>
#include <string_view>

namespace bgagent::detail {

BGAGENT_INLINE Result<std::uint64_t> ProcessSupervisor::start(
    ProcessLaunch launch, OutputWriter& writer, std::shared_ptr<AgentControl> control) {
  if (closed()) return runtimeShutDownError();
  const bool survives = launch.survivesHost;
  const auto cannotStart = [&launch](const Error& why) {
    return Error{why.code, "cannot start '" + launch.argv.front() + "': " + why.message, "", 0,
                 why.systemError};
  };
  // A survivor gets an open description of its file of its own: flags a program sets on its
  // stdout (O_NONBLOCK, O_APPEND cleared) must not become the host writer's, nor the host's
  // lock the agent's. Its gate is a socket rather than a pipe, so a send to an agent killed
  // meanwhile is an error (MSG_NOSIGNAL), not a SIGPIPE that would end the host.
  UniqueFd ownDescription;
  UniqueFd gate;
  UniqueFd gateOfChild;
  if (survives) {
    const int writerFd = OutputWriterAccess::descriptor(writer);
    ownDescription = UniqueFd(::open(("/proc/self/fd/" + std::to_string(writerFd)).c_str(),
                                     O_WRONLY | O_APPEND | O_CLOEXEC));
    int ends[2];
    if (!ownDescription || ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) {
      const int error = errno;  // before the message's allocations
      return cannotStart(Error{ErrorCode::Io, systemMessage(error), "", 0, error});
    }
    gate = UniqueFd(ends[0]);
    gateOfChild = UniqueFd(ends[1]);
    // While this host follows the agent, a host that would re-attach to it skips its file.
    static_cast<void>(::flock(writerFd, LOCK_EX | LOCK_NB));
  }
  const SurvivorStreams streams{ownDescription.get(), gateOfChild.get()};
  Result<SpawnedProcess> spawned =
      spawnProcess(launch.argv, launch.environment, launch.workingDirectory,
                   launch.inheritEnvironment, survives ? &streams : nullptr);
  ownDescription.reset();
  gateOfChild.reset();
  if (!spawned) return spawned.error();
  const pid_t pid = spawned->pid;
  const auto abandon = [pid] {
    ::kill(-pid, SIGKILL);
    int status = 0;
    waitForChild(pid, status, 0);
  };
  // Read now, while the child cannot have been reaped: its pid cannot belong to another yet.
  const std::uint64_t started = processStartTicks(pid).value_or(0);
  // A survivor is not the keeper's to kill when the host dies.
  if (Result<void> held = survives ? Result<void>() : hostExitGuard_.protect(pid, started); !held) {
    abandon();
    return cannotStart(held.error());
  }
  // A failed write is reported by the ending, as a relay's is (flushPending); a survivor's
  // file must have it, or no later host could follow it: it runs nothing then (its gate).
  if (Result<void> recorded = writer.agentProcess(AgentProcessInfo{pid, pid, started});
      !recorded && survives) {
    abandon();
    return cannotStart(recorded.error());
  }
  auto child = std::make_unique<Child>(std::move(writer), launch.maxOutputBytes);
  child->pid = pid;
  child->group = pid;
  child->started = started;
  child->survivor = survives;
  child->output = std::move(spawned->output);
  child->pidFd = openPidFd(child->pid, child->exited);
  child->control = std::move(control);
  child->launch = std::move(launch);
  if (child->launch.timeLimit) {
    child->deadline = saturatingAdd<Clock>(Clock::now(), *child->launch.timeLimit);
  }
  Result<std::uint64_t> id = supervise(child);
  if (!id) {
    writer = std::move(child->writer);  // the caller's again, to record the refusal
    return id;
  }
  if (survives) {
    // Only now may the program run: the Agent: line is in the file before any line of its
    // own. A failed send leaves it at EOF, where it exits 125 having run nothing; its ending
    // says so.
    static_cast<void>(retryOnInterrupt([&] { return ::send(gate.get(), "\n", 1, MSG_NOSIGNAL); }));
  }
  return id;
}

BGAGENT_INLINE Result<std::uint64_t> ProcessSupervisor::adopt(const AgentProcessInfo& agent,
                                                              OutputWriter writer,
                                                              std::shared_ptr<AgentControl> control,
                                                              Clock::duration gracePeriod) {
  if (closed()) return runtimeShutDownError();
  if (agent.pid <= 1 || agent.pid > std::numeric_limits<pid_t>::max() || agent.pid == ::getpid()) {
    return Error::of(ErrorCode::InvalidArgument,
                     "agent pid " + std::to_string(agent.pid) + " is not an agent's process id");
  }
  if (agent.started == 0) {
    return Error::of(ErrorCode::InvalidArgument,
                     "agent pid " + std::to_string(agent.pid) +
                         " has no start time: a later process given its pid could not be told "
                         "from it");
  }
  auto child = std::make_unique<Child>(std::move(writer), 0);
  child->pid = static_cast<pid_t>(agent.pid);
  child->started = agent.started;
  child->survivor = true;
  child->adopted = true;
  child->pidFd = openPidFd(child->pid, child->exited, agent.started);
  // The group the file names is signalled only when the agent is in it now, and never 0 or 1
  // (kill(-1) would reach every process this user may signal).
  const std::optional<std::int64_t> group = processGroupOf(child->pid);
  child->wholeGroup = !child->exited && group == agent.group && agent.group > 1;
  child->group = child->wholeGroup ? static_cast<pid_t>(agent.group) : child->pid;
  child->control = std::move(control);
  child->launch.gracePeriod = gracePeriod;
  child->launch.argv = {"agent pid " + std::to_string(agent.pid)};
  return supervise(child);
}

BGAGENT_INLINE Result<std::uint64_t> ProcessSupervisor::supervise(std::unique_ptr<Child>& child) {
  // Registered here, not by the loop: epoll is level-triggered, so an event that comes
  // before the loop has taken the child over comes again after. The loop only needs waking
  // for a timer: a deadline, the reaping poll when there is no pidfd, or an exit seen already.
  bool needsTimer = child->deadline || !child->pidFd || child->exited;
  std::uint64_t id = 0;
  {
    std::unique_lock lock(mutex_);
    if (closed_) {
      // The runtime's last turn came between the check above and here: nobody would ever
      // stop or reap this child, so it ends now, before anything of it is registered. (One
      // an earlier host started is left as it was found.)
      lock.unlock();
      if (!child->adopted) {
        ::kill(-child->group, SIGKILL);
        if (!child->survivor) hostExitGuard_.release(child->pid);
        int status = 0;
        waitForChild(child->pid, status, 0);
      }
      return runtimeShutDownError();
    }
    child->id = ++lastId_;
    id = child->id;
    if (child->output && !loop_.add(child->output.get(), partIndex_, id * 2)) {
      // Without the pipe's events its output would wait for the exit: read it at the
      // reaping poll instead.
      child->pollOutput = true;
      needsTimer = true;
    }
    // Without the pidfd's event the exit is asked for at the reaping poll.
    if (child->pidFd && !loop_.add(child->pidFd.get(), partIndex_, id * 2 + 1)) {
      child->pidFd.reset();
      needsTimer = true;
    }
    added_.push_back(std::move(child));
    // The shutdown may have begun between the runtime's check and here: this child is
    // stopped with the others at the next turn (the last turn takes it too, under this lock).
    if (shuttingDown_) needsTimer = true;
  }
  if (needsTimer) loop_.wake();
  return id;
}

BGAGENT_INLINE void ProcessSupervisor::stop(std::uint64_t id, EndReason reason) {
  {
    std::lock_guard lock(mutex_);
    stops_.emplace_back(id, reason);
  }
  loop_.wake();
}

BGAGENT_INLINE void ProcessSupervisor::beginShutdown(Clock::duration grace) {
  {
    std::lock_guard lock(mutex_);
    shuttingDown_ = true;
    shutdownGrace_ = grace;
  }
  loop_.wake();
}

BGAGENT_INLINE void ProcessSupervisor::killRemaining() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  takeQueued();
  releaseSurvivors();
  struct Refusal {
    std::uint64_t id;
    int error;
    bool leaderAlone;
  };
  std::vector<Refusal> unstoppable;
  for (auto& [id, child] : children_) {
    child->control->recordEnd(EndReason::HostShutdown);
    if (child->killSent) continue;
    // Refused, it would never be reaped: the wait for it would hang the shutdown. The group
    // may take a signal its leader refuses (another member kept this user): the leader is
    // asked alone as well, its zombie pinning its pid.
    int refused = signalAgent(*child, SIGKILL);
    bool leaderAlone = false;
    if (refused == 0 && !child->adopted && runtimeSyscalls.kill(child->pid, SIGKILL) != 0 &&
        errno != ESRCH) {
      refused = errno;
      leaderAlone = true;
    }
    // The event log hears of a signal sent; a refused one is told by the ending.
    if (refused != 0) {
      unstoppable.push_back(Refusal{id, refused, leaderAlone});
    } else {
      reportKill(*child, SIGKILL);
    }
    child->killSent = true;
  }
  for (const Refusal& refusal : unstoppable) {
    giveUp(refusal.id, refusal.error, refusal.leaderAlone);
  }
  while (!children_.empty()) finish(children_.begin()->first);
  hostExitGuard_.stopKeeper();  // nothing left to guard, and no launch from now on
}

BGAGENT_INLINE void ProcessSupervisor::killAllGroupsNow() noexcept {
  for (const auto& [id, child] : children_) {
    if (!child->survivor) ::kill(-child->group, SIGKILL);
  }
}

BGAGENT_INLINE bool ProcessSupervisor::waitUntilIdle(Clock::duration timeout) {
  std::unique_lock lock(mutex_);
  return idle_.wait_for(lock, timeout, [this] { return childCount_ == 0 && added_.empty(); });
}

BGAGENT_INLINE std::size_t ProcessSupervisor::childCount() const {
  std::lock_guard lock(mutex_);
  return childCount_ + added_.size();
}

BGAGENT_INLINE void ProcessSupervisor::onReady(std::uint64_t key) {
  const auto found = children_.find(key / 2);
  if (found == children_.end()) return;  // not taken over yet: level-triggered, so it returns
  if (key % 2 == 0) {
    relayOutput(*found->second);
  } else {
    found->second->exited = true;
  }
}

BGAGENT_INLINE void ProcessSupervisor::onTurn(Clock::time_point now) {
  takeQueued();
  std::vector<std::uint64_t> finished;
  std::vector<std::pair<std::uint64_t, int>> unstoppable;
  for (auto& [id, child] : children_) {
    if (child->pollOutput && child->output) relayOutput(*child);
    if (!child->pidFd && !child->exited) {
      // No pidfd (an old kernel, a seccomp filter, no descriptor left): ask at a short
      // interval instead, without reaping (WNOWAIT): the zombie keeps the group id from being
      // reused until finish() has signalled the group, and reaps it. Another's child can only
      // be asked whether it still exists.
      siginfo_t info{};
      if (child->adopted) {
        child->exited = adoptedLeaderGone(*child);
      } else if (runtimeSyscalls.waitid(P_PID, static_cast<id_t>(child->pid), &info,
                                        WEXITED | WNOHANG | WNOWAIT) == 0 &&
                 info.si_pid == child->pid) {
        child->exited = true;
      }
    }
    if (child->exited) {
      finished.push_back(id);
      continue;
    }
    if (child->deadline && now >= *child->deadline && !child->killAt) {
      beginKill(*child, EndReason::TimedOut, now);
    }
    if (child->killAt && !child->killSent && now >= *child->killAt) {
      const int refused = signalAgent(*child, SIGKILL);  // the grace period is over
      child->killSent = true;
      if (refused != 0) {
        unstoppable.emplace_back(id, refused);
      } else {
        reportKill(*child, SIGKILL);
      }
    }
  }
  for (const std::uint64_t id : finished) finish(id);
  for (const auto& [id, error] : unstoppable) giveUp(id, error, false);
}

BGAGENT_INLINE std::optional<ProcessSupervisor::Clock::time_point> ProcessSupervisor::nextTimer() {
  std::optional<Clock::time_point> next;
  const auto earliest = [&next](Clock::time_point time) {
    next = next ? std::min(*next, time) : time;
  };
  for (const auto& [id, child] : children_) {
    if (child->exited) return Clock::now();
    if (!child->pidFd || child->pollOutput) earliest(Clock::now() + kReapPoll);
    // Before the kill sequence the deadline is the timer; during it, the end of the grace.
    const std::optional<Clock::time_point> timer = child->killAt ? child->killAt : child->deadline;
    if (timer && !child->killSent && *timer != Clock::time_point::max()) earliest(*timer);
  }
  return next;
}

BGAGENT_INLINE bool ProcessSupervisor::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

BGAGENT_INLINE void ProcessSupervisor::closeWatched(UniqueFd& fd) {
  if (!fd) return;
  loop_.remove(fd.get());
  fd.reset();
}

BGAGENT_INLINE void ProcessSupervisor::takeQueued() {
  std::vector<std::unique_ptr<Child>> added;
  std::vector<std::pair<std::uint64_t, EndReason>> stops;
  bool shuttingDown = false;
  Clock::duration grace{};
  {
    std::lock_guard lock(mutex_);
    added.swap(added_);
    stops.swap(stops_);
    shuttingDown = shuttingDown_;
    grace = shutdownGrace_;
    // Counted with what was just taken, so childCount() never dips in between.
    childCount_ = children_.size() + added.size();
  }
  for (auto& child : added) children_.emplace(child->id, std::move(child));
  const Clock::time_point now = Clock::now();
  for (const auto& [id, reason] : stops) {
    const auto found = children_.find(id);
    if (found != children_.end() && !found->second->killAt) {
      beginKill(*found->second, reason, now);
    }
  }
  if (!shuttingDown) return;
  releaseSurvivors();
  const Clock::time_point lastKill = saturatingAdd<Clock>(now, grace);
  for (auto& [id, child] : children_) {
    if (child->exited) continue;
    if (!child->killAt) {
      child->control->recordEnd(EndReason::HostShutdown);
      beginKill(*child, EndReason::HostShutdown, now);
    }
    // Not after SIGKILL was sent: that would send it again. A grace period too long to
    // represent (killAt saturated at the clock's end) is cut like any other.
    if (!child->killSent && *child->killAt > lastKill) {
      child->killAt = lastKill;
    }
  }
}

BGAGENT_INLINE void ProcessSupervisor::beginKill(Child& child, EndReason reason,
                                                 Clock::time_point now) {
  // The first reason wins: a task stopped as timed out and then, by a combinator settling
  // meanwhile, as cancelled, stays timed out (the stops reach this queue in either order).
  if (reason != EndReason::HostShutdown) child.control->recordEnd(reason);
  // The whole group: `sh -c 'work & wait'` leaves no grandchild behind.
  if (signalAgent(child, SIGTERM) == 0) reportKill(child, SIGTERM);
  child.killAt = saturatingAdd<Clock>(now, child.launch.gracePeriod);
}

BGAGENT_INLINE int ProcessSupervisor::signalAgent(Child& child, int signal) {
  if (child.adopted && !child.exited && adoptedLeaderGone(child)) child.exited = true;
  if (child.adopted && child.exited) return 0;
  if (runtimeSyscalls.kill(child.wholeGroup ? -child.group : child.pid, signal) == 0) return 0;
  return errno == ESRCH ? 0 : errno;
}

BGAGENT_INLINE void ProcessSupervisor::giveUp(std::uint64_t id, int error, bool leaderAlone) {
  std::unique_ptr<Child> child = takeChild(id);
  const EndReason reason = child->control->claimEnding();
  const std::string target = child->wholeGroup && !leaderAlone
                                 ? "group " + std::to_string(child->group)
                                 : "pid " + std::to_string(child->pid);
  const std::string text = stopText(*child, reason).value_or("stopped by the host") +
                           "; it could not be stopped: SIGKILL to " + target + " was refused (" +
                           systemMessage(error) + "); it runs on, unfollowed";
  bool completed = false;
  if (child->survivor) {
    completed = readOwnOutput(child->writer).completed;  // ends a cut last line first
  } else {
    // What it printed until now is kept; what it prints from now on has no reader.
    flushPending(*child);
    hostExitGuard_.release(child->pid);
  }
  if (!completed) {
    nlohmann::json result;
    result["success"] = false;
    result["error"] = text;
    Result<void> written = child->writer.finish(text, result);
    if (!written && child->control->onEndingLost) child->control->onEndingLost(written.error());
  }
  dropChild(std::move(child));
}

BGAGENT_INLINE bool ProcessSupervisor::adoptedLeaderGone(const Child& child) {
  if (child.pidFd) {
    pollfd exited{child.pidFd.get(), POLLIN, 0};
    return ::poll(&exited, 1, 0) == 1;
  }
  // A zombie has exited: its parent (often PID 1, which may never reap it) has not asked yet.
  return !isAlive(child.pid) || processStartTicks(child.pid) != child.started ||
         isZombie(child.pid);
}

BGAGENT_INLINE void ProcessSupervisor::releaseSurvivors() {
  bool released = false;
  for (auto it = children_.begin(); it != children_.end();) {
    Child& child = *it->second;
    if (!child.survivor || child.killAt || child.exited) {
      ++it;
      continue;
    }
    // It runs on, unfollowed, for a later host to re-attach to; its task settles Cancelled
    // with the runtime's watches. One started here stays this process's child: a zombie if it
    // ends before the process does.
    child.control->leftRunning.store(true, std::memory_order_release);
    child.control->recordEnd(EndReason::HostShutdown);
    closeWatched(child.pidFd);
    it = children_.erase(it);  // its writer closes: its lock goes, a later host may follow it
    released = true;
  }
  if (!released) return;
  publishChildCount();
  loop_.wake();  // a drain that waits for the count to reach 0 looks again
}

BGAGENT_INLINE void ProcessSupervisor::reportKill(Child& child, int signal) {
  const AgentControl& control = *child.control;
  child.control->events.reportPossiblyAfterEnd("killed", [&] {
    nlohmann::json fields;
    fields["signal"] = signal == SIGKILL ? "SIGKILL" : "SIGTERM";
    fields["pid"] = child.pid;
    fields["reason"] = toString(control.endReason.load(std::memory_order_acquire));
    // An agent can run on after its task settled (an early ERROR settles it at once).
    fields["afterSettled"] = control.events.ended();
    fields["elapsedMs"] =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - control.launchedAt)
            .count();
    return fields;
  });
}

BGAGENT_INLINE void ProcessSupervisor::relayOutput(Child& child) {
  char buffer[64 * 1024];
  // A bounded number of reads per turn, so one chatty child cannot starve the others.
  for (int reads = 0; reads < 16; ++reads) {
    const ssize_t count = readPipe(child.output.get(), buffer, sizeof buffer);
    if (count > 0) {
      child.relay.feed(std::string_view(buffer, static_cast<std::size_t>(count)));
      continue;
    }
    if (count == 0 || errno != EAGAIN) {
      closeWatched(child.output);  // EOF: every writer of the pipe is gone
    }
    break;
  }
  flushPending(child);
}

BGAGENT_INLINE void ProcessSupervisor::flushPending(Child& child) {
  const std::string lines = child.relay.takeLines();
  if (lines.empty()) return;
  // A failed write (a full disk) cannot be reported to the child: relaying stops, and the
  // ending reports the error if it persists (writeEnding).
  if (!child.relayFailed && !child.writer.relay(lines)) child.relayFailed = true;
}

BGAGENT_INLINE void ProcessSupervisor::finish(std::uint64_t id) {
  std::unique_ptr<Child> child = takeChild(id);
  // Background processes the agent left in its group end with it. Before the reap: until
  // then the leader's zombie keeps its group id from being reused. (An adopted agent has no
  // zombie here to pin it: its group id may be anyone's once it has exited, so what it left
  // behind runs on.)
  if (!child->adopted) ::kill(-child->group, SIGKILL);
  if (!child->survivor) hostExitGuard_.release(child->pid);
  int status = 0;
  const pid_t reaped = child->adopted ? pid_t{-1} : waitForChild(child->pid, status, 0);
  child->control->reaped.store(true, std::memory_order_release);
  if (child->output) {
    char buffer[64 * 1024];
    ssize_t count = 0;
    while ((count = readPipe(child->output.get(), buffer, sizeof buffer)) > 0) {
      child->relay.feed(std::string_view(buffer, static_cast<std::size_t>(count)));
    }
  }
  const std::optional<int> exitStatus =
      reaped == child->pid ? std::optional<int>(status) : std::nullopt;
  if (child->survivor) {
    const OwnOutput own = readOwnOutput(child->writer);
    // After its own [COMPLETE] nothing more would count (P19): the file has its verdict.
    if (own.completed) {
      static_cast<void>(child->control->claimEnding());
    } else {
      // Not reaped here (started by an earlier host, or reaped elsewhere): its launcher's
      // [EXIT] record says how it ended.
      writeEnding(*child, exitStatus ? exitStatus : own.exitStatus, own.wroteResult, own.lastLines);
    }
  } else {
    child->relay.endOfOutput();
    flushPending(*child);
    writeEnding(*child, exitStatus, child->relay.wroteResult(), child->relay.lastLines());
  }
  dropChild(std::move(child));
}

BGAGENT_INLINE std::unique_ptr<ProcessSupervisor::Child> ProcessSupervisor::takeChild(
    std::uint64_t id) {
  const auto found = children_.find(id);
  std::unique_ptr<Child> child = std::move(found->second);
  children_.erase(found);
  return child;
}

BGAGENT_INLINE void ProcessSupervisor::dropChild(std::unique_ptr<Child> child) {
  closeWatched(child->output);
  closeWatched(child->pidFd);
  child.reset();  // its descriptors close before it stops counting
  publishChildCount();
}

BGAGENT_INLINE void ProcessSupervisor::publishChildCount() {
  {
    std::lock_guard lock(mutex_);
    childCount_ = children_.size();
  }
  idle_.notify_all();
}

BGAGENT_INLINE ProcessSupervisor::OwnOutput ProcessSupervisor::readOwnOutput(OutputWriter& writer) {
  // Through the writer's descriptor: the file it writes, whatever is at its path by now.
  OutputFile file("/proc/self/fd/" + std::to_string(OutputWriterAccess::descriptor(writer)));
  // A read that fails leaves what it read; the ending is written either way.
  static_cast<void>(file.refresh());
  if (file.snapshot().pendingBytes > 0 && !file.snapshot().completed) {
    // Its last line was cut short: ended here, so the ending starts on a line of its own and
    // that line counts among the last ones.
    static_cast<void>(writer.relay("\n"));
    static_cast<void>(file.refresh());
  }
  const OutputSnapshot& snapshot = file.snapshot();
  OwnOutput own;
  own.wroteResult = snapshot.hasResult;
  own.completed = snapshot.completed;
  if (snapshot.exitStatus) own.exitStatus = waitStatusOfExitRecord(*snapshot.exitStatus);
  // As many lines, as long, as a relay keeps for the error message.
  const std::size_t count = snapshot.tail.size();
  const std::size_t first = count > OutputRelay::kLastLines ? count - OutputRelay::kLastLines : 0;
  for (std::size_t index = first; index < count; ++index) {
    own.lastLines.push_back(snapshot.tail[index].substr(0, OutputRelay::kLastLineBytes));
  }
  return own;
}

BGAGENT_INLINE std::optional<std::string> ProcessSupervisor::stopText(const Child& child,
                                                                      EndReason reason) {
  if (reason == EndReason::Cancelled) return std::string(kCancelledByHost);
  if (reason == EndReason::TimedOut) {
    return child.launch.timeLimit ? "timed out after " + durationText(*child.launch.timeLimit)
                                  : std::string(kEnclosingDeadline);
  }
  if (reason == EndReason::HostShutdown) return std::string(kHostShutDown);
  return std::nullopt;
}

BGAGENT_INLINE void ProcessSupervisor::writeEnding(Child& child, std::optional<int> status,
                                                   bool wroteResult,
                                                   const std::vector<std::string>& lastLines) {
  const EndReason reason = child.control->claimEnding();
  std::optional<std::string> error = stopText(child, reason);
  // How the process ended when that was not a clean exit, which the file always records.
  std::optional<std::string> unclean;
  if (!status) {
    unclean = child.adopted ? "exit status unknown (started by an earlier host)"
                            : "exit status unknown (reaped elsewhere)";
  } else if (WIFEXITED(*status) && WEXITSTATUS(*status) != 0) {
    unclean = "exited with code " + std::to_string(WEXITSTATUS(*status));
  } else if (WIFSIGNALED(*status)) {
    const int signal = WTERMSIG(*status);
    const char* name = ::sigabbrev_np(signal);
    unclean = "killed by signal " + std::to_string(signal) +
              (name != nullptr ? std::string(" (SIG") + name + ")" : std::string());
  }
  // The last lines usually say why ("sh: 1: eslintt: not found"): the error carries them (at
  // most 5 lines of 200 bytes).
  const auto withLastOutput = [&lastLines](std::string text) {
    if (lastLines.empty()) return text;
    std::string said;
    for (const std::string& line : lastLines) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank
      said += (said.empty() ? "" : " | ") + line;
    }
    return text + "; last output: " + (said.empty() ? "(blank lines)" : said);
  };
  std::optional<nlohmann::json> result;
  if (!wroteResult) {
    result.emplace()["success"] = !unclean && reason == EndReason::None;
    if (status && WIFEXITED(*status)) (*result)["exitCode"] = WEXITSTATUS(*status);
    if (status && WIFSIGNALED(*status)) (*result)["signal"] = WTERMSIG(*status);
    if (unclean) (*result)["error"] = withLastOutput(*unclean);
    if (!(*result)["success"].get<bool>()) (*result)["lastOutput"] = lastLines;
  } else if (unclean && status && reason == EndReason::None) {
    // The agent's own RESULT does not hide a failing exit or a crash after it: its verdict
    // stands only when the process then ends cleanly, or nobody can tell (docs/errors.md).
    *unclean += " after writing its RESULT";
    error = withLastOutput(*unclean);
  }
  if (status && WIFSIGNALED(*status) && reason == EndReason::None) {
    // A crash, published to the task by killedBy (stored after the record's words).
    child.control->crashRecord = *unclean;
    child.control->killedBy.store(WTERMSIG(*status), std::memory_order_release);
  }
  Result<void> written = child.writer.finish(error, result);
  // The file cannot say how the agent ended: tell the task directly, or it would wait forever.
  if (!written && child.control->onEndingLost) child.control->onEndingLost(written.error());
}

}  // namespace bgagent::detail
