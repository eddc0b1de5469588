// bgagent/dashboard.hpp: a table of agents (Agent | Status | Duration | Progress) for a
// terminal, a log, or a host's own UI.
//
// Owns: Dashboard. add() a task (or a combined task) under a display name; rows() samples them
// now; renderTable() lays rows out as text, columns aligned by display width (CJK text and emoji
// take two columns), long names cut with an ellipsis, rows past the height folded into one line,
// with a summary line (running, done, failed, and an ETA from the durations of the finished
// ones); toJson() gives the same for a host that serves it elsewhere. display() shows it until
// every task has settled: redrawn in place on a terminal, or one plain line per status change
// elsewhere (pipes, CI logs, TERM=dumb), with no escape codes; NO_COLOR turns colours off.
// While display() runs, Ctrl-C (SIGINT) or SIGTERM shows the cursor again, cancels the tasks
// shown, waits for them, and then raises the signal again for the host (docs/dashboard.md).
// Thread safety: add() and the queries may be called from any thread.
// Lifetime: a Dashboard keeps each task's shared state, not its agent: a task destroyed by its
// owner still cancels its agent, and the dashboard then shows it Cancelled.
// Example:
//   bgagent::Dashboard dashboard;
//   dashboard.add("unit tests", unitTests);
//   dashboard.display(stdout);  // returns once every task has settled
#pragma once

#include <poll.h>

#include <algorithm>
#include <array>
#include <bgagent/detail/display_width.hpp>
#include <bgagent/detail/duration_text.hpp>
#include <bgagent/detail/interrupt_guard.hpp>
#include <bgagent/detail/terminal.hpp>
#include <bgagent/detail/wake_fd.hpp>
#include <bgagent/task.hpp>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
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

/// One task as the dashboard shows it.
struct DashboardRow {
  std::string name;
  TaskStatus status = TaskStatus::Pending;
  SteadyClock::duration duration{};
  Progress progress;
  std::filesystem::path outputPath;
  /// Running, but its agent has written nothing (no output, no HEARTBEAT) for
  /// DashboardOptions::stalledAfter: shown as Stalled.
  bool stalled = false;
};

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
};

class Dashboard {
 public:
  explicit Dashboard(DashboardOptions options = {})
      : options_(options), wake_(std::make_shared<detail::WakeFd>()) {}

  /// Shows `task` under `name`, in the order added.
  template <typename T>
  void add(std::string name, const Task<T>& task) {
    std::shared_ptr<detail::TaskState<T>> state = detail::TaskAccess::state(task);
    if (!state) throw std::invalid_argument("bgagent: Dashboard::add() of an empty Task");
    Entry entry;
    entry.sample = [name = std::move(name), state, stalledAfter = options_.stalledAfter] {
      std::lock_guard stateLock(state->mutex);
      const SteadyClock::time_point now = SteadyClock::now();
      DashboardRow row{name, state->status, state->settledAt.value_or(now) - state->startedAt,
                       state->snapshot.progress, state->outputPath};
      row.stalled = state->status == TaskStatus::Running && state->lastOutputAt &&
                    now - *state->lastOutputAt >= stalledAfter;
      return row;
    };
    entry.cancel = [state] { state->requestStop(detail::EndReason::Cancelled); };
    {
      std::lock_guard lock(mutex_);
      entries_.push_back(std::move(entry));
    }
    // A settling task wakes display() at once, so the last frame does not wait for the pace.
    state->whenSettled([wake = std::weak_ptr<detail::WakeFd>(wake_)] {
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

  /// The table as text, `width` columns wide and at most `height` lines (rows that do not fit
  /// fold into one line), ending with the summary line.
  static std::string renderTable(const std::vector<DashboardRow>& rows, std::size_t width,
                                 std::size_t height = std::numeric_limits<std::size_t>::max()) {
    const std::size_t nameWidth = nameColumnWidth(rows, width);
    // Every line fits the width: a wrapped line would break the live mode's redrawing.
    std::string text =
        detail::fitToWidth(detail::padToWidth("Agent", nameWidth) + "  " +
                               detail::padToWidth("Status", kStatusWidth) + "  " +
                               detail::padToWidth("Duration", kDurationWidth) + "  Progress",
                           width) +
        "\n";
    const std::vector<bool> shown = rowsShown(rows, height);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (shown[i]) text += renderRow(rows[i], nameWidth, width) + "\n";
    }
    if (const std::string folded = foldedLine(rows, shown); !folded.empty()) {
      text += detail::fitToWidth(folded, width) + "\n";
    }
    text += detail::fitToWidth(summaryLine(rows), width) + "\n";
    return text;
  }

  std::string render(std::size_t width) const { return renderTable(rows(), width); }

  /// Every task's state, progress, duration and output file, for a host's own UI.
  nlohmann::json toJson() const {
    const std::vector<DashboardRow> now = rows();  // one sample for the list and the summary
    nlohmann::json tasks = nlohmann::json::array();
    for (const DashboardRow& row : now) {
      tasks.push_back(
          {{"name", row.name},
           {"status", std::string(statusWord(row))},
           {"durationMs",
            std::chrono::duration_cast<std::chrono::milliseconds>(row.duration).count()},
           {"progress", row.progress.text},
           {"percent",
            row.progress.percent ? nlohmann::json(*row.progress.percent) : nlohmann::json(nullptr)},
           {"outputFile", row.outputPath.string()}});
    }
    return {{"tasks", tasks}, {"summary", summaryLine(now)}};
  }

  /// Shows the dashboard on `out` until every task has settled, then once more (the final
  /// frame). Blocks the calling thread; redraws at the refresh interval.
  void display(std::FILE* out) const { display(out, std::stop_token{}); }

  /// As display(out), and returns after a last frame once `stop` is requested.
  void display(std::FILE* out, const std::stop_token& stop) const {
    const bool live = options_.mode == DisplayMode::Live ||
                      (options_.mode == DisplayMode::Automatic && detail::isTerminal(out));
    std::fflush(out);  // the guard's handler writes to the descriptor, past stdio's buffer
    detail::InterruptGuard interrupts(options_.cancelOnInterrupt, live ? ::fileno(out) : -1,
                                      wake_->get());
    // Hidden only when a handler can show it again, whatever ends the program.
    const bool hideCursor = live && interrupts.owner();
    if (hideCursor) std::fputs(std::string(detail::kHideCursor).c_str(), out);
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
      const bool done = allSettled(now) || (stop.stop_requested() && !cancelling);
      if (live) {
        std::fputs(liveFrame(now, out, linesDrawn).c_str(), out);
      } else {
        std::string lines = plainChanges(now, lastStatus);
        if (done) lines += summaryLine(now) + "\n";
        std::fputs(lines.c_str(), out);
      }
      std::fflush(out);
      if (done) break;
      waitForChange();
    }
    if (hideCursor) std::fputs(std::string(detail::kShowCursor).c_str(), out);
    std::fflush(out);
    interrupts.restoreAndRaise();
  }

 private:
  struct Entry {
    std::function<DashboardRow()> sample;
    std::function<void()> cancel;
  };

  static constexpr std::size_t kStatusWidth = 9;    // "Succeeded", "Cancelled"
  static constexpr std::size_t kDurationWidth = 8;  // "12m30s"
  static constexpr std::size_t kBarWidth = 10;
  static constexpr std::size_t kLongestName = 30;

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
    const auto milliseconds = static_cast<int>(options_.refreshInterval.count());
    if (::poll(&wakeUp, 1, std::max(milliseconds, 1)) > 0) wake_->drain();
  }

  std::string liveFrame(const std::vector<DashboardRow>& rows, std::FILE* out,
                        std::size_t& linesDrawn) const {
    const std::optional<detail::TerminalSize> terminal = detail::terminalSize(out);
    const std::size_t width = options_.width.value_or(terminal ? terminal->columns : 100);
    std::size_t height = std::numeric_limits<std::size_t>::max();
    if (options_.height) {
      height = *options_.height;
    } else if (terminal && terminal->rows > 1) {
      height = terminal->rows - 1;
    }
    std::string frame;
    // Back to the top of the last frame, then each line cleared and drawn again, and whatever
    // a taller last frame left below cleared: the table stays in place instead of scrolling.
    if (linesDrawn > 0) frame += detail::cursorUp(linesDrawn);
    const std::string table = renderTable(rows, width, height);
    const bool colour = detail::colourAllowed();
    linesDrawn = 0;
    for (std::size_t at = 0; at < table.size();) {
      const std::size_t end = table.find('\n', at);
      const std::string line = table.substr(at, end - at);
      frame +=
          std::string(detail::kClearLine) + (colour ? detail::colourStatus(line) : line) + "\n";
      at = end + 1;
      ++linesDrawn;
    }
    frame += detail::kClearBelow;
    return frame;
  }

  static bool settled(TaskStatus status) {
    return status != TaskStatus::Pending && status != TaskStatus::Running;
  }

  static bool allSettled(const std::vector<DashboardRow>& rows) {
    return std::all_of(rows.begin(), rows.end(),
                       [](const DashboardRow& row) { return settled(row.status); });
  }

  static std::string_view statusWord(const DashboardRow& row) {
    return row.stalled && row.status == TaskStatus::Running ? "Stalled" : toString(row.status);
  }

  // Which rows a table of `height` lines shows: all when they fit; otherwise, keeping their
  // order, the running ones first, then the failed, the pending and the succeeded.
  static std::vector<bool> rowsShown(const std::vector<DashboardRow>& rows, std::size_t height) {
    std::vector<bool> shown(rows.size(), true);
    if (height == std::numeric_limits<std::size_t>::max() || rows.size() + 2 <= height) {
      return shown;
    }
    // Header, summary and the folded line take three; at least one row is always shown.
    std::size_t room = height > 4 ? height - 3 : 1;
    const auto rank = [](TaskStatus status) {
      switch (status) {
        case TaskStatus::Running:
          return 0;
        case TaskStatus::Pending:
          return 2;
        case TaskStatus::Succeeded:
          return 3;
        default:
          return 1;
      }
    };
    std::fill(shown.begin(), shown.end(), false);
    for (int wanted = 0; wanted <= 3 && room > 0; ++wanted) {
      for (std::size_t i = 0; i < rows.size() && room > 0; ++i) {
        if (rank(rows[i].status) == wanted) {
          shown[i] = true;
          --room;
        }
      }
    }
    return shown;
  }

  // "+3 more: 2 succeeded, 1 pending", or empty when every row is shown.
  static std::string foldedLine(const std::vector<DashboardRow>& rows,
                                const std::vector<bool>& shown) {
    std::array<std::size_t, 7> hidden{};
    std::size_t total = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (shown[i]) continue;
      ++hidden.at(static_cast<std::size_t>(rows[i].status));
      ++total;
    }
    if (total == 0) return {};
    std::string line = "+" + std::to_string(total) + " more:";
    const char* separator = " ";
    for (std::size_t status = 0; status < hidden.size(); ++status) {
      if (hidden[status] == 0) continue;
      std::string word(toString(static_cast<TaskStatus>(status)));
      word[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(word[0])));
      line += separator + std::to_string(hidden[status]) + " " + word;
      separator = ", ";
    }
    return line;
  }
  static std::size_t nameColumnWidth(const std::vector<DashboardRow>& rows, std::size_t width) {
    std::size_t widest = detail::displayWidth("Agent");
    for (const DashboardRow& row : rows) widest = std::max(widest, detail::displayWidth(row.name));
    // The name gives way first: status, duration and a bar with its percent need 43 columns;
    // past 30 columns a name is cut.
    const std::size_t room = std::min<std::size_t>(kLongestName, width > 43 ? width - 43 : 8);
    return std::clamp<std::size_t>(widest, 5, std::max<std::size_t>(room, 8));
  }

  static std::string renderRow(const DashboardRow& row, std::size_t nameWidth, std::size_t width) {
    std::string line = detail::padToWidth(detail::printable(row.name), nameWidth) + "  " +
                       detail::padToWidth(statusWord(row), kStatusWidth) + "  ";
    const std::string duration =
        row.status == TaskStatus::Pending ? std::string("-") : detail::durationText(row.duration);
    line += std::string(kDurationWidth - std::min(kDurationWidth, duration.size()), ' ') +
            duration + "  ";
    line += progressText(row);
    return detail::fitToWidth(line, width);
  }

  static std::string progressText(const DashboardRow& row) {
    std::optional<double> percent = row.progress.percent;
    if (row.status == TaskStatus::Succeeded) percent = 100.0;
    std::string text;
    if (percent) {
      const auto filled = static_cast<std::size_t>(std::clamp(*percent, 0.0, 100.0) / 100.0 *
                                                   static_cast<double>(kBarWidth));
      char number[8];
      std::snprintf(number, sizeof number, "%3.0f%%", std::clamp(*percent, 0.0, 100.0));
      text = "[" + std::string(filled, '#') + std::string(kBarWidth - filled, '.') + "] " + number;
    }
    if (!row.progress.text.empty()) {
      text += (text.empty() ? "" : "  ") + detail::printable(row.progress.text);
    }
    return text;
  }

  static std::string summaryLine(const std::vector<DashboardRow>& rows) {
    std::size_t running = 0;
    std::size_t stalled = 0;
    std::size_t pending = 0;
    std::size_t done = 0;
    std::size_t failed = 0;
    SteadyClock::duration finishedTotal{};
    for (const DashboardRow& row : rows) {
      switch (row.status) {
        case TaskStatus::Pending:
          ++pending;
          break;
        case TaskStatus::Running:
          ++running;
          if (row.stalled) ++stalled;
          break;
        case TaskStatus::Succeeded:
          ++done;
          finishedTotal += row.duration;
          break;
        default:
          ++failed;
          finishedTotal += row.duration;
          break;
      }
    }
    std::string line = std::to_string(rows.size()) + " agents: " + std::to_string(running) +
                       " running" +
                       (stalled > 0 ? " (" + std::to_string(stalled) + " stalled)" : "") + ", " +
                       std::to_string(pending) + " pending, " + std::to_string(done) + " done, " +
                       std::to_string(failed) + " failed";
    const std::size_t finished = done + failed;
    if (finished > 0 && running + pending > 0) {
      // Every unfinished agent is expected to take as long as the finished ones did on average;
      // the running ones share the wait.
      const SteadyClock::duration mean = finishedTotal / static_cast<long>(finished);
      SteadyClock::duration left{};
      for (const DashboardRow& row : rows) {
        if (row.status == TaskStatus::Running && row.duration < mean) left += mean - row.duration;
        if (row.status == TaskStatus::Pending) left += mean;
      }
      line += ", ETA " +
              detail::durationText(left / static_cast<long>(std::max<std::size_t>(running, 1)));
    }
    return line;
  }

  // One line per task whose status (Stalled included) changed since the last call; the first
  // call lists them all.
  static std::string plainChanges(const std::vector<DashboardRow>& rows,
                                  std::vector<std::string_view>& lastStatus) {
    std::string lines;
    lastStatus.resize(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const std::string_view status = statusWord(rows[i]);
      if (status == lastStatus[i]) continue;
      lastStatus[i] = status;
      lines += detail::printable(rows[i].name) + ": " + std::string(status);
      if (settled(rows[i].status)) lines += " after " + detail::durationText(rows[i].duration);
      // The file to read when something went wrong.
      if (settled(rows[i].status) && rows[i].status != TaskStatus::Succeeded &&
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
