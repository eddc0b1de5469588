// SPDX-License-Identifier: MIT
// bgagent/runtime/watcher_inl.hpp: the bodies of watcher.hpp's functions (inline in
// header-only mode, built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/runtime/watcher.hpp>
// What the bodies use besides their header:
#include <cstdint>
#include <stdexcept>
#include <utility>

namespace bgagent {

BGAGENT_INLINE Watcher::Watcher(WatcherOptions options)
    : owned_(std::in_place, RuntimeOptions{.forcePolling = options.forcePolling,
                                           .maxOpenOutputFiles = options.maxOpenOutputFiles}),
      core_(owned_->core()) {}

BGAGENT_INLINE Watcher::Watcher(Runtime& runtime) : core_(runtime.core()) {}

BGAGENT_INLINE WatchHandle Watcher::watch(const std::filesystem::path& outputFile,
                                          WaitOptions options, SettledCallback onSettled) {
  const std::shared_ptr<detail::RuntimeCore> runtime = core();
  if (runtime->forkedAway()) {
    throw std::logic_error(
        "bgagent: watch() on a runtime of the parent process, in a forked child: it has no "
        "thread here (use Watcher::shared(), or a Runtime made in the child)");
  }
  detail::FileWatches& watches = runtime->watches();
  const std::uint64_t id = watches.watch(outputFile, std::move(options), std::move(onSettled));
  return id == 0 ? WatchHandle() : WatchHandle(&watches, id);
}

BGAGENT_INLINE void Watcher::cancelWatch(std::uint64_t id) {
  core()->watches().cancelWatch(id);
}

BGAGENT_INLINE bool Watcher::isWatcherThread() const {
  return core()->isLoopThread();
}

BGAGENT_INLINE bool Watcher::usesInotify() const {
  return core()->watches().usesInotify();
}

BGAGENT_INLINE Watcher& Watcher::shared() {
  static Watcher watcher{FollowDefault{}};
  static_cast<void>(detail::DefaultRuntime::get());
  return watcher;
}

BGAGENT_INLINE std::shared_ptr<detail::RuntimeCore> Watcher::core() const {
  return followsDefault_ ? detail::DefaultRuntime::get() : core_;
}

}  // namespace bgagent
