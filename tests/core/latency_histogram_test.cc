#include "core/latency_histogram.h"

#include <gtest/gtest.h>

namespace sd {
namespace {

TEST(LatencyHistogram, BucketsAreCumulativeUpperBoundsInclusive) {
  LatencyHistogram h;
  h.Observe(50);     // exactly the first bound: in it
  h.Observe(51);     // just above: the second
  h.Observe(1'000);  // a bound further up
  h.Observe(-7);     // a clock stepped back: zero, not lost
  EXPECT_EQ(h.count(), 4u);
  EXPECT_EQ(h.sum_us(), 50u + 51u + 1'000u);
  EXPECT_EQ(h.CumulativeCount(0), 2u);  // 50 and the clamped 0
  EXPECT_EQ(h.CumulativeCount(1), 3u);
  EXPECT_EQ(h.CumulativeCount(3), 3u);  // 500 µs: 1 ms is not yet in
  EXPECT_EQ(h.CumulativeCount(4), 4u);
  EXPECT_EQ(h.CumulativeCount(LatencyHistogram::kBoundsUs.size() - 1), 4u);
}

TEST(LatencyHistogram, AboveTheLastBoundCountsOnlyInTheTotal) {
  LatencyHistogram h;
  h.Observe(LatencyHistogram::kBoundsUs.back() + 1);
  EXPECT_EQ(h.CumulativeCount(LatencyHistogram::kBoundsUs.size() - 1), 0u);
  EXPECT_EQ(h.count(), 1u);
}

TEST(LatencyHistogram, BoundsAscend) {
  for (size_t i = 1; i < LatencyHistogram::kBoundsUs.size(); ++i) {
    EXPECT_LT(LatencyHistogram::kBoundsUs[i - 1], LatencyHistogram::kBoundsUs[i]);
  }
}

}  // namespace
}  // namespace sd
