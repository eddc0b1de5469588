// SPDX-License-Identifier: MIT
// bgagent/monitor/dashboard.hpp: a table of agents (Agent | Status | Duration | Progress) kept on a
// terminal, in a log, or for a host's own UI.
//
// Owns: Dashboard. add() a task (or a combined task) under a display name; rows() samples them
// now (a running agent silent for stalledAfter is Stalled); the table itself is renderTable()'s
// (dashboard_table.hpp); toJson() gives the same for a host that serves it elsewhere. display()
// shows it until every task has settled: redrawn in place on a terminal, never taller than it
// (given 4 lines), or one plain line per status change elsewhere (pipes, CI logs, TERM=dumb), with
// no escape codes; NO_COLOR turns colours off. While display() runs, Ctrl-C (SIGINT) or SIGTERM
// shows the cursor again, cancels the tasks shown, waits for them, and then raises the signal again
// for the host (docs/dashboard.md). Thread safety: add() and the queries may be called from any
// thread. Lifetime: a Dashboard keeps each task's shared state, not its agent: a task destroyed by
// its owner still cancels its agent, and the dashboard then shows it Cancelled. Example:
//   bgagent::Dashboard dashboard;
//   dashboard.add("unit tests", unitTests);
//   dashboard.display(stdout);  // returns once every task has settled
#pragma once

#include <poll.h>

#include <algorithm>
#include <bgagent/agents/task.hpp>
#include <bgagent/agents/task_view.hpp>
#include <bgagent/monitor/dashboard_table.hpp>
#include <bgagent/monitor/detail/interrupt_guard.hpp>
#include <bgagent/monitor/detail/terminal.hpp>
#include <bgagent/runtime/detail/wake_fd.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bgagent {

/// How display() writes.
enum class DisplayMode {
  Automatic,  ///< Live on a terminal (TERM set and not "dumb"), Plain otherwise
  Live,       ///< redraw the table in place with ANSI cursor movement
  Plain,      ///< one line per status change, no escape codes
};

struct DashboardOptions {
  /// How often the live table is redrawn, and the plain log looks for changes; a task that
  /// settles wakes the display at once.
  std::chrono::milliseconds refreshInterval{250};
  /// Columns; default: the terminal's width, else 100.
  std::optional<std::size_t> width{};
  /// Lines the live table may take; default: the terminal's height less one (the line the
  /// cursor rests on), so the screen never scrolls. Rows past it fold into one "+k more" line.
  std::optional<std::size_t> height{};
  DisplayMode mode = DisplayMode::Automatic;
  /// A running agent silent for this long is shown as Stalled (it still runs).
  std::chrono::milliseconds stalledAfter{60000};
  /// While display() runs, SIGINT and SIGTERM cancel every task shown; display() waits until
  /// they settle, then raises the signal again for the host's own disposition. A second signal
  /// does not wait. false: no handler, and the cursor is never hidden.
  bool cancelOnInterrupt = true;
  /// Called once the tasks cancelled by such a signal have settled, on display()'s thread, just
  /// before the signal is raised again: the place to write what must not be lost when the
  /// signal ends the program (an EventLog's flush()). An exception from it is ignored. A second
  /// signal, which does not wait, does not call it.
  std::function<void()> onInterrupt{};
};

class Dashboard {
 public:
  explicit Dashboard(DashboardOptions options = {})
      : options_(options), wake_(std::make_shared<detail::WakeFd>()) {}

  /// Shows `task` under `name`, in the order added.
  template <typename T>
  void add(std::string name, const Task<T>& task) {
    if (!task.valid()) throw std::invalid_argument("bgagent: Dashboard::add() of an empty Task");
    add(std::move(name), TaskView(task));
  }

  /// As add(name, task), for a task seen through a view.
  void add(std::string name, const TaskView& task) {
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

  /// Every task as it is now, in the order added.
  std::vector<DashboardRow> rows() const {
    std::vector<DashboardRow> sampled;
    std::lock_guard lock(mutex_);
    sampled.reserve(entries_.size());
    for (const Entry& entry : entries_) sampled.push_back(entry.sample());
    return sampled;
  }

  /// The table as text (bgagent::renderTable, dashboard_table.hpp).
  static std::string renderTable(const std::vector<DashboardRow>& rows, std::size_t width,
                                 std::size_t height = detail::kNoHeight) {
    return bgagent::renderTable(rows, width, height);
  }

  std::string render(std::size_t width) const { return renderTable(rows(), width); }

  /// Every task's state, progress, duration and output file, for a host's own UI.
  nlohmann::json toJson() const {
    const std::vector<DashboardRow> now = rows();  // one sample for the list and the summary
    nlohmann::json tasks = nlohmann::json::array();
    for (const DashboardRow& row : now) {
      tasks.push_back(
          {{"name", row.name},
           {"status", std::string(toString(row.status))},
           {"durationMs",
            std::chrono::duration_cast<std::chrono::milliseconds>(row.duration).count()},
           {"progress", row.progress.text},
           {"percent",
            row.progress.percent ? nlohmann::json(*row.progress.percent) : nlohmann::json(nullptr)},
           {"outputFile", row.outputPath.string()}});
    }
    return {{"tasks", tasks}, {"summary", detail::summaryLine(now)}};
  }

  /// Shows the dashboard on `out` until every task has settled, then once more (the final
  /// frame). Blocks the calling thread; redraws at the refresh interval.
  void display(std::FILE* out) const { display(out, std::stop_token{}); }

  /// As display(out), and returns after a last frame once `stop` is requested.
  void display(std::FILE* out, const std::stop_token& stop) const {
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

 private:
  struct Entry {
    std::function<DashboardRow()> sample;
    std::function<void()> cancel;
  };

  void cancelAll() const {
    std::vector<std::function<void()>> cancels;
    {
      std::lock_guard lock(mutex_);
      for (const Entry& entry : entries_) cancels.push_back(entry.cancel);
    }
    for (const auto& cancel : cancels) cancel();
  }

  // The refresh interval, cut short by a task settling, a stop request or a signal.
  void waitForChange() const {
    pollfd wakeUp{wake_->get(), POLLIN, 0};
    // At least 1 ms (never a busy loop), at most a day (poll takes an int).
    const auto milliseconds =
        std::clamp<std::chrono::milliseconds::rep>(options_.refreshInterval.count(), 1, 86'400'000);
    if (::poll(&wakeUp, 1, static_cast<int>(milliseconds)) > 0) wake_->drain();
  }

  std::string liveFrame(const std::vector<DashboardRow>& rows, std::FILE* out,
                        std::size_t& linesDrawn) const {
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

  // One line per task whose status (Stalled included) changed since the last call; the first
  // call lists them all.
  static std::string plainChanges(const std::vector<DashboardRow>& rows,
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

  DashboardOptions options_;
  std::shared_ptr<detail::WakeFd>
      wake_;  // display() waits on it; settling tasks and signals wake it
  mutable std::mutex mutex_;
  std::vector<Entry> entries_;  // guarded by mutex_
};

}  // namespace bgagent
