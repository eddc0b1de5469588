// SPDX-License-Identifier: MIT
// bgagent/runtime/detail/process_supervisor.hpp: the runtime's part that serves every process
// agent. It relays each child's stdout and stderr into its output file through an OutputRelay (the
// line rules: a child can write PROGRESS, RESULT and ERROR, never START or COMPLETE; the output
// cap), runs the kill sequence (SIGTERM to the group, the grace period, SIGKILL), reaps every child
// through its pidfd, and closes the file with how the agent ended. An agent that survives its
// host writes its file itself (no relay) and is let go at shutdown; one adopted from an earlier
// host (reattach()) is followed through its pidfd and never reaped here. Its descriptors sit in
// the runtime's one epoll set; it owns no thread.
// Thread safety: start(), adopt(), stop(), childCount() and waitUntilIdle() from any thread; the
// rest on the runtime's thread.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <sys/types.h>

#include <bgagent/core/detail/unique_fd.hpp>
#include <bgagent/protocol/output_writer.hpp>
#include <bgagent/runtime/detail/agent_control.hpp>
#include <bgagent/runtime/detail/event_loop.hpp>
#include <bgagent/runtime/detail/host_exit_guard.hpp>
#include <bgagent/runtime/detail/output_relay.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace bgagent::detail {

struct ProcessLaunch {
  std::vector<std::string> argv;
  std::map<std::string, std::string> environment;
  std::optional<std::vector<std::string>> inheritEnvironment;  // unset: all of the host's
  std::string workingDirectory;
  std::optional<std::chrono::steady_clock::duration> timeLimit;
  std::chrono::steady_clock::duration gracePeriod = std::chrono::seconds(2);
  std::uint64_t maxOutputBytes = std::uint64_t{64} << 20;
  bool survivesHost = false;  // LaunchOptions::survivesHost: writes its file itself
};

class ProcessSupervisor final : public LoopPart {
 public:
  using Clock = std::chrono::steady_clock;

  ProcessSupervisor(const EventLoop& loop, std::size_t partIndex)
      : loop_(loop), partIndex_(partIndex) {}

  /// Starts the process and supervises it; `writer` has written START already and is taken
  /// over on success. Returns the agent's id for stop(), or the spawn error (the writer is then
  /// still the caller's, to record it).
  Result<std::uint64_t> start(ProcessLaunch launch, OutputWriter& writer,
                              std::shared_ptr<AgentControl> control);

  /// Follows a process an earlier host started and left running (reattach()). It is no child
  /// of this process: its exit is learnt through a pidfd (or asked at a short interval) and
  /// its status is unknown. stop() ends its group; `writer`, appending to its file, writes the
  /// ending. A process whose start time is not `agent.started` (its pid was reused) counts as
  /// gone already. Returns the id for stop(), or why it cannot be followed.
  Result<std::uint64_t> adopt(const AgentProcessInfo& agent, OutputWriter writer,
                              std::shared_ptr<AgentControl> control, Clock::duration gracePeriod);

  /// Starts the kill sequence for agent `id` (if it still runs), recording `reason`.
  void stop(std::uint64_t id, EndReason reason);

  /// From now on every child gets SIGTERM, then SIGKILL after its grace period or `grace`,
  /// whichever is shorter; its file records that the host shut down (unless it was already
  /// being stopped for another reason). Agents that survive the host are let go at once,
  /// running: their tasks settle Cancelled, their files stay theirs (releaseSurvivors).
  void beginShutdown(Clock::duration grace);

  /// Kills what is left at once and writes every ending (the runtime's last turn), but lets
  /// agents that survive the host run on, unfollowed; from then on start() refuses.
  void killRemaining();

  /// SIGKILL to every child's group (survivors' aside), nothing else: for an exit called from the
  /// runtime's own thread, which cannot wait for the reaping.
  void killAllGroupsNow() noexcept;

  /// Blocks until no child is supervised (tests: everything reaped and closed), at most
  /// `timeout`. True when idle.
  bool waitUntilIdle(Clock::duration timeout);

  std::size_t childCount() const;

  /// The pid of the process that kills this runtime's agents if the host dies; -1 while none
  /// runs (before the first launch, after the last turn).
  pid_t hostExitKeeperPid() const { return hostExitGuard_.keeperPid(); }

  void onReady(std::uint64_t key) override;

  void onTurn(Clock::time_point now) override;

  std::optional<Clock::time_point> nextTimer() override;

 private:
  static constexpr auto kReapPoll = std::chrono::milliseconds(20);

  bool closed() const;

  struct Child {
    Child(OutputWriter outputWriter, std::uint64_t maxOutputBytes)
        : writer(std::move(outputWriter)), relay(maxOutputBytes) {}
    std::uint64_t id = 0;
    pid_t pid = -1;
    pid_t group = -1;           // what the kill sequence signals (the Agent: line's group)
    bool wholeGroup = true;     // false: its group could not be confirmed, signal it alone
    std::uint64_t started = 0;  // its start time (/proc ticks), which tells it from a reused pid
    bool survivor = false;      // writes its own file (no pipe), is left running at shutdown
    bool adopted = false;       // started by an earlier host: not this process's child
    UniqueFd output;
    UniqueFd pidFd;
    OutputWriter writer;
    std::shared_ptr<AgentControl> control;
    ProcessLaunch launch;
    std::optional<Clock::time_point> deadline;
    std::optional<Clock::time_point> killAt;  // the kill sequence's SIGKILL (max: never)
    bool killSent = false;                    // SIGKILL has been sent
    OutputRelay relay;
    bool exited = false;
    bool relayFailed = false;
    bool pollOutput = false;  // the pipe is read at the reaping poll, not on its events
  };

  // An epoll registration belongs to the open file description, not the descriptor: a copy of
  // it elsewhere (a child between fork and exec) would keep a closed descriptor's events
  // coming. Unregister first, then close.
  void closeWatched(UniqueFd& fd);

  // Registers a child with the loop and takes it, handed over at the next turn; a refused one
  // (the runtime's last turn has come) stays the caller's.
  Result<std::uint64_t> supervise(std::unique_ptr<Child>& child);

  void takeQueued();

  static void beginKill(Child& child, EndReason reason, Clock::time_point now);

  // Sends `signal` to the agent's group (to the agent alone when its group is unconfirmed).
  // An adopted agent is signalled only while its leader has not exited: no zombie of this
  // host pins its pid and group id then, which may be anyone's. Returns the errno of a
  // refusal (EPERM: the agent runs as another user now), else 0; ESRCH (nobody left to
  // signal) is no refusal: the exit comes through the pidfd or the reaping poll.
  static int signalAgent(Child& child, int signal);

  // The kill sequence's SIGKILL was refused: the agent cannot be ended from here, and its task
  // must not wait for an exit that may never come. Its ending says so at once, and it runs on,
  // no longer followed (this process's child still: a zombie if it ends before the process).
  // `leaderAlone`: the refusal was the leader's own, its group having taken the signal.
  void giveUp(std::uint64_t id, int error, bool leaderAlone);

  // What the ending says of why the host stopped the agent; none when it did not.
  static std::optional<std::string> stopText(const Child& child, EndReason reason);

  // Whether an adopted agent's leader has exited (or its pid names a later process).
  static bool adoptedLeaderGone(const Child& child);

  // Lets every survivor the host is not stopping run on, unfollowed (at shutdown).
  void releaseSurvivors();

  static void reportKill(Child& child, int signal);

  void relayOutput(Child& child);

  static void flushPending(Child& child);

  void finish(std::uint64_t id);

  // A child taken out of the table, to be ended by finish() or giveUp(); then dropChild().
  std::unique_ptr<Child> takeChild(std::uint64_t id);
  // Closes its descriptors (unwatched first), then it stops counting.
  void dropChild(std::unique_ptr<Child> child);
  // Publishes how many children remain, waking waitUntilIdle().
  void publishChildCount();

  // What an agent that writes its own file said there, read once when it has ended (a last
  // line it left unfinished is ended first, through `writer`).
  struct OwnOutput {
    bool wroteResult = false;
    bool completed = false;  // [COMPLETE] is there already: nothing after it would count
    std::vector<std::string> lastLines;
    std::optional<int> exitStatus;  // its [EXIT] record's, as a wait status (P27)
  };
  static OwnOutput readOwnOutput(OutputWriter& writer);

  static void writeEnding(Child& child, std::optional<int> status, bool wroteResult,
                          const std::vector<std::string>& lastLines);

  const EventLoop& loop_;
  std::size_t partIndex_;
  mutable std::mutex mutex_;
  std::uint64_t lastId_ = 0;                                // guarded by mutex_
  std::vector<std::unique_ptr<Child>> added_;               // guarded by mutex_
  std::vector<std::pair<std::uint64_t, EndReason>> stops_;  // guarded by mutex_
  std::size_t childCount_ = 0;                              // guarded by mutex_
  bool shuttingDown_ = false;                               // guarded by mutex_
  bool closed_ = false;                                     // guarded by mutex_
  Clock::duration shutdownGrace_{};                         // guarded by mutex_
  std::condition_variable idle_;                            // notified when childCount_ changes
  std::unordered_map<std::uint64_t, std::unique_ptr<Child>> children_;  // the loop's own
  HostExitGuard hostExitGuard_;  // every child's group but survivors', from start until reap
};

}  // namespace bgagent::detail

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/runtime/detail/process_supervisor_inl.hpp>
#endif
