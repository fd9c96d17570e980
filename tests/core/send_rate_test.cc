// SendRate with time passed in: the configured ceiling, the bounded burst after idling, the drop
// and pause on ESME_RTHROTTLED (once per burst, doubling while it continues), the drop
// to the accepted share when the ESME_RMSGQFUL ratio of an interval rises, the learned baseline
// that keeps steady refusals from collapsing the rate, the additive step back up, and an unlimited
// bind returning to unlimited.
#include "core/send_rate.h"

#include <gtest/gtest.h>

namespace sd {
namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSec = 1'000 * kMs;

// Sends as fast as the pace allows from `from` for `span`; returns how many went out.
int SendFor(SendRate& r, int64_t from, int64_t span) {
  int sent = 0;
  int64_t now = from;
  while (true) {
    now = std::max(now, r.NextSendNs());
    if (now >= from + span) break;
    r.OnSent(now);
    ++sent;
  }
  return sent;
}

TEST(SendRate, UnlimitedNeverWaits) {
  SendRate r(SendRateConfig{});
  for (int i = 0; i < 1000; ++i) r.OnSent(10 * kSec);
  EXPECT_LE(r.NextSendNs(), 10 * kSec);
  EXPECT_EQ(r.rate(), 0);
}

TEST(SendRate, CeilingHoldsOverASecond) {
  SendRateConfig c;
  c.tps = 200;
  SendRate r(c);
  // From idle a bind may send at most a tenth of a second's worth at once: 20 + 200.
  const int sent = SendFor(r, 100 * kSec, kSec);
  EXPECT_GE(sent, 200);
  EXPECT_LE(sent, 221);
  // Steady state: exactly the rate.
  EXPECT_EQ(SendFor(r, 101 * kSec, kSec), 200);
}

// One adjust interval of `sent` responses spread over a second from `from`, every `refuse_every`th
// refused (0 = none); sends are recorded too, so RecentRate() sees them. Returns the interval end.
int64_t Interval(SendRate& r, int64_t from, int sent, int refuse_every) {
  for (int i = 0; i < sent; ++i) {
    const int64_t t = from + i * (kSec / sent);
    r.OnSent(t);
    if (refuse_every > 0 && (i + 1) % refuse_every == 0) {
      r.OnQueueFull(t);
    } else {
      r.OnAccepted(t);
    }
  }
  r.OnTick(from + kSec);
  return from + kSec;
}

TEST(SendRate, ThrottledHalvesTheRecentRateAndPausesOncePerBurst) {
  SendRateConfig c;
  c.throttle_pause_ms = 250;
  SendRate r(c);
  const int64_t t0 = 50 * kSec;
  for (int i = 0; i < 400; ++i) r.OnSent(t0 + i * (kSec / 400));  // 400/s, unlimited
  const int64_t t1 = t0 + 999 * kMs;  // the last second's window still holds all 400
  r.OnThrottled(t1);
  EXPECT_NEAR(r.rate(), 200, 2);
  EXPECT_EQ(r.NextSendNs(), t1 + 250 * kMs);
  // More throttled responses of the same burst (within the pause) do not halve again.
  r.OnThrottled(t1 + 10 * kMs);
  r.OnThrottled(t1 + 20 * kMs);
  EXPECT_NEAR(r.rate(), 200, 2);
  EXPECT_EQ(r.throttles(), 3u);
  // Still throttled after the pause: the next pause is twice as long.
  r.OnThrottled(t1 + 300 * kMs);
  EXPECT_EQ(r.NextSendNs(), t1 + 300 * kMs + 500 * kMs);
  EXPECT_LT(r.rate(), 200);
}

TEST(SendRate, PauseIsCappedAndRateNeverBelowTheFloor) {
  SendRateConfig c;
  c.tps = 50;
  c.min_tps = 5;
  c.throttle_pause_ms = 100;
  c.max_throttle_pause_ms = 400;
  SendRate r(c);
  int64_t now = 10 * kSec;
  for (int i = 0; i < 10; ++i) {
    now = std::max(now, r.NextSendNs()) + kMs;
    r.OnThrottled(now);
  }
  EXPECT_EQ(r.NextSendNs() - now, 400 * kMs);
  EXPECT_GE(r.rate(), 5);
}

TEST(SendRate, OneQueueFullDecidesNothing) {
  SendRateConfig c;
  c.tps = 100;
  SendRate r(c);
  r.OnQueueFull(10 * kSec);
  EXPECT_EQ(r.rate(), 100);
  EXPECT_EQ(r.throttles(), 1u);
  // A whole interval of few responses decides nothing either.
  for (int i = 0; i < 5; ++i) r.OnQueueFull(10 * kSec + i * kMs);
  r.OnTick(12 * kSec);
  EXPECT_EQ(r.rate(), 100);
}

TEST(SendRate, OverloadDropsToTheAcceptedShare) {
  SendRate r(SendRateConfig{});  // unlimited
  // 400 sent in a second, the SMSC took 100 (3 of every 4 refused): next, 100/s.
  Interval(r, 50 * kSec, 400, 0);  // a clean interval first, no decision against it
  EXPECT_EQ(r.rate(), 0);
  const int64_t t = 51 * kSec;
  for (int i = 0; i < 400; ++i) {
    r.OnSent(t + i * (kSec / 400));
    if (i % 4 == 0) {
      r.OnAccepted(t + i * (kSec / 400));
    } else {
      r.OnQueueFull(t + i * (kSec / 400));
    }
  }
  r.OnTick(t + kSec);
  EXPECT_NEAR(r.rate(), 100, 15);  // RecentRate() sees the last second in 100 ms slots
}

TEST(SendRate, QueueFullAboveACapacitySettlesNearIt) {
  // An SMSC that takes at most 100/s and answers the rest ESME_RMSGQFUL:
  // the rate ends in a narrow band around 100, never collapsing, never running away.
  SendRateConfig c;
  c.increase_tps = 10;
  SendRate r(c);
  int64_t now = 100 * kSec;
  double lo = 1e9, hi = 0;
  for (int s = 0; s < 60; ++s) {
    const int sent = r.rate() > 0 ? static_cast<int>(r.rate()) : 1000;
    const int accepted = std::min(sent, 100);
    for (int i = 0; i < sent; ++i) {
      const int64_t t = now + i * (kSec / sent);
      r.OnSent(t);
      if (i < accepted) {
        r.OnAccepted(t);
      } else {
        r.OnQueueFull(t);
      }
    }
    now += kSec;
    r.OnTick(now);
    if (s >= 10) {
      lo = std::min(lo, r.rate());
      hi = std::max(hi, r.rate());
    }
  }
  EXPECT_GE(lo, 80);
  EXPECT_LE(hi, 130);
  EXPECT_GT(lo, 0) << "never unlimited again while the SMSC keeps refusing above 100";
}

TEST(SendRate, SteadyRefusalRatioDoesNotCollapseTheRate) {
  // Every K-th submit refused whatever the pace (a queue full now and then): after one drop
  // that does not help, the ratio is the SMSC's baseline and the rate comes back to the
  // ceiling, where it stays. The old halving code ended at min_tps here.
  for (int k : {2, 4, 7, 10}) {
    SendRateConfig c;
    c.tps = 200;
    SendRate r(c);
    int64_t now = 10 * kSec;
    for (int s = 0; s < 30; ++s) {
      const int sent = static_cast<int>(r.rate());
      now = Interval(r, now, sent, k);
    }
    EXPECT_EQ(r.rate(), 200) << "K=" << k;
    EXPECT_NEAR(r.tolerated_ratio(), 1.0 / k, 0.02) << "K=" << k;
  }
}

TEST(SendRate, LearnedBaselineStillLetsOverloadSlowTheBind) {
  SendRateConfig c;
  c.tps = 200;
  SendRate r(c);
  int64_t now = 10 * kSec;
  for (int s = 0; s < 5; ++s) now = Interval(r, now, static_cast<int>(r.rate()), 10);
  ASSERT_EQ(r.rate(), 200);
  // Now half the submits are refused (overload on top of the baseline): the bind slows.
  now = Interval(r, now, 200, 2);
  EXPECT_LT(r.rate(), 150);
}

TEST(SendRate, BaselineFollowsTheSmscDown) {
  SendRateConfig c;
  c.tps = 200;
  SendRate r(c);
  int64_t now = 10 * kSec;
  for (int s = 0; s < 5; ++s) now = Interval(r, now, static_cast<int>(r.rate()), 4);
  ASSERT_NEAR(r.tolerated_ratio(), 0.25, 0.02);
  // One clean interval lowers it a quarter of the way; clean intervals keep lowering it.
  now = Interval(r, now, 200, 0);
  EXPECT_NEAR(r.tolerated_ratio(), 0.1875, 0.02);
  for (int s = 0; s < 20; ++s) now = Interval(r, now, 200, 0);
  EXPECT_LT(r.tolerated_ratio(), 0.01);
  // A quarter refused again is now overload: the bind slows.
  now = Interval(r, now, 200, 4);
  EXPECT_LT(r.rate(), 200);
}

TEST(SendRate, StepsBackUpToTheCeilingWhileClean) {
  SendRateConfig c;
  c.tps = 100;
  c.increase_tps = 10;
  c.min_tps = 5;
  SendRate r(c);
  int64_t now = 20 * kSec;
  now = Interval(r, now, 100, 0);
  now = Interval(r, now, 100, 2);  // half refused: drop
  now = Interval(r, now, 50, 0);   // and that helped: no baseline to learn
  const double low = r.rate();
  EXPECT_LT(low, 100);
  EXPECT_GE(low, 5);
  // Half a second later nothing has been judged yet.
  r.OnTick(now + 500 * kMs);
  EXPECT_EQ(r.rate(), low);
  double last = low;
  for (int i = 0; i < 20 && r.rate() < 100; ++i) {
    now = Interval(r, now, std::max(20, static_cast<int>(r.rate())), 0);
    EXPECT_GT(r.rate(), last) << "step " << i;
    last = r.rate();
  }
  EXPECT_EQ(r.rate(), 100) << "back at the ceiling, never above";
  now = Interval(r, now, 100, 0);
  EXPECT_EQ(r.rate(), 100);
}

TEST(SendRate, ASlowBindStepsUpOnFewCleanAnswers) {
  // Slowed to a trickle, a bind gets fewer answers per interval than a share needs; clean
  // intervals still step it up (refused ones wait for more answers).
  SendRateConfig c;
  c.tps = 100;
  c.min_tps = 2;
  SendRate r(c);
  int64_t now = Interval(r, 40 * kSec, 100, 0);
  for (int i = 0; i < 3; ++i) r.OnThrottled(now + i * kMs);  // one burst: halve once
  const double low = r.rate();
  ASSERT_LT(low, 100);
  now = Interval(r, now + kSec, 5, 0);
  EXPECT_GT(r.rate(), low);
  const double after = r.rate();
  now = Interval(r, now, 5, 2);  // refusals among too few answers: no decision
  EXPECT_EQ(r.rate(), after);
}

TEST(SendRate, UnlimitedBindReturnsToUnlimitedWellPastTheRefusalPoint) {
  SendRateConfig c;
  c.adjust_interval_ms = 1000;
  SendRate r(c);
  int64_t now = 30 * kSec;
  now = Interval(r, now, 100, 0);
  now = Interval(r, now, 100, 2);  // drop to ~50
  ASSERT_GT(r.rate(), 0);
  for (int i = 0; i < 100 && r.rate() > 0; ++i) {
    now = Interval(r, now, std::max(20, static_cast<int>(r.rate())), 0);
  }
  EXPECT_EQ(r.rate(), 0) << "unlimited again";
}

TEST(SendRate, ResetForgetsTheRefusals) {
  SendRateConfig c;
  c.tps = 80;
  SendRate r(c);
  int64_t now = Interval(r, 5 * kSec, 80, 0);
  now = Interval(r, now, 80, 2);
  EXPECT_LT(r.rate(), 80);
  r.Reset();
  EXPECT_EQ(r.rate(), 80);
  EXPECT_EQ(r.tolerated_ratio(), 0);
  EXPECT_LE(r.NextSendNs(), now);
}

}  // namespace
}  // namespace sd
