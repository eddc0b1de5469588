// SPDX-License-Identifier: MIT
// bgagent/combinators/resource_pool.hpp: named pools of slots shared across combinators
// (docs/combinators.md): two "build" slots, four "llm" slots.
//
// Owns: ResourcePool. run(launch) returns a Task at once; the launch is called when a slot is
// free (in submission order), and the slot is released when that task settles, whatever the
// way: success, failure, cancellation, kill. A launch still waiting when its task is cancelled
// never starts.
// Threads: none of its own. A waiting launch is called by the thread that released the slot
// (the one that settled the task before it), or by run()'s caller when a slot is free.
// Lifetime: the pool may be destroyed before its tasks; they keep what they need.
// Example:
//   bgagent::ResourcePool builds("build", 2);
//   std::vector<bgagent::Task<>> tasks;
//   for (const std::string& target : targets)
//     tasks.push_back(builds.run([target] { return bgagent::launch({.prompt = "make " + target});
//     }));
#pragma once

#include <bgagent/agents/task.hpp>
#include <bgagent/combinators/detail/step_runner.hpp>
#include <bgagent/combinators/sequence.hpp>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>

namespace bgagent {

namespace detail {

/// A pool's slots and the launches waiting for one; shared by the pool and its tasks.
class PoolSlots : public std::enable_shared_from_this<PoolSlots> {
 public:
  PoolSlots(std::string name, std::size_t slots) : name_(std::move(name)), slots_(slots) {}

  const std::string& name() const noexcept { return name_; }
  std::size_t slots() const noexcept { return slots_; }

  std::size_t inUse() const {
    std::lock_guard lock(mutex_);
    return inUse_;
  }
  std::size_t waiting() const {
    std::lock_guard lock(mutex_);
    return waiting_.size();
  }

  /// Runs `start` now if a slot is free, else when one is released. `start` returns whether it
  /// took the slot; one that took it calls release() once what it started has settled.
  void acquire(std::function<bool()> start) {
    {
      std::lock_guard lock(mutex_);
      if (inUse_ == slots_) {
        waiting_.push_back(std::move(start));
        return;
      }
      ++inUse_;
    }
    if (!start()) release();
  }

  /// Gives the slot to the first waiting launch that takes it, or frees it. One loop at a time:
  /// a release while it runs (a launched task that settled at once, or one settling on another
  /// thread) is counted and handled by that loop, so a long queue costs no stack.
  void release() {
    {
      std::lock_guard lock(mutex_);
      ++releases_;
      if (releasing_) return;
      releasing_ = true;
    }
    while (true) {
      std::function<bool()> next;
      {
        std::lock_guard lock(mutex_);
        if (releases_ == 0) {
          releasing_ = false;
          return;
        }
        if (waiting_.empty()) {
          --releases_;
          --inUse_;
          continue;
        }
        next = std::move(waiting_.front());
        waiting_.pop_front();
      }
      // The slot goes to `next`; the release is used up once it took it.
      const bool took = next();
      if (took) {
        std::lock_guard lock(mutex_);
        --releases_;
      }
    }
  }

 private:
  const std::string name_;
  const std::size_t slots_;
  mutable std::mutex mutex_;
  std::size_t inUse_ = 0;                      // guarded by mutex_
  std::deque<std::function<bool()>> waiting_;  // guarded by mutex_
  std::size_t releases_ = 0;                   // slots given back, not yet passed on; mutex_
  bool releasing_ = false;                     // a release loop runs; guarded by mutex_
};

}  // namespace detail

/// A named number of slots that launches share, across combinators: run() holds a slot from a
/// launch until its task settles, and later launches wait for one in submission order.
class ResourcePool {
 public:
  /// A pool of `slots` slots (at least 1) named `name` for messages.
  ResourcePool(std::string name, std::size_t slots)
      : slots_(std::make_shared<detail::PoolSlots>(std::move(name), slots)) {
    if (slots == 0) throw std::invalid_argument("bgagent: a ResourcePool needs at least one slot");
  }

  /// The name given at construction.
  const std::string& name() const noexcept { return slots_->name(); }
  /// How many slots the pool has in all.
  std::size_t slots() const noexcept { return slots_->slots(); }
  /// Slots taken now (a test's or a dashboard's view; it may change at once).
  std::size_t inUse() const { return slots_->inUse(); }
  /// Launches waiting for a slot now.
  std::size_t waiting() const { return slots_->waiting(); }

  /// A task that runs `launch()`'s task once a slot is free; the slot is held until it settles.
  template <typename Launch>
  Task<detail::LaunchedValue<Launch>> run(Launch launch) {
    using T = detail::LaunchedValue<Launch>;
    auto runner = detail::StepRunner<T>::create("pool '" + name() + "' task");
    // Cancelled while waiting: settle at once; the slot, when it comes, is passed on unused.
    runner->setStopper([weak = std::weak_ptr<detail::StepRunner<T>>(runner)](detail::EndReason) {
      if (auto alive = weak.lock()) alive->fail(alive->stoppedError());
    });
    slots_->acquire([runner, slots = slots_, launch = std::move(launch)]() mutable {
      if (runner->stopped() != detail::EndReason::None || runner->settled()) {
        runner->fail(runner->stoppedError());
        return false;  // never started: the slot goes on
      }
      Result<Task<T>> task = detail::launchStage<T>(launch);
      if (!task) {
        Error error = task.error();
        error.message = "pool '" + slots->name() + "': the launch failed: " + error.message;
        runner->fail(std::move(error));
        return false;
      }
      runner->run(std::move(*task), [slots](const std::shared_ptr<detail::StepRunner<T>>& self,
                                            Result<T> result) {
        slots->release();  // before settling: a waiter may start while this task's caller reads
        if (result) {
          self->succeed(std::move(*result));
        } else {
          self->fail(std::move(result).error());
        }
      });
      return true;
    });
    return runner->task();
  }

 private:
  std::shared_ptr<detail::PoolSlots> slots_;
};

}  // namespace bgagent
