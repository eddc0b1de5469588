// SPDX-License-Identifier: MIT
// bgagent/monitor/dashboard_inl.hpp: the bodies of dashboard.hpp's functions (inline in
// header-only mode, built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/monitor/dashboard.hpp>
// What the bodies use besides their header:
#include <poll.h>

#include <algorithm>
#include <bgagent/core/detail/duration_text.hpp>
#include <bgagent/monitor/detail/display_width.hpp>
#include <bgagent/monitor/detail/interrupt_guard.hpp>
#include <bgagent/monitor/detail/terminal.hpp>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bgagent {

BGAGENT_INLINE Dashboard::Dashboard(DashboardOptions options)
    : options_(options), wake_(std::make_shared<detail::WakeFd>()) {}

BGAGENT_INLINE void Dashboard::add(std::string name, const TaskView& task) {
  Entry entry;
  entry.sample = [name = std::move(name), task, stalledAfter = options_.stalledAfter] {
    TaskSample now = task.sample();
    const bool stalled =
        now.status == Status::Running && now.silentFor && *now.silentFor >= stalledAfter;
    return DashboardRow{name, stalled ? Status::Stalled : now.status, now.duration,
                        std::move(now.progress), task.outputPath()};
  };
  entry.cancel = [task] { task.cancel(); };
  {
    std::lock_guard lock(mutex_);
    entries_.push_back(std::move(entry));
  }
  // A settling task wakes display() at once, so the last frame does not wait for the pace.
  task.whenSettled([wake = std::weak_ptr<detail::WakeFd>(wake_)] {
    if (auto alive = wake.lock()) alive->wake();
  });
}

BGAGENT_INLINE std::vector<DashboardRow> Dashboard::rows() const {
  std::vector<DashboardRow> sampled;
  std::lock_guard lock(mutex_);
  sampled.reserve(entries_.size());
  for (const Entry& entry : entries_) sampled.push_back(entry.sample());
  return sampled;
}

BGAGENT_INLINE nlohmann::json Dashboard::toJson() const {
  const std::vector<DashboardRow> now = rows();  // one sample for the list and the summary
  nlohmann::json tasks = nlohmann::json::array();
  for (const DashboardRow& row : now) {
    nlohmann::json& task = tasks.emplace_back();
    task["name"] = row.name;
    task["status"] = toString(row.status);
    task["durationMs"] =
        std::chrono::duration_cast<std::chrono::milliseconds>(row.duration).count();
    task["progress"] = row.progress.text;
    task["percent"] =
        row.progress.percent ? nlohmann::json(*row.progress.percent) : nlohmann::json(nullptr);
    task["outputFile"] = row.outputPath.string();
  }
  nlohmann::json snapshot;
  snapshot["tasks"] = std::move(tasks);
  snapshot["summary"] = detail::summaryLine(now);
  return snapshot;
}

BGAGENT_INLINE void Dashboard::display(std::FILE* out, const std::stop_token& stop) const {
  const bool live = options_.mode == DisplayMode::Live ||
                    (options_.mode == DisplayMode::Automatic && detail::isTerminal(out));
  std::fflush(out);  // the guard's handler writes to the descriptor, past stdio's buffer
  detail::InterruptGuard interrupts(options_.cancelOnInterrupt, wake_->get());
  {
    // Hidden only when a handler can show it again, whatever ends the program; shown again
    // however display() ends. The handler learns of it once the hide is out, never before.
    const detail::HiddenCursor cursor(out, live && interrupts.owner());
    if (live) interrupts.showCursorOnSignal(::fileno(out));
    std::stop_callback wakeOnStop(stop, [wake = wake_] { wake->wake(); });
    std::size_t linesDrawn = 0;
    std::vector<std::string_view> lastStatus;
    bool cancelling = false;
    while (true) {
      if (interrupts.caught() != 0 && !cancelling) {
        cancelAll();
        cancelling = true;
      }
      const std::vector<DashboardRow> now = rows();
      const bool done =
          std::all_of(now.begin(), now.end(),
                      [](const DashboardRow& row) { return isSettled(row.status); }) ||
          (stop.stop_requested() && !cancelling);
      if (live) {
        std::fputs(liveFrame(now, out, linesDrawn).c_str(), out);
      } else {
        std::string lines = plainChanges(now, lastStatus);
        if (done) lines += detail::summaryLine(now) + "\n";
        std::fputs(lines.c_str(), out);
      }
      std::fflush(out);
      if (done) break;
      waitForChange();
    }
  }
  interrupts.restoreAndRaise(options_.onInterrupt);
}

BGAGENT_INLINE void Dashboard::cancelAll() const {
  std::vector<std::function<void()>> cancels;
  {
    std::lock_guard lock(mutex_);
    for (const Entry& entry : entries_) cancels.push_back(entry.cancel);
  }
  for (const auto& cancel : cancels) cancel();
}

BGAGENT_INLINE void Dashboard::waitForChange() const {
  pollfd wakeUp{wake_->get(), POLLIN, 0};
  // At least 1 ms (never a busy loop), at most a day (poll takes an int).
  const auto milliseconds =
      std::clamp<std::chrono::milliseconds::rep>(options_.refreshInterval.count(), 1, 86'400'000);
  if (::poll(&wakeUp, 1, static_cast<int>(milliseconds)) > 0) wake_->drain();
}

BGAGENT_INLINE std::string Dashboard::liveFrame(const std::vector<DashboardRow>& rows,
                                                std::FILE* out, std::size_t& linesDrawn) const {
  const std::optional<detail::TerminalSize> terminal = detail::terminalSize(out);
  const std::size_t width = options_.width.value_or(terminal ? terminal->columns : 100);
  std::size_t height = std::numeric_limits<std::size_t>::max();
  if (options_.height) {
    height = *options_.height;
  } else if (terminal && terminal->rows > 0) {
    height = std::max<std::size_t>(terminal->rows - 1, 1);
  }
  std::string frame;
  // Back to the top of the last frame, then each line cleared and drawn again, and whatever
  // a taller last frame left below cleared: the table stays in place instead of scrolling.
  if (linesDrawn > 0) frame += detail::cursorUp(linesDrawn);
  const bool colour = detail::colourAllowed();
  linesDrawn = 0;
  for (const detail::TableLine& line : detail::tableLines(rows, width, height)) {
    frame += detail::kClearLine;
    frame += colour ? detail::colourStatus(line.text, line.statusAt, line.status) : line.text;
    frame += "\n";
    ++linesDrawn;
  }
  frame += detail::kClearBelow;
  return frame;
}

BGAGENT_INLINE std::string Dashboard::plainChanges(const std::vector<DashboardRow>& rows,
                                                   std::vector<std::string_view>& lastStatus) {
  std::string lines;
  lastStatus.resize(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::string_view status = toString(rows[i].status);
    if (status == lastStatus[i]) continue;
    lastStatus[i] = status;
    lines += detail::printable(rows[i].name) + ": " + std::string(status);
    if (isSettled(rows[i].status)) lines += " after " + detail::durationText(rows[i].duration);
    // The file to read when something went wrong.
    if (isSettled(rows[i].status) && rows[i].status != Status::Succeeded &&
        !rows[i].outputPath.empty())
      lines += " (" + detail::printable(rows[i].outputPath.string()) + ")";
    lines += "\n";
  }
  return lines;
}

}  // namespace bgagent
