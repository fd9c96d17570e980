#pragma once
// The job every micro-benchmark decides: an OTP from ACME to the i-th of a block of German
// mobile numbers, valid for an hour around a fixed clock (results do not depend on the date).
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "core/job.h"

namespace sd::bench {

inline constexpr int64_t kBenchNow = 1'767'225'600'000;

inline Job BenchJob(size_t i, std::string text) {
  Job j;
  j.id = "bench-" + std::to_string(i);
  j.created_ms = kBenchNow - 1000;
  j.expires_ms = kBenchNow + 3'600'000;
  j.destination = "+49151" + std::to_string(10'000'000 + i);
  j.sender = "ACME";
  j.text = std::move(text);
  j.kind = JobKind::kOtp;
  j.client_ref = "order-" + std::to_string(i);
  return j;
}

}  // namespace sd::bench
