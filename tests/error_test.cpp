// SPDX-License-Identifier: MIT
#include <bgagent/core/error.hpp>

#include "catch.hpp"

using bgagent::Error;
using bgagent::ErrorCode;

TEST_CASE("every error code has the name docs/errors.md uses", "[error]") {
  CHECK(bgagent::toString(ErrorCode::Cancelled) == "Cancelled");
  CHECK(bgagent::toString(ErrorCode::DeadlineExceeded) == "DeadlineExceeded");
  CHECK(bgagent::toString(ErrorCode::NotFound) == "NotFound");
  CHECK(bgagent::toString(ErrorCode::InvalidArgument) == "InvalidArgument");
  CHECK(bgagent::toString(ErrorCode::MalformedOutput) == "MalformedOutput");
  CHECK(bgagent::toString(ErrorCode::InvalidResult) == "InvalidResult");
  CHECK(bgagent::toString(ErrorCode::AgentFailed) == "AgentFailed");
  CHECK(bgagent::toString(ErrorCode::AgentKilled) == "AgentKilled");
  CHECK(bgagent::toString(ErrorCode::Io) == "Io");
  CHECK(bgagent::toString(ErrorCode::Internal) == "Internal");
}

TEST_CASE("an exception carries its error and uses the message as what()", "[error]") {
  Error error{ErrorCode::Io, "output file 'x': cannot open: No such file or directory", "x", 0, 2};
  bgagent::Exception exception(error);
  CHECK(std::string(exception.what()) == error.message);
  CHECK(exception.error() == error);
}
