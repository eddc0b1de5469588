// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/process_supervisor_inl.hpp: the bodies of process_supervisor.hpp's
// functions (inline in header-only mode, built once in src/bgagent.cpp in compiled mode;
// core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/runtime/detail/process_supervisor.hpp>
// What the bodies use besides their header:
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bgagent/core/detail/duration_text.hpp>
#include <bgagent/core/detail/file_system.hpp>
#include <bgagent/protocol/protocol.hpp>
#include <bgagent/runtime/detail/process_liveness.hpp>
#include <bgagent/runtime/detail/runtime_syscall.hpp>
#include <bgagent/runtime/detail/spawn.hpp>
#include <cerrno>
#include <string_view>

namespace bgagent::detail {

BGAGENT_INLINE Result<std::uint64_t> ProcessSupervisor::start(
    ProcessLaunch launch, OutputWriter& writer, std::shared_ptr<AgentControl> control) {
  if (closed()) return runtimeShutDownError();
  Result<SpawnedProcess> spawned = spawnProcess(launch.argv, launch.environment,
                                                launch.workingDirectory, launch.inheritEnvironment);
  if (!spawned) return spawned.error();
  const pid_t pid = spawned->pid;
  // Read now, while the child cannot have been reaped: its pid cannot belong to another yet.
  const std::uint64_t started = processStartTicks(pid).value_or(0);
  if (Result<void> held = hostExitGuard_.protect(pid, started); !held) {
    ::kill(-pid, SIGKILL);
    int status = 0;
    waitForChild(pid, status, 0);
    return Error{held.error().code,
                 "cannot start '" + launch.argv.front() + "': " + held.error().message, "", 0,
                 held.error().systemError};
  }
  // A failed write is reported by the ending, as a relay's is (flushPending).
  static_cast<void>(writer.agentProcess(AgentProcessInfo{pid, pid, started}));
  auto child = std::make_unique<Child>(std::move(writer), launch.maxOutputBytes);
  child->pid = pid;
  child->output = std::move(spawned->output);
  child->pidFd = openPidFd(child->pid, child->exited);
  child->control = std::move(control);
  child->launch = std::move(launch);
  if (child->launch.timeLimit) {
    child->deadline = saturatingAdd<Clock>(Clock::now(), *child->launch.timeLimit);
  }
  // Registered here, not by the loop: epoll is level-triggered, so an event that comes
  // before the loop has taken the child over comes again after. The loop only needs waking
  // for a timer: a deadline, or the reaping poll when there is no pidfd.
  bool needsTimer = child->deadline || !child->pidFd;
  std::uint64_t id = 0;
  {
    std::unique_lock lock(mutex_);
    if (closed_) {
      // The runtime's last turn came between the check above and here: nobody would ever
      // stop or reap this child, so it ends now, before anything of it is registered.
      lock.unlock();
      ::kill(-child->pid, SIGKILL);
      hostExitGuard_.release(child->pid);
      int status = 0;
      waitForChild(child->pid, status, 0);
      writer = std::move(child->writer);  // the caller's again, to record the refusal
      return runtimeShutDownError();
    }
    child->id = ++lastId_;
    id = child->id;
    if (!loop_.add(child->output.get(), partIndex_, id * 2)) {
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
  for (auto& [id, child] : children_) {
    child->control->recordEnd(EndReason::HostShutdown);
    if (child->killSent) continue;
    ::kill(-child->pid, SIGKILL);
    reportKill(*child, SIGKILL);
    child->killSent = true;
  }
  while (!children_.empty()) finish(children_.begin()->first);
  hostExitGuard_.stopKeeper();  // nothing left to guard, and no launch from now on
}

BGAGENT_INLINE void ProcessSupervisor::killAllGroupsNow() noexcept {
  for (const auto& [id, child] : children_) ::kill(-child->pid, SIGKILL);
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
  for (auto& [id, child] : children_) {
    if (child->pollOutput && child->output) relayOutput(*child);
    if (!child->pidFd && !child->exited) {
      // No pidfd (an old kernel, a seccomp filter, no descriptor left): ask at a short
      // interval instead. waitpid reaps it here, so finish() must not wait again.
      int status = 0;
      if (waitForChild(child->pid, status, WNOHANG) == child->pid) {
        child->status = status;
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
      ::kill(-child->pid, SIGKILL);  // the grace period is over
      reportKill(*child, SIGKILL);
      child->killSent = true;
    }
  }
  for (const std::uint64_t id : finished) finish(id);
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
  ::kill(-child.pid, SIGTERM);
  reportKill(child, SIGTERM);
  child.killAt = saturatingAdd<Clock>(now, child.launch.gracePeriod);
}

BGAGENT_INLINE void ProcessSupervisor::reportKill(Child& child, int signal) {
  const AgentControl& control = *child.control;
  child.control->events.report("killed", [&] {
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
  const auto found = children_.find(id);
  std::unique_ptr<Child> child = std::move(found->second);
  children_.erase(found);
  // Background processes the agent left in its group end with it. Before the reap: until
  // then the leader's zombie keeps its group id from being reused.
  ::kill(-child->pid, SIGKILL);
  hostExitGuard_.release(child->pid);
  int status = child->status.value_or(0);
  const pid_t reaped = child->status ? child->pid : waitForChild(child->pid, status, 0);
  child->control->reaped.store(true, std::memory_order_release);
  if (child->output) {
    char buffer[64 * 1024];
    ssize_t count = 0;
    while ((count = readPipe(child->output.get(), buffer, sizeof buffer)) > 0) {
      child->relay.feed(std::string_view(buffer, static_cast<std::size_t>(count)));
    }
  }
  child->relay.endOfOutput();
  flushPending(*child);
  writeEnding(*child, reaped == child->pid ? std::optional<int>(status) : std::nullopt);
  closeWatched(child->output);
  closeWatched(child->pidFd);
  child.reset();  // its descriptors close before it stops counting
  {
    std::lock_guard lock(mutex_);
    childCount_ = children_.size();
  }
  idle_.notify_all();
}

BGAGENT_INLINE void ProcessSupervisor::writeEnding(Child& child, std::optional<int> status) {
  const EndReason reason = child.control->claimEnding();
  std::optional<std::string> error;
  if (reason == EndReason::Cancelled) error = std::string(kCancelledByHost);
  if (reason == EndReason::TimedOut)
    error = child.launch.timeLimit ? "timed out after " + durationText(*child.launch.timeLimit)
                                   : std::string(kEnclosingDeadline);
  if (reason == EndReason::HostShutdown) error = std::string(kHostShutDown);
  // How the process ended when that was not a clean exit, which the file always records.
  std::optional<std::string> unclean;
  if (!status) {
    unclean = "exit status unknown (reaped elsewhere)";
  } else if (WIFEXITED(*status) && WEXITSTATUS(*status) != 0) {
    unclean = "exited with code " + std::to_string(WEXITSTATUS(*status));
  } else if (WIFSIGNALED(*status)) {
    const int signal = WTERMSIG(*status);
    const char* name = ::sigabbrev_np(signal);
    unclean = "killed by signal " + std::to_string(signal) +
              (name != nullptr ? std::string(" (SIG") + name + ")" : std::string());
  }
  // The last lines usually say why ("sh: 1: eslintt: not found"): the error carries them (at
  // most the relay's 5 lines of 200 bytes).
  const std::vector<std::string> lastLines = child.relay.lastLines();
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
  if (!child.relay.wroteResult()) {
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
