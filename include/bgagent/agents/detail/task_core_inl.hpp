// SPDX-License-Identifier: MIT
// bgagent/agents/detail/task_core_inl.hpp: the bodies of task_core.hpp's functions (inline in
// header-only mode, built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/agents/detail/task_core.hpp>
// What the bodies use besides their header:
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace bgagent::detail {

BGAGENT_INLINE std::uint64_t nextTaskId() noexcept {
  static std::atomic<std::uint64_t> lastId{0};
  return lastId.fetch_add(1, std::memory_order_relaxed) + 1;
}

BGAGENT_INLINE TaskCore::~TaskCore() {
  if (watchSettled.load(std::memory_order_acquire)) watch.release();
}

BGAGENT_INLINE void TaskCore::update(const OutputSnapshot& latest) {
  std::lock_guard lock(mutex);
  const bool progressed = latest.progress.updates != snapshot.progress.updates;
  snapshot = latest;
  const SteadyClock::time_point now = SteadyClock::now();
  lastOutputAt = now;  // called for new bytes only: output or a HEARTBEAT
  // Reported under the lock, so an observer that subscribes meanwhile (subscribe() reads the
  // status under it) sees each change once.
  if (status == Status::Pending && latest.status != Status::Pending) {
    status = Status::Running;
    runningAt = now;
    reportStarted();
  }
  if (progressed) {
    progressAt = now;
    reportProgressEvent();
  }
}

BGAGENT_INLINE void TaskCore::requestStop(EndReason reason) {
  if (control->tryRecordEnd(reason)) {
    // Under the lock, as subscribe() catches up: a subscriber added now sees the request.
    std::lock_guard lock(mutex);
    if (!settledAt) {
      control->events.report("cancelRequested", [&] {
        nlohmann::json fields;
        fields["reason"] = toString(reason);
        return withElapsed(std::move(fields));
      });
    }
  }
  if (stopAgent) stopAgent(reason);
}

BGAGENT_INLINE void TaskCore::recordEvent(std::string_view kind, nlohmann::json fields) {
  std::lock_guard lock(mutex);
  control->events.reportAndKeep(kind, withElapsed(std::move(fields)));
}

BGAGENT_INLINE void TaskCore::reportProgress(std::string text, std::size_t done,
                                             std::size_t total) {
  std::lock_guard lock(mutex);
  snapshot.progress.text = std::move(text);
  snapshot.progress.percent =
      total == 0 ? 100.0 : 100.0 * static_cast<double>(done) / static_cast<double>(total);
  ++snapshot.progress.updates;
  progressAt = SteadyClock::now();
  reportProgressEvent();
}

BGAGENT_INLINE bool TaskCore::settledWithoutWatch() const {
  std::lock_guard lock(mutex);
  return settledAt.has_value() && !watchSettled.load(std::memory_order_acquire);
}

BGAGENT_INLINE void TaskCore::whenSettled(std::function<void()> continuation) {
  // A parent's task in a forked child never settles here: the continuation runs now, and
  // its wait() reports why (Task::wait), rather than a combined task waiting forever. Its
  // mutex is not taken: a parent's thread may have held it at the fork.
  if (ownerPid != currentPid().load(std::memory_order_relaxed)) {
    continuation();
    return;
  }
  {
    std::lock_guard lock(mutex);
    if (!settledAt) {
      continuations.push_back(std::move(continuation));
      return;
    }
  }
  continuation();
}

BGAGENT_INLINE TaskCoreSample TaskCore::sample() const {
  std::lock_guard lock(mutex);
  const SteadyClock::time_point now = SteadyClock::now();
  TaskCoreSample taken{status, settledAt.value_or(now) - startedAt, snapshot.progress, {}};
  if (lastOutputAt) taken.silentFor = now - *lastOutputAt;
  return taken;
}

BGAGENT_INLINE std::uint64_t TaskCore::subscribe(const TaskEvents::Listener& listener) {
  std::lock_guard lock(mutex);
  // As its own report would have said: an agent once its file was read with a START (a task
  // that failed to launch never was); a combined task (no watch of its own) from creation.
  const bool combined = watchId.load(std::memory_order_acquire) == 0;
  const bool started = stopAgent && (combined ? status != Status::Pending : runningAt.has_value());
  // Listened to even once settled: its agent may run on, and be killed later.
  return control->events.listen(listener, [&](const std::vector<TaskEvents::KeptEvent>& kept) {
    if (started) listener("started", startedFields());
    for (const TaskEvents::KeptEvent& event : kept) {
      if (!event.afterEnd) listener(event.kind, event.fields);
    }
    if (snapshot.progress.updates > 0) listener("progress", progressFields());
    if (!settledAt) return;
    listener("settled", settledFields());
    for (const TaskEvents::KeptEvent& event : kept) {
      if (event.afterEnd) listener(event.kind, event.fields);
    }
  });
}

BGAGENT_INLINE nlohmann::json TaskCore::withElapsed(
    nlohmann::json fields, std::optional<SteadyClock::time_point> at) const {
  const SteadyClock::time_point until = at.value_or(settledAt.value_or(SteadyClock::now()));
  fields["elapsedMs"] =
      std::chrono::duration_cast<std::chrono::milliseconds>(until - startedAt).count();
  return fields;
}

BGAGENT_INLINE nlohmann::json TaskCore::startedFields() const {
  // A combined task runs from its creation.
  nlohmann::json fields;
  fields["description"] = description;
  fields["outputFile"] = outputPath.string();
  return withElapsed(std::move(fields), runningAt.value_or(startedAt));
}

BGAGENT_INLINE nlohmann::json TaskCore::progressFields() const {
  nlohmann::json fields;
  fields["text"] = snapshot.progress.text;
  fields["percent"] = snapshot.progress.percent ? nlohmann::json(*snapshot.progress.percent)
                                                : nlohmann::json(nullptr);
  return withElapsed(std::move(fields), progressAt);
}

BGAGENT_INLINE nlohmann::json TaskCore::settledFields() const {
  nlohmann::json fields;
  fields["status"] = toString(status);
  fields["outputFile"] = outputPath.string();
  if (settledError) {
    fields["error"]["code"] = toString(settledError->code);
    fields["error"]["message"] = settledError->message;
  }
  return withElapsed(std::move(fields));
}

BGAGENT_INLINE void TaskCore::reportStarted() {
  control->events.report("started", [&] { return startedFields(); });
}

BGAGENT_INLINE void TaskCore::reportProgressEvent() {
  control->events.report("progress", [&] { return progressFields(); });
}

BGAGENT_INLINE void TaskCore::reportSettled() {
  control->events.reportEnd("settled", [&] { return settledFields(); });
}

}  // namespace bgagent::detail
