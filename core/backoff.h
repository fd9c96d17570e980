#pragma once
// Capped exponential backoff with jitter: the one schedule every retry in the daemon waits
// by (reconnecting a bind or a Redis connection, sending a part again after a temporary SMPP
// error, re-reading or re-writing Redis after an error, a job whose route is down). Pure (the
// caller owns the randomness and the timer), so tests check the delays with a seeded
// generator.
#include <cstdint>
#include <random>

namespace sd {

// Delay before attempt `n` (1 = the first retry): uniform in [max(base, c/2), c] with
// c = min(cap, base * 2^n). Always within [base, cap] (cap below base counts as base). The
// jitter spreads binds or parts that failed together, so they do not come back together.
int64_t JitteredBackoffMs(int n, int64_t base_ms, int64_t cap_ms, std::mt19937_64& rng);

// The same schedule with the attempt counted inside: Next() per failure, Reset() on success.
class Backoff {
 public:
  Backoff(int64_t base_ms, int64_t cap_ms) : base_ms_(base_ms), cap_ms_(cap_ms) {}
  int64_t Next(std::mt19937_64& rng);  // the delay to wait now; raises the ceiling
  void Reset() { attempt_ = 0; }
  // Upper bound of the last delay handed out, 0 after Reset() (for stats and tests).
  int64_t ceiling_ms() const;

 private:
  int64_t base_ms_;
  int64_t cap_ms_;
  int attempt_ = 0;
};

}  // namespace sd
