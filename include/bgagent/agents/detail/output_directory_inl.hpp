// SPDX-License-Identifier: MIT
// bgagent/agents/detail/output_directory_inl.hpp: the bodies of output_directory.hpp's functions
// (inline, or built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/agents/detail/output_directory.hpp>
// What the bodies use besides their header:
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <string>

namespace bgagent::detail {

BGAGENT_INLINE Result<std::filesystem::path> defaultOutputDirectory() {
  std::error_code error;
  std::filesystem::path base = std::filesystem::temp_directory_path(error);
  if (error) base = "/tmp";
  const std::filesystem::path directory =
      base / ("bgagent-" + std::to_string(::getuid()) + "-" + std::to_string(::getpid()));
  // Made before the calls below, so that reading their errno follows no allocation.
  const std::string directoryText = directory.string();
  if (::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST) {
    return Error::ofErrno(directoryText, "cannot create the output directory");
  }
  struct stat status {};
  if (::lstat(directory.c_str(), &status) != 0) {
    return Error::ofErrno(directoryText, "cannot stat the output directory");
  }
  if (!S_ISDIR(status.st_mode) || status.st_uid != ::getuid() || (status.st_mode & 0077) != 0) {
    return Error::ofFile(ErrorCode::InvalidArgument, directoryText,
                         "is not a directory only this user can use");
  }
  // The directory is this process's: removed at exit when nothing was kept in it (rmdir fails
  // on a directory that still holds files, which is what CleanupPolicy::Keep asked for).
  struct RemoveIfEmptyAtExit {
    std::string path;
    ~RemoveIfEmptyAtExit() { ::rmdir(path.c_str()); }
  };
  static const RemoveIfEmptyAtExit cleaner{directory.string()};
  return directory;
}

BGAGENT_INLINE std::filesystem::path outputFileName(const std::filesystem::path& directory,
                                                    const std::string& description) {
  static std::atomic<std::uint64_t> sequence{0};
  std::string stem;
  for (const char c : description) {
    if (stem.size() >= 40) break;
    stem += std::isalnum(static_cast<unsigned char>(c)) != 0 ? c : '-';
  }
  if (stem.empty()) stem = "agent";
  return directory / (stem + "-" + std::to_string(::getpid()) + "-" +
                      std::to_string(sequence.fetch_add(1) + 1) + ".out");
}

}  // namespace bgagent::detail
