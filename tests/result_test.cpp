// SPDX-License-Identifier: MIT
#include <bgagent/core/result.hpp>
#include <string>

#include "catch.hpp"

using bgagent::Error;
using bgagent::ErrorCode;
using bgagent::Result;

TEST_CASE("a result built from a value holds that value", "[result]") {
  Result<std::string> result = std::string("done");
  REQUIRE(result.has_value());
  CHECK(static_cast<bool>(result));
  CHECK(result.value() == "done");
  CHECK(*result == "done");
  CHECK(result->size() == 4);
  CHECK(result.value_or("fallback") == "done");
}

TEST_CASE("a result built from an error throws that error from value()", "[result]") {
  Result<int> result = Error{ErrorCode::NotFound, "agent type 'Nope' is not registered", "", 0, 0};
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == ErrorCode::NotFound);
  CHECK(result.value_or(7) == 7);
  try {
    (void)result.value();
    FAIL("value() did not throw");
  } catch (const bgagent::Exception& exception) {
    CHECK(exception.error().message == "agent type 'Nope' is not registered");
  }
}

TEST_CASE("a void result is either success or an error", "[result]") {
  Result<void> success;
  CHECK(success.has_value());
  CHECK_NOTHROW(success.value());

  Result<void> failure = Error{ErrorCode::Io, "cannot write", "f", 3, 28};
  REQUIRE_FALSE(failure.has_value());
  CHECK(failure.error().systemError == 28);
  CHECK_THROWS_AS(failure.value(), bgagent::Exception);
}
