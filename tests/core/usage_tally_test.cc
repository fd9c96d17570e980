// The per-key, per-day usage counters behind `keys report`: counted per key, day and field,
// drained whole, bounded, and days named in UTC.
#include "core/usage_tally.h"

#include <gtest/gtest.h>

#include <map>

namespace sd {
namespace {

TEST(UsageDay, UtcCalendarDays) {
  EXPECT_EQ(UsageDay(0), "19700101");
  EXPECT_EQ(UsageDay(1'767'225'600'000), "20260101");      // 2026-01-01T00:00:00Z
  EXPECT_EQ(UsageDay(1'767'225'599'999), "20251231");
  EXPECT_EQ(UsageDay(951'782'400'000), "20000229");        // a leap day
  EXPECT_EQ(UsageDay(4'102'444'800'000 - 1), "20991231");
}

TEST(UsageTally, CountsDrainsAndBounds) {
  UsageTally t(3);
  const int64_t day1 = 1'767'225'600'000, day2 = day1 + 86'400'000;
  t.Count("acme.v1", day1, "outcome:submitted");
  t.Count("acme.v1", day1 + 1000, "outcome:submitted");
  t.Count("acme.v1", day2, "outcome:submitted");
  t.Count("other.v1", day1, "kind:otp");
  t.Count("other.v1", day1, "kind:marketing");  // a fourth counter: over the bound
  EXPECT_EQ(t.dropped(), 1u);
  std::map<std::string, uint64_t> got;
  for (const UsageDelta& d : t.Drain()) got[d.key_id + "|" + d.day + "|" + d.field] = d.count;
  EXPECT_EQ(got, (std::map<std::string, uint64_t>{{"acme.v1|20260101|outcome:submitted", 2},
                                                  {"acme.v1|20260102|outcome:submitted", 1},
                                                  {"other.v1|20260101|kind:otp", 1}}));
  EXPECT_TRUE(t.Drain().empty());
  t.Count("other.v1", day1, "kind:marketing");  // room again after the drain
  EXPECT_EQ(t.Drain().size(), 1u);
}

}  // namespace
}  // namespace sd
