// The recipient's clocks from ICU's zone database (adapters/policy/icu_local_times.h): a
// region's zones, their offsets in winter and summer, and nothing for an unknown region.
#include "adapters/policy/icu_local_times.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace sd {
namespace {

constexpr int64_t kJan15 = 1'768'435'200'000;  // 2026-01-15T00:00:00Z
constexpr int64_t kJul15 = 1'784'073'600'000;  // 2026-07-15T00:00:00Z

bool Has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(IcuLocalTimes, ARegionsZonesAndTheirOffsetsThroughTheYear) {
  const IcuLocalTimes& t = *IcuLocalTimes::Shared();
  EXPECT_TRUE(Has(t.ZonesOf("DE"), "Europe/Berlin"));
  std::vector<int> offsets;
  t.OffsetsAt("DE", kJan15, &offsets);
  ASSERT_FALSE(offsets.empty());
  for (int o : offsets) EXPECT_EQ(o, 60);
  t.OffsetsAt("DE", kJul15, &offsets);
  for (int o : offsets) EXPECT_EQ(o, 120) << "summer time";
  const std::vector<std::string> us = t.ZonesOf("US");
  EXPECT_TRUE(Has(us, "America/New_York"));
  EXPECT_TRUE(Has(us, "Pacific/Honolulu"));
  t.OffsetsAt("US", kJan15, &offsets);
  EXPECT_EQ(offsets.size(), us.size());
  EXPECT_EQ(*std::max_element(offsets.begin(), offsets.end()), -300);
  EXPECT_EQ(*std::min_element(offsets.begin(), offsets.end()), -600);
  t.OffsetsAt("IN", kJul15, &offsets);
  ASSERT_EQ(offsets.size(), 1u);
  EXPECT_EQ(offsets[0], 330) << "half-hour offsets";
  t.OffsetsAt("ZZ", kJan15, &offsets);
  EXPECT_TRUE(offsets.empty());
  t.OffsetsAt("", kJan15, &offsets);
  EXPECT_TRUE(offsets.empty());
}

}  // namespace
}  // namespace sd
