// GCRA bucket: exact rate over long simulated periods, burst, segment costs, deferral hints,
// refunds and parameter validation. Time is a ManualClock; nothing sleeps.
#include "core/gcra.h"

#include <gtest/gtest.h>

#include "core/clock.h"

namespace sd {
namespace {

constexpr int64_t kNsPerMs = 1'000'000;
constexpr int64_t kEpochMs = 1'767'225'600'000;  // 2026-01-01: real wall-clock magnitudes

GcraParams Params(int64_t count, int64_t period_ms, int64_t burst) {
  Result<GcraParams> p = MakeGcraParams(RateSpec{count, period_ms, burst});
  EXPECT_TRUE(p.ok()) << p.error().detail;
  return p.value();
}

TEST(GcraParams, ExactIntervalWhenCountDividesThePeriod) {
  EXPECT_EQ(Params(100, 1000, 1).emission_ns, 10'000'000);
  EXPECT_EQ(Params(5, 3'600'000, 5).emission_ns, 720'000'000'000);
  EXPECT_EQ(Params(100, 1000, 20).tolerance_ns, 200'000'000);
}

TEST(GcraParams, RoundsTheIntervalUpOtherwiseSoItNeverOverAdmits) {
  EXPECT_EQ(Params(3, 1000, 1).emission_ns, 333'333'334);
}

TEST(GcraParams, RejectsInvalidSpecsWithAClearReason) {
  auto err = [](RateSpec s) {
    Result<GcraParams> p = MakeGcraParams(s);
    return p.ok() ? std::string() : p.error().detail;
  };
  EXPECT_EQ(err({0, 1000, 1}), "rate count must be > 0");
  EXPECT_EQ(err({-1, 1000, 1}), "rate count must be > 0");
  EXPECT_EQ(err({1, 0, 1}), "rate period must be > 0 ms");
  EXPECT_EQ(err({1, 1000, 0}), "burst must be >= 1");
  EXPECT_EQ(err({1, 400LL * 86'400'000, 1}), "rate period must be at most one year");
  EXPECT_EQ(err({2'000'000'000, 1, 1}), "rate above one per nanosecond is not representable");
  EXPECT_NE(err({1, 86'400'000, 1'000'000}), "");  // 1e6 days of burst: TAT would overflow
  EXPECT_EQ(err({1, 86'400'000, 10'000}), "");
}

// Offer 10x the rate, one request per millisecond, for a long simulated period: per second
// and in total at most L, within 1 %, after the initial burst. (With burst 1 a GCRA loses up
// to one offer spacing per admission on a discrete arrival grid; a burst of 2 absorbs it.)
void OfferTenTimesTheRate(int64_t rate_per_s, int64_t burst, int64_t seconds) {
  const GcraParams p = Params(rate_per_s, 1000, burst);
  GcraBucket bucket(p);
  ManualClock clock(kEpochMs);
  const int64_t step_us = 1'000'000 / (10 * rate_per_s);  // 10x offered, in microseconds
  ASSERT_GT(step_us, 0);
  int64_t total = 0;
  int64_t now_ns = clock.NowMs() * kNsPerMs;
  for (int64_t s = 0; s < seconds; ++s) {
    int64_t in_second = 0;
    for (int64_t t = 0; t < 1'000'000; t += step_us) {
      if (bucket.Charge(now_ns + t * 1000).admitted) ++in_second;
    }
    now_ns += 1'000'000'000;
    total += in_second;
    if (s == 0) {
      EXPECT_LE(in_second, rate_per_s + burst);
    } else {
      EXPECT_GE(in_second, rate_per_s * 99 / 100) << "second " << s;
      EXPECT_LE(in_second, rate_per_s * 101 / 100) << "second " << s;
    }
  }
  EXPECT_LE(total, rate_per_s * seconds + burst);
  EXPECT_GE(total, rate_per_s * seconds * 99 / 100);
}

TEST(GcraBucket, TenTimesOfferedAdmitsTheRateExactlyWhenItDividesASecond) {
  OfferTenTimesTheRate(100, 10, 600);
}

TEST(GcraBucket, TenTimesOfferedAdmitsTheRateWithinOnePercentForARoundedInterval) {
  OfferTenTimesTheRate(3, 2, 3600);
  OfferTenTimesTheRate(7, 2, 600);
}

TEST(GcraBucket, SteadyOverloadAdmitsExactlyBurstPlusElapsedOverInterval) {
  const GcraParams p = Params(1000, 1000, 50);  // 1 ms interval
  GcraBucket bucket(p);
  const int64_t t0 = kEpochMs * kNsPerMs;
  int64_t admitted = 0;
  // 100 s of requests every 100 us.
  for (int64_t t = 0; t <= 100'000'000'000; t += 100'000)
    admitted += bucket.Charge(t0 + t).admitted;
  EXPECT_EQ(admitted, 50 + 100'000);
}

TEST(GcraBucket, IdleBucketAdmitsTheBurstAtOnceAndThenRefuses) {
  GcraBucket bucket(Params(10, 1000, 5));  // 100 ms interval
  const int64_t now = kEpochMs * kNsPerMs;
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(bucket.Charge(now).admitted) << i;
  const GcraVerdict v = bucket.Charge(now);
  EXPECT_FALSE(v.admitted);
  EXPECT_EQ(v.retry_at_ns, now + 100'000'000);
  EXPECT_FALSE(bucket.Charge(v.retry_at_ns - 1).admitted);
  EXPECT_TRUE(bucket.Charge(v.retry_at_ns).admitted);
}

TEST(GcraBucket, IdleTimeIsNotBankedBeyondTheBurst) {
  GcraBucket bucket(Params(10, 1000, 3));
  const int64_t now = kEpochMs * kNsPerMs;
  ASSERT_TRUE(bucket.Charge(now).admitted);
  const int64_t later = now + 3'600'000'000'000;  // an hour idle
  int admitted = 0;
  for (int i = 0; i < 10; ++i) admitted += bucket.Charge(later).admitted;
  EXPECT_EQ(admitted, 3);
}

TEST(GcraBucket, ChargesSegmentsNotMessages) {
  GcraBucket bucket(Params(10, 1000, 5));
  const int64_t now = kEpochMs * kNsPerMs;
  EXPECT_TRUE(bucket.Charge(now, 3).admitted);
  const GcraVerdict v = bucket.Charge(now, 3);  // 6 > 5: needs one more interval
  EXPECT_FALSE(v.admitted);
  EXPECT_EQ(v.retry_at_ns, now + 100'000'000);
  EXPECT_TRUE(bucket.Charge(now, 2).admitted);  // exactly the rest of the burst
  EXPECT_FALSE(bucket.Charge(now, 1).admitted);
  const GcraVerdict w = bucket.Charge(now, 3);
  EXPECT_EQ(w.retry_at_ns, now + 300'000'000);
  EXPECT_TRUE(bucket.Charge(w.retry_at_ns, 3).admitted);
}

TEST(GcraBucket, CostAboveBurstIsNeverAdmittedAndChangesNothing) {
  GcraBucket bucket(Params(10, 1000, 4));
  const int64_t now = kEpochMs * kNsPerMs;
  const GcraVerdict v = bucket.Charge(now, 5);
  EXPECT_FALSE(v.admitted);
  EXPECT_EQ(v.retry_at_ns, kNeverNs);
  EXPECT_EQ(bucket.tat_ns(), 0);
  EXPECT_TRUE(bucket.Charge(now, 4).admitted);
}

TEST(GcraBucket, CostBelowOneIsChargedAsOne) {
  GcraBucket bucket(Params(10, 1000, 1));
  const int64_t now = kEpochMs * kNsPerMs;
  EXPECT_TRUE(bucket.Charge(now, 0).admitted);
  EXPECT_FALSE(bucket.Charge(now, -3).admitted);
}

TEST(GcraBucket, RefusedChargeLeavesTheBucketUnchanged) {
  GcraBucket bucket(Params(10, 1000, 2));
  const int64_t now = kEpochMs * kNsPerMs;
  ASSERT_TRUE(bucket.Charge(now, 2).admitted);
  const int64_t tat = bucket.tat_ns();
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(bucket.Charge(now).admitted);
  EXPECT_EQ(bucket.tat_ns(), tat);
}

TEST(GcraBucket, RefundGivesTheBudgetBack) {
  GcraBucket bucket(Params(10, 1000, 3));
  const int64_t now = kEpochMs * kNsPerMs;
  ASSERT_TRUE(bucket.Charge(now, 3).admitted);
  EXPECT_FALSE(bucket.Charge(now).admitted);
  bucket.Refund(2);
  EXPECT_TRUE(bucket.Charge(now, 2).admitted);
  EXPECT_FALSE(bucket.Charge(now).admitted);
}

}  // namespace
}  // namespace sd
