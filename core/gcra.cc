#include "core/gcra.h"

#include <algorithm>
#include <string>

namespace sd {
namespace {
constexpr int64_t kNsPerMs = 1'000'000;
// burst * emission interval must stay below this so now_ns + tolerance never overflows int64
// (wall-clock ns are ~1.8e18 in 2026; int64 max is ~9.2e18).
constexpr int64_t kMaxToleranceNs = 1'000'000'000'000'000'000;  // ~31.7 years
constexpr int64_t kMaxPeriodMs = 366LL * 24 * 3600 * 1000;      // one year
}  // namespace

Result<GcraParams> MakeGcraParams(const RateSpec& spec) {
  if (spec.count <= 0) return Error{Reason::kMalformed, "rate count must be > 0"};
  if (spec.period_ms <= 0) return Error{Reason::kMalformed, "rate period must be > 0 ms"};
  if (spec.period_ms > kMaxPeriodMs) {
    return Error{Reason::kMalformed, "rate period must be at most one year"};
  }
  if (spec.burst < 1) return Error{Reason::kMalformed, "burst must be >= 1"};
  const int64_t period_ns = spec.period_ms * kNsPerMs;
  if (spec.count > period_ns) {
    return Error{Reason::kMalformed, "rate above one per nanosecond is not representable"};
  }
  GcraParams p;
  p.emission_ns = (period_ns + spec.count - 1) / spec.count;  // round up: never over-admit
  if (spec.burst > kMaxToleranceNs / p.emission_ns) {
    return Error{Reason::kMalformed, "burst * (period / count) must be below ~31 years"};
  }
  p.burst = spec.burst;
  p.tolerance_ns = spec.burst * p.emission_ns;
  return p;
}

GcraVerdict GcraCharge(std::atomic<int64_t>& tat, const GcraParams& p, int64_t now_ns,
                       int64_t cost) {
  cost = std::max<int64_t>(cost, 1);
  if (cost > p.burst) return {false, kNeverNs};
  const int64_t increment = cost * p.emission_ns;  // <= tolerance_ns: no overflow
  int64_t cur = tat.load(std::memory_order_relaxed);
  for (;;) {
    // An idle bucket (TAT in the past) starts from now: unused time is not banked beyond burst.
    const int64_t next = std::max(cur, now_ns) + increment;
    if (next - now_ns > p.tolerance_ns) {
      // Refused: cur > now here (cost <= burst), so the retry time lies in the future.
      return {false, cur + increment - p.tolerance_ns};
    }
    // acq_rel: charges on one bucket are totally ordered by the CAS; on failure `cur` is
    // reloaded and the decision recomputed from the newer TAT.
    if (tat.compare_exchange_weak(cur, next, std::memory_order_acq_rel,
                                  std::memory_order_relaxed)) {
      return {true, now_ns};
    }
  }
}

GcraVerdict GcraPeek(const std::atomic<int64_t>& tat, const GcraParams& p, int64_t now_ns,
                     int64_t cost) {
  cost = std::max<int64_t>(cost, 1);
  if (cost > p.burst) return {false, kNeverNs};
  const int64_t increment = cost * p.emission_ns;
  const int64_t cur = tat.load(std::memory_order_acquire);
  if (std::max(cur, now_ns) + increment - now_ns > p.tolerance_ns) {
    return {false, cur + increment - p.tolerance_ns};
  }
  return {true, now_ns};
}

void GcraRefund(std::atomic<int64_t>& tat, const GcraParams& p, int64_t cost) {
  cost = std::min(std::max<int64_t>(cost, 1), p.burst);
  tat.fetch_sub(cost * p.emission_ns, std::memory_order_acq_rel);
}

}  // namespace sd
