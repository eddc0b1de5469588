// SPDX-License-Identifier: MIT
// bgagent/protocol/result_conversion_inl.hpp: the bodies of result_conversion.hpp's functions
// (inline in header-only mode, built once in src/bgagent.cpp in compiled mode;
// core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/protocol/result_conversion.hpp>
// What the bodies use besides their header:
#include <algorithm>
#include <string>
#include <utility>

namespace bgagent::detail {

namespace result_conversion_detail {

// ".name" for a name jq would accept bare, else ["a name"].
inline std::string memberStep(const std::string& name) {
  bool bare = !name.empty() && (name.front() < '0' || name.front() > '9');
  for (const char c : name) {
    bare = bare &&
           ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_');
  }
  return bare ? "." + name : "[" + nlohmann::json(name).dump() + "]";
}

// The reader's path of a JSON pointer's text ("/tests/2/name"), walked through `value` so that
// array indexes read as [2]; empty if the pointer does not lead anywhere in it.
inline std::string pathOfPointer(const nlohmann::json& value, std::string_view pointer) {
  std::string path;
  const nlohmann::json* node = &value;
  while (!pointer.empty() && pointer.front() == '/') {
    pointer.remove_prefix(1);
    const std::size_t slash = pointer.find('/');
    std::string token;
    for (std::size_t i = 0; i < std::min(slash, pointer.size()); ++i) {
      if (pointer[i] == '~' && i + 1 < pointer.size() &&
          (pointer[i + 1] == '0' || pointer[i + 1] == '1')) {
        token += pointer[++i] == '0' ? '~' : '/';
      } else {
        token += pointer[i];
      }
    }
    pointer.remove_prefix(std::min(slash, pointer.size()));
    if (node->is_array()) {
      if (token.empty() || token.size() > 18 ||
          token.find_first_not_of("0123456789") != std::string::npos) {
        return {};
      }
      const std::size_t index = std::stoull(token);
      if (index >= node->size()) return {};
      path += "[" + token + "]";
      node = &(*node)[index];
    } else if (node->is_object() && node->contains(token)) {
      path += memberStep(token);
      node = &(*node)[token];
    } else {
      return {};
    }
  }
  return path;
}

inline void collectMembers(const nlohmann::json& node, const nlohmann::json::json_pointer& pointer,
                           const std::string& path, std::string_view typeName, std::size_t limit,
                           std::vector<ResultMember>& found) {
  const auto visit = [&](const nlohmann::json& child, nlohmann::json::json_pointer childPointer,
                         std::string childPath) {
    if (found.size() > limit) return;
    if (child.type_name() == typeName) found.push_back({childPointer, childPath});
    collectMembers(child, childPointer, childPath, typeName, limit, found);
  };
  if (node.is_object()) {
    for (const auto& [name, child] : node.items()) {
      visit(child, pointer / name, path + memberStep(name));
    }
  } else if (node.is_array()) {
    for (std::size_t index = 0; index < node.size(); ++index) {
      visit(node[index], pointer / index, path + "[" + std::to_string(index) + "]");
    }
  }
}

}  // namespace result_conversion_detail

BGAGENT_INLINE ConversionFailure readConversionFailure(const nlohmann::json& value,
                                                       std::string_view what) {
  ConversionFailure failure;
  if (what.starts_with("[json.exception.")) {
    const std::size_t bracket = what.find("] ");
    if (bracket != std::string_view::npos) what.remove_prefix(bracket + 2);
  }
  // JSON_DIAGNOSTICS puts the member's JSON pointer first: "(/stats/passed) type must be ...".
  if (what.starts_with("(/")) {
    const std::size_t close = what.find(") ");
    if (close != std::string_view::npos) {
      failure.path = result_conversion_detail::pathOfPointer(value, what.substr(1, close - 1));
      what.remove_prefix(close + 2);
    }
  }
  failure.text = std::string(what);

  constexpr std::string_view kMust = "type must be ";
  constexpr std::string_view kBut = ", but is ";
  if (!what.starts_with(kMust)) return failure;
  const std::size_t but = what.find(kBut);
  if (but == std::string_view::npos) return failure;
  const std::string_view expected = what.substr(kMust.size(), but - kMust.size());
  failure.foundType = std::string(what.substr(but + kBut.size()));
  if (expected == "number") failure.expectedValue = 0;
  if (expected == "string") failure.expectedValue = "";
  if (expected == "boolean") failure.expectedValue = false;
  if (expected == "array") failure.expectedValue = nlohmann::json::array();
  if (expected == "object") failure.expectedValue = nlohmann::json::object();
  return failure;
}

BGAGENT_INLINE std::vector<ResultMember> membersOfType(const nlohmann::json& value,
                                                       std::string_view typeName,
                                                       std::size_t limit) {
  std::vector<ResultMember> found;
  result_conversion_detail::collectMembers(value, nlohmann::json::json_pointer(), std::string(),
                                           typeName, limit, found);
  return found;
}

}  // namespace bgagent::detail
