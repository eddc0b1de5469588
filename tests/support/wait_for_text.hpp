// SPDX-License-Identifier: MIT
// tests/support/wait_for_text.hpp: waiting until a file holds a text, the event a test needs
// before it checks that something did not happen yet (an agent is past its `trap`, say).
#pragma once

#include <bgagent/runtime/watcher.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>

#include "../catch.hpp"
#include "test_support.hpp"

namespace bgagent::test {

/// Waits, through a watcher with a runtime of its own, until `path` contains `text`. The text
/// must come before the file fails or completes: a settled watch reads no more.
inline void waitForText(const std::filesystem::path& path, const std::string& text) {
  std::mutex mutex;
  std::condition_variable seen;
  bool found = false;
  Watcher watcher;
  WaitOptions options;
  options.onUpdate = [&](const OutputSnapshot&) {
    if (readFile(path).find(text) == std::string::npos) return;
    std::lock_guard lock(mutex);
    found = true;
    seen.notify_all();
  };
  auto handle = watcher.watch(path, options, [](WaitOutcome) {});
  std::unique_lock lock(mutex);
  REQUIRE(seen.wait_for(lock, std::chrono::seconds(20), [&] { return found; }));
}

}  // namespace bgagent::test
