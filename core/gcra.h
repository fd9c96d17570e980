#pragma once
// GCRA (generic cell rate algorithm): a rate limiter whose whole state is one time, the
// "theoretical arrival time" (TAT) at which the bucket would be empty again. Charging cost n
// moves the TAT forward by n emission intervals; a charge is admitted when the new TAT lies no
// further ahead of now than the burst tolerance. One std::atomic<int64_t> and a CAS loop: no
// lock, no background refill, no per-bucket allocation (STYLE habit 7).
//
// Time is nanoseconds supplied by the caller (from the injected Clock: NowMs() * 1'000'000).
// Why integer nanoseconds and not a fixed-point interval: the emission interval is
// period_ns / count. For every rate whose count divides the period in nanoseconds (1, 2, 4, 5,
// 8, 10, 20, 25, 50, 100, 1000, ... per second; 5 per hour; ...) it is exact, so the bucket
// admits exactly count per period forever. Otherwise it is rounded UP, so the bucket never
// admits more than the configured rate; it admits less by a constant relative error below
// 1 / emission_ns (< 1e-5 for any rate up to 10,000/s), which does not accumulate into an
// over-admission. A fixed-point TAT with fractional nanoseconds would cut 64-bit range
// (wall-clock ns already use 61 bits) without removing the error for rates like 3/s.
#include <atomic>
#include <cstdint>
#include <limits>

#include "core/result.h"

namespace sd {

// count per period_ms, with a burst of up to `burst` units of cost at once.
struct RateSpec {
  int64_t count = 0;
  int64_t period_ms = 1000;
  int64_t burst = 1;
};

struct GcraParams {
  int64_t emission_ns = 0;   // time one unit of cost occupies: ceil(period_ns / count)
  int64_t burst = 1;         // most cost admitted at one instant from an idle bucket
  int64_t tolerance_ns = 0;  // burst * emission_ns: how far the TAT may run ahead of now
};

// Validates a RateSpec (count > 0, period > 0, burst >= 1, burst * interval <= ~31 years so the
// TAT never overflows) and derives the parameters. Error reason is kMalformed (config error).
Result<GcraParams> MakeGcraParams(const RateSpec& spec);

inline constexpr int64_t kNeverNs = std::numeric_limits<int64_t>::max();

struct GcraVerdict {
  bool admitted = false;
  // When refused: the earliest time the same cost would be admitted if nothing else charged
  // the bucket meanwhile (a deferral hint). kNeverNs when cost > burst (can never pass).
  // When admitted: now_ns.
  int64_t retry_at_ns = 0;
};

// Charges `cost` (>= 1; values below 1 are charged as 1) to the bucket whose TAT is `tat`.
// A refused charge leaves the bucket unchanged. Thread-safe, lock-free.
[[nodiscard]] GcraVerdict GcraCharge(std::atomic<int64_t>& tat, const GcraParams& p, int64_t now_ns,
                                     int64_t cost);

// What GcraCharge would answer now, without charging: for a caller that must say whether a
// job would pass (the HTTPS API's 429) while the charge itself happens later, once.
[[nodiscard]] GcraVerdict GcraPeek(const std::atomic<int64_t>& tat, const GcraParams& p,
                                   int64_t now_ns, int64_t cost);

// Gives back an admitted charge of `cost` (all-or-nothing charging across several buckets).
// One atomic fetch_sub: GCRA charges add, so a refund commutes with concurrent charges; a TAT
// pushed into the past is the same as an idle bucket.
void GcraRefund(std::atomic<int64_t>& tat, const GcraParams& p, int64_t cost);

// One bucket with its parameters: for limits that have a single bucket (tests, benchmarks,
// a global limit).
class GcraBucket {
 public:
  explicit GcraBucket(const GcraParams& p) : params_(p) {}
  [[nodiscard]] GcraVerdict Charge(int64_t now_ns, int64_t cost = 1) {
    return GcraCharge(tat_, params_, now_ns, cost);
  }
  void Refund(int64_t cost = 1) { GcraRefund(tat_, params_, cost); }
  const GcraParams& params() const { return params_; }
  int64_t tat_ns() const { return tat_.load(std::memory_order_relaxed); }

 private:
  const GcraParams params_;
  // The theoretical arrival time in ns: the bucket is empty (idle) once now >= tat_.
  // 0 = idle since the epoch.
  std::atomic<int64_t> tat_{0};
};

}  // namespace sd
