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

#include <bgagent/core/clock.hpp>
#include <bgagent/core/progress.hpp>
#include <bgagent/core/status.hpp>
#include <bgagent/monitor/detail/display_width.hpp>
#include <cstddef>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bgagent {

/// One task as the dashboard shows it.
struct DashboardRow {
  std::string name;  ///< the display name given to Dashboard::add()
  /// The task's, or Stalled: running, but its agent has written nothing (no output, no
  /// HEARTBEAT) for DashboardOptions::stalledAfter.
  Status status = Status::Pending;
  SteadyClock::duration duration{};  ///< since launch, or from launch to settling
  Progress progress;                 ///< the latest PROGRESS, or a combined task's roll-up
  std::filesystem::path outputPath;  ///< the task's output file; empty for a combined task
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

std::size_t nameColumnWidth(const std::vector<DashboardRow>& rows, std::size_t width);

std::string progressText(const DashboardRow& row);

TableLine rowLine(const DashboardRow& row, std::size_t nameWidth, std::size_t width);

// Estimates past this are no estimate: a "1/1000000000" progress early on says nothing useful,
// and durations stay far from overflowing.
inline constexpr double kLongestEstimateSeconds = 30.0 * 24 * 3600;

bool isRunning(const DashboardRow& row);

// A running row's time left in seconds from its own progress rate, when its progress has a
// percent strictly between 0 and 100 (docs/dashboard.md, "Summary").
std::optional<double> secondsLeftByProgress(const DashboardRow& row);

// The ETA of the rows not yet finished, or nothing when one of them has no estimate.
std::optional<SteadyClock::duration> estimatedTimeLeft(const std::vector<DashboardRow>& rows);

std::string summaryLine(const std::vector<DashboardRow>& rows);

// Which rows a table of `height` lines shows: all when they fit; otherwise, keeping their order,
// the running ones first, then the failed, the pending and the succeeded. At least one row.
std::vector<bool> rowsShown(const std::vector<DashboardRow>& rows, std::size_t height);

// "+3 more: 2 pending, 1 succeeded", or empty when every row is shown.
std::string foldedLine(const std::vector<DashboardRow>& rows, const std::vector<bool>& shown);

/// The table's lines, each cut to `width`: header, rows (folded past `height`), summary.
std::vector<TableLine> tableLines(const std::vector<DashboardRow>& rows, std::size_t width,
                                  std::size_t height);

}  // namespace detail

/// The table as text, `width` columns wide and at most `height` lines (at least 4 when rows
/// are folded: the header, one row, the folded line and the summary).
std::string renderTable(const std::vector<DashboardRow>& rows, std::size_t width,
                        std::size_t height = detail::kNoHeight);

}  // namespace bgagent

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/monitor/dashboard_table_inl.hpp>
#endif
