// bgagent/event_log.hpp: a job log, one JSON object per line, of what happens to the tasks a
// host adds: started, progress, attempt, cancelRequested, killed, settled.
//
// Owns: EventLog. Each line is written as it happens, by the thread that saw it, with one
// write() to a file opened for appending (or handed to a host's own sink), so a reader tailing
// the file sees whole lines in time order. Every line has "time" (UTC, milliseconds), "task"
// (Task::id()), "name" (as added), "event" and "elapsedMs" (since the task was launched), then
// the event's own fields (docs/dashboard.md has the table).
// Thread safety: add() may be called from any thread; events arrive from the watcher's, the
// supervisor's and the timer's threads, and from threads that cancel tasks.
// Lifetime: a task may outlive the log; once the destructor returns no event is written.
// Errors: a file that cannot be opened throws bgagent::Exception naming it; a write that fails
// later (a full disk) stops the log, and error() says which file, why, and how many events
// were not written.
// Example:
//   bgagent::EventLog log("jobs.jsonl");
//   log.add("unit tests", unitTests);
#pragma once

#include <fcntl.h>

#include <bgagent/detail/file_error.hpp>
#include <bgagent/detail/syscall.hpp>
#include <bgagent/detail/timestamp.hpp>
#include <bgagent/detail/unique_fd.hpp>
#include <bgagent/error.hpp>
#include <bgagent/task.hpp>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bgagent {

class EventLog {
 public:
  /// Appends to `path`, creating it (mode 0600) if needed. Throws bgagent::Exception naming the
  /// file when it cannot be opened.
  explicit EventLog(const std::filesystem::path& path) : path_(path.string()) {
    file_ = detail::UniqueFd(
        detail::openFile(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    if (!file_) {
      const int errorNumber = errno;
      throw Exception(
          Error{detail::codeForErrno(errorNumber),
                "event log '" + path_ + "': cannot open it: " + detail::systemMessage(errorNumber),
                path_, 0, errorNumber});
    }
  }

  /// Hands each line (one JSON object, without the newline) to `sink`, for a host that sends
  /// events elsewhere. The sink runs on the reporting thread and must be quick; if it throws,
  /// the log stops and error() says so.
  explicit EventLog(std::function<void(std::string_view line)> sink) : sink_(std::move(sink)) {
    if (!sink_) throw std::invalid_argument("bgagent: EventLog needs a sink");
  }

  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;
  EventLog(EventLog&&) = delete;
  EventLog& operator=(EventLog&&) = delete;

  /// Stops listening to every task: once it returns, no event is being written or will be.
  ~EventLog() {
    std::vector<Subscription> subscriptions;
    {
      std::lock_guard lock(mutex_);
      subscriptions.swap(subscriptions_);
    }
    for (const Subscription& subscription : subscriptions) {
      if (auto control = subscription.control.lock())
        control->events.stopListening(subscription.id);
    }
  }

  /// Logs `task`'s events under `name` from now on. A task added late is caught up first: its
  /// "started" (if it has started), its attempts, its latest "progress" and its "settled", each
  /// written now with its own elapsedMs.
  template <typename T>
  void add(std::string name, const Task<T>& task) {
    const std::shared_ptr<detail::TaskState<T>>& state = detail::TaskAccess::state(task);
    if (!state) throw std::invalid_argument("bgagent: EventLog::add() of an empty Task");
    // Under the task's lock, which its own reports hold too: each event is written once, either
    // here or by the listener.
    std::lock_guard stateLock(state->mutex);
    // A task that failed to launch has no way to be stopped: it never started.
    const bool started = state->status != TaskStatus::Pending && state->stopAgent;
    if (started) write(state->id, name, "started", state->startedFields());
    for (const auto& [kind, fields] : state->control->events.kept()) {
      write(state->id, name, kind, fields);
    }
    if (state->snapshot.progress.updates > 0) {
      write(state->id, name, "progress", state->progressFields());
    }
    if (state->outcome) {
      write(state->id, name, "settled", state->settledFields());
      return;
    }
    const std::uint64_t id = state->control->events.listen(
        [this, taskId = state->id, name](std::string_view kind, const nlohmann::json& fields) {
          write(taskId, name, kind, fields);
        });
    std::lock_guard lock(mutex_);
    subscriptions_.push_back({state->control, id});
  }

  /// The first failure to write (naming the file and the system's words, with how many events
  /// were lost since), or nothing while every event was written.
  std::optional<Error> error() const {
    std::lock_guard lock(mutex_);
    if (!error_) return std::nullopt;
    Error reported = *error_;
    reported.message += " (" + std::to_string(lostEvents_) +
                        (lostEvents_ == 1 ? " event" : " events") + " not written)";
    return reported;
  }

 private:
  struct Subscription {
    std::weak_ptr<detail::AgentControl> control;
    std::uint64_t id = 0;
  };

  void write(std::uint64_t taskId, const std::string& name, std::string_view kind,
             const nlohmann::json& fields) {
    std::lock_guard lock(mutex_);
    if (error_) {
      ++lostEvents_;
      return;
    }
    // Timestamped under the lock, so the lines are in time order.
    nlohmann::ordered_json line{{"time", detail::formatTimestamp(std::chrono::system_clock::now())},
                                {"task", taskId},
                                {"name", name},
                                {"event", kind}};
    for (const auto& [key, value] : fields.items()) line[key] = value;
    // An agent's progress text may not be valid UTF-8: replaced, never a throw.
    std::string text = line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    if (sink_) {
      try {
        sink_(text);
      } catch (const std::exception& exception) {
        fail(Error{ErrorCode::Io, std::string("event log: the sink threw: ") + exception.what(), "",
                   0, 0});
      } catch (...) {
        fail(Error{ErrorCode::Io, "event log: the sink threw", "", 0, 0});
      }
      return;
    }
    text += '\n';
    for (std::size_t written = 0; written < text.size();) {
      const ssize_t count =
          detail::writeSome(file_.get(), text.data() + written, text.size() - written);
      if (count <= 0) {
        const int errorNumber = count < 0 ? errno : EIO;
        // A line cut short would run into the next one: the log stops here.
        fail(Error{detail::codeForErrno(errorNumber),
                   "event log '" + path_ + "': write failed: " + detail::systemMessage(errorNumber),
                   path_, 0, errorNumber});
        return;
      }
      written += static_cast<std::size_t>(count);
    }
  }

  void fail(Error error) {  // with mutex_ held
    error_ = std::move(error);
    lostEvents_ = 1;
  }

  std::string path_;
  detail::UniqueFd file_;
  std::function<void(std::string_view)> sink_;
  mutable std::mutex mutex_;
  std::optional<Error> error_;               // guarded by mutex_
  std::uint64_t lostEvents_ = 0;             // guarded by mutex_
  std::vector<Subscription> subscriptions_;  // guarded by mutex_
};

}  // namespace bgagent
