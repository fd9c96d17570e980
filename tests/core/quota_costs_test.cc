// What a job costs against the quotas (core/quota_costs.h): the most specific entry wins, a
// job no entry matches costs one unit per segment, and nothing wraps.
#include "core/quota_costs.h"

#include <gtest/gtest.h>

#include <limits>

namespace sd {
namespace {

TEST(QuotaCostsTest, TheMostSpecificEntryWins) {
  const QuotaCosts costs({{"DE", "sim", 9}, {"DE", "", 7}, {"", "sim", 5}, {"", "", 2}});
  EXPECT_EQ(costs.UnitsFor("DE", "sim", 3), 27);    // country and carrier
  EXPECT_EQ(costs.UnitsFor("DE", "other", 3), 21);  // country alone
  EXPECT_EQ(costs.UnitsFor("LV", "sim", 3), 15);    // carrier alone
  EXPECT_EQ(costs.UnitsFor("LV", "other", 3), 6);   // the default entry
  EXPECT_EQ(costs.UnitsFor("", "", 1), 2);          // region unknown, no carrier: the default
}

TEST(QuotaCostsTest, WithoutADefaultAnUnmatchedJobCostsOneUnitPerSegment) {
  const QuotaCosts costs({{"DE", "", 7}});
  EXPECT_EQ(costs.UnitsFor("LV", "sim", 4), 4);
  EXPECT_EQ(costs.UnitsFor("DE", "sim", 4), 28);
  EXPECT_EQ(costs.UnitsFor("DE", "sim", 0), 0);
}

TEST(QuotaCostsTest, NeverWraps) {
  const QuotaCosts costs({{"", "", kMaxQuotaCostPerSegment}});
  EXPECT_EQ(costs.UnitsFor("DE", "sim", std::numeric_limits<int64_t>::max() / 2),
            std::numeric_limits<int64_t>::max());
}

TEST(QuotaCostsTest, RegionCodesAreTwoCapitalLettersOr001) {
  EXPECT_TRUE(ValidRegionCode("DE"));
  EXPECT_TRUE(ValidRegionCode("001"));
  for (const char* bad : {"", "de", "D", "DEU", "D1", "002"}) {
    EXPECT_FALSE(ValidRegionCode(bad)) << bad;
  }
}

}  // namespace
}  // namespace sd
