// SPDX-License-Identifier: MIT
// tests/support/test_support.hpp: what the tests share: temporary directories, file helpers,
// leak checks on descriptors and threads, and the syscall fault-injection seam.
#pragma once

#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

#include <bgagent/core/detail/syscall.hpp>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

namespace bgagent::test {

/// A [START] and a [COMPLETE] line with fixed times, for files written by hand.
inline constexpr const char* kStartLine = "[START] 2026-01-30T10:00:00Z\n";
inline constexpr const char* kCompleteLine = "[COMPLETE] 2026-01-30T10:05:00Z\n";

/// A fresh directory under $TMPDIR, removed with everything in it at scope end.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "bgagent-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ignored);
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

inline std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read test file " + path.string());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void writeFile(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write test file " + path.string());
}

inline void appendFile(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot append to test file " + path.string());
}

inline std::size_t countEntries(const char* directory) {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(directory)) ++count;
  return count;
}

/// Open descriptors of this process.
inline std::size_t openDescriptorCount() {
  return countEntries("/proc/self/fd");
}

/// Threads of this process.
inline std::size_t threadCount() {
  return countEntries("/proc/self/task");
}

/// Records the process's descriptors and threads; leaked() says whether either grew.
class ResourceCounts {
 public:
  ResourceCounts() : descriptors_((warmUp(), openDescriptorCount())), threads_(threadCount()) {}
  // How many more there are now, 0 when fewer: a sanitizer runtime's own helper may hold a
  // descriptor or a thread for a moment when the first count is taken, and a fall is no leak.
  std::size_t descriptorsAdded() const { return added(openDescriptorCount(), descriptors_); }
  std::size_t threadsAdded() const { return added(threadCount(), threads_); }
  bool leaked() const { return openDescriptorCount() > descriptors_ || threadCount() > threads_; }

 private:
  static std::size_t added(std::size_t now, std::size_t before) {
    return now > before ? now - before : 0;
  }

  // Sanitizer runtimes start a helper thread at the first thread a process creates; make that
  // happen before counting, so it is not taken for a leak.
  static void warmUp() {
    static const bool warmed = [] {
      pid_t helper = 0;
      std::thread([&helper] { helper = ::gettid(); }).join();
      // join() returns once the thread is done with its stack, which can be before the kernel
      // has taken it off /proc/self/task: counted now, it would seem to vanish later.
      const auto listed = std::filesystem::path("/proc/self/task") / std::to_string(helper);
      for (int tries = 0; tries < 10000 && std::filesystem::exists(listed); ++tries) {
        std::this_thread::yield();
      }
      return true;
    }();
    (void)warmed;
  }

  std::size_t descriptors_;
  std::size_t threads_;
};

/// Replaces one entry of bgagent's syscall table for the scope (no other bgagent thread may
/// run meanwhile).
template <typename Pointer>
class ScopedSyscall {
 public:
  ScopedSyscall(Pointer& entry, Pointer replacement) : entry_(entry), saved_(entry) {
    entry_ = replacement;
  }
  ~ScopedSyscall() { entry_ = saved_; }
  ScopedSyscall(const ScopedSyscall&) = delete;
  ScopedSyscall& operator=(const ScopedSyscall&) = delete;

 private:
  Pointer& entry_;
  Pointer saved_;
};

}  // namespace bgagent::test
