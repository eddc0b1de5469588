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

#include <bgagent/agents/task.hpp>
#include <bgagent/agents/task_view.hpp>
#include <bgagent/monitor/dashboard_table.hpp>
#include <bgagent/runtime/detail/wake_fd.hpp>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <functional>
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

/// How a Dashboard samples and shows its tasks.
struct DashboardOptions {
  /// How often the live table is redrawn, and the plain log looks for changes; a task that
  /// settles wakes the display at once.
  std::chrono::milliseconds refreshInterval{250};
  /// Columns; default: the terminal's width, else 100.
  std::optional<std::size_t> width{};
  /// Lines the live table may take; default: the terminal's height less one (the line the
  /// cursor rests on), so the screen never scrolls. Rows past it fold into one "+k more" line.
  std::optional<std::size_t> height{};
  DisplayMode mode = DisplayMode::Automatic;  ///< how display() writes
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

/// A table of tasks (Agent | Status | Duration | Progress): as rows(), text, JSON, or shown
/// live by display() until every task has settled, with Ctrl-C cancelling them.
class Dashboard {
 public:
  /// An empty dashboard; add() the tasks to show.
  explicit Dashboard(DashboardOptions options = {});

  /// Shows `task` under `name`, in the order added.
  template <typename T>
  void add(std::string name, const Task<T>& task) {
    if (!task.valid()) throw std::invalid_argument("bgagent: Dashboard::add() of an empty Task");
    add(std::move(name), TaskView(task));
  }

  /// As add(name, task), for a task seen through a view.
  void add(std::string name, const TaskView& task);

  /// Every task as it is now, in the order added.
  std::vector<DashboardRow> rows() const;

  /// The table as text (bgagent::renderTable, dashboard_table.hpp).
  static std::string renderTable(const std::vector<DashboardRow>& rows, std::size_t width,
                                 std::size_t height = detail::kNoHeight) {
    return bgagent::renderTable(rows, width, height);
  }

  /// The table of every task as it is now, `width` columns wide, with no height limit.
  std::string render(std::size_t width) const { return renderTable(rows(), width); }

  /// Every task's state, progress, duration and output file, for a host's own UI.
  nlohmann::json toJson() const;

  /// Shows the dashboard on `out` until every task has settled, then once more (the final
  /// frame). Blocks the calling thread; redraws at the refresh interval.
  void display(std::FILE* out) const { display(out, std::stop_token{}); }

  /// As display(out), and returns after a last frame once `stop` is requested.
  void display(std::FILE* out, const std::stop_token& stop) const;

 private:
  struct Entry {
    std::function<DashboardRow()> sample;
    std::function<void()> cancel;
  };

  void cancelAll() const;

  // The refresh interval, cut short by a task settling, a stop request or a signal.
  void waitForChange() const;

  std::string liveFrame(const std::vector<DashboardRow>& rows, std::FILE* out,
                        std::size_t& linesDrawn) const;

  // One line per task whose status (Stalled included) changed since the last call; the first
  // call lists them all.
  static std::string plainChanges(const std::vector<DashboardRow>& rows,
                                  std::vector<std::string_view>& lastStatus);

  DashboardOptions options_;
  std::shared_ptr<detail::WakeFd>
      wake_;  // display() waits on it; settling tasks and signals wake it
  mutable std::mutex mutex_;
  std::vector<Entry> entries_;  // guarded by mutex_
};

}  // namespace bgagent

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/monitor/dashboard_inl.hpp>
#endif
