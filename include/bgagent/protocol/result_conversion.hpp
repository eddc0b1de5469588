// SPDX-License-Identifier: MIT
// bgagent/protocol/result_conversion.hpp: a RESULT value converted to the type a host wants,
// with an error that names the member that did not fit.
//
// Owns: convertResult<T> (what Task<T> uses; a host reading output files itself can too).
// Thread safety: a pure function of its argument, as the type's from_json must be.
#pragma once

#include <bgagent/core/detail/config.hpp>
#include <bgagent/core/error.hpp>
#include <bgagent/core/result.hpp>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bgagent {

namespace detail {

/// A failed conversion's message, read: its text without nlohmann_json's "[json.exception...]"
/// tag, the member path when the message names one (a program built with JSON_DIAGNOSTICS), and
/// for "type must be X, but is Y" the type found (Y) and a value of the type wanted (X).
struct ConversionFailure {
  std::string text;
  std::string path;
  std::string foundType;
  nlohmann::json expectedValue;  // null when X is not a type a member can be given
};

BGAGENT_INLINE ConversionFailure readConversionFailure(const nlohmann::json& value,
                                                       std::string_view what);

/// A member of a RESULT: where it is, for nlohmann_json and for a reader (".tests[2].name").
struct ResultMember {
  nlohmann::json::json_pointer pointer;
  std::string path;
};

/// The members (not the whole value) whose type is `typeName`, in document order; at most
/// `limit` + 1, so that a caller can tell there were more than it will try.
BGAGENT_INLINE std::vector<ResultMember> membersOfType(const nlohmann::json& value,
                                                       std::string_view typeName,
                                                       std::size_t limit);

/// The member a failed "type must be X, but is Y" conversion stumbled on, found by converting
/// again with one member of type Y at a time given a value of type X: the member whose change
/// makes the conversion succeed, or fail elsewhere (not on that member now being X). Empty when
/// none does, or when more than 64 members would have to be tried. The value is copied once;
/// each member is changed and put back in the copy.
template <typename T>
std::string findMismatchedMember(const nlohmann::json& value, const ConversionFailure& failure,
                                 std::string_view what) {
  constexpr std::size_t kMaxTries = 64;
  const std::vector<ResultMember> candidates = membersOfType(value, failure.foundType, kMaxTries);
  if (candidates.empty() || candidates.size() > kMaxTries) return {};
  const std::string nowWrong = "type must be " + failure.foundType + ", but is " +
                               std::string(failure.expectedValue.type_name());
  nlohmann::json changed = value;
  for (const ResultMember& candidate : candidates) {
    nlohmann::json& member = changed[candidate.pointer];
    nlohmann::json original = std::exchange(member, failure.expectedValue);
    bool culprit = false;
    try {
      static_cast<void>(changed.template get<T>());
      culprit = true;
    } catch (const nlohmann::json::exception& retried) {
      const std::string_view text = retried.what();
      culprit = text != what && text.find(nowWrong) == std::string_view::npos;
    } catch (...) {  // T's from_json failing its own way on the stand-in value: not this one
    }
    member = std::move(original);
    if (culprit) return candidate.path;
  }
  return {};
}

}  // namespace detail

/// `result` converted to `T` through nlohmann_json's `from_json`. A value that does not convert
/// is an `InvalidResult` error naming the member, as in "RESULT does not convert to the requested
/// type: .passed: type must be number, but is string". The member is the one the message names
/// in a program built with JSON_DIAGNOSTICS=1; otherwise, for a type mismatch, the one found by
/// converting again with one member's type changed (so `T`'s from_json must have no side
/// effects; at most 64 members are tried, on one copy of the value).
template <typename T>
Result<T> convertResult(const nlohmann::json& result) {
  try {
    return result.template get<T>();
  } catch (const nlohmann::json::exception& error) {
    detail::ConversionFailure failure = detail::readConversionFailure(result, error.what());
    if (failure.path.empty() && !failure.expectedValue.is_null()) {
      failure.path = detail::findMismatchedMember<T>(result, failure, error.what());
    }
    return Error::of(
        ErrorCode::InvalidResult,
        "RESULT does not convert to the requested type: " +
            (failure.path.empty() ? failure.text : failure.path + ": " + failure.text));
  }
}

}  // namespace bgagent

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/protocol/result_conversion_inl.hpp>
#endif
