// SPDX-License-Identifier: MIT
// bgagent/bgagent.hpp: the umbrella header. Includes every public header, nothing else.
// The folders are layers; each includes only the ones listed before it (docs/architecture.md).
#pragma once

#include <bgagent/agents/agent_backend.hpp>
#include <bgagent/agents/agent_registry.hpp>
#include <bgagent/agents/function_backend.hpp>
#include <bgagent/agents/launch_options.hpp>
#include <bgagent/agents/process_backend.hpp>
#include <bgagent/agents/reattach.hpp>
#include <bgagent/agents/task.hpp>
#include <bgagent/agents/task_view.hpp>
#include <bgagent/combinators/combinators.hpp>
#include <bgagent/combinators/fallback.hpp>
#include <bgagent/combinators/from_future.hpp>
#include <bgagent/combinators/resource_pool.hpp>
#include <bgagent/combinators/retry.hpp>
#include <bgagent/combinators/run_limited.hpp>
#include <bgagent/combinators/sequence.hpp>
#include <bgagent/combinators/then.hpp>
#include <bgagent/combinators/time_limit.hpp>
#include <bgagent/combinators/tuple_combinators.hpp>
#include <bgagent/core/child_progress.hpp>
#include <bgagent/core/cleanup_policy.hpp>
#include <bgagent/core/clock.hpp>
#include <bgagent/core/error.hpp>
#include <bgagent/core/fsync_policy.hpp>
#include <bgagent/core/progress.hpp>
#include <bgagent/core/result.hpp>
#include <bgagent/core/status.hpp>
#include <bgagent/core/stop_reason.hpp>
#include <bgagent/core/version.hpp>
#include <bgagent/monitor/dashboard.hpp>
#include <bgagent/monitor/dashboard_table.hpp>
#include <bgagent/monitor/event_log.hpp>
#include <bgagent/protocol/agent_state.hpp>
#include <bgagent/protocol/output_file.hpp>
#include <bgagent/protocol/output_parser.hpp>
#include <bgagent/protocol/output_writer.hpp>
#include <bgagent/protocol/protocol.hpp>
#include <bgagent/protocol/result_conversion.hpp>
#include <bgagent/protocol/wait_outcome.hpp>
#include <bgagent/runtime/runtime.hpp>
#include <bgagent/runtime/wait.hpp>
#include <bgagent/runtime/watch_handle.hpp>
#include <bgagent/runtime/watcher.hpp>
