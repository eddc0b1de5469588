// SPDX-License-Identifier: MIT
// bgagent/agents/detail/output_directory.hpp: where output files are created, and their names.
// The default directory is this process's own under $TMPDIR, created 0700, and refused if
// something else (a symlink, another user's directory) already sits at its name: files in a
// shared /tmp cannot be redirected. Names are unique in the process and created O_EXCL; one an
// earlier process with the same pid left behind is skipped (AgentStart::createOutputFile).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/core/result.hpp>
#include <filesystem>
#include <string>

namespace bgagent::detail {

Result<std::filesystem::path> defaultOutputDirectory();

/// `<directory>/<description's letters>-<pid>-<sequence>.out`.
std::filesystem::path outputFileName(const std::filesystem::path& directory,
                                     const std::string& description);

}  // namespace bgagent::detail

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/agents/detail/output_directory_inl.hpp>
#endif
