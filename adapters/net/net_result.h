#pragma once
// The result of set-up and I/O calls in adapters/net: core's BasicResult with an error that is
// only a human-readable detail already naming the file or peer involved (STYLE habit 9). These
// errors are operator-facing start-up and connection failures, not job outcomes, so they carry
// no Reason.
#include <string>

#include "core/result.h"

namespace sd::net {

struct NetError {
  std::string detail;
};

template <typename T>
using NetResult = BasicResult<T, NetError>;

}  // namespace sd::net
