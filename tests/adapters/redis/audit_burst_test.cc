// The burst detector alone, on made-up times (no clock, no Redis).
#include "adapters/redis/audit_burst.h"

#include <gtest/gtest.h>

namespace sd::redis {
namespace {

TEST(AuditBurstDetector, AlertsOnceWhenAReasonExceedsTheThresholdInTheWindow) {
  AuditBurstDetector d(60'000, 3);
  EXPECT_FALSE(d.Record("bad_signature", 0));
  EXPECT_FALSE(d.Record("bad_signature", 1'000));
  EXPECT_FALSE(d.Record("bad_signature", 2'000));
  EXPECT_TRUE(d.Record("bad_signature", 3'000));   // the 4th within a minute
  EXPECT_FALSE(d.Record("bad_signature", 3'500));  // same burst: no second alert
  EXPECT_FALSE(d.Record("bad_signature", 4'000));
  // Other reasons count on their own.
  EXPECT_FALSE(d.Record("unknown_key", 4'000));
  EXPECT_EQ(d.Count("unknown_key", 4'000), 1u);
  // The count is capped (threshold + 1): a flood costs no more memory than a burst.
  EXPECT_EQ(d.Count("bad_signature", 4'000), 4u);
}

TEST(AuditBurstDetector, TheWindowSlidesAndAQuietReasonAlertsAgain) {
  AuditBurstDetector d(60'000, 3);
  for (int64_t t : {0, 10, 20}) EXPECT_FALSE(d.Record("revoked_key", t));
  // Spread out: never more than 3 in any minute.
  EXPECT_FALSE(d.Record("revoked_key", 60'001));
  EXPECT_EQ(d.Count("revoked_key", 60'001), 3u);  // the event at 0 left the window
  EXPECT_FALSE(d.Record("revoked_key", 60'015));  // 10 left: 20, 60001, 60015
  EXPECT_TRUE(d.Record("revoked_key", 60'019));   // 20, 60001, 60015, 60019: 4 in a minute
  // Quiet for a while (the window empties), then a new burst alerts again.
  EXPECT_EQ(d.Count("revoked_key", 200'000), 0u);
  for (int64_t t : {200'000, 200'001, 200'002}) EXPECT_FALSE(d.Record("revoked_key", t));
  EXPECT_TRUE(d.Record("revoked_key", 200'003));
}

TEST(AuditBurstDetector, ZeroThresholdIsOff) {
  AuditBurstDetector d(60'000, 0);
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(d.Record("bad_signature", i));
}

}  // namespace
}  // namespace sd::redis
