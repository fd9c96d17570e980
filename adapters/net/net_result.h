#pragma once
// A must-use result for set-up and I/O calls in adapters/net: a value, or a human-readable
// error that already names the file or peer involved (STYLE habit 9). Not core's Result:
// these errors are operator-facing start-up and connection failures, not job outcomes.
#include <string>
#include <utility>
#include <variant>

namespace sd::net {

struct NetError {
  std::string detail;
};

template <typename T>
class [[nodiscard]] NetResult {
 public:
  NetResult(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  NetResult(NetError error) : v_(std::move(error)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const std::string& error() const { return std::get<1>(v_).detail; }

 private:
  std::variant<T, NetError> v_;
};

}  // namespace sd::net
