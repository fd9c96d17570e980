// RateLimits with fleet-wide limits (reach = global): charging leased tokens, waiting for a
// lease without spending anything, denials from the shared bucket, all-or-nothing with local
// limits, validation and reload. The Redis side is in tests/adapters/redis/lease_agent_test.cc.
#include <gtest/gtest.h>

#include <string>

#include "core/rate_limits.h"

namespace sd {
namespace {

constexpr int64_t kNow = 1'767'225'600'000;  // ms
constexpr SipKey kTestKey{0x243f6a8885a308d3ULL, 0x13198a2e03707344ULL};

LimitConfig Global(std::string name, int64_t rate, int64_t burst, int64_t lease_units,
                   LimitAction action = LimitAction::kReject) {
  LimitConfig c;
  c.name = std::move(name);
  c.scope = LimitScope::kKey;
  c.rate = RateSpec{rate, 1000, burst};
  c.action = action;
  c.capacity = 1024;
  c.reach = LimitReach::kGlobal;
  c.lease_units = lease_units;
  return c;
}

std::shared_ptr<const RateLimits> Build(std::vector<LimitConfig> limits,
                                        const RateLimits* previous = nullptr) {
  RateLimitsConfig cfg;
  cfg.limits = std::move(limits);
  cfg.hash_key = kTestKey;
  auto r = RateLimits::Build(cfg, previous);
  EXPECT_TRUE(r.ok()) << r.error().detail;
  return r.ok() ? r.value() : nullptr;
}

std::string BuildError(std::vector<LimitConfig> limits) {
  RateLimitsConfig cfg;
  cfg.limits = std::move(limits);
  cfg.hash_key = kTestKey;
  auto r = RateLimits::Build(cfg);
  return r.ok() ? "" : r.error().detail;
}

LimitSubject Job(std::string_view key_id = "acme.v1", int64_t segments = 1) {
  return LimitSubject{key_id, "+447700900123", "ACME", "", segments};
}

// Answers every lease the limits want with what `grant(units)` says.
void Answer(const RateLimits& limits, int64_t now, const std::function<int64_t(int64_t)>& grant,
            int64_t retry_after_ms = 0) {
  for (const GlobalLimit& g : limits.Globals()) {
    for (const LeaseBook::Want& w : g.state->leases->TakeWants()) {
      g.state->leases->Granted(w.value, grant(w.units), retry_after_ms, now);
    }
  }
}

TEST(GlobalLimitsTest, AJobWaitsForTheLeaseAndSpendsNothingMeanwhile) {
  auto limits = Build({Global("fleet", 100, 100, 10)});
  const LimitVerdict v = limits->Charge(Job(), kNow);
  EXPECT_EQ(v.kind, LimitVerdict::Kind::kAwaitLease);
  EXPECT_EQ(v.limit, "fleet");
  EXPECT_TRUE(limits->WantsLeases());
  Answer(*limits, kNow, [](int64_t u) { return u; });
  EXPECT_FALSE(limits->WantsLeases());
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(limits->Charge(Job(), kNow).admitted()) << i;
  const LimitStats st = limits->Stats()[0];
  EXPECT_TRUE(st.global);
  EXPECT_EQ(st.admitted, 10u);
  EXPECT_EQ(st.lease_requested, 1u);   // taken by the agent so far
  EXPECT_TRUE(limits->WantsLeases());  // the next, asked ahead at half a lease
  EXPECT_EQ(st.lease_granted_units, 10u);
  EXPECT_EQ(st.lease_awaited, 1u);
}

TEST(GlobalLimitsTest, KeyVersionsShareTheFamilysLease) {
  auto limits = Build({Global("fleet", 100, 100, 10)});
  EXPECT_EQ(limits->Charge(Job("acme.v1"), kNow).kind, LimitVerdict::Kind::kAwaitLease);
  EXPECT_EQ(limits->Charge(Job("acme.v2"), kNow).kind, LimitVerdict::Kind::kAwaitLease);
  const auto wants = limits->Globals()[0].state->leases->TakeWants();
  ASSERT_EQ(wants.size(), 1u);
  EXPECT_EQ(wants[0].value, "acme");
}

TEST(GlobalLimitsTest, ADeniedLeaseAppliesTheLimitsAction) {
  auto reject = Build({Global("fleet", 10, 10, 5)});
  (void)reject->Charge(Job(), kNow);
  Answer(
      *reject, kNow, [](int64_t) { return 0; }, 300);
  LimitVerdict v = reject->Charge(Job(), kNow + 1);
  EXPECT_EQ(v.kind, LimitVerdict::Kind::kReject);
  EXPECT_EQ(v.error().reason, Reason::kRateLimited);
  EXPECT_NE(v.detail.find("rate limit 'fleet'"), std::string::npos) << v.detail;
  EXPECT_NE(v.detail.find("across the fleet"), std::string::npos) << v.detail;

  auto defer = Build({Global("fleet", 10, 10, 5, LimitAction::kDefer)});
  (void)defer->Charge(Job(), kNow);
  Answer(
      *defer, kNow, [](int64_t) { return 0; }, 300);
  v = defer->Charge(Job(), kNow + 1);
  EXPECT_EQ(v.kind, LimitVerdict::Kind::kDefer);
  EXPECT_EQ(v.retry_at_ms, kNow + 300);  // when the fleet's bucket said one would fit
  // Peek (the HTTPS API's early answer) sees the denial too.
  EXPECT_EQ(defer->Peek(Job(), kNow + 1).kind, LimitVerdict::Kind::kDefer);
}

TEST(GlobalLimitsTest, MoreSegmentsThanTheBurstAreRefusedWithoutALease) {
  auto limits = Build({Global("fleet", 10, 4, 2, LimitAction::kDefer)});
  const LimitVerdict v = limits->Charge(Job("acme.v1", 5), kNow);
  EXPECT_EQ(v.kind, LimitVerdict::Kind::kReject);
  EXPECT_FALSE(limits->WantsLeases());
  EXPECT_EQ(limits->Stats()[0].cost_over_burst, 1u);
}

TEST(GlobalLimitsTest, AllOrNothingAcrossLocalAndGlobalLimits) {
  LimitConfig local;
  local.name = "per_number";
  local.scope = LimitScope::kDestination;
  local.rate = RateSpec{1, 60'000, 1};
  local.capacity = 1024;
  auto limits = Build({Global("fleet", 100, 100, 10), local});
  (void)limits->Charge(Job(), kNow);
  Answer(*limits, kNow, [](int64_t u) { return u; });
  ASSERT_TRUE(limits->Charge(Job(), kNow).admitted());
  const int64_t held = limits->Globals()[0].state->leases->HeldUnits();
  // The number's own limit refuses the second job: its fleet token is given back here.
  EXPECT_EQ(limits->Charge(Job(), kNow).kind, LimitVerdict::Kind::kReject);
  EXPECT_EQ(limits->Globals()[0].state->leases->HeldUnits(), held);
  EXPECT_EQ(limits->Stats()[0].refunded, 1u);

  // A local limit charged before a global one that must wait is refunded too.
  auto waits = Build({local, Global("fleet", 100, 100, 10)});
  EXPECT_EQ(waits->Charge(Job(), kNow).kind, LimitVerdict::Kind::kAwaitLease);
  Answer(*waits, kNow, [](int64_t u) { return u; });
  EXPECT_TRUE(waits->Charge(Job(), kNow).admitted());  // the number's budget was not spent
}

TEST(GlobalLimitsTest, DefaultLeaseIsAHundredMillisecondsOfTheRate) {
  LimitConfig c = Global("fleet", 200, 400, 0);
  EXPECT_EQ(LeaseUnitsOf(c), 20);
  c.rate = RateSpec{20, 3'600'000, 5};
  EXPECT_EQ(LeaseUnitsOf(c), 1);
  c.rate = RateSpec{10'000, 1000, 50};
  EXPECT_EQ(LeaseUnitsOf(c), 50);  // never more than the burst
}

TEST(GlobalLimitsTest, ValidationNamesTheLimitAndTheField) {
  EXPECT_NE(BuildError({Global("fleet", 10, 4, 5)}).find("lease_units must be 1..burst"),
            std::string::npos);
  LimitConfig bad_name = Global("fleet:a", 10, 4, 1);
  EXPECT_NE(BuildError({bad_name}).find("limits[0] 'fleet:a': a global limit's name"),
            std::string::npos);
  LimitConfig fast = Global("fleet", 2'000'000, 4, 1);
  EXPECT_NE(BuildError({fast}).find("at most 1000000 per s"), std::string::npos);
  LimitConfig short_lease = Global("fleet", 10, 4, 1);
  short_lease.lease_ms = 50;
  EXPECT_NE(BuildError({short_lease}).find("lease_ms must be 100..60000"), std::string::npos);
  LimitConfig local = Global("local", 10, 4, 2);
  local.reach = LimitReach::kLocal;
  EXPECT_NE(BuildError({local}).find("lease_units applies only to reach = global"),
            std::string::npos);
  EXPECT_EQ(LimitReachFromName("global"), LimitReach::kGlobal);
  EXPECT_EQ(LimitReachFromName("local"), LimitReach::kLocal);
  EXPECT_FALSE(LimitReachFromName("fleet").has_value());
}

TEST(GlobalLimitsTest, ReloadKeepsTheLeasedTokensUnlessTheLeaseTermsChange) {
  auto first = Build({Global("fleet", 100, 100, 10)});
  (void)first->Charge(Job(), kNow);
  Answer(*first, kNow, [](int64_t u) { return u; });
  auto same = Build({Global("fleet", 50, 100, 10)}, first.get());  // only the rate changed
  EXPECT_EQ(same->StateOf("fleet"), first->StateOf("fleet"));
  EXPECT_TRUE(same->Charge(Job(), kNow).admitted());
  auto other = Build({Global("fleet", 100, 100, 20)}, first.get());
  EXPECT_NE(other->StateOf("fleet"), first->StateOf("fleet"));
  LimitConfig now_local = Global("fleet", 100, 100, 0);
  now_local.reach = LimitReach::kLocal;
  auto local = Build({now_local}, first.get());
  EXPECT_EQ(local->StateOf("fleet")->leases, nullptr);
  EXPECT_TRUE(local->Globals().empty());
}

}  // namespace
}  // namespace sd
