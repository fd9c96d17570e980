#pragma once
// A small must-use result type for the data path: no exceptions there (STYLE habit 9).
#include <string>
#include <utility>
#include <variant>

#include "core/reason.h"

namespace sd {

// An error names a machine-readable reason and a human-readable detail.
struct Error {
  Reason reason = Reason::kMalformed;
  std::string detail;
};

// A value or an error E: the one must-use result template. Result<T> below is core's; adapters
// alias it with an error type of their own (net::NetResult: a detail that names the file or
// peer, for the operator, with no job Reason).
template <typename T, typename E>
class [[nodiscard]] BasicResult {
 public:
  BasicResult(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  BasicResult(E error) : v_(std::move(error)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const E& error() const { return std::get<1>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, E> v_;
};

// Core's result: an error names a machine-readable Reason and a human-readable detail.
template <typename T>
using Result = BasicResult<T, Error>;

}  // namespace sd
