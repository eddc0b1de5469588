// SPDX-License-Identifier: MIT
#include <bgagent/protocol/protocol.hpp>

#include "catch.hpp"

using bgagent::protocol::Marker;
using bgagent::protocol::markerOf;

TEST_CASE("a known tag at column 0 followed by a space or the line end is a marker", "[protocol]") {
  std::string_view text;
  CHECK(markerOf("[START] 2026-01-30T10:00:00Z", text) == Marker::Start);
  CHECK(text == "2026-01-30T10:00:00Z");
  CHECK(markerOf("[RESULT]", text) == Marker::Result);
  CHECK(text.empty());
  CHECK(markerOf("[PROGRESS] ", text) == Marker::Progress);
  CHECK(text.empty());
  CHECK(markerOf("[ERROR] boom", text) == Marker::Error);
  CHECK(markerOf("[COMPLETE] x", text) == Marker::Complete);
  CHECK(markerOf("[HEARTBEAT]", text) == Marker::Heartbeat);
  CHECK(markerOf("[EXIT] status=0", text) == Marker::Exit);
  CHECK(text == "status=0");
}

TEST_CASE("look-alikes of markers are free output", "[protocol]") {
  std::string_view text;
  CHECK_FALSE(markerOf("[PROGRESS]text", text));
  CHECK_FALSE(markerOf(" [PROGRESS] indented", text));
  CHECK_FALSE(markerOf("see [ERROR] above", text));
  CHECK_FALSE(markerOf("[progress] lower", text));
  CHECK_FALSE(markerOf("[DEBUG] unknown", text));
  CHECK_FALSE(markerOf("[STARTED] longer tag", text));
  CHECK_FALSE(markerOf("[EXITED] longer tag", text));
  CHECK_FALSE(markerOf("[", text));
  CHECK_FALSE(markerOf("", text));
}
