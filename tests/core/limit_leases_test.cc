// LeaseBook (core/limit_leases.h): the tokens a daemon leased from a fleet-wide bucket, and
// the bound they put on what it admits.
#include "core/limit_leases.h"

#include <gtest/gtest.h>

#include <string>

namespace sd {
namespace {

using Status = LeaseBook::Status;

LeaseOptions Opts(int64_t lease_units, size_t capacity = 1024) {
  LeaseOptions o;
  o.lease_units = lease_units;
  o.lease_ms = 1000;
  o.fail_ms = 250;
  o.capacity = capacity;
  return o;
}

constexpr SipKey kKey{7, 9};

TEST(LeaseBookTest, AFirstChargeWaitsAndAsksForOneLeaseOnly) {
  LeaseBook b(Opts(10), kKey);
  EXPECT_EQ(b.Spend("acme", 1, 0).status, Status::kAwait);
  EXPECT_EQ(b.Spend("acme", 1, 0).status, Status::kAwait);  // the same lease, not a second
  EXPECT_TRUE(b.HasWants());
  const auto wants = b.TakeWants();
  ASSERT_EQ(wants.size(), 1u);
  EXPECT_EQ(wants[0].value, "acme");
  EXPECT_EQ(wants[0].units, 10);
  EXPECT_FALSE(b.HasWants());
  EXPECT_TRUE(b.TakeWants().empty());
  EXPECT_EQ(b.counters().awaited.load(), 2u);
}

TEST(LeaseBookTest, GrantedTokensAreSpentAndTheNextLeaseIsAskedAtHalf) {
  LeaseBook b(Opts(10), kKey);
  (void)b.Spend("acme", 1, 0);
  (void)b.TakeWants();
  b.Granted("acme", 10, 0, 5);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(b.Spend("acme", 1, 6).status, Status::kSpent);
  EXPECT_FALSE(b.HasWants());                               // 6 left: more than half a lease
  EXPECT_EQ(b.Spend("acme", 1, 6).status, Status::kSpent);  // 5 left: ask ahead of need
  const auto wants = b.TakeWants();
  ASSERT_EQ(wants.size(), 1u);
  EXPECT_EQ(wants[0].units, 5);  // only what refills the lease: never more than 10 held
  EXPECT_EQ(b.HeldUnits(), 5);
  // Spending goes on while the lease is asked for.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(b.Spend("acme", 1, 7).status, Status::kSpent);
  EXPECT_EQ(b.Spend("acme", 1, 7).status, Status::kAwait);
  b.Granted("acme", 5, 0, 8);
  EXPECT_LE(b.HeldUnits(), 10);
}

TEST(LeaseBookTest, NeverHoldsMoreThanALeaseOrOneJobsCost) {
  LeaseBook b(Opts(4), kKey);
  // A 6-segment job needs more than a lease: the lease asked for is its cost.
  EXPECT_EQ(b.Spend("acme", 6, 0).status, Status::kAwait);
  auto wants = b.TakeWants();
  ASSERT_EQ(wants.size(), 1u);
  EXPECT_EQ(wants[0].units, 6);
  b.Granted("acme", 6, 0, 1);
  EXPECT_EQ(b.Spend("acme", 6, 1).status, Status::kSpent);
  // Whatever the order of spends and grants, the balance stays within max(lease, cost).
  for (int round = 0; round < 50; ++round) {
    (void)b.Spend("acme", 1 + round % 3, 2 + round);
    for (const auto& w : b.TakeWants()) b.Granted(w.value, w.units, 0, 2 + round);
    EXPECT_LE(b.HeldUnits(), 4 + 2) << "round " << round;
  }
}

TEST(LeaseBookTest, ADeniedLeaseRefusesUntilTheBucketsRetryTime) {
  LeaseBook b(Opts(10), kKey);
  (void)b.Spend("acme", 1, 100);
  (void)b.TakeWants();
  b.Granted("acme", 0, 40, 100);  // the fleet's bucket is empty for 40 ms
  const LeaseBook::Verdict v = b.Spend("acme", 1, 110);
  EXPECT_EQ(v.status, Status::kDenied);
  EXPECT_EQ(v.retry_at_ms, 140);
  EXPECT_FALSE(b.HasWants());  // no lease asked while denied
  EXPECT_EQ(b.Peek("acme", 1, 110).status, Status::kDenied);
  EXPECT_EQ(b.Spend("acme", 1, 140).status, Status::kAwait);  // then asked again
  EXPECT_TRUE(b.HasWants());
  EXPECT_EQ(b.counters().denied.load(), 1u);
}

TEST(LeaseBookTest, ALeaseWithoutAnswerFailsClosedForAShortWhile) {
  LeaseBook b(Opts(10), kKey);
  (void)b.Spend("acme", 1, 0);
  (void)b.TakeWants();
  b.Failed("acme", 0);
  EXPECT_EQ(b.Spend("acme", 1, 249).status, Status::kDenied);
  EXPECT_EQ(b.Spend("acme", 1, 250).status, Status::kAwait);
  EXPECT_EQ(b.counters().failed.load(), 1u);
}

TEST(LeaseBookTest, UnspentTokensGoBackWhenTheirLeaseRunsOut) {
  LeaseBook b(Opts(10), kKey);
  (void)b.Spend("acme", 1, 0);
  (void)b.TakeWants();
  b.Granted("acme", 10, 0, 0);
  EXPECT_EQ(b.Spend("acme", 3, 10).status, Status::kSpent);
  (void)b.TakeWants();  // asked ahead (7 left > 5: none yet, but harmless)
  EXPECT_TRUE(b.TakeExpired(999).empty());
  const auto back = b.TakeExpired(1000);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].value, "acme");
  EXPECT_EQ(back[0].units, 7);
  EXPECT_EQ(b.HeldUnits(), 0);
  EXPECT_EQ(b.counters().returned_units.load(), 7u);
  // An expired balance is not spent: the next charge waits for a fresh lease.
  EXPECT_EQ(b.Spend("acme", 1, 1001).status, Status::kAwait);
}

TEST(LeaseBookTest, ExpiryFoundBySpendIsReturnedToo) {
  LeaseBook b(Opts(10), kKey);
  (void)b.Spend("acme", 1, 0);
  (void)b.TakeWants();
  b.Granted("acme", 10, 0, 0);
  EXPECT_EQ(b.Spend("acme", 1, 2000).status, Status::kAwait);
  const auto back = b.TakeExpired(2000);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].units, 10);
}

TEST(LeaseBookTest, RefundPutsTokensBackLocally) {
  LeaseBook b(Opts(10), kKey);
  (void)b.Spend("acme", 1, 0);
  (void)b.TakeWants();
  b.Granted("acme", 10, 0, 0);
  EXPECT_EQ(b.Spend("acme", 4, 1).status, Status::kSpent);
  b.Refund("acme", 4);
  EXPECT_EQ(b.HeldUnits(), 10);
}

TEST(LeaseBookTest, TakeAllEmptiesEveryValue) {
  LeaseBook b(Opts(10), kKey);
  for (const char* v : {"a", "b"}) {
    (void)b.Spend(v, 1, 0);
  }
  for (const auto& w : b.TakeWants()) b.Granted(w.value, 3, 0, 0);
  const auto all = b.TakeAll();
  EXPECT_EQ(all.size(), 2u);
  EXPECT_EQ(b.HeldUnits(), 0);
}

TEST(LeaseBookTest, BoundedValuesForgetOnlyIdleOnes) {
  LeaseBook b(Opts(10, 2), kKey);
  EXPECT_EQ(b.Spend("a", 1, 0).status, Status::kAwait);
  EXPECT_EQ(b.Spend("b", 1, 0).status, Status::kAwait);
  // Both asked for a lease: neither may be forgotten.
  EXPECT_EQ(b.Spend("c", 1, 0).status, Status::kFull);
  EXPECT_EQ(b.counters().full.load(), 1u);
  for (const auto& w : b.TakeWants()) b.Granted(w.value, 1, 0, 0);
  EXPECT_EQ(b.Spend("a", 1, 1).status, Status::kSpent);  // a is now idle: nothing held
  (void)b.TakeWants();
  b.Granted("a", 0, 0, 1);  // its lease ahead was refused with no wait: idle once 1 ms passed
  EXPECT_EQ(b.Spend("c", 1, 2).status, Status::kAwait);  // takes a's place
  EXPECT_EQ(b.size(), 2u);
  EXPECT_EQ(b.HeldUnits(), 1);  // b keeps its token
}

}  // namespace
}  // namespace sd
