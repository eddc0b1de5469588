// SPDX-License-Identifier: MIT
// bgagent/monitor/dashboard_table.hpp: the dashboard's table as text, a pure function of its rows.
//
// Owns: DashboardRow (one task as the dashboard shows it) and renderTable(): Agent | Status |
// Duration | Progress, columns aligned by display width (CJK text and emoji take two columns),
// long names cut with an ellipsis, every line cut to the width, rows past the height folded into
// one "+k more" line, then a summary line (running, pending, done, failed, cancelled, and an
// ETA from the agents' progress rates and the durations of the finished ones). Dashboard draws
// it; hosts with their own UI and the tests' golden renderings call it directly.
// Thread safety: pure functions.
// Example:
//   std::string text = bgagent::renderTable(dashboard.rows(), 100);
#pragma once

#include <algorithm>
#include <array>
#include <bgagent/core/clock.hpp>
#include <bgagent/core/detail/duration_text.hpp>
#include <bgagent/core/progress.hpp>
#include <bgagent/core/status.hpp>
#include <bgagent/monitor/detail/display_width.hpp>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bgagent {

/// One task as the dashboard shows it.
struct DashboardRow {
  std::string name;
  /// The task's, or Stalled: running, but its agent has written nothing (no output, no
  /// HEARTBEAT) for DashboardOptions::stalledAfter.
  Status status = Status::Pending;
  SteadyClock::duration duration{};
  Progress progress;
  std::filesystem::path outputPath;
};

namespace detail {

inline constexpr std::size_t kStatusCount = 8;    // Status's values, Pending to Crashed
inline constexpr std::size_t kStatusWidth = 9;    // "Succeeded", "Cancelled"
inline constexpr std::size_t kDurationWidth = 8;  // "12m30s"
inline constexpr std::size_t kBarWidth = 10;
inline constexpr std::size_t kLongestName = 30;
inline constexpr std::size_t kNoHeight = std::numeric_limits<std::size_t>::max();

/// One line of the table; a row's line says where its status word is, to colour it.
struct TableLine {
  std::string text;
  std::size_t statusAt = std::string::npos;  // byte offset, or npos
  std::string_view status{};
};

inline std::size_t nameColumnWidth(const std::vector<DashboardRow>& rows, std::size_t width) {
  std::size_t widest = displayWidth("Agent");
  for (const DashboardRow& row : rows) widest = std::max(widest, displayWidth(row.name));
  // The name gives way first: status, duration and a bar with its percent need 43 columns;
  // past 30 columns a name is cut.
  const std::size_t room = std::min<std::size_t>(kLongestName, width > 43 ? width - 43 : 8);
  return std::clamp<std::size_t>(widest, 5, std::max<std::size_t>(room, 8));
}

inline std::string progressText(const DashboardRow& row) {
  std::optional<double> percent = row.progress.percent;
  if (row.status == Status::Succeeded) percent = 100.0;
  std::string text;
  if (percent) {
    const double clamped = std::clamp(*percent, 0.0, 100.0);
    const auto filled = static_cast<std::size_t>(clamped / 100.0 * static_cast<double>(kBarWidth));
    char number[8];
    std::snprintf(number, sizeof number, "%3.0f%%", clamped);
    text = "[" + std::string(filled, '#') + std::string(kBarWidth - filled, '.') + "] " + number;
  }
  if (!row.progress.text.empty()) text += (text.empty() ? "" : "  ") + printable(row.progress.text);
  return text;
}

inline TableLine rowLine(const DashboardRow& row, std::size_t nameWidth, std::size_t width) {
  TableLine line;
  line.text = padToWidth(printable(row.name), nameWidth) + "  ";
  line.statusAt = line.text.size();
  line.status = toString(row.status);
  line.text += padToWidth(line.status, kStatusWidth) + "  ";
  const std::string duration =
      row.status == Status::Pending ? std::string("-") : durationText(row.duration);
  line.text += std::string(kDurationWidth - std::min(kDurationWidth, duration.size()), ' ') +
               duration + "  " + progressText(row);
  line.text = fitToWidth(line.text, width);
  return line;
}

// Estimates past this are no estimate: a "1/1000000000" progress early on says nothing useful,
// and durations stay far from overflowing.
inline constexpr double kLongestEstimateSeconds = 30.0 * 24 * 3600;

inline bool isRunning(const DashboardRow& row) {
  return row.status == Status::Running || row.status == Status::Stalled;
}

// A running row's time left in seconds from its own progress rate, when its progress has a
// percent strictly between 0 and 100 (docs/dashboard.md, "Summary").
inline std::optional<double> secondsLeftByProgress(const DashboardRow& row) {
  const std::optional<double> percent = row.progress.percent;
  if (!percent || !(*percent > 0.0 && *percent < 100.0)) return std::nullopt;
  const double ran = std::chrono::duration<double>(row.duration).count();
  const double left = ran * (100.0 - *percent) / *percent;
  if (!(left <= kLongestEstimateSeconds)) return std::nullopt;
  return left;
}

// The ETA of the rows not yet finished, or nothing when one of them has no estimate.
inline std::optional<SteadyClock::duration> estimatedTimeLeft(
    const std::vector<DashboardRow>& rows) {
  double finishedSeconds = 0;
  double projectedSeconds = 0;
  int finished = 0;
  int projected = 0;
  int running = 0;
  for (const DashboardRow& row : rows) {
    const double ran = std::chrono::duration<double>(row.duration).count();
    if (isRunning(row)) {
      ++running;
      if (const std::optional<double> left = secondsLeftByProgress(row)) {
        projectedSeconds += ran + *left;
        ++projected;
      }
    } else if (row.status != Status::Pending && row.status != Status::Cancelled) {
      finishedSeconds += ran;
      ++finished;
    }
  }
  std::optional<double> mean;
  if (finished > 0) mean = finishedSeconds / finished;
  std::optional<double> pendingMean = mean;
  if (!pendingMean && projected > 0) pendingMean = projectedSeconds / projected;
  double sum = 0;
  double longestRunning = 0;
  bool unfinished = false;
  for (const DashboardRow& row : rows) {
    std::optional<double> left;
    if (isRunning(row)) {
      const double ran = std::chrono::duration<double>(row.duration).count();
      left = secondsLeftByProgress(row);
      if (!left && row.progress.percent && *row.progress.percent >= 100.0) left = 0.0;
      if (!left && mean && ran < *mean) left = *mean - ran;
      if (left) longestRunning = std::max(longestRunning, *left);
    } else if (row.status == Status::Pending) {
      left = pendingMean;
    } else {
      continue;
    }
    if (!left) return std::nullopt;
    unfinished = true;
    sum += *left;
  }
  if (!unfinished) return std::nullopt;
  const double eta = std::max(longestRunning, sum / std::max(running, 1));
  if (!(eta <= kLongestEstimateSeconds)) return std::nullopt;
  return std::chrono::round<SteadyClock::duration>(std::chrono::duration<double>(eta));
}

inline std::string summaryLine(const std::vector<DashboardRow>& rows) {
  std::size_t running = 0;
  std::size_t stalled = 0;
  std::size_t pending = 0;
  std::size_t done = 0;
  std::size_t failed = 0;
  std::size_t cancelled = 0;
  for (const DashboardRow& row : rows) {
    if (row.status == Status::Pending) {
      ++pending;
    } else if (row.status == Status::Running || row.status == Status::Stalled) {
      ++running;
      if (row.status == Status::Stalled) ++stalled;
    } else if (row.status == Status::Cancelled) {
      ++cancelled;
    } else {
      ++(row.status == Status::Succeeded ? done : failed);
    }
  }
  std::string line = std::to_string(rows.size()) + " agents: " + std::to_string(running) +
                     " running" +
                     (stalled > 0 ? " (" + std::to_string(stalled) + " stalled)" : "") + ", " +
                     std::to_string(pending) + " pending, " + std::to_string(done) + " done, " +
                     std::to_string(failed) + " failed";
  if (cancelled > 0) line += ", " + std::to_string(cancelled) + " cancelled";
  if (const auto left = estimatedTimeLeft(rows)) line += ", ETA " + durationText(*left);
  return line;
}

// Which rows a table of `height` lines shows: all when they fit; otherwise, keeping their order,
// the running ones first, then the failed, the pending and the succeeded. At least one row.
inline std::vector<bool> rowsShown(const std::vector<DashboardRow>& rows, std::size_t height) {
  std::vector<bool> shown(rows.size(), true);
  if (height == kNoHeight || rows.size() + 2 <= height) return shown;
  std::size_t room = height > 4 ? height - 3 : 1;  // the header, the folded line, the summary
  const auto rank = [](Status status) {
    switch (status) {
      case Status::Running:
      case Status::Stalled:
        return 0;
      case Status::Pending:
        return 2;
      case Status::Succeeded:
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

// "+3 more: 2 pending, 1 succeeded", or empty when every row is shown.
inline std::string foldedLine(const std::vector<DashboardRow>& rows,
                              const std::vector<bool>& shown) {
  std::array<std::size_t, kStatusCount> hidden{};
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
    std::string word(toString(static_cast<Status>(status)));
    word[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(word[0])));
    line += separator + std::to_string(hidden[status]) + " " + word;
    separator = ", ";
  }
  return line;
}

/// The table's lines, each cut to `width`: header, rows (folded past `height`), summary.
inline std::vector<TableLine> tableLines(const std::vector<DashboardRow>& rows, std::size_t width,
                                         std::size_t height) {
  const std::size_t nameWidth = nameColumnWidth(rows, width);
  std::vector<TableLine> lines;
  // Every line fits the width: a wrapped line would break the live mode's redrawing.
  lines.push_back(
      {fitToWidth(padToWidth("Agent", nameWidth) + "  " + padToWidth("Status", kStatusWidth) +
                      "  " + padToWidth("Duration", kDurationWidth) + "  Progress",
                  width)});
  const std::vector<bool> shown = rowsShown(rows, height);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (shown[i]) lines.push_back(rowLine(rows[i], nameWidth, width));
  }
  if (std::string folded = foldedLine(rows, shown); !folded.empty()) {
    lines.push_back({fitToWidth(folded, width)});
  }
  lines.push_back({fitToWidth(summaryLine(rows), width)});
  return lines;
}

}  // namespace detail

/// The table as text, `width` columns wide and at most `height` lines (at least 4 when rows
/// are folded: the header, one row, the folded line and the summary).
inline std::string renderTable(const std::vector<DashboardRow>& rows, std::size_t width,
                               std::size_t height = detail::kNoHeight) {
  std::string text;
  for (const detail::TableLine& line : detail::tableLines(rows, width, height)) {
    text += line.text + "\n";
  }
  return text;
}

}  // namespace bgagent
