#include "core/backoff.h"

#include <algorithm>

namespace sd {
namespace {

int64_t Ceiling(int n, int64_t base_ms, int64_t cap_ms) {
  base_ms = std::max<int64_t>(1, base_ms);
  cap_ms = std::max(cap_ms, base_ms);
  int64_t c = base_ms;
  // Doubling stops at the cap, so this never overflows however large n gets.
  for (int i = 0; i < n && c < cap_ms; ++i) c = std::min(cap_ms, c * 2);
  return c;
}

}  // namespace

int64_t JitteredBackoffMs(int n, int64_t base_ms, int64_t cap_ms, std::mt19937_64& rng) {
  const int64_t c = Ceiling(std::max(1, n), base_ms, cap_ms);
  const int64_t lo = std::max(std::max<int64_t>(1, base_ms), c / 2);
  std::uniform_int_distribution<int64_t> pick(std::min(lo, c), c);
  return pick(rng);
}

int64_t Backoff::Next(std::mt19937_64& rng) {
  if (attempt_ < 64) ++attempt_;
  return JitteredBackoffMs(attempt_, base_ms_, cap_ms_, rng);
}

int64_t Backoff::ceiling_ms() const {
  return attempt_ == 0 ? 0 : Ceiling(attempt_, base_ms_, cap_ms_);
}

}  // namespace sd
