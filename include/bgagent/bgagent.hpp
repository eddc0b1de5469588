// bgagent/bgagent.hpp: the umbrella header. Includes every public header, nothing else.
#pragma once

#include <bgagent/agent_registry.hpp>
#include <bgagent/agent_state.hpp>
#include <bgagent/combinators.hpp>
#include <bgagent/error.hpp>
#include <bgagent/fallback.hpp>
#include <bgagent/from_future.hpp>
#include <bgagent/launch_options.hpp>
#include <bgagent/output_file.hpp>
#include <bgagent/output_parser.hpp>
#include <bgagent/output_writer.hpp>
#include <bgagent/protocol.hpp>
#include <bgagent/resource_pool.hpp>
#include <bgagent/result.hpp>
#include <bgagent/retry.hpp>
#include <bgagent/run_limited.hpp>
#include <bgagent/sequence.hpp>
#include <bgagent/task.hpp>
#include <bgagent/then.hpp>
#include <bgagent/timeout.hpp>
#include <bgagent/tuple_combinators.hpp>
#include <bgagent/version.hpp>
#include <bgagent/wait.hpp>
#include <bgagent/wait_outcome.hpp>
#include <bgagent/watch_handle.hpp>
#include <bgagent/watcher.hpp>
