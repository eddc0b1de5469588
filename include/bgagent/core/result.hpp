// SPDX-License-Identifier: MIT
// bgagent/core/result.hpp: Result<T>, a value or an Error.
//
// Expected failures (an agent failing, a malformed file, a timeout) are values, not exceptions.
// Result<T> has std::expected's member names (has_value, value, error, value_or, operator*, ->)
// so code written against it moves to std::expected<T, Error> unchanged. value() on an error
// throws bgagent::Exception carrying that Error.
// Thread safety: a value type, like std::optional.
#pragma once

#include <bgagent/core/detail/config.hpp>
#include <bgagent/core/error.hpp>
#include <type_traits>
#include <utility>
#include <variant>

namespace bgagent {

/// A T or an Error. Implicitly built from either.
template <typename T>
class BGAGENT_NODISCARD_RESULT Result {
  static_assert(!std::is_same_v<std::remove_cv_t<T>, Error>, "Result<Error> is ambiguous");
  static_assert(!std::is_reference_v<T>, "Result<T&> is not supported");

 public:
  using value_type = T;      ///< the value's type, as std::expected names it
  using error_type = Error;  ///< always Error

  /// Holds a default-constructed T.
  Result() requires std::is_default_constructible_v<T> : storage_(std::in_place_index<0>) {}
  /// Holds `value`.
  Result(T value)
      : storage_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  /// Holds `error`.
  Result(Error error)
      : storage_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit by design

  /// Whether it holds a value rather than an error.
  bool has_value() const noexcept {
    return storage_.index() == 0;
  }  // NOLINT(readability-identifier-naming): std::expected's name
  /// As has_value().
  explicit operator bool() const noexcept { return has_value(); }

  /// The value; throws bgagent::Exception with the error when there is none.
  T& value() & {
    throwIfError();
    return std::get<0>(storage_);
  }
  /// The value; throws bgagent::Exception with the error when there is none.
  const T& value() const& {
    throwIfError();
    return std::get<0>(storage_);
  }
  /// The value, moved out; throws bgagent::Exception with the error when there is none.
  T&& value() && {
    throwIfError();
    return std::get<0>(std::move(storage_));
  }

  /// The error. Precondition: !has_value().
  const Error& error() const& noexcept { return std::get<1>(storage_); }
  /// The error. Precondition: !has_value().
  Error& error() & noexcept { return std::get<1>(storage_); }

  /// The value, or `fallback` converted to T when there is an error.
  template <typename U>
  T value_or(U&& fallback) const& {  // NOLINT(readability-identifier-naming): std::expected's name
    return has_value() ? std::get<0>(storage_) : static_cast<T>(std::forward<U>(fallback));
  }

  /// Precondition: has_value() (as for std::expected; a violation terminates).
  T& operator*() & noexcept { return std::get<0>(storage_); }
  /// Precondition: has_value() (as for std::expected; a violation terminates).
  const T& operator*() const& noexcept { return std::get<0>(storage_); }
  /// Precondition: has_value() (as for std::expected; a violation terminates).
  T* operator->() noexcept { return &std::get<0>(storage_); }
  /// Precondition: has_value() (as for std::expected; a violation terminates).
  const T* operator->() const noexcept { return &std::get<0>(storage_); }

 private:
  void throwIfError() const {
    if (!has_value()) throw Exception(std::get<1>(storage_));
  }

  std::variant<T, Error> storage_;
};

/// Success or an Error, with nothing to carry on success.
template <>
class BGAGENT_NODISCARD_RESULT Result<void> {
 public:
  using value_type = void;   ///< no value, as std::expected<void, E> names it
  using error_type = Error;  ///< always Error

  /// Success.
  Result() = default;
  /// Holds `error`.
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT: implicit by design

  /// Whether it is a success rather than an error.
  bool has_value() const noexcept {
    return !failed_;
  }  // NOLINT(readability-identifier-naming): std::expected's name
  /// As has_value().
  explicit operator bool() const noexcept { return has_value(); }

  /// Throws bgagent::Exception with the error when there is one.
  void value() const {
    if (failed_) throw Exception(error_);
  }

  /// The error. Precondition: !has_value().
  const Error& error() const& noexcept { return error_; }
  /// The error. Precondition: !has_value().
  Error& error() & noexcept { return error_; }

 private:
  Error error_;
  bool failed_ = false;
};

}  // namespace bgagent
