// SPDX-License-Identifier: MIT
// Watcher and waitForCompletion: kernel-woken waits on many files from one thread, with
// timeouts, cancellation, idle and crash detection. No sleeps: each test writes the bytes, then
// waits for the watcher's answer; time bounds are lower bounds, upper bounds only catch hangs.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bgagent/core/detail/unique_fd.hpp>
#include <bgagent/runtime/detail/inotify_watch.hpp>
#include <bgagent/runtime/detail/process_liveness.hpp>
#include <bgagent/runtime/runtime.hpp>
#include <bgagent/runtime/wait.hpp>
#include <bgagent/runtime/watcher.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <future>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "support/test_support.hpp"

extern char** environ;

using namespace std::chrono_literals;
using bgagent::ErrorCode;
using bgagent::Status;
using bgagent::SteadyClock;
using bgagent::WaitOptions;
using bgagent::WaitOutcome;
using bgagent::Watcher;
using bgagent::WatcherOptions;
using bgagent::test::appendFile;
using bgagent::test::kCompleteLine;
using bgagent::test::kStartLine;
using bgagent::test::TempDir;
using bgagent::test::writeFile;

namespace {

constexpr auto kHang = 20s;  // an upper bound that only a hang reaches

// A watch whose outcome the test waits for.
struct PendingOutcome {
  std::shared_ptr<std::promise<WaitOutcome>> promise =
      std::make_shared<std::promise<WaitOutcome>>();
  std::future<WaitOutcome> future = promise->get_future();
  bgagent::WatchHandle handle;

  PendingOutcome(Watcher& watcher, const std::filesystem::path& path, WaitOptions options = {}) {
    handle = watcher.watch(path, std::move(options), [promise = promise](WaitOutcome outcome) {
      promise->set_value(std::move(outcome));
    });
  }
  WaitOutcome get() {
    REQUIRE(future.wait_for(kHang) == std::future_status::ready);
    return future.get();
  }
};

// A shell process, killed and reaped at scope end whatever happened.
class ShellProcess {
 public:
  explicit ShellProcess(const std::string& script) {
    std::vector<char*> argv{const_cast<char*>("sh"), const_cast<char*>("-c"),
                            const_cast<char*>(script.c_str()), nullptr};
    REQUIRE(::posix_spawn(&pid_, "/bin/sh", nullptr, nullptr, argv.data(), environ) == 0);
  }
  ~ShellProcess() {
    if (reaped_) return;  // its pid may be another process's by now
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  ShellProcess(const ShellProcess&) = delete;
  ShellProcess& operator=(const ShellProcess&) = delete;
  pid_t pid() const { return pid_; }
  /// Waits for the shell to exit by itself and reaps it.
  void reap() {
    REQUIRE(::waitpid(pid_, nullptr, 0) == pid_);
    reaped_ = true;
  }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

// Blocks until the watcher has read `bytes` bytes of a file, as onUpdate reports them.
class ReadProgress {
 public:
  std::function<void(const bgagent::OutputSnapshot&)> observer() {
    return [this](const bgagent::OutputSnapshot& snapshot) {
      std::lock_guard lock(mutex_);
      snapshots_.push_back(snapshot);
      changed_.notify_all();
    };
  }
  bgagent::OutputSnapshot waitForBytes(std::uint64_t bytes) {
    std::unique_lock lock(mutex_);
    REQUIRE(changed_.wait_for(
        lock, kHang, [&] { return !snapshots_.empty() && snapshots_.back().bytes >= bytes; }));
    return snapshots_.back();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<bgagent::OutputSnapshot> snapshots_;  // guarded by mutex_
};

WaitOptions polling() {
  WaitOptions options;
  options.forcePolling = true;
  options.pollInterval = 10ms;
  return options;
}

}  // namespace

TEST_CASE("a wait on a file that appears later succeeds when it completes", "[watcher]") {
  TempDir dir;
  const bgagent::test::ResourceCounts before;
  {
    Watcher watcher;
    auto forced = GENERATE(false, true);
    INFO("forced polling: " << forced);
    PendingOutcome pending(watcher, dir / "late.out", forced ? polling() : WaitOptions{});
    // Watches are registered in order: once a later one has settled, this one is registered,
    // so the file below really appears after the watch began.
    writeFile(dir / "marker.out", std::string(kStartLine) + kCompleteLine);
    REQUIRE(PendingOutcome(watcher, dir / "marker.out").get().status == Status::Succeeded);
    REQUIRE(pending.future.wait_for(0s) == std::future_status::timeout);
    writeFile(dir / "late.out",
              std::string(kStartLine) + "[RESULT] {\"success\": true}\n" + kCompleteLine);
    const WaitOutcome outcome = pending.get();
    CHECK(outcome.status == Status::Succeeded);
    CHECK_FALSE(outcome.error);
    CHECK(outcome.result() == nlohmann::json{{"success", true}});
  }
  CHECK_FALSE(before.leaked());
}

TEST_CASE("COMPLETE written in pieces settles only when its line is whole", "[watcher]") {
  TempDir dir;
  const auto path = dir / "agent.out";
  writeFile(path, kStartLine);
  Watcher watcher;
  ReadProgress progress;
  WaitOptions options;
  options.onUpdate = progress.observer();
  PendingOutcome pending(watcher, path, options);
  progress.waitForBytes(29);

  std::uint64_t written = 29;
  for (const std::string piece : {"[COMP", "LETE] 2026-01-30T1", "0:05:00Z"}) {
    appendFile(path, piece);
    written += piece.size();
    const auto seen = progress.waitForBytes(written);
    CHECK(seen.status == bgagent::Status::Running);
    CHECK_FALSE(seen.completed);
    CHECK(pending.future.wait_for(0s) == std::future_status::timeout);
  }
  appendFile(path, "\n");
  const WaitOutcome outcome = pending.get();
  CHECK(outcome.status == Status::Succeeded);
  CHECK(outcome.snapshot.bytes == written + 1);
}

TEST_CASE("an agent's failure ends the wait as Failed with the file's error", "[watcher]") {
  TempDir dir;
  const auto path = dir / "agent.out";
  Watcher watcher;
  auto forced = GENERATE(false, true);
  PendingOutcome pending(watcher, path, forced ? polling() : WaitOptions{});
  writeFile(path, std::string(kStartLine) + "[ERROR] tests failed\n");
  const WaitOutcome outcome = pending.get();
  CHECK(outcome.status == Status::Failed);
  REQUIRE(outcome.error);
  CHECK(outcome.error->code == ErrorCode::AgentFailed);
  CHECK(outcome.error->message ==
        "output file '" + path.string() + "' line 2: agent reported an error: tests failed");
}

TEST_CASE("a path that is a directory ends the wait as Failed, not a hang", "[watcher]") {
  TempDir dir;
  std::filesystem::create_directory(dir / "a.out");
  const WaitOutcome outcome = bgagent::waitForCompletion(dir / "a.out", kHang);
  CHECK(outcome.status == Status::Failed);
  CHECK(outcome.error->code == ErrorCode::InvalidArgument);
}

TEST_CASE("a file removed before COMPLETE ends the wait as Failed", "[watcher]") {
  TempDir dir;
  const auto path = dir / "agent.out";
  writeFile(path, kStartLine);
  Watcher watcher;
  ReadProgress progress;
  WaitOptions options;
  options.onUpdate = progress.observer();
  PendingOutcome pending(watcher, path, options);
  progress.waitForBytes(29);
  std::filesystem::remove(path);
  const WaitOutcome outcome = pending.get();
  CHECK(outcome.status == Status::Failed);
  CHECK(outcome.error->code == ErrorCode::NotFound);
}

TEST_CASE("a timeout ends the wait no earlier than asked", "[watcher][timing]") {
  TempDir dir;
  writeFile(dir / "slow.out", kStartLine);
  const auto started = SteadyClock::now();
  const WaitOutcome outcome = bgagent::waitForCompletion(dir / "slow.out", 200ms);
  const auto elapsed = SteadyClock::now() - started;
  CHECK(outcome.status == Status::TimedOut);
  CHECK(outcome.error->code == ErrorCode::DeadlineExceeded);
  CHECK(outcome.error->message ==
        "output file '" + (dir / "slow.out").string() + "': not complete after 200ms");
  CHECK(outcome.snapshot.status == bgagent::Status::Running);
  CHECK(elapsed >= 200ms);
  CHECK(elapsed < kHang);
}

TEST_CASE("the earlier of timeout and deadline wins", "[watcher][timing]") {
  TempDir dir;
  WaitOptions options;
  options.timeout = kHang;
  options.deadline = SteadyClock::now() + 100ms;
  const auto started = SteadyClock::now();
  const WaitOutcome outcome = bgagent::waitForCompletion(dir / "never.out", options);
  CHECK(outcome.status == Status::TimedOut);
  CHECK(outcome.error->code == ErrorCode::NotFound);
  CHECK(outcome.error->message == "output file '" + (dir / "never.out").string() +
                                      "': was never created (waited until the deadline)");
  CHECK(SteadyClock::now() - started >= 100ms);
  CHECK(SteadyClock::now() - started < kHang);
}

TEST_CASE("a file that never appears ends the wait saying so, not as a slow agent", "[watcher]") {
  TempDir dir;
  const WaitOutcome outcome = bgagent::waitForCompletion(dir / "absent.out", 100ms);
  CHECK(outcome.status == Status::TimedOut);
  REQUIRE(outcome.error);
  CHECK(outcome.error->code == ErrorCode::NotFound);
  CHECK(outcome.error->message ==
        "output file '" + (dir / "absent.out").string() + "': was never created (waited 100ms)");
}

TEST_CASE("a file in a directory that does not exist fails the wait at once", "[watcher]") {
  TempDir dir;
  // A timeout longer than the test's own (60 s): only failing at once lets it pass.
  const WaitOutcome outcome = bgagent::waitForCompletion(dir / "missing" / "agent.out", 1h);
  CHECK(outcome.status == Status::Failed);
  REQUIRE(outcome.error);
  CHECK(outcome.error->code == ErrorCode::NotFound);
  CHECK(outcome.error->message == "output file '" + (dir / "missing" / "agent.out").string() +
                                      "': its directory '" + (dir / "missing").string() +
                                      "' does not exist");
  // A regular file where the directory should be: it can never hold the output file either.
  writeFile(dir / "plain", "not a directory\n");
  const WaitOutcome underFile = bgagent::waitForCompletion(dir / "plain" / "agent.out", 1h);
  CHECK(underFile.status == Status::Failed);
  REQUIRE(underFile.error);
  CHECK(underFile.error->message == "output file '" + (dir / "plain" / "agent.out").string() +
                                        "': '" + (dir / "plain").string() + "' is not a directory");
}

TEST_CASE("a stop request cancels a wait promptly", "[watcher]") {
  TempDir dir;
  writeFile(dir / "running.out", kStartLine);
  std::stop_source stop;
  std::promise<WaitOutcome> result;
  ReadProgress progress;
  (void)Watcher::shared();  // created once per process: not this test's to count
  const bgagent::test::ResourceCounts before;
  std::jthread waiter([&] {
    WaitOptions options;
    options.stopToken = stop.get_token();
    options.timeout = SteadyClock::duration::max();  // no deadline: saturates, never overflows
    options.onUpdate = progress.observer();
    result.set_value(bgagent::waitForCompletion(dir / "running.out", options));
  });
  progress.waitForBytes(29);  // the wait is registered and has read the file
  const auto requested = SteadyClock::now();
  stop.request_stop();
  auto future = result.get_future();
  REQUIRE(future.wait_for(kHang) == std::future_status::ready);
  const WaitOutcome outcome = future.get();
  CHECK(outcome.status == Status::Cancelled);
  CHECK(outcome.error->code == ErrorCode::Cancelled);
  CHECK(SteadyClock::now() - requested < 5s);
  waiter.join();
  CHECK(before.descriptorsAdded() == 0);
}

TEST_CASE("a token stopped before the wait cancels it at once", "[watcher]") {
  TempDir dir;
  std::stop_source stop;
  stop.request_stop();
  WaitOptions options;
  options.stopToken = stop.get_token();
  CHECK(bgagent::waitForCompletion(dir / "x.out", options).status == Status::Cancelled);
}

TEST_CASE("no new byte for the idle timeout ends the wait as Stalled", "[watcher][timing]") {
  TempDir dir;
  writeFile(dir / "quiet.out", kStartLine);
  WaitOptions options;
  options.idleTimeout = 150ms;
  const auto started = SteadyClock::now();
  const WaitOutcome outcome = bgagent::waitForCompletion(dir / "quiet.out", options);
  CHECK(outcome.status == Status::Stalled);
  CHECK(outcome.error->message == "output file '" + (dir / "quiet.out").string() +
                                      "': no new output for 150ms (idle timeout)");
  CHECK(SteadyClock::now() - started >= 150ms);
}

TEST_CASE("a writer killed with SIGKILL mid-run ends the wait as Crashed", "[watcher][process]") {
  TempDir dir;
  const auto path = dir / "agent.out";
  char host[256] = {};
  REQUIRE(::gethostname(host, sizeof host - 1) == 0);
  const bool fromHeader = GENERATE(false, true);
  INFO("pid from the Writer: line: " << fromHeader);
  // The shell writes its header, then replaces itself with a command that never ends: the pid
  // stays the writer's.
  ShellProcess writer("printf '[START] 2026-01-30T10:00:00Z\\nTask: doomed\\nWriter: pid=%d host=" +
                      std::string(host) + "\\nworking on it\\n' $$ > '" + path.string() +
                      "'; exec tail -f /dev/null");
  Watcher watcher;
  ReadProgress progress;
  WaitOptions options;
  options.onUpdate = progress.observer();
  if (!fromHeader) options.writerPid = writer.pid();
  PendingOutcome pending(watcher, path, options);
  const std::string writerLine =
      "Writer: pid=" + std::to_string(writer.pid()) + " host=" + std::string(host) + "\n";
  progress.waitForBytes(29 + 13 + writerLine.size() + 14);  // every line the shell printed
  ::kill(writer.pid(), SIGKILL);

  const WaitOutcome outcome = pending.get();
  CHECK(outcome.status == Status::Crashed);
  CHECK(outcome.error->code == ErrorCode::AgentKilled);
  CHECK(outcome.error->message == "output file '" + path.string() + "': writer pid " +
                                      std::to_string(writer.pid()) +
                                      " exited without [COMPLETE]; last output: working on it");
}

// A header as a host writes it for an agent that survives it (P9): the writer's pid, then the
// agent's, with its start time when `started` is set.
std::string survivorHeader(pid_t writer, pid_t agent, std::optional<std::uint64_t> started) {
  char host[256] = {};
  REQUIRE(::gethostname(host, sizeof host - 1) == 0);
  std::string header = std::string(kStartLine) +
                       "Task: survivor\nWriter: pid=" + std::to_string(writer) + " host=" + host +
                       " protocol=1.1\nAgent: pid=" + std::to_string(agent) +
                       " group=" + std::to_string(agent);
  if (started) header += " started=" + std::to_string(*started);
  return header + "\n";
}

TEST_CASE("an agent its writer left running is followed until it exits", "[watcher][process]") {
  TempDir dir;
  const auto path = dir / "survivor.out";
  ShellProcess agent("exec tail -f /dev/null");
  const std::optional<std::uint64_t> started = bgagent::detail::processStartTicks(agent.pid());
  REQUIRE(started);
  // The writer has exited, and is reaped, before the wait begins: only the agent runs on.
  ShellProcess writer("exit 0");
  writer.reap();
  const std::string header = survivorHeader(writer.pid(), agent.pid(), started);
  writeFile(path, header);
  Watcher watcher;
  ReadProgress progress;
  WaitOptions options;
  options.onUpdate = progress.observer();
  PendingOutcome pending(watcher, path, options);
  progress.waitForBytes(header.size());
  // Still watched after the writer's exit was seen: the agent's progress arrives.
  const std::string more = "[PROGRESS] 1/2 still running\n";
  appendFile(path, more);
  CHECK(progress.waitForBytes(header.size() + more.size()).progress.text == "1/2 still running");
  ::kill(agent.pid(), SIGKILL);

  const WaitOutcome outcome = pending.get();
  CHECK(outcome.status == Status::Crashed);
  CHECK(outcome.error->code == ErrorCode::AgentKilled);
  CHECK(outcome.error->message == "output file '" + path.string() + "': agent pid " +
                                      std::to_string(agent.pid()) +
                                      " (left running by writer pid " +
                                      std::to_string(writer.pid()) + ") exited without [COMPLETE]");
}

TEST_CASE("an Agent: pid that names a later process, or has no start time, is not followed",
          "[watcher][process]") {
  TempDir dir;
  const auto path = dir / "reused.out";
  ShellProcess other("exec tail -f /dev/null");
  const std::optional<std::uint64_t> started = bgagent::detail::processStartTicks(other.pid());
  REQUIRE(started);
  ShellProcess writer("exit 0");
  writer.reap();
  const bool startKnown = GENERATE(true, false);
  INFO("the Agent: line has started=: " << startKnown);
  // The agent started one tick before the process that has its pid now, or when is unknown:
  // either way the running process cannot be taken for it.
  writeFile(path,
            survivorHeader(writer.pid(), other.pid(),
                           startKnown ? std::optional<std::uint64_t>(*started - 1) : std::nullopt));
  const WaitOutcome outcome = bgagent::waitForCompletion(path, kHang);
  CHECK(outcome.status == Status::Crashed);
  CHECK_THAT(outcome.error->message,
             Catch::Matchers::Contains(startKnown ? "agent pid " + std::to_string(other.pid()) +
                                                        " (left running by writer pid " +
                                                        std::to_string(writer.pid()) + ")"
                                                  : "writer pid " + std::to_string(writer.pid()) +
                                                        " exited without [COMPLETE]"));
}

TEST_CASE("a writer that completes and exits is not reported as crashed", "[watcher][process]") {
  TempDir dir;
  const auto path = dir / "agent.out";
  {
    ShellProcess writer(
        "printf '[START] 2026-01-30T10:00:00Z\\n[COMPLETE] 2026-01-30T10:00:01Z\\n' > '" +
        path.string() + "'");
    WaitOptions options;
    options.writerPid = writer.pid();
    options.timeout = kHang;
    ::waitpid(writer.pid(), nullptr, 0);
    CHECK(bgagent::waitForCompletion(path, options).status == Status::Succeeded);
  }
}

TEST_CASE("1,000 concurrent waits are served by one watcher thread", "[watcher][scale]") {
  TempDir dir;
  const bgagent::test::ResourceCounts before;
  {
    Watcher watcher;
    std::vector<std::unique_ptr<PendingOutcome>> pending;
    for (int i = 0; i < 1000; ++i) {
      const auto path = dir / ("agent-" + std::to_string(i) + ".out");
      writeFile(path, kStartLine);
      pending.push_back(std::make_unique<PendingOutcome>(watcher, path));
    }
    CHECK(before.threadsAdded() == 1);
    for (int i = 0; i < 1000; ++i) {
      appendFile(
          dir / ("agent-" + std::to_string(i) + ".out"),
          "[RESULT] {\"success\": true, \"index\": " + std::to_string(i) + "}\n" + kCompleteLine);
    }
    for (int i = 0; i < 1000; ++i) {
      const WaitOutcome outcome = pending[static_cast<std::size_t>(i)]->get();
      REQUIRE(outcome.status == Status::Succeeded);
      REQUIRE(outcome.result().at("index") == i);
    }
    CHECK(before.threadsAdded() == 1);
  }
  CHECK_FALSE(before.leaked());
}

// Each watch asks the kernel to watch its directory, even when another watch already does. A
// request that replaced the directory's event mask left a moment with no mask, and a write in it
// then raised no event: a file completed while other agents started beside it could be missed
// for good (a watch that never settled, about one write in 300 under load). Asked here as the
// runtime's thread asks it, in a tight loop, while another thread writes 5,000 files once each.
TEST_CASE("watching a watched directory again loses no event of a write in it",
          "[watcher][inotify]") {
  TempDir dir;
  constexpr int kFiles = 5000;
  const auto pathOf = [&dir](int i) { return dir / ("agent-" + std::to_string(i) + ".out"); };
  for (int i = 0; i < kFiles; ++i) writeFile(pathOf(i), "");
  bgagent::detail::InotifyWatch inotify;
  REQUIRE(inotify.available());
  REQUIRE(inotify.addDirectory(dir.path().string()) >= 0);
  int failedAdds = 0;
  int failedWrites = 0;
  std::atomic<bool> adding{false};
  {
    std::jthread watchingAgain([&](const std::stop_token& stop) {
      while (!stop.stop_requested()) {
        if (inotify.addDirectory(dir.path().string()) < 0) ++failedAdds;
        if (!adding.exchange(true)) adding.notify_one();
      }
    });
    adding.wait(false);  // the writes start once the requests do
    for (int i = 0; i < kFiles; ++i) {
      const bgagent::detail::UniqueFd file(::open(pathOf(i).c_str(), O_WRONLY | O_CLOEXEC));
      if (!file || ::write(file.get(), "x", 1) != 1) ++failedWrites;
    }
  }  // stopped and joined
  REQUIRE(failedAdds == 0);
  REQUIRE(failedWrites == 0);
  std::set<std::string> modified;
  bool overflowed = false;  // the queue's limit, not a lost event: the test would prove nothing
  inotify.readEvents([&](int wd, std::string_view name, std::uint32_t mask) {
    if (wd < 0 || (mask & IN_Q_OVERFLOW) != 0) overflowed = true;
    if ((mask & IN_MODIFY) != 0) modified.emplace(name);
  });
  REQUIRE_FALSE(overflowed);
  CHECK(modified.size() == static_cast<std::size_t>(kFiles));
}

namespace {

// The highest descriptor number open in this process (RLIMIT_NOFILE bounds numbers, not counts).
int highestDescriptor() {
  int highest = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    highest = std::max(highest, std::stoi(entry.path().filename().string()));
  }
  return highest;
}

// Lowers this process's descriptor limit for a scope, and puts it back. No test macro may run
// while it is low: the sanitizers' own checks need descriptors too (a pipe to probe memory).
class DescriptorLimit {
 public:
  explicit DescriptorLimit(rlim_t limit) {
    if (::getrlimit(RLIMIT_NOFILE, &saved_) != 0) return;
    rlimit lowered = saved_;
    lowered.rlim_cur = limit;
    lowered_ = ::setrlimit(RLIMIT_NOFILE, &lowered) == 0;
  }
  DescriptorLimit(const DescriptorLimit&) = delete;
  DescriptorLimit& operator=(const DescriptorLimit&) = delete;
  ~DescriptorLimit() {
    if (lowered_) ::setrlimit(RLIMIT_NOFILE, &saved_);
  }
  bool lowered() const noexcept { return lowered_; }

 private:
  rlimit saved_{};
  bool lowered_ = false;
};

// Each file i ended Succeeded with {"index": i}, after one PROGRESS read in a step of its own,
// from its start (no restart).
void checkSucceededInTwoSteps(const std::vector<std::optional<WaitOutcome>>& outcomes) {
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    INFO("file " << i);
    const std::optional<WaitOutcome>& outcome = outcomes[i];
    REQUIRE(outcome);
    REQUIRE(outcome->status == Status::Succeeded);
    CHECK(outcome->result().at("index") == i);
    CHECK(outcome->snapshot.progress.updates == 1);
    CHECK(outcome->snapshot.restarts == 0);
  }
}

}  // namespace

// Reliability issue: 3,000 watches under a 1,024-descriptor limit used to fail 1,984 of them at
// once ("cannot open: Too many open files"). A watch that finds no descriptor left reads its
// file by path instead, opening it for each read through a descriptor the watcher keeps in
// reserve, and goes on from where it was. No descriptor comes free here: the writers stay open.
TEST_CASE("watches past the descriptor limit read their files by path and all settle",
          "[watcher][scale][fault]") {
  TempDir dir;
  constexpr int kFiles = 300;
  constexpr int kRoom = 40;  // descriptors left for the watches to hold
  Watcher watcher;           // its runtime, inotify and reserve first, within the usual limit
  std::vector<bgagent::detail::UniqueFd> writers;
  for (int i = 0; i < kFiles; ++i) {
    const auto path = dir / ("agent-" + std::to_string(i) + ".out");
    writeFile(path, kStartLine);
    writers.emplace_back(::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
    REQUIRE(writers.back());
  }
  // True when every record was written whole.
  const auto writeAll = [&writers](const auto& text) {
    bool whole = true;
    for (int i = 0; i < kFiles; ++i) {
      const std::string record = text(i);
      whole = ::write(writers[static_cast<std::size_t>(i)].get(), record.data(), record.size()) ==
                  static_cast<ssize_t>(record.size()) &&
              whole;
    }
    return whole;
  };
  // Counted under a lock and waited for on a condition variable: no future, whose first use of
  // a type the sanitizers check with a descriptor of their own.
  std::mutex mutex;
  std::condition_variable changed;
  int halfway = 0;  // files whose 1/2 progress a watch has read
  int settled = 0;
  std::vector<std::optional<WaitOutcome>> outcomes(kFiles);
  WaitOptions options;
  options.onUpdate = [&](const bgagent::OutputSnapshot& snapshot) {
    if (snapshot.progress.updates != 1) return;
    std::lock_guard lock(mutex);
    ++halfway;
    changed.notify_all();
  };
  std::vector<bgagent::WatchHandle> handles;
  bool lowered = false;
  bool written = false;
  bool reachedHalfway = false;
  bool allSettled = false;
  {
    const DescriptorLimit limit(static_cast<rlim_t>(highestDescriptor() + kRoom));
    lowered = limit.lowered();
    for (int i = 0; i < kFiles; ++i) {
      handles.push_back(watcher.watch(dir / ("agent-" + std::to_string(i) + ".out"), options,
                                      [&, i](WaitOutcome outcome) {
                                        std::lock_guard lock(mutex);
                                        outcomes[static_cast<std::size_t>(i)] = std::move(outcome);
                                        ++settled;
                                        changed.notify_all();
                                      }));
    }
    // Two steps, so that a watch without a descriptor must go on from its offset.
    written = writeAll([](int) { return std::string("[PROGRESS] 1/2\n"); });
    std::unique_lock lock(mutex);
    reachedHalfway = changed.wait_for(lock, kHang, [&] { return halfway == kFiles; });
    lock.unlock();
    written = writeAll([](int i) {
                return "[RESULT] {\"success\": true, \"index\": " + std::to_string(i) + "}\n" +
                       kCompleteLine;
              }) &&
              written;
    lock.lock();
    allSettled = changed.wait_for(lock, kHang, [&] { return settled == kFiles; });
  }
  REQUIRE(lowered);
  REQUIRE(written);
  REQUIRE(reachedHalfway);
  REQUIRE(allSettled);
  std::lock_guard lock(mutex);
  checkSucceededInTwoSteps(outcomes);
}

namespace {

// How many of this process's descriptors are open on files in `directory`.
int descriptorsIn(const std::filesystem::path& directory) {
  const std::filesystem::path real = std::filesystem::canonical(directory);
  int count = 0;
  for (const auto& link : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code gone;  // the iterator's own descriptor, closed by the time it is read
    if (std::filesystem::read_symlink(link.path(), gone).parent_path() == real) ++count;
  }
  return count;
}

}  // namespace

// Performance issue: a host may watch more files than it may hold descriptors. The files read
// most recently keep theirs, up to RuntimeOptions::maxOpenOutputFiles; the others are opened
// for each read. With inotify they are read on its events (the poll interval is an hour here,
// so nothing else could settle them); polled, they cost a stat a look.
TEST_CASE("files past the open-file budget hold no descriptor and are read until they settle",
          "[watcher][scale]") {
  const bool polled = GENERATE(false, true);
  INFO((polled ? "polled" : "inotify"));
  TempDir dir;
  constexpr int kFiles = 64;
  constexpr int kBudget = 8;
  bgagent::Runtime runtime({.maxOpenOutputFiles = kBudget});
  Watcher watcher(runtime);
  if (!watcher.usesInotify()) {
    WARN("no inotify instance here: the gate below needs its events");
    return;
  }
  const auto pathOf = [&dir](int i) { return dir / ("agent-" + std::to_string(i) + ".out"); };
  for (int i = 0; i < kFiles; ++i) writeFile(pathOf(i), kStartLine);

  std::mutex mutex;
  std::condition_variable changed;
  int read = 0;     // files read once
  int halfway = 0;  // files whose 1/2 progress was read
  std::vector<std::optional<WaitOutcome>> outcomes(kFiles);
  int settled = 0;
  WaitOptions options;
  options.forcePolling = polled;
  options.pollInterval = polled ? 10ms : SteadyClock::duration(1h);
  options.onUpdate = [&](const bgagent::OutputSnapshot& snapshot) {
    std::lock_guard lock(mutex);
    if (snapshot.progress.updates == 0) ++read;
    if (snapshot.progress.updates == 1 && snapshot.status == Status::Running) ++halfway;
    changed.notify_all();
  };
  int mostOpenWhileSettling = 0;
  std::vector<bgagent::WatchHandle> handles;
  for (int i = 0; i < kFiles; ++i) {
    handles.push_back(watcher.watch(pathOf(i), options, [&, i](WaitOutcome outcome) {
      const int open = descriptorsIn(dir.path());
      std::lock_guard lock(mutex);
      mostOpenWhileSettling = std::max(mostOpenWhileSettling, open);
      outcomes[static_cast<std::size_t>(i)] = std::move(outcome);
      ++settled;
      changed.notify_all();
    }));
  }
  const auto waitUntil = [&](const int& count) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, kHang, [&] { return count == kFiles; });
  };
  REQUIRE(waitUntil(read));
  CHECK(descriptorsIn(dir.path()) == kBudget);  // the most recent, and no more

  // Two steps, so that a file without a descriptor must go on from its offset.
  for (int i = 0; i < kFiles; ++i) appendFile(pathOf(i), "[PROGRESS] 1/2\n");
  REQUIRE(waitUntil(halfway));
  CHECK(descriptorsIn(dir.path()) == kBudget);

  // Every ending read in one turn, the runtime's thread held by another watch meanwhile: the
  // watches that settle in it close their files at once, not when the turn delivers them.
  TempDir gateDir;
  writeFile(gateDir / "gate.out", kStartLine);
  std::promise<void> blocked;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  // Released however this scope ends: a failed REQUIRE must not leave the runtime's thread held
  // (its Runtime's destructor would wait for it).
  struct Release {
    std::promise<void>& promise;
    bool done = false;
    void now() {
      if (!std::exchange(done, true)) promise.set_value();
    }
    ~Release() { now(); }
  } releaseGuard{release};
  WaitOptions gateOptions;
  gateOptions.onUpdate = [&blocked, released](const bgagent::OutputSnapshot& snapshot) {
    if (snapshot.progress.updates != 1) return;  // the PROGRESS line written below
    blocked.set_value();
    released.wait();
  };
  const bgagent::WatchHandle gate =
      watcher.watch(gateDir / "gate.out", gateOptions, [](WaitOutcome) {});
  appendFile(gateDir / "gate.out", "[PROGRESS] hold\n");
  REQUIRE(blocked.get_future().wait_for(kHang) == std::future_status::ready);
  for (int i = 0; i < kFiles; ++i) {
    appendFile(pathOf(i), "[RESULT] {\"success\": true, \"index\": " + std::to_string(i) + "}\n" +
                              kCompleteLine);
  }
  releaseGuard.now();
  REQUIRE(waitUntil(settled));
  std::lock_guard lock(mutex);
  CHECK(mostOpenWhileSettling <= kBudget);
  checkSucceededInTwoSteps(outcomes);
  CHECK(descriptorsIn(dir.path()) == 0);  // closed as their watches settled
}

TEST_CASE("an inotify queue overflow is recovered by re-reading every file", "[watcher]") {
  TempDir dir;
  const std::size_t queueLimit =
      std::stoul(bgagent::test::readFile("/proc/sys/fs/inotify/max_queued_events"));
  if (queueLimit > 100'000) {
    WARN("max_queued_events is " << queueLimit << ": too many events to overflow in a test");
    return;
  }
  Watcher watcher;
  REQUIRE(watcher.usesInotify());
  const auto path = dir / "agent.out";
  writeFile(path, kStartLine);
  ReadProgress progress;
  WaitOptions options;
  options.onUpdate = progress.observer();
  PendingOutcome pending(watcher, path, options);
  progress.waitForBytes(29);  // watched and read: from here on only events wake it

  // A second watch whose first update holds the watcher's thread while the queue overflows.
  std::promise<void> blocked;
  std::promise<void> release;
  auto released = release.get_future().share();
  writeFile(dir / "gate.out", kStartLine);
  WaitOptions gateOptions;
  bool first = true;  // touched on the watcher's thread only
  gateOptions.onUpdate = [&, released](const bgagent::OutputSnapshot&) {
    if (!std::exchange(first, false)) return;
    blocked.set_value();
    released.wait();
  };
  PendingOutcome gate(watcher, dir / "gate.out", gateOptions);
  blocked.get_future().wait();

  for (std::size_t i = 0; i < queueLimit + 100; ++i) {
    writeFile(dir / ("noise-" + std::to_string(i)), "");
  }
  appendFile(path, kCompleteLine);
  release.set_value();
  CHECK(pending.get().status == Status::Succeeded);
}

TEST_CASE("destroying a watcher settles its open watches as Cancelled", "[watcher]") {
  TempDir dir;
  std::future<WaitOutcome> future;
  {
    Watcher watcher;
    auto promise = std::make_shared<std::promise<WaitOutcome>>();
    future = promise->get_future();
    watcher
        .watch(dir / "never.out", {},
               [promise](WaitOutcome outcome) { promise->set_value(std::move(outcome)); })
        .release();
  }
  REQUIRE(future.wait_for(0s) == std::future_status::ready);
  const WaitOutcome outcome = future.get();
  CHECK(outcome.status == Status::Cancelled);
  CHECK(outcome.error->message ==
        "output file '" + (dir / "never.out").string() + "': the watcher shut down");
}

TEST_CASE("a cancelled handle never calls its callback", "[watcher]") {
  TempDir dir;
  std::atomic<int> calls{0};
  {
    Watcher watcher;
    auto handle = watcher.watch(dir / "never.out", {}, [&](WaitOutcome) { calls.fetch_add(1); });
    handle.cancel();
  }
  CHECK(calls.load() == 0);
}

TEST_CASE("misuse of the watcher throws", "[watcher]") {
  Watcher watcher;
  CHECK_THROWS_AS(watcher.watch("", {}, [](WaitOutcome) {}), std::invalid_argument);
  CHECK_THROWS_AS(watcher.watch("a.out", {}, nullptr), std::invalid_argument);
  WaitOptions zero;
  zero.pollInterval = 0s;
  CHECK_THROWS_AS(watcher.watch("a.out", zero, [](WaitOutcome) {}), std::invalid_argument);
  // Cast to a pid_t these would name process 1 and "every process" (reliability issue, item 4).
  for (const std::int64_t pid : {std::int64_t{4294967297}, std::int64_t{-1}}) {
    WaitOptions outOfRange;
    outOfRange.writerPid = pid;
    CHECK_THROWS_WITH(watcher.watch("a.out", outOfRange, [](WaitOutcome) {}),
                      "bgagent: writerPid " + std::to_string(pid) + " is not a process id");
  }

  TempDir dir;
  writeFile(dir / "a.out", std::string(kStartLine) + kCompleteLine);
  std::promise<bool> threw;
  watcher
      .watch(dir / "a.out", {},
             [&](WaitOutcome) {
               try {
                 (void)bgagent::waitForCompletion(dir / "b.out", WaitOptions{}, watcher);
                 threw.set_value(false);
               } catch (const std::logic_error&) {
                 threw.set_value(true);
               }
             })
      .release();
  auto answer = threw.get_future();
  REQUIRE(answer.wait_for(kHang) == std::future_status::ready);
  CHECK(answer.get());
}

TEST_CASE("timeouts, idle timeouts and crashes end polled waits the same way",
          "[watcher][polling]") {
  TempDir dir;
  writeFile(dir / "quiet.out", kStartLine);
  WaitOptions options = polling();
  options.timeout = 150ms;
  CHECK(bgagent::waitForCompletion(dir / "quiet.out", options).status == Status::TimedOut);
  options = polling();
  options.idleTimeout = 150ms;
  CHECK(bgagent::waitForCompletion(dir / "quiet.out", options).status == Status::Stalled);

  ShellProcess writer("exec tail -f /dev/null");
  options = polling();
  options.writerPid = writer.pid();
  Watcher watcher(WatcherOptions{.forcePolling = true});
  PendingOutcome pending(watcher, dir / "quiet.out", options);
  ::kill(writer.pid(), SIGKILL);
  CHECK(pending.get().status == Status::Crashed);
}

TEST_CASE("heartbeats keep an idle wait alive", "[watcher][timing]") {
  TempDir dir;
  const auto path = dir / "beating.out";
  writeFile(path, kStartLine);
  Watcher watcher;
  ReadProgress progress;
  WaitOptions options;
  options.idleTimeout = 1s;
  options.onUpdate = progress.observer();
  PendingOutcome pending(watcher, path, options);
  std::uint64_t written = 29;
  const auto started = SteadyClock::now();
  for (int beat = 0; beat < 8; ++beat) {
    const std::string line = "[HEARTBEAT] 2026-01-30T10:00:0" + std::to_string(beat) + "Z\n";
    appendFile(path, line);
    written += line.size();
    progress.waitForBytes(written);
    std::this_thread::sleep_for(200ms);  // pacing the writer, not synchronising with it
  }
  REQUIRE(SteadyClock::now() - started > 1s);  // longer than the idle timeout in all
  appendFile(path, kCompleteLine);
  const WaitOutcome outcome = pending.get();
  CHECK(outcome.status == Status::Succeeded);
  CHECK(outcome.snapshot.heartbeats == 8);
}

// Each read moves an idle timeout, and each move queues the entry's timer again; the watcher
// drops the moved ones when they outnumber the live ones. The timers it keeps must be the
// right ones: the busy file's latest and the quiet file's only one.
TEST_CASE("idle timeouts moved by many reads, and other waits' timeouts, still end, never early",
          "[watcher][timing]") {
  TempDir dir;
  const auto busyPath = dir / "busy.out";
  writeFile(busyPath, kStartLine);
  writeFile(dir / "quiet.out", kStartLine);
  Watcher watcher;
  ReadProgress progress;
  WaitOptions busyOptions;
  busyOptions.idleTimeout = 500ms;
  busyOptions.onUpdate = progress.observer();
  PendingOutcome busy(watcher, busyPath, busyOptions);
  WaitOptions quietOptions;
  quietOptions.timeout = 300ms;
  const auto quietStarted = SteadyClock::now();
  PendingOutcome quiet(watcher, dir / "quiet.out", quietOptions);
  std::uint64_t written = 29;
  for (int line = 0; line < 200; ++line) {  // 200 moves: more than twice the live timers + 64
    const std::string text = "line " + std::to_string(line) + "\n";
    appendFile(busyPath, text);
    written += text.size();
    progress.waitForBytes(written);
  }
  const auto lastWrite = SteadyClock::now();
  const WaitOutcome quietOutcome = quiet.get();
  CHECK(quietOutcome.status == Status::TimedOut);
  CHECK(SteadyClock::now() - quietStarted >= 300ms);
  const WaitOutcome busyOutcome = busy.get();
  CHECK(busyOutcome.status == Status::Stalled);
  CHECK(SteadyClock::now() - lastWrite >= 500ms);
  CHECK(busyOutcome.snapshot.bytes == written);
}

TEST_CASE("a symlinked output path is followed to where it points", "[watcher]") {
  TempDir dir;
  std::filesystem::create_directory(dir / "real");
  std::filesystem::create_directory(dir / "links");
  writeFile(dir / "real" / "agent.out", kStartLine);
  std::filesystem::create_symlink(dir / "real" / "agent.out", dir / "links" / "agent.out");
  Watcher watcher;
  ReadProgress progress;
  WaitOptions options;
  options.onUpdate = progress.observer();
  PendingOutcome pending(watcher, dir / "links" / "agent.out", options);
  progress.waitForBytes(29);
  appendFile(dir / "real" / "agent.out", kCompleteLine);
  CHECK(pending.get().status == Status::Succeeded);
}

TEST_CASE("a file that grows and is then replaced in one turn is read from the new file",
          "[watcher]") {
  TempDir dir;
  const auto path = dir / "agent.out";
  writeFile(path, kStartLine);
  Watcher watcher;
  ReadProgress progress;
  WaitOptions options;
  options.onUpdate = progress.observer();
  PendingOutcome pending(watcher, path, options);
  progress.waitForBytes(29);

  // Hold the watcher's thread in another watch's callback while both changes happen.
  std::promise<void> blocked;
  std::promise<void> release;
  auto released = release.get_future().share();
  writeFile(dir / "gate.out", kStartLine);
  WaitOptions gateOptions;
  gateOptions.onUpdate = [&blocked, released](const bgagent::OutputSnapshot&) {
    blocked.set_value();
    released.wait();
  };
  PendingOutcome gate(watcher, dir / "gate.out", gateOptions);
  blocked.get_future().wait();
  appendFile(path, "old output\n");
  writeFile(dir / "next.out", std::string(kStartLine) + kCompleteLine);
  std::filesystem::rename(dir / "next.out", path);
  release.set_value();

  const WaitOutcome outcome = pending.get();
  CHECK(outcome.status == Status::Succeeded);
  CHECK(outcome.snapshot.restarts == 1);
}

TEST_CASE("a throwing callback fails its own watch and no other", "[watcher]") {
  TempDir dir;
  writeFile(dir / "a.out", kStartLine);
  writeFile(dir / "b.out", std::string(kStartLine) + kCompleteLine);
  Watcher watcher;
  WaitOptions throwing;
  throwing.onUpdate = [](const bgagent::OutputSnapshot&) { throw std::runtime_error("oops"); };
  PendingOutcome failed(watcher, dir / "a.out", throwing);
  const WaitOutcome outcome = failed.get();
  CHECK(outcome.status == Status::Failed);
  CHECK(outcome.error->code == ErrorCode::Internal);
  CHECK(outcome.error->message ==
        "output file '" + (dir / "a.out").string() + "': the onUpdate callback threw: oops");

  watcher.watch(dir / "b.out", {}, [](WaitOutcome) { throw std::runtime_error("ignored"); })
      .release();
  CHECK(PendingOutcome(watcher, dir / "b.out").get().status == Status::Succeeded);
}

TEST_CASE("callbacks may start watches and stop other waits", "[watcher]") {
  TempDir dir;
  writeFile(dir / "first.out", std::string(kStartLine) + kCompleteLine);
  writeFile(dir / "second.out", std::string(kStartLine) + kCompleteLine);
  writeFile(dir / "stoppable.out", kStartLine);
  Watcher watcher;
  std::stop_source stop;
  WaitOptions stoppableOptions;
  stoppableOptions.stopToken = stop.get_token();
  PendingOutcome stoppable(watcher, dir / "stoppable.out", stoppableOptions);

  auto second = std::make_shared<std::promise<WaitOutcome>>();
  watcher
      .watch(dir / "first.out", {},
             [&watcher, &dir, &stop, second](WaitOutcome) {
               stop.request_stop();
               watcher
                   .watch(dir / "second.out", {},
                          [second](WaitOutcome outcome) { second->set_value(std::move(outcome)); })
                   .release();
             })
      .release();
  auto secondOutcome = second->get_future();
  REQUIRE(secondOutcome.wait_for(kHang) == std::future_status::ready);
  CHECK(secondOutcome.get().status == Status::Succeeded);
  CHECK(stoppable.get().status == Status::Cancelled);
}

TEST_CASE("a watch started by a callback during shutdown still gets its callback once",
          "[watcher]") {
  TempDir dir;
  std::atomic<int> inner{0};
  {
    Watcher watcher;
    watcher
        .watch(dir / "never.out", {},
               [&watcher, &dir, &inner](WaitOutcome) {
                 watcher
                     .watch(dir / "also-never.out", {},
                            [&inner](WaitOutcome outcome) {
                              if (outcome.status == Status::Cancelled) inner.fetch_add(1);
                            })
                     .release();
               })
        .release();
  }
  CHECK(inner.load() == 1);
}

TEST_CASE("a watch asked of a runtime that has shut down settles Cancelled at once, handle empty",
          "[watcher]") {
  TempDir dir;
  bgagent::Runtime runtime;
  runtime.shutdown();
  Watcher watcher(runtime);
  std::optional<WaitOutcome> settled;
  const std::thread::id caller = std::this_thread::get_id();
  std::thread::id settledOn;
  bgagent::WatchHandle handle =
      watcher.watch(dir / "late.out", {}, [&settled, &settledOn](WaitOutcome outcome) {
        settledOn = std::this_thread::get_id();
        settled = std::move(outcome);
      });
  REQUIRE(settled.has_value());  // at once, on this thread: nobody is left to settle it later
  CHECK(settledOn == caller);
  CHECK(settled->status == Status::Cancelled);
  CHECK(settled->error->code == ErrorCode::Cancelled);
  CHECK(handle.id() == 0);
  handle.cancel();  // an empty handle has nothing to end
}
