// SPDX-License-Identifier: MIT
// bgagent/monitor/event_log.hpp: a job log, one JSON object per line, of what happens to the tasks
// a host adds: started, progress, attempt, cancelRequested, killed, settled.
//
// Owns: EventLog. The threads that see events (the runtime's, the caller of retry(), a thread
// that cancels a task) only queue a line, timestamped; the log's own writer thread
// writes each with one write() to a file opened for appending (or hands it to a host's sink),
// holding no lock of the library's, so a slow disk or sink never holds up a task. Every line has
// "time" (UTC, milliseconds), "task" (Task::id()), "name" (as added), "event" and "elapsedMs"
// (since the task was launched), then the event's own fields (docs/dashboard.md has the table).
// Thread safety: add(), flush() and error() may be called from any thread; the sink is called
// from the writer thread only, one line at a time.
// Lifetime: a task may outlive the log. The destructor stops listening, writes what is queued,
// and joins the writer.
// Errors: a file that cannot be opened throws bgagent::Exception naming it; a write that fails
// later (a full disk) stops the log, and error() says which file, why, and how many events
// were not written.
// Example:
//   bgagent::EventLog log("jobs.jsonl");
//   log.add("unit tests", unitTests);
#pragma once

#include <bgagent/agents/task.hpp>
#include <bgagent/agents/task_view.hpp>
#include <bgagent/core/detail/unique_fd.hpp>
#include <bgagent/core/error.hpp>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace bgagent {

/// A JSON-lines job log of what happens to the tasks added (started, progress, attempt,
/// cancelRequested, killed, settled), written by a thread of its own to a file or a sink.
class EventLog {
 public:
  /// Appends to `path`, creating it (mode 0600) if needed. Throws bgagent::Exception naming the
  /// file when it cannot be opened.
  explicit EventLog(const std::filesystem::path& path);

  /// Hands each line (one JSON object, without the newline) to `sink`, for a host that sends
  /// events elsewhere. The sink runs on the log's writer thread, one line at a time; if it
  /// throws, the log stops and error() says so.
  explicit EventLog(std::function<void(std::string_view line)> sink);

  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;
  EventLog(EventLog&&) = delete;
  EventLog& operator=(EventLog&&) = delete;

  /// Stops listening to every task, writes every line already queued, and joins the writer
  /// (which waits for the file's write(), or for the sink to return).
  ~EventLog();

  /// Logs `task`'s events under `name` from now on. A task added late is caught up first: its
  /// "started" (if it has started), its attempts, its latest "progress", its "settled" and any
  /// kill of its agent after that, each written now with its own elapsedMs.
  template <typename T>
  void add(std::string name, const Task<T>& task) {
    if (!task.valid()) throw std::invalid_argument("bgagent: EventLog::add() of an empty Task");
    add(std::move(name), TaskView(task));
  }

  /// As add(name, task), for a task seen through a view.
  void add(std::string name, const TaskView& task);

  /// Waits until every event reported before the call has been written (or found unwritable).
  /// From the sink itself (the writer thread) it returns at once.
  void flush() const;

  /// The first failure to write (naming the file and the system's words, with how many events
  /// were lost since), or nothing while every event was written. Call flush() first to count
  /// the events reported so far.
  std::optional<Error> error() const;

 private:
  void startWriter();

  // On the reporting thread, with the task's lock held: format and queue, no I/O.
  void enqueue(std::uint64_t taskId, const std::string& name, std::string_view kind,
               const nlohmann::json& fields);

  // The writer thread: takes what is queued and writes it with no lock held; on a stop request
  // it writes what is left, then ends.
  void writeQueued(const std::stop_token& stop);

  std::optional<Error> writeLine(std::string text);

  std::string path_;
  detail::UniqueFd file_;
  std::function<void(std::string_view)> sink_;
  mutable std::mutex mutex_;
  std::condition_variable_any queued_;
  mutable std::condition_variable drained_;
  std::deque<std::string> queue_;                // guarded by mutex_
  std::uint64_t queuedTotal_ = 0;                // guarded by mutex_
  std::uint64_t handled_ = 0;                    // written or lost; guarded by mutex_
  std::optional<Error> error_;                   // guarded by mutex_
  std::uint64_t lostEvents_ = 0;                 // guarded by mutex_
  std::vector<TaskSubscription> subscriptions_;  // guarded by mutex_
  std::jthread writer_;                          // last: it uses everything above
};

}  // namespace bgagent

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/monitor/event_log_inl.hpp>
#endif
