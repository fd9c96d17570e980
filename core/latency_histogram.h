#pragma once
// A fixed-bucket latency histogram for the metrics endpoint (docs/operations.md): counts per
// upper bound, the sum and the count, as Prometheus histograms carry them. Observing is an
// array increment found by a short scan (no allocation, no lock): it runs once per job on the
// loop thread. The bounds are fixed at compile time so every daemon exposes the same buckets
// and fleet-wide quantiles can be computed from their sums.
#include <array>
#include <cstddef>
#include <cstdint>

namespace sd {

class LatencyHistogram {
 public:
  // Upper bounds in microseconds, roughly ×2.5 apart: 50 µs .. 60 s. What falls above the last
  // lands only in the +Inf bucket (count()).
  static constexpr std::array<int64_t, 18> kBoundsUs = {
      50,     100,     250,     500,     1'000,     2'500,     5'000,     10'000,     25'000,
      50'000, 100'000, 250'000, 500'000, 1'000'000, 2'500'000, 5'000'000, 10'000'000, 60'000'000};

  // A negative duration (clocks stepped back) counts as zero rather than being lost.
  void Observe(int64_t us) {
    if (us < 0) us = 0;
    size_t i = 0;
    while (i < kBoundsUs.size() && us > kBoundsUs[i]) ++i;
    ++counts_[i];
    ++count_;
    sum_us_ += static_cast<uint64_t>(us);
  }

  // Observations <= kBoundsUs[i] (cumulative, as Prometheus buckets are).
  uint64_t CumulativeCount(size_t i) const {
    uint64_t n = 0;
    for (size_t k = 0; k <= i && k < kBoundsUs.size(); ++k) n += counts_[k];
    return n;
  }
  // Adds another histogram's observations (a sharded store reports its shards' as one).
  void Merge(const LatencyHistogram& o) {
    for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += o.counts_[i];
    count_ += o.count_;
    sum_us_ += o.sum_us_;
  }
  uint64_t count() const { return count_; }
  uint64_t sum_us() const { return sum_us_; }

 private:
  std::array<uint64_t, kBoundsUs.size() + 1> counts_{};  // the last: above every bound
  uint64_t count_ = 0;
  uint64_t sum_us_ = 0;
};

}  // namespace sd
