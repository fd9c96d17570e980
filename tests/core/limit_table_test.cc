// LimitTable: one bucket per key, implicit expiry and slot reuse, kFull on a window of live
// buckets, fixed memory under a flood of distinct numbers (SipHash: siphash_test.cc).
#include "core/limit_table.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "core/siphash.h"

namespace sd {
namespace {

constexpr int64_t kNsPerMs = 1'000'000;
constexpr int64_t kNow = 1'767'225'600'000 * kNsPerMs;
constexpr SipKey kTestKey{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};

GcraParams Params(int64_t count, int64_t period_ms, int64_t burst) {
  return MakeGcraParams(RateSpec{count, period_ms, burst}).value();
}

std::string Number(int64_t i) { return "+4915" + std::to_string(100'000'000 + i); }

// The same without an allocation per call, for the million-number floods.
struct NumberBuffer {
  char buf[32];
  std::string_view operator()(int64_t i) {
    const int n = std::snprintf(buf, sizeof buf, "+4915%09lld", static_cast<long long>(i));
    return std::string_view(buf, static_cast<size_t>(n));
  }
};

TEST(LimitTable, SizesArePowersOfTwoAndMemoryIsFixedAtConstruction) {
  LimitTable t(LimitTableOptions{1000, 48, kTestKey});
  EXPECT_EQ(t.capacity(), 1024u);
  EXPECT_EQ(t.shards(), 64u);
  EXPECT_GE(t.MemoryBytes(), 1024 * sizeof(LimitTable::Slot));
  LimitTable tiny(LimitTableOptions{3, 64, kTestKey});
  EXPECT_EQ(tiny.capacity(), LimitTable::kProbe);
  EXPECT_EQ(tiny.shards(), 1u);
}

TEST(LimitTable, EachKeyHasItsOwnBucket) {
  LimitTable t(LimitTableOptions{1024, 64, kTestKey});
  const GcraParams p = Params(1, 1000, 2);
  EXPECT_EQ(t.Charge("a", p, kNow, 1).status, LimitTable::Status::kAdmitted);
  EXPECT_EQ(t.Charge("a", p, kNow, 1).status, LimitTable::Status::kAdmitted);
  const LimitTable::Charged refused = t.Charge("a", p, kNow, 1);
  EXPECT_EQ(refused.status, LimitTable::Status::kLimited);
  EXPECT_EQ(refused.retry_at_ns, kNow + 1'000'000'000);
  EXPECT_EQ(t.Charge("b", p, kNow, 2).status, LimitTable::Status::kAdmitted);
  EXPECT_EQ(t.Charge("b", p, kNow, 1).status, LimitTable::Status::kLimited);
  EXPECT_EQ(t.UsedSlots(), 2u);
  EXPECT_EQ(t.LiveEntries(kNow), 2u);
  EXPECT_EQ(t.LiveEntries(kNow + 2'000'000'000), 0u);
}

TEST(LimitTable, RefundRestoresTheKeysBudget) {
  LimitTable t(LimitTableOptions{1024, 64, kTestKey});
  const GcraParams p = Params(1, 1000, 3);
  const LimitTable::Charged c = t.Charge("a", p, kNow, 3);
  ASSERT_EQ(c.status, LimitTable::Status::kAdmitted);
  EXPECT_EQ(t.Charge("a", p, kNow, 1).status, LimitTable::Status::kLimited);
  t.Refund(c.ticket, p, 3);
  EXPECT_EQ(t.Charge("a", p, kNow, 3).status, LimitTable::Status::kAdmitted);
}

// One shard of kProbe slots: the window is the whole table.
TEST(LimitTable, AFullWindowOfLiveBucketsAnswersFullAndIdleSlotsAreReused) {
  LimitTable t(LimitTableOptions{LimitTable::kProbe, 1, kTestKey});
  const GcraParams p = Params(1, 1000, 1);  // a charge keeps a bucket live for 1 s
  for (size_t i = 0; i < LimitTable::kProbe; ++i) {
    ASSERT_EQ(t.Charge(Number(i), p, kNow, 1).status, LimitTable::Status::kAdmitted) << i;
  }
  const std::string extra = Number(1000);
  EXPECT_EQ(t.Charge(extra, p, kNow, 1).status, LimitTable::Status::kFull);
  EXPECT_EQ(t.full_count(), 1u);
  // Present keys are still found and limited, not forgotten.
  EXPECT_EQ(t.Charge(Number(3), p, kNow, 1).status, LimitTable::Status::kLimited);
  // Half a second later everything is still live.
  EXPECT_EQ(t.Charge(extra, p, kNow + 500'000'000, 1).status, LimitTable::Status::kFull);
  // Once the buckets are idle their slots serve new keys, as fresh buckets.
  const int64_t later = kNow + 1'000'000'000;
  EXPECT_EQ(t.Charge(extra, p, later, 1).status, LimitTable::Status::kAdmitted);
  EXPECT_EQ(t.Charge(extra, p, later, 1).status, LimitTable::Status::kLimited);
  EXPECT_EQ(t.UsedSlots(), LimitTable::kProbe);
  EXPECT_EQ(t.full_count(), 2u);
  // A key whose slot was reused starts fresh (it was idle, so nothing is lost).
  int fresh = 0;
  for (size_t i = 0; i < LimitTable::kProbe; ++i) {
    fresh += t.Charge(Number(i), p, later, 1).status == LimitTable::Status::kAdmitted;
  }
  EXPECT_EQ(fresh, static_cast<int>(LimitTable::kProbe) - 1);  // one slot holds `extra`
}

TEST(LimitTable, RefundAfterTheSlotWasReusedIsANoOp) {
  LimitTable t(LimitTableOptions{LimitTable::kProbe, 1, kTestKey});
  const GcraParams p = Params(1, 1000, 1);
  std::vector<LimitTable::Ticket> tickets;
  for (size_t i = 0; i < LimitTable::kProbe; ++i) {
    tickets.push_back(t.Charge(Number(i), p, kNow, 1).ticket);
  }
  const int64_t later = kNow + 1'000'000'000;
  const LimitTable::Charged c = t.Charge("new", p, later, 1);
  ASSERT_EQ(c.status, LimitTable::Status::kAdmitted);
  for (const LimitTable::Ticket& old : tickets) t.Refund(old, p, 1);  // one names c's slot
  EXPECT_EQ(t.Charge("new", p, later, 1).status, LimitTable::Status::kLimited);
}

// A flood of a million distinct numbers at one instant (the SMS-pumping pattern): memory does
// not move, at most `capacity` numbers get a bucket, the rest are answered kFull (the caller
// fails closed), and numbers already in the table keep their state.
TEST(LimitTable, AMillionDistinctNumbersAtOnceKeepMemoryFixed) {
  LimitTable t(LimitTableOptions{1 << 16, 64, kTestKey});
  const size_t memory = t.MemoryBytes();
  const GcraParams p = Params(1, 60'000, 1);  // one per minute per number
  ASSERT_EQ(t.Charge("+4930123456", p, kNow, 1).status, LimitTable::Status::kAdmitted);
  size_t admitted = 0, full = 0;
  NumberBuffer number;
  for (int64_t i = 0; i < 1'000'000; ++i) {
    const LimitTable::Status s = t.Charge(number(i), p, kNow, 1).status;
    admitted += s == LimitTable::Status::kAdmitted;
    full += s == LimitTable::Status::kFull;
  }
  EXPECT_EQ(admitted + full, 1'000'000u);
  EXPECT_EQ(t.full_count(), full);
  EXPECT_LE(admitted + 1, t.capacity());
  // Open addressing with a 16-slot window fills most of the table before windows run full.
  EXPECT_GE(admitted, t.capacity() * 3 / 4);
  EXPECT_EQ(t.MemoryBytes(), memory);
  EXPECT_EQ(t.UsedSlots(), admitted + 1);
  EXPECT_EQ(t.Charge("+4930123456", p, kNow, 1).status, LimitTable::Status::kLimited);
}

// The same flood spread over time: entries expire and their slots are reused, so every
// number gets a bucket and nothing is ever answered kFull.
TEST(LimitTable, AMillionDistinctNumbersOverTimeReuseExpiredSlots) {
  LimitTable t(LimitTableOptions{1 << 16, 64, kTestKey});
  const size_t memory = t.MemoryBytes();
  const GcraParams p = Params(1, 10'000, 1);  // a bucket stays live 10 s after a charge
  // 1,000 new numbers per second: ~10,000 live at any time in 65,536 slots.
  NumberBuffer number;
  for (int64_t i = 0; i < 1'000'000; ++i) {
    ASSERT_EQ(t.Charge(number(i), p, kNow + i * kNsPerMs, 1).status, LimitTable::Status::kAdmitted)
        << i;
  }
  EXPECT_EQ(t.full_count(), 0u);
  EXPECT_EQ(t.MemoryBytes(), memory);
  EXPECT_LE(t.LiveEntries(kNow + 1'000'000 * kNsPerMs), 10'001u);
  EXPECT_LE(t.UsedSlots(), t.capacity());
}

}  // namespace
}  // namespace sd
