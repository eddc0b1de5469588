// SPDX-License-Identifier: MIT
// bgagent/runtime/wait_inl.hpp: the bodies of wait.hpp's functions (inline in header-only
// mode, built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/runtime/wait.hpp>
// What the bodies use besides their header:
#include <future>
#include <memory>
#include <stdexcept>
#include <utility>

namespace bgagent {

BGAGENT_INLINE WaitOutcome waitForCompletion(const std::filesystem::path& outputFile,
                                             WaitOptions options, Watcher& watcher) {
  if (watcher.isWatcherThread()) {
    throw std::logic_error(
        "bgagent: waitForCompletion called from a callback of the watcher it "
        "waits on, which would wait forever");
  }
  auto promise = std::make_shared<std::promise<WaitOutcome>>();
  std::future<WaitOutcome> future = promise->get_future();
  const WatchHandle handle =
      watcher.watch(outputFile, std::move(options),
                    [promise](WaitOutcome outcome) { promise->set_value(std::move(outcome)); });
  return future.get();
}

BGAGENT_INLINE WaitOutcome waitForCompletion(const std::filesystem::path& outputFile,
                                             SteadyClock::duration timeout) {
  WaitOptions options;
  options.timeout = timeout;
  return waitForCompletion(outputFile, std::move(options));
}

}  // namespace bgagent
