// SPDX-License-Identifier: MIT
// benchmarks/bench_support.hpp: what wait_bench and spawn_bench share: a temporary directory,
// an owned descriptor, whole writes, CLOCK_MONOTONIC in nanoseconds, percentiles, and the
// environment variables that shorten a run for a quick look (benchmarks/README.md).
#pragma once

#include <fcntl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <bgagent/core/detail/unique_fd.hpp>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace bench {

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");  // NOLINT(concurrency-mt-unsafe): read before threads
    std::string pattern =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/bgagent-bench-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::system_error(errno, std::generic_category(), "cannot create " + pattern);
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  std::string file(std::string_view name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// The library's own descriptor owner serves the benchmarks too.
using Fd = bgagent::detail::UniqueFd;

inline Fd openOrThrow(const std::string& path, int flags) {
  Fd fd(::open(path.c_str(), flags | O_CLOEXEC, 0600));
  if (!fd) throw std::system_error(errno, std::generic_category(), "cannot open " + path);
  return fd;
}

inline void writeAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) throw std::system_error(errno, std::generic_category(), "write");
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
}

/// A new file at `path` holding `bytes`.
inline void writeNewFile(const std::string& path, std::string_view bytes) {
  ::unlink(path.c_str());
  const Fd fd = openOrThrow(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND);
  writeAll(fd.get(), bytes);
}

/// CLOCK_MONOTONIC (what std::chrono::steady_clock reads on Linux) in nanoseconds: the same
/// clock in every process of the machine.
inline std::int64_t monotonicNs() noexcept {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return std::int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

/// The nearest-rank percentile (0 < p <= 100) of `values`, which it sorts.
inline double percentile(std::vector<std::int64_t>& values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto rank =
      static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
  return static_cast<double>(values[std::clamp<std::size_t>(rank, 1, values.size()) - 1]);
}

/// An unsigned number from the environment, or `fallback` when unset or not a number.
inline long environmentNumber(const char* name, long fallback) {
  const char* text = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read before threads
  if (text == nullptr || *text == '\0') return fallback;
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  return end != nullptr && *end == '\0' && value > 0 ? value : fallback;
}

/// user + system CPU time of the whole process (every thread), in nanoseconds.
inline std::int64_t processCpuNs() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto ns = [](const timeval& time) {
    return std::int64_t{time.tv_sec} * 1'000'000'000 + std::int64_t{time.tv_usec} * 1000;
  };
  return ns(usage.ru_utime) + ns(usage.ru_stime);
}

}  // namespace bench
