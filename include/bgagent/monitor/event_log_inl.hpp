// SPDX-License-Identifier: MIT
// bgagent/monitor/event_log_inl.hpp: the bodies of event_log.hpp's functions (inline in
// header-only mode, built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/monitor/event_log.hpp>
// What the bodies use besides their header:
#include <fcntl.h>

#include <bgagent/core/detail/syscall.hpp>
#include <bgagent/core/detail/system_message.hpp>
#include <bgagent/protocol/detail/timestamp.hpp>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace bgagent {

BGAGENT_INLINE EventLog::EventLog(const std::filesystem::path& path) : path_(path.string()) {
  file_ = detail::UniqueFd(
      detail::openFile(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!file_) {
    const int errorNumber = errno;
    throw Exception(
        Error{errorCodeFor(errorNumber),
              "event log '" + path_ + "': cannot open it: " + detail::systemMessage(errorNumber),
              path_, 0, errorNumber});
  }
  startWriter();
}

BGAGENT_INLINE EventLog::EventLog(std::function<void(std::string_view line)> sink)
    : sink_(std::move(sink)) {
  if (!sink_) throw std::invalid_argument("bgagent: EventLog needs a sink");
  startWriter();
}

BGAGENT_INLINE EventLog::~EventLog() {
  std::vector<TaskSubscription> subscriptions;
  {
    std::lock_guard lock(mutex_);
    subscriptions.swap(subscriptions_);
  }
  subscriptions.clear();   // each ends: no listener runs after this
  writer_.request_stop();  // it drains the queue first
  writer_.join();
}

BGAGENT_INLINE void EventLog::add(std::string name, const TaskView& task) {
  // The catch-up and the task's own reports are ordered by the task: each event is written
  // once, either in the catch-up or by the listener.
  TaskSubscription subscription = task.subscribe(
      [this, taskId = task.id(), name](std::string_view kind, const nlohmann::json& fields) {
        enqueue(taskId, name, kind, fields);
      });
  std::lock_guard lock(mutex_);
  subscriptions_.push_back(std::move(subscription));
}

BGAGENT_INLINE void EventLog::flush() const {
  if (std::this_thread::get_id() == writer_.get_id()) return;
  std::unique_lock lock(mutex_);
  const std::uint64_t target = queuedTotal_;
  drained_.wait(lock, [&] { return handled_ >= target; });
}

BGAGENT_INLINE std::optional<Error> EventLog::error() const {
  std::lock_guard lock(mutex_);
  if (!error_) return std::nullopt;
  Error reported = *error_;
  reported.message += " (" + std::to_string(lostEvents_) +
                      (lostEvents_ == 1 ? " event" : " events") + " not written)";
  return reported;
}

BGAGENT_INLINE void EventLog::startWriter() {
  writer_ = std::jthread([this](const std::stop_token& stop) { writeQueued(stop); });
}

BGAGENT_INLINE void EventLog::enqueue(std::uint64_t taskId, const std::string& name,
                                      std::string_view kind, const nlohmann::json& fields) {
  // "time", "task", "name" and "event" lead, in this order, then the event's own fields (one
  // that repeats a leading name is left out). Written as text: no second, insertion-ordered
  // JSON type to instantiate. An agent's progress text may not be valid UTF-8: replaced, never
  // a throw. Keys are the library's own ASCII names: nothing to escape.
  const auto member = [](std::string_view key, const nlohmann::json& value) {
    return ",\"" + std::string(key) +
           "\":" + value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  std::string tail = member("task", taskId) + member("name", name) + member("event", kind);
  for (const auto& [key, value] : fields.items()) {
    if (key != "time" && key != "task" && key != "name" && key != "event") {
      tail += member(key, value);
    }
  }
  tail += '}';
  {
    // Timestamped under the lock, so the queue (and the file) is in time order.
    std::lock_guard lock(mutex_);
    queue_.push_back("{\"time\":\"" + detail::formatTimestamp(std::chrono::system_clock::now()) +
                     '"' + tail);
    ++queuedTotal_;
  }
  queued_.notify_one();
}

BGAGENT_INLINE void EventLog::writeQueued(const std::stop_token& stop) {
  std::unique_lock lock(mutex_);
  while (queued_.wait(lock, stop, [this] { return !queue_.empty(); })) {
    std::deque<std::string> batch;
    batch.swap(queue_);
    const bool failed = error_.has_value();
    lock.unlock();
    std::size_t written = 0;
    std::optional<Error> failure;
    if (!failed) {
      for (std::string& text : batch) {
        failure = writeLine(std::move(text));
        if (failure) break;
        ++written;
      }
    }
    lock.lock();
    if (failure && !error_) error_ = std::move(failure);
    lostEvents_ += batch.size() - written;
    handled_ += batch.size();
    drained_.notify_all();
  }
}

BGAGENT_INLINE std::optional<Error> EventLog::writeLine(std::string text) {
  if (sink_) {
    try {
      sink_(text);
    } catch (const std::exception& exception) {
      return Error::of(ErrorCode::Io,
                       std::string("event log: the sink threw: ") + exception.what());
    } catch (...) {
      return Error::of(ErrorCode::Io, "event log: the sink threw");
    }
    return std::nullopt;
  }
  text += '\n';
  for (std::size_t written = 0; written < text.size();) {
    const ssize_t count =
        detail::writeSome(file_.get(), text.data() + written, text.size() - written);
    if (count <= 0) {
      const int errorNumber = count < 0 ? errno : EIO;
      // Later lines would follow a cut one: the log stops here (this line may stay cut).
      return Error{errorCodeFor(errorNumber),
                   "event log '" + path_ + "': write failed: " + detail::systemMessage(errorNumber),
                   path_, 0, errorNumber};
    }
    written += static_cast<std::size_t>(count);
  }
  return std::nullopt;
}

}  // namespace bgagent
