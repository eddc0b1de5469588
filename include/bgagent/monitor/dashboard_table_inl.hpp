// SPDX-License-Identifier: MIT
// bgagent/monitor/dashboard_table_inl.hpp: the bodies of dashboard_table.hpp's functions
// (inline, or built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/monitor/dashboard_table.hpp>
// What the bodies use besides their header:
#include <algorithm>
#include <array>
#include <bgagent/core/detail/duration_text.hpp>
#include <bgagent/monitor/detail/display_width.hpp>
#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace bgagent {
namespace detail {

BGAGENT_INLINE std::size_t nameColumnWidth(const std::vector<DashboardRow>& rows,
                                           std::size_t width) {
  std::size_t widest = displayWidth("Agent");
  for (const DashboardRow& row : rows) widest = std::max(widest, displayWidth(row.name));
  // The name gives way first: status, duration and a bar with its percent need 43 columns;
  // past 30 columns a name is cut.
  const std::size_t room = std::min<std::size_t>(kLongestName, width > 43 ? width - 43 : 8);
  return std::clamp<std::size_t>(widest, 5, std::max<std::size_t>(room, 8));
}

BGAGENT_INLINE std::string progressText(const DashboardRow& row) {
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

BGAGENT_INLINE TableLine rowLine(const DashboardRow& row, std::size_t nameWidth,
                                 std::size_t width) {
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

BGAGENT_INLINE bool isRunning(const DashboardRow& row) {
  return row.status == Status::Running || row.status == Status::Stalled;
}

BGAGENT_INLINE std::optional<double> secondsLeftByProgress(const DashboardRow& row) {
  const std::optional<double> percent = row.progress.percent;
  if (!percent || !(*percent > 0.0 && *percent < 100.0)) return std::nullopt;
  const double ran = std::chrono::duration<double>(row.duration).count();
  const double left = ran * (100.0 - *percent) / *percent;
  if (!(left <= kLongestEstimateSeconds)) return std::nullopt;
  return left;
}

BGAGENT_INLINE std::optional<SteadyClock::duration> estimatedTimeLeft(
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

BGAGENT_INLINE std::string summaryLine(const std::vector<DashboardRow>& rows) {
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

BGAGENT_INLINE std::vector<bool> rowsShown(const std::vector<DashboardRow>& rows,
                                           std::size_t height) {
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

BGAGENT_INLINE std::string foldedLine(const std::vector<DashboardRow>& rows,
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

BGAGENT_INLINE std::vector<TableLine> tableLines(const std::vector<DashboardRow>& rows,
                                                 std::size_t width, std::size_t height) {
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

BGAGENT_INLINE std::string renderTable(const std::vector<DashboardRow>& rows, std::size_t width,
                                       std::size_t height) {
  std::string text;
  for (const detail::TableLine& line : detail::tableLines(rows, width, height)) {
    text += line.text + "\n";
  }
  return text;
}

}  // namespace bgagent
