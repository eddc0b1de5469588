// SPDX-License-Identifier: MIT
// bgagent/agents/task_view_inl.hpp: the bodies of task_view.hpp's functions (inline in
// header-only mode, built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/agents/task_view.hpp>
// What the bodies use besides their header:
#include <cstdint>
#include <stdexcept>
#include <utility>

namespace bgagent {

BGAGENT_INLINE TaskSubscription& TaskSubscription::operator=(TaskSubscription&& other) noexcept {
  if (this != &other) {
    end();
    control_ = std::move(other.control_);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

BGAGENT_INLINE TaskSubscription::~TaskSubscription() {
  end();
}

BGAGENT_INLINE void TaskSubscription::end() noexcept {
  if (id_ == 0) return;
  if (const auto control = control_.lock()) {
    try {
      control->events.stopListening(id_);
    } catch (...) {
      // Only a lock can fail here, which would mean a broken mutex: nothing to do.
    }
  }
  id_ = 0;
}

BGAGENT_INLINE TaskSample TaskView::sample() const {
  detail::TaskCoreSample taken = core_->sample();
  return TaskSample{taken.status, taken.duration, std::move(taken.progress), taken.silentFor};
}

BGAGENT_INLINE TaskSubscription TaskView::subscribe(EventListener listener) const {
  if (!listener) throw std::invalid_argument("bgagent: TaskView::subscribe() needs a listener");
  return TaskSubscription(core_->control, core_->subscribe(listener));
}

}  // namespace bgagent
