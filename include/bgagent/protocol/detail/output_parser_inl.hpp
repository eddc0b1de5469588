// SPDX-License-Identifier: MIT
// bgagent/protocol/detail/output_parser_inl.hpp: the bodies of output_parser.hpp's functions
// (inline, or built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/protocol/output_parser.hpp>
// What the bodies use besides their header:
#include <string>
#include <string_view>
#include <utility>

namespace bgagent {

BGAGENT_INLINE OutputSnapshot parseOutput(std::string_view text, std::string sourceName,
                                          ParserLimits limits) {
  OutputParser parser(std::move(sourceName), limits);
  parser.feed(text);
  return parser.snapshot();
}

}  // namespace bgagent
