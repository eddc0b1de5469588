// bgagent/dashboard.hpp: a table of agents (Agent | Status | Duration | Progress) for a
// terminal, a log, or a host's own UI.
//
// Owns: Dashboard. add() a task (or a combined task) under a display name; rows() samples them
// now; renderTable() lays rows out as text, columns aligned by display width (CJK text and emoji
// take two columns), long names cut with an ellipsis, with a summary line (running, done, failed,
// and an ETA from the durations of the finished ones); toJson() gives the same for a host that
// serves it elsewhere. display() shows it until every task has settled: redrawn in place on a
// terminal, or one plain line per status change elsewhere (pipes, CI logs, TERM=dumb), with no
// escape codes; NO_COLOR turns colours off.
// Thread safety: add() and the queries may be called from any thread.
// Lifetime: a Dashboard keeps each task's shared state, not its agent: a task destroyed by its
// owner still cancels its agent, and the dashboard then shows it Cancelled.
// Example:
//   bgagent::Dashboard dashboard;
//   dashboard.add("unit tests", unitTests);
//   dashboard.display(stdout);  // returns once every task has settled
#pragma once

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <bgagent/detail/display_width.hpp>
#include <bgagent/detail/duration_text.hpp>
#include <bgagent/task.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
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
};

/// How display() writes.
enum class DisplayMode {
  Automatic,  ///< Live on a terminal (TERM not "dumb"), Plain otherwise
  Live,       ///< redraw the table in place with ANSI cursor movement
  Plain,      ///< one line per status change, no escape codes
};

struct DashboardOptions {
  std::chrono::milliseconds refreshInterval{250};
  std::optional<std::size_t> width;  ///< columns; default: the terminal's, else 100
  DisplayMode mode = DisplayMode::Automatic;
};

class Dashboard {
 public:
  explicit Dashboard(DashboardOptions options = {}) : options_(options) {}

  /// Shows `task` under `name`, in the order added.
  template <typename T>
  void add(std::string name, const Task<T>& task) {
    std::shared_ptr<detail::TaskState<T>> state = detail::TaskAccess::state(task);
    if (!state) throw std::invalid_argument("bgagent: Dashboard::add() of an empty Task");
    std::lock_guard lock(mutex_);
    samplers_.push_back([name = std::move(name), state] {
      std::lock_guard stateLock(state->mutex);
      return DashboardRow{name, state->status,
                          state->settledAt.value_or(SteadyClock::now()) - state->startedAt,
                          state->snapshot.progress, state->outputPath};
    });
  }

  /// Every task as it is now, in the order added.
  std::vector<DashboardRow> rows() const {
    std::vector<std::function<DashboardRow()>> samplers;
    {
      std::lock_guard lock(mutex_);
      samplers = samplers_;
    }
    std::vector<DashboardRow> sampled;
    sampled.reserve(samplers.size());
    for (const auto& sample : samplers) sampled.push_back(sample());
    return sampled;
  }

  /// The table as text, `width` columns wide, ending with the summary line.
  static std::string renderTable(const std::vector<DashboardRow>& rows, std::size_t width) {
    const std::size_t nameWidth = nameColumnWidth(rows, width);
    // Every line fits the width: a wrapped line would break the live mode's redrawing.
    std::string text =
        detail::fitToWidth(detail::padToWidth("Agent", nameWidth) + "  " +
                               detail::padToWidth("Status", kStatusWidth) + "  " +
                               detail::padToWidth("Duration", kDurationWidth) + "  Progress",
                           width) +
        "\n";
    for (const DashboardRow& row : rows) text += renderRow(row, nameWidth, width) + "\n";
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
           {"status", std::string(toString(row.status))},
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
                      (options_.mode == DisplayMode::Automatic && isTerminal(out));
    std::size_t linesDrawn = 0;
    std::vector<TaskStatus> lastStatus;
    while (true) {
      const std::vector<DashboardRow> now = rows();
      const bool done = allSettled(now) || stop.stop_requested();
      if (live) {
        std::string frame;
        // Back to the top of the last frame, then each line cleared and drawn again: the table
        // stays in place instead of scrolling the screen full.
        if (linesDrawn > 0) frame += "\x1b[" + std::to_string(linesDrawn) + "F";
        const std::string table = renderTable(now, width(out));
        linesDrawn = 0;
        for (std::size_t at = 0; at < table.size();) {
          const std::size_t end = table.find('\n', at);
          frame += "\x1b[2K" + colour(table.substr(at, end - at)) + "\n";
          at = end + 1;
          ++linesDrawn;
        }
        std::fputs(frame.c_str(), out);
      } else {
        std::string lines = plainChanges(now, lastStatus);
        if (done) lines += summaryLine(now) + "\n";
        std::fputs(lines.c_str(), out);
      }
      std::fflush(out);
      if (done) return;
      // A display's pace, not a wait for an event; a stop request ends it at once.
      std::mutex pace;
      std::unique_lock lock(pace);
      std::condition_variable_any().wait_for(lock, stop, options_.refreshInterval,
                                             [] { return false; });
    }
  }

 private:
  static constexpr std::size_t kStatusWidth = 9;    // "Succeeded", "Cancelled"
  static constexpr std::size_t kDurationWidth = 8;  // "12m30s"
  static constexpr std::size_t kBarWidth = 10;
  static constexpr std::size_t kLongestName = 30;

  static bool allSettled(const std::vector<DashboardRow>& rows) {
    for (const DashboardRow& row : rows) {
      if (row.status == TaskStatus::Pending || row.status == TaskStatus::Running) return false;
    }
    return true;
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
                       detail::padToWidth(toString(row.status), kStatusWidth) + "  ";
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
                       " running, " + std::to_string(pending) + " pending, " +
                       std::to_string(done) + " done, " + std::to_string(failed) + " failed";
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

  // One line per task whose status changed since the last call; the first call lists them all.
  static std::string plainChanges(const std::vector<DashboardRow>& rows,
                                  std::vector<TaskStatus>& lastStatus) {
    std::string lines;
    lastStatus.resize(rows.size(), static_cast<TaskStatus>(-1));
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (rows[i].status == lastStatus[i]) continue;
      lastStatus[i] = rows[i].status;
      lines += detail::printable(rows[i].name) + ": " + std::string(toString(rows[i].status));
      const bool settled =
          rows[i].status != TaskStatus::Pending && rows[i].status != TaskStatus::Running;
      if (settled) lines += " after " + detail::durationText(rows[i].duration);
      // The file to read when something went wrong.
      if (settled && rows[i].status != TaskStatus::Succeeded && !rows[i].outputPath.empty())
        lines += " (" + detail::printable(rows[i].outputPath.string()) + ")";
      lines += "\n";
    }
    return lines;
  }

  static bool isTerminal(std::FILE* out) {
    const char* term = std::getenv("TERM");
    return ::isatty(::fileno(out)) == 1 && term != nullptr && std::string_view(term) != "dumb";
  }

  std::size_t width(std::FILE* out) const {
    if (options_.width) return *options_.width;
    winsize size{};
    if (::ioctl(::fileno(out), TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
    return 100;
  }

  static std::string colour(const std::string& line) {
    const char* noColor = std::getenv("NO_COLOR");  // set and not empty (no-color.org)
    if (noColor != nullptr && noColor[0] != '\0') return line;
    for (const auto& [word, code] :
         {std::pair{"Succeeded", "32"}, std::pair{"Failed", "31"}, std::pair{"Crashed", "31"},
          std::pair{"TimedOut", "31"}, std::pair{"Cancelled", "33"}, std::pair{"Running", "36"}}) {
      const std::size_t at = line.find(std::string("  ") + word + " ");
      if (at == std::string::npos) continue;
      return line.substr(0, at + 2) + "\x1b[" + code + "m" + word + "\x1b[0m" +
             line.substr(at + 2 + std::string_view(word).size());
    }
    return line;
  }

  DashboardOptions options_;
  mutable std::mutex mutex_;
  std::vector<std::function<DashboardRow()>> samplers_;  // guarded by mutex_
};

}  // namespace bgagent
