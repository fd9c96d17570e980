// Many threads charging the same buckets. Time is a ManualClock advanced in lock-step phases
// (a std::barrier's completion step), so the admitted totals have exact analytical values:
// under saturation a GCRA admits burst + floor(elapsed / interval), no matter how the threads
// interleave. scripts/test.sh runs this binary under ThreadSanitizer.
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/gcra.h"
#include "core/limit_table.h"
#include "core/rate_limits.h"

namespace sd {
namespace {

constexpr int64_t kNsPerMs = 1'000'000;
constexpr int64_t kStartMs = 1'767'225'600'000;
constexpr int kThreads = 4;
constexpr SipKey kKey{0x1234, 0x5678};

GcraParams Params(int64_t count, int64_t period_ms, int64_t burst) {
  return MakeGcraParams(RateSpec{count, period_ms, burst}).value();
}

// Runs body(thread, phase, now_ms) on kThreads threads for `phases` phases; the clock moves
// by step_ms between phases, when every thread has finished the phase.
template <typename Body>
void RunInPhases(ManualClock& clock, int phases, int64_t step_ms, Body body) {
  std::barrier sync(kThreads, [&clock, step_ms]() noexcept { clock.Advance(step_ms); });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int phase = 0; phase < phases; ++phase) {
        body(t, phase, clock.NowMs());
        sync.arrive_and_wait();
      }
    });
  }
  for (std::thread& th : threads) th.join();
}

// 4 threads x 100,000 charges on one bucket.
TEST(GcraThreads, OneBucketAdmitsExactlyBurstPlusElapsedOverInterval) {
  const GcraParams p = Params(1000, 1000, 50);  // 1 ms interval
  GcraBucket bucket(p);
  ManualClock clock(kStartMs);
  constexpr int kPhases = 1000, kPerPhase = 100;
  constexpr int64_t kStepMs = 10;
  std::atomic<int64_t> admitted{0};
  RunInPhases(clock, kPhases, kStepMs, [&](int, int, int64_t now_ms) {
    int64_t mine = 0;
    for (int i = 0; i < kPerPhase; ++i) mine += bucket.Charge(now_ms * kNsPerMs).admitted;
    admitted.fetch_add(mine);
  });
  EXPECT_EQ(admitted.load(), 50 + (kPhases - 1) * kStepMs);
}

TEST(GcraThreads, ConcurrentChargeAndRefundLeaveTheBucketExactlyWhereItStarted) {
  const GcraParams p = Params(1000, 1000, 1000);
  GcraBucket bucket(p);
  const int64_t now = kStartMs * kNsPerMs;
  std::atomic<int64_t> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      int64_t mine = 0;
      for (int i = 0; i < 100'000; ++i) {
        const int64_t cost = 1 + (i + t) % 3;
        if (bucket.Charge(now, cost).admitted) {
          ++mine;
          bucket.Refund(cost);
        }
      }
      admitted.fetch_add(mine);
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(admitted.load(), kThreads * 100'000);  // at most 4 x 3 units outstanding
  EXPECT_EQ(bucket.tat_ns(), now);
}

// 4 threads x 100,000 charges over 500 shared keys, inserted concurrently in the first phase:
// every key admits exactly its bound, so no key ever got a second bucket or lost a charge.
TEST(LimitTableThreads, SharedKeysAdmitExactlyTheirBound) {
  LimitTable table(LimitTableOptions{1 << 14, 64, kKey});
  const GcraParams p = Params(10, 1000, 3);  // 100 ms interval
  ManualClock clock(kStartMs);
  constexpr int kKeys = 500, kPhases = 40, kRepeats = 5;
  constexpr int64_t kStepMs = 100;
  std::vector<std::string> keys;
  for (int k = 0; k < kKeys; ++k) keys.push_back("+4917" + std::to_string(10'000'000 + k));
  std::vector<std::atomic<int>> admitted(kKeys);
  std::atomic<int64_t> full{0};
  RunInPhases(clock, kPhases, kStepMs, [&](int t, int, int64_t now_ms) {
    for (int r = 0; r < kRepeats; ++r) {
      for (int i = 0; i < kKeys; ++i) {
        const int k = (i * 7 + t * 131 + r * 17) % kKeys;  // each thread in its own order
        const LimitTable::Charged c = table.Charge(keys[k], p, now_ms * kNsPerMs, 1);
        if (c.status == LimitTable::Status::kAdmitted) admitted[k].fetch_add(1);
        if (c.status == LimitTable::Status::kFull) full.fetch_add(1);
      }
    }
  });
  EXPECT_EQ(full.load(), 0);
  for (int k = 0; k < kKeys; ++k) {
    ASSERT_EQ(admitted[k].load(), 3 + (kPhases - 1)) << keys[k];
  }
  EXPECT_EQ(table.UsedSlots(), static_cast<size_t>(kKeys));
}

// A tiny table under churn: every phase each thread offers 50 new numbers (more than the
// table holds) plus a hot shared number. Slots expire and are reused across threads all the
// time. The accounting stays consistent and the hot number never beats its bound.
TEST(LimitTableThreads, ChurnThroughATinyTableStaysBoundedAndConsistent) {
  LimitTable table(LimitTableOptions{64, 64, kKey});
  const size_t memory = table.MemoryBytes();
  const GcraParams p = Params(100, 1000, 1);  // 10 ms: idle again by the next phase
  ManualClock clock(kStartMs);
  constexpr int kPhases = 200, kNew = 50, kHot = 10;
  std::atomic<int64_t> attempts{0}, admitted{0}, limited{0}, full{0}, hot{0};
  RunInPhases(clock, kPhases, 10, [&](int t, int phase, int64_t now_ms) {
    char buf[32];
    for (int i = 0; i < kNew + kHot; ++i) {
      const bool is_hot = i % 6 == 0 && i / 6 < kHot;
      const int n = is_hot ? std::snprintf(buf, sizeof buf, "+hot")
                           : std::snprintf(buf, sizeof buf, "+49%d-%d-%d", t, phase, i);
      const LimitTable::Charged c =
          table.Charge(std::string_view(buf, static_cast<size_t>(n)), p, now_ms * kNsPerMs, 1);
      attempts.fetch_add(1);
      switch (c.status) {
        case LimitTable::Status::kAdmitted:
          admitted.fetch_add(1);
          if (is_hot) hot.fetch_add(1);
          break;
        case LimitTable::Status::kLimited:
          limited.fetch_add(1);
          break;
        case LimitTable::Status::kFull:
          full.fetch_add(1);
          break;
      }
    }
  });
  EXPECT_EQ(attempts.load(), admitted.load() + limited.load() + full.load());
  EXPECT_EQ(static_cast<int64_t>(table.full_count()), full.load());
  EXPECT_GT(full.load(), 0);
  EXPECT_LE(hot.load(), 1 + (kPhases - 1));
  EXPECT_LE(table.UsedSlots(), table.capacity());
  EXPECT_EQ(table.MemoryBytes(), memory);
}

// The whole limit set from 4 threads: 100,000 jobs to distinct numbers in one range. The prefix
// limit binds; every job it refuses refunds the key and number limits, so their net charge
// equals the jobs admitted, which equals the prefix bound exactly.
TEST(RateLimitsThreads, AllOrNothingChargingIsExactUnderContention) {
  LimitConfig per_key{"per_key", LimitScope::kKey, RateSpec{1'000'000, 1000, 1'000'000}};
  LimitConfig per_number{"per_number", LimitScope::kDestination, RateSpec{1, 60'000, 1}};
  per_number.capacity = 1 << 12;
  LimitConfig per_prefix{"per_prefix", LimitScope::kDestinationPrefix, RateSpec{10, 1000, 5}};
  per_prefix.prefix_drop_digits = 7;
  auto built = RateLimits::Build(RateLimitsConfig{{per_key, per_number, per_prefix}, kKey});
  ASSERT_TRUE(built.ok()) << built.error().detail;
  const RateLimits& limits = *built.value();
  ManualClock clock(kStartMs);
  constexpr int kPhases = 50, kPerPhase = 500;
  std::atomic<int64_t> admitted{0};
  RunInPhases(clock, kPhases, 100, [&](int t, int phase, int64_t) {
    char buf[32];
    int64_t mine = 0;
    for (int i = 0; i < kPerPhase; ++i) {
      const int n = std::snprintf(buf, sizeof buf, "+44779%d%03d%03d", t, phase, i);
      const LimitSubject job{"k.v1", std::string_view(buf, static_cast<size_t>(n)), "ACME", "", 1};
      mine += limits.Charge(job, clock).admitted();
    }
    admitted.fetch_add(mine);
  });
  // Every number is distinct and shares the prefix "+44779": one range for all threads.
  EXPECT_EQ(admitted.load(), 5 + (kPhases - 1));
  for (const LimitStats& s : limits.Stats()) {
    if (s.name == "per_prefix") {
      EXPECT_EQ(static_cast<int64_t>(s.admitted), admitted.load());
    } else {
      EXPECT_EQ(static_cast<int64_t>(s.admitted - s.refunded), admitted.load()) << s.name;
    }
    EXPECT_EQ(s.table_full, 0u) << s.name;
  }
}

}  // namespace
}  // namespace sd
