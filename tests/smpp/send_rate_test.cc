// SendRate with time passed in: the configured ceiling, the bounded burst after idling, the
// halving and pause on a throttle (once per burst of throttled responses), the doubling pause
// while throttles continue, the probe back up, and an unlimited bind returning to unlimited.
#include "adapters/smpp/send_rate.h"

#include <gtest/gtest.h>

namespace sd::smpp {
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

TEST(SendRate, ThrottleHalvesTheRecentRateAndPausesOncePerBurst) {
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

TEST(SendRate, ProbesBackUpToTheCeilingAfterQuietIntervals) {
  SendRateConfig c;
  c.tps = 100;
  c.probe_interval_ms = 1000;
  c.probe_factor = 1.25;
  SendRate r(c);
  const int64_t t0 = 20 * kSec;
  SendFor(r, t0, kSec);
  r.OnThrottled(t0 + kSec);
  const double low = r.rate();
  EXPECT_LT(low, 100);
  // Less than a probe interval of quiet: no step.
  r.OnTick(t0 + kSec + 500 * kMs);
  EXPECT_EQ(r.rate(), low);
  double last = low;
  int64_t now = t0 + kSec;
  for (int i = 0; i < 20 && r.rate() < 100; ++i) {
    now += kSec;
    r.OnTick(now);
    EXPECT_GT(r.rate(), last) << "step " << i;
    last = r.rate();
  }
  EXPECT_EQ(r.rate(), 100) << "back at the ceiling, never above";
  r.OnTick(now + 5 * kSec);
  EXPECT_EQ(r.rate(), 100);
}

TEST(SendRate, UnlimitedBindReturnsToUnlimitedWellPastTheThrottlePoint) {
  SendRateConfig c;
  c.probe_interval_ms = 100;
  SendRate r(c);
  const int64_t t0 = 30 * kSec;
  for (int i = 0; i < 100; ++i) r.OnSent(t0 + i * (kSec / 100));
  r.OnThrottled(t0 + kSec);
  EXPECT_GT(r.rate(), 0);
  int64_t now = t0 + kSec;
  for (int i = 0; i < 100 && r.rate() > 0; ++i) {
    now += 100 * kMs;
    r.OnTick(now);
  }
  EXPECT_EQ(r.rate(), 0) << "unlimited again";
}

TEST(SendRate, ResetForgetsTheThrottle) {
  SendRateConfig c;
  c.tps = 80;
  SendRate r(c);
  SendFor(r, 5 * kSec, kSec);
  r.OnThrottled(6 * kSec);
  EXPECT_LT(r.rate(), 80);
  r.Reset();
  EXPECT_EQ(r.rate(), 80);
  EXPECT_LE(r.NextSendNs(), 6 * kSec);
}

}  // namespace
}  // namespace sd::smpp
