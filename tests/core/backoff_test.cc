// JitteredBackoffMs / Backoff: the delays of reconnects and part retries are jittered,
// grow, and stay within [base, cap]. Seeded generators make every case reproducible.
#include "core/backoff.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace sd {
namespace {

TEST(Backoff, EveryDelayIsWithinBaseAndCap) {
  std::mt19937_64 rng(1);
  for (int n = 0; n < 80; ++n) {
    for (int k = 0; k < 50; ++k) {
      const int64_t d = JitteredBackoffMs(n, 100, 10'000, rng);
      ASSERT_GE(d, 100) << n;
      ASSERT_LE(d, 10'000) << n;
    }
  }
}

TEST(Backoff, CeilingDoublesUpToTheCapAndResetStartsOver) {
  std::mt19937_64 rng(2);
  Backoff b(10, 80);
  EXPECT_EQ(b.ceiling_ms(), 0);
  std::vector<int64_t> ceilings;
  for (int i = 0; i < 5; ++i) {
    const int64_t d = b.Next(rng);
    ceilings.push_back(b.ceiling_ms());
    EXPECT_GE(d, std::max<int64_t>(10, b.ceiling_ms() / 2));
    EXPECT_LE(d, b.ceiling_ms());
  }
  EXPECT_EQ(ceilings, (std::vector<int64_t>{20, 40, 80, 80, 80}));
  b.Reset();
  EXPECT_EQ(b.ceiling_ms(), 0);
  EXPECT_LE(b.Next(rng), 20);
}

// Reconnects of several binds (each its own generator, as each SmppBind has) after losing
// the same SMSC do not come back in step, and one bind's successive delays differ too.
TEST(Backoff, DelaysDifferAcrossBindsAndAttempts) {
  constexpr int kBinds = 8;
  std::vector<std::mt19937_64> rngs;
  std::vector<Backoff> binds;
  for (int i = 0; i < kBinds; ++i) {
    rngs.emplace_back(1000 + i);
    binds.emplace_back(100, 10'000);
  }
  for (int attempt = 1; attempt <= 6; ++attempt) {
    std::set<int64_t> delays;
    for (int i = 0; i < kBinds; ++i) delays.insert(binds[i].Next(rngs[i]));
    EXPECT_GT(delays.size(), kBinds / 2u) << "attempt " << attempt << ": binds in step";
  }
  std::mt19937_64 rng(7);
  std::set<int64_t> capped;
  for (int k = 0; k < 20; ++k) capped.insert(JitteredBackoffMs(30, 100, 10'000, rng));
  EXPECT_GT(capped.size(), 10u) << "at the cap the delay is still jittered";
  for (int64_t d : capped) EXPECT_GE(d, 5'000);
}

TEST(Backoff, CapBelowBaseMeansBase) {
  std::mt19937_64 rng(3);
  for (int n = 0; n < 5; ++n) EXPECT_EQ(JitteredBackoffMs(n, 100, 10, rng), 100);
}

}  // namespace
}  // namespace sd
