// RateLimits: validation, reject/defer actions with the limit named, all-or-nothing charging,
// the destination-prefix limit against SMS pumping, segment costs, full tables, reload.
#include "core/rate_limits.h"

#include <gtest/gtest.h>

#include <string>

namespace sd {
namespace {

constexpr int64_t kNow = 1'767'225'600'000;  // ms

LimitConfig Limit(std::string name, LimitScope scope, int64_t count, int64_t period_ms,
                  int64_t burst, LimitAction action = LimitAction::kReject) {
  LimitConfig c;
  c.name = std::move(name);
  c.scope = scope;
  c.rate = RateSpec{count, period_ms, burst};
  c.action = action;
  c.capacity = 1024;
  if (scope == LimitScope::kDestinationPrefix) c.prefix_drop_digits = 3;
  return c;
}

constexpr SipKey kTestKey{0x243f6a8885a308d3ULL, 0x13198a2e03707344ULL};

// Builds with a fixed hash key when the test left it unset.
std::shared_ptr<const RateLimits> Build(RateLimitsConfig cfg,
                                        const RateLimits* previous = nullptr) {
  if (cfg.hash_key.k0 == 0 && cfg.hash_key.k1 == 0) cfg.hash_key = kTestKey;
  auto r = RateLimits::Build(cfg, previous);
  EXPECT_TRUE(r.ok()) << r.error().detail;
  return r.ok() ? r.value() : nullptr;
}

LimitSubject Job(std::string_view destination, int64_t segments = 1) {
  return LimitSubject{"k.v1", destination, "ACME", "", segments};
}

const LimitStats& StatsOf(const std::vector<LimitStats>& all, std::string_view name) {
  for (const LimitStats& s : all) {
    if (s.name == name) return s;
  }
  ADD_FAILURE() << "no stats for " << name;
  return all.front();
}

std::string ValidationError(const RateLimitsConfig& cfg) {
  Result<bool> r = ValidateRateLimits(cfg);
  return r.ok() ? "" : r.error().detail;
}

TEST(RateLimitsConfig, ValidationNamesTheLimitAndTheField) {
  RateLimitsConfig cfg;
  cfg.hash_key = kTestKey;
  cfg.limits = {Limit("per_key", LimitScope::kKey, 10, 1000, 10)};
  EXPECT_EQ(ValidationError(cfg), "");
  cfg.limits[0].rate.count = 0;
  EXPECT_EQ(ValidationError(cfg), "limits[0] 'per_key': rate count must be > 0");
  cfg.limits[0].rate = RateSpec{10, 1000, 0};
  EXPECT_EQ(ValidationError(cfg), "limits[0] 'per_key': burst must be >= 1");
  cfg.limits[0].rate = RateSpec{10, 1000, 1};
  cfg.limits.push_back(Limit("per_key", LimitScope::kSender, 1, 1000, 1));
  EXPECT_EQ(ValidationError(cfg), "limits[1] 'per_key': duplicate name");
  cfg.limits[1].name = "";
  EXPECT_EQ(ValidationError(cfg), "limits[1] '': name must not be empty");
  cfg.limits[1] = Limit("prefix", LimitScope::kDestinationPrefix, 1, 1000, 1);
  cfg.limits[1].prefix_drop_digits = 0;
  EXPECT_EQ(ValidationError(cfg), "limits[1] 'prefix': prefix_drop_digits must be 1..14");
  cfg.limits[1].prefix_drop_digits = 15;
  EXPECT_EQ(ValidationError(cfg), "limits[1] 'prefix': prefix_drop_digits must be 1..14");
  cfg.limits[1] = Limit("sender", LimitScope::kSender, 1, 1000, 1);
  cfg.limits[1].prefix_drop_digits = 2;
  EXPECT_EQ(ValidationError(cfg),
            "limits[1] 'sender': prefix_drop_digits applies only to scope destination_prefix");
  cfg.limits[1].prefix_drop_digits = 0;
  cfg.limits[1].capacity = 4;
  EXPECT_EQ(ValidationError(cfg), "limits[1] 'sender': capacity must be 16..16777216 slots");
  cfg.limits[1].capacity = 16;
  EXPECT_EQ(ValidationError(cfg), "");
  EXPECT_FALSE(
      RateLimits::Build(RateLimitsConfig{{Limit("x", LimitScope::kKey, 0, 1, 1)}, {}}).ok());
}

TEST(RateLimitsConfig, AnUnsetHashKeyIsRefused) {
  RateLimitsConfig cfg;
  cfg.limits = {Limit("per_key", LimitScope::kKey, 10, 1000, 10)};
  EXPECT_EQ(ValidationError(cfg), "hash_key must be set (random per process)");
  cfg.hash_key.k1 = 1;
  EXPECT_EQ(ValidationError(cfg), "");
}

TEST(RateLimitsConfig, NamesParse) {
  EXPECT_EQ(LimitScopeFromName("destination_prefix"), LimitScope::kDestinationPrefix);
  EXPECT_EQ(LimitScopeFromName("carrier"), LimitScope::kCarrier);
  EXPECT_EQ(LimitScopeFromName("number"), std::nullopt);
  EXPECT_EQ(LimitActionFromName("defer"), LimitAction::kDefer);
  EXPECT_EQ(LimitActionFromName("drop"), std::nullopt);
  EXPECT_EQ(FullPolicyFromName("reject"), FullPolicy::kFailClosed);
  EXPECT_EQ(FullPolicyFromName("admit"), FullPolicy::kFailOpen);
  EXPECT_EQ(FullPolicyFromName("open"), std::nullopt);
}

TEST(DestinationPrefix, DropsTheLastDigits) {
  EXPECT_EQ(DestinationPrefix("+4915112345678", 3), "+4915112345");
  EXPECT_EQ(DestinationPrefix("+49", 5), "+");
  EXPECT_EQ(DestinationPrefix("", 3), "");
}

TEST(RateLimits, RejectNamesTheLimitWithReasonRateLimited) {
  auto limits = Build({{Limit("per_number", LimitScope::kDestination, 1, 60'000, 2)}, {}});
  EXPECT_TRUE(limits->Charge(Job("+4915112345678"), kNow).admitted());
  EXPECT_TRUE(limits->Charge(Job("+4915112345678"), kNow).admitted());
  const LimitVerdict v = limits->Charge(Job("+4915112345678"), kNow);
  EXPECT_EQ(v.kind, LimitVerdict::Kind::kReject);
  EXPECT_EQ(v.limit, "per_number");
  EXPECT_EQ(v.error().reason, Reason::kRateLimited);
  EXPECT_EQ(v.detail, "rate limit 'per_number' (destination, 1 per 60000 ms, burst 2) exceeded");
  EXPECT_TRUE(limits->Charge(Job("+4915112345679"), kNow).admitted());
  EXPECT_EQ(StatsOf(limits->Stats(), "per_number").rejected, 1u);
  EXPECT_EQ(StatsOf(limits->Stats(), "per_number").admitted, 3u);
}

// Through the injected clock (millisecond steps): a 50/s per-sender limit offered 500/s for ten
// simulated minutes admits 50 in every second after the first and 50/s in total, within 1 %.
TEST(RateLimits, TenTimesTheRateThroughTheClockAdmitsTheRate) {
  auto limits = Build({{Limit("per_sender", LimitScope::kSender, 50, 1000, 10)}, {}});
  ManualClock clock(kNow);
  int64_t total = 0;
  for (int s = 0; s < 600; ++s) {
    int64_t in_second = 0;
    for (int i = 0; i < 500; ++i) {
      in_second += limits->Charge(Job("+491"), clock).admitted();
      clock.Advance(2);
    }
    total += in_second;
    if (s == 0) {
      EXPECT_EQ(in_second, 10 + 49);  // the burst at t=0, then one per 20 ms from t=20 ms
    } else {
      ASSERT_EQ(in_second, 50) << "second " << s;
    }
  }
  // burst + floor((last offer - first offer) / interval) = 10 + floor(599,998 ms / 20 ms)
  EXPECT_EQ(total, 10 + 599'998 / 20);
  EXPECT_EQ(StatsOf(limits->Stats(), "per_sender").rejected, 600u * 500u - total);
}

TEST(RateLimits, DeferReturnsTheTimeTheJobWouldPass) {
  auto limits =
      Build({{Limit("per_sender", LimitScope::kSender, 10, 1000, 1, LimitAction::kDefer)}, {}});
  ManualClock clock(kNow);
  ASSERT_TRUE(limits->Charge(Job("+1"), clock).admitted());
  const LimitVerdict v = limits->Charge(Job("+2"), clock);
  ASSERT_EQ(v.kind, LimitVerdict::Kind::kDefer);
  EXPECT_EQ(v.retry_at_ms, kNow + 100);
  clock.Set(v.retry_at_ms - 1);
  EXPECT_EQ(limits->Charge(Job("+2"), clock).kind, LimitVerdict::Kind::kDefer);
  clock.Set(v.retry_at_ms);
  EXPECT_TRUE(limits->Charge(Job("+2"), clock).admitted());
  EXPECT_EQ(StatsOf(limits->Stats(), "per_sender").deferred, 2u);
}

TEST(RateLimits, DeferTimeIsRoundedUpToTheNextMillisecond) {
  auto limits = Build({{Limit("per_key", LimitScope::kKey, 3, 1000, 1, LimitAction::kDefer)}, {}});
  ASSERT_TRUE(limits->Charge(Job("+1"), kNow).admitted());
  const LimitVerdict v = limits->Charge(Job("+1"), kNow);
  EXPECT_EQ(v.retry_at_ms, kNow + 334);  // 333.333334 ms
}

TEST(RateLimits, ARefusedJobConsumesNoBudgetInEarlierLimits) {
  auto limits = Build({{Limit("per_key", LimitScope::kKey, 1, 60'000, 3),
                        Limit("per_number", LimitScope::kDestination, 1, 60'000, 1)},
                       {}});
  ASSERT_TRUE(limits->Charge(Job("+4915100000001"), kNow).admitted());
  // Refused by per_number after per_key was charged: per_key is refunded, three times over.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(limits->Charge(Job("+4915100000001"), kNow).limit, "per_number");
  }
  EXPECT_EQ(StatsOf(limits->Stats(), "per_key").refunded, 3u);
  // per_key still has exactly two of its three units.
  EXPECT_TRUE(limits->Charge(Job("+4915100000002"), kNow).admitted());
  EXPECT_TRUE(limits->Charge(Job("+4915100000003"), kNow).admitted());
  EXPECT_EQ(limits->Charge(Job("+4915100000004"), kNow).limit, "per_key");
}

TEST(RateLimits, SegmentsAreTheCostAndAreRefundedAsSuch) {
  auto limits = Build({{Limit("per_key", LimitScope::kKey, 1, 1000, 6),
                        Limit("per_number", LimitScope::kDestination, 1, 1000, 4)},
                       {}});
  ASSERT_TRUE(limits->Charge(Job("+491", 4), kNow).admitted());
  EXPECT_EQ(limits->Charge(Job("+491", 2), kNow).limit, "per_number");
  EXPECT_TRUE(limits->Charge(Job("+492", 2), kNow).admitted());  // 4 + 2 = 6 of per_key
  EXPECT_EQ(limits->Charge(Job("+493", 1), kNow).limit, "per_key");
}

TEST(RateLimits, MoreSegmentsThanTheBurstAreRejectedEvenWhenTheActionIsDefer) {
  auto limits =
      Build({{Limit("per_number", LimitScope::kDestination, 1, 1000, 3, LimitAction::kDefer)}, {}});
  const LimitVerdict v = limits->Charge(Job("+491", 4), kNow);
  EXPECT_EQ(v.kind, LimitVerdict::Kind::kReject);
  EXPECT_EQ(v.detail,
            "rate limit 'per_number' (destination, 1 per 1000 ms, burst 3): 4 segments exceed "
            "the burst");
  EXPECT_EQ(StatsOf(limits->Stats(), "per_number").cost_over_burst, 1u);
  EXPECT_TRUE(limits->Charge(Job("+491", 3), kNow).admitted());
}

// SMS pumping: many distinct numbers in one range. A per-number limit cannot see it; the
// prefix limit (number minus its last 3 digits) does.
TEST(RateLimits, ThePrefixLimitStopsDistinctNumbersInOneRange) {
  auto limits = Build({{Limit("per_number", LimitScope::kDestination, 1, 60'000, 1),
                        Limit("per_prefix", LimitScope::kDestinationPrefix, 5, 60'000, 5)},
                       {}});
  int admitted = 0;
  for (int i = 0; i < 100; ++i) {
    const std::string n = "+44770090" + std::to_string(1000 + i);  // same prefix +447700901
    admitted += limits->Charge(Job(n), kNow).admitted();
  }
  EXPECT_EQ(admitted, 5);
  EXPECT_EQ(StatsOf(limits->Stats(), "per_prefix").rejected, 95u);
  EXPECT_EQ(StatsOf(limits->Stats(), "per_number").refunded, 95u);
  EXPECT_TRUE(limits->Charge(Job("+447700902000"), kNow).admitted());  // another range
}

// A rotation makes a new version of the key (acme.v1 -> acme.v2); the key scope counts per
// key family, so the new version inherits what the old one used instead of a fresh budget.
TEST(RateLimits, TheKeyScopeCountsEveryVersionOfAKeyAsOne) {
  auto limits = Build({{Limit("per_key", LimitScope::kKey, 1, 60'000, 2)}, {}});
  const auto by = [](std::string_view key_id) {
    return LimitSubject{key_id, "+4915112345678", "ACME", "", 1};
  };
  EXPECT_TRUE(limits->Charge(by("acme.v1"), kNow).admitted());
  EXPECT_TRUE(limits->Charge(by("acme.v1"), kNow).admitted());
  EXPECT_FALSE(limits->Charge(by("acme.v1"), kNow).admitted());
  EXPECT_FALSE(limits->Charge(by("acme.v2"), kNow).admitted()) << "the rotated key shares it";
  EXPECT_FALSE(limits->Charge(by("acme.v17"), kNow).admitted());
  // Other keys have their own budget; an id not of the NAME.vN form is a family by itself
  // (the bare name counts with its versions: it is the family's name).
  EXPECT_TRUE(limits->Charge(by("acme-otp.v1"), kNow).admitted());
  EXPECT_FALSE(limits->Charge(by("acme"), kNow).admitted());
  EXPECT_TRUE(limits->Charge(by("legacy-key"), kNow).admitted());
  EXPECT_TRUE(limits->Charge(by("legacy-key"), kNow).admitted());
  EXPECT_FALSE(limits->Charge(by("legacy-key"), kNow).admitted());
  EXPECT_TRUE(limits->Charge(by("acme.v01"), kNow).admitted()) << "not a version: its own id";
  // Budget comes back at the rate for the family as a whole.
  EXPECT_TRUE(limits->Charge(by("acme.v2"), kNow + 60'000).admitted());
  EXPECT_FALSE(limits->Charge(by("acme.v1"), kNow + 60'000).admitted());
}

TEST(RateLimits, EmptyValuesSkipTheirLimit) {
  auto limits = Build({{Limit("per_carrier", LimitScope::kCarrier, 1, 60'000, 1)}, {}});
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limits->Charge(Job("+491"), kNow).admitted());
  LimitSubject routed = Job("+491");
  routed.carrier = "telco-a";
  EXPECT_TRUE(limits->Charge(routed, kNow).admitted());
  EXPECT_FALSE(limits->Charge(routed, kNow).admitted());
}

TEST(RateLimits, AFullTableFailsClosedByDefaultAndOpenWhenConfigured) {
  LimitConfig closed = Limit("closed", LimitScope::kDestination, 1, 60'000, 1);
  closed.capacity = 16;
  auto limits = Build({{closed}, {}});
  int admitted = 0;
  LimitVerdict last;
  for (int i = 0; i < 100; ++i) {
    last = limits->Charge(Job("+49" + std::to_string(1000 + i)), kNow);
    admitted += last.admitted();
  }
  EXPECT_LE(admitted, 16);
  EXPECT_EQ(last.kind, LimitVerdict::Kind::kReject);
  EXPECT_EQ(last.detail,
            "rate limit 'closed' (destination, 1 per 60000 ms, burst 1): table full, failing "
            "closed");
  EXPECT_EQ(StatsOf(limits->Stats(), "closed").table_full, static_cast<uint64_t>(100 - admitted));

  LimitConfig open = closed;
  open.name = "open";
  open.on_full = FullPolicy::kFailOpen;
  auto lenient = Build({{open}, {}});
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(lenient->Charge(Job("+49" + std::to_string(1000 + i)), kNow).admitted());
  }
  EXPECT_GE(StatsOf(lenient->Stats(), "open").table_full, 84u);
}

TEST(RateLimits, AFullTableWithDeferRetriesAfterOneInterval) {
  LimitConfig c = Limit("d", LimitScope::kDestination, 1, 1000, 1, LimitAction::kDefer);
  c.capacity = 16;
  auto limits = Build({{c}, {}});
  LimitVerdict v;
  for (int i = 0; i < 100 && v.admitted(); ++i) {
    v = limits->Charge(Job("+49" + std::to_string(1000 + i)), kNow);
  }
  ASSERT_EQ(v.kind, LimitVerdict::Kind::kDefer);
  EXPECT_EQ(v.retry_at_ms, kNow + 1000);
}

TEST(RateLimits, ReloadKeepsTheStateOfUnchangedLimits) {
  RateLimitsConfig cfg{{Limit("per_key", LimitScope::kKey, 1, 60'000, 2),
                        Limit("per_number", LimitScope::kDestination, 1, 60'000, 1)},
                       {}};
  auto v1 = Build(cfg);
  ASSERT_TRUE(v1->Charge(Job("+491"), kNow).admitted());
  ASSERT_TRUE(v1->Charge(Job("+492"), kNow).admitted());
  // Reload: per_key gets a new rate (state kept: still exhausted), per_number a new capacity
  // (new table: fresh).
  cfg.limits[0].rate = RateSpec{2, 60'000, 2};
  cfg.limits[1].capacity = 2048;
  auto v2 = Build(cfg, v1.get());
  EXPECT_EQ(v2->StateOf("per_key"), v1->StateOf("per_key"));
  EXPECT_NE(v2->StateOf("per_number"), v1->StateOf("per_number"));
  EXPECT_EQ(v2->Charge(Job("+493"), kNow).limit, "per_key");
  EXPECT_EQ(StatsOf(v2->Stats(), "per_key").admitted, 2u);  // counters survive too
  // The old snapshot stays valid while in use and shares the same buckets.
  EXPECT_EQ(v1->Charge(Job("+494"), kNow).limit, "per_key");
  // A limit removed and re-added later starts fresh.
  auto v3 = Build(RateLimitsConfig{{cfg.limits[1]}, {}}, v2.get());
  auto v4 = Build(cfg, v3.get());
  EXPECT_TRUE(v4->Charge(Job("+495"), kNow).admitted());
}

TEST(RateLimits, MemoryIsTheSumOfTheTablesFixedAtBuild) {
  LimitConfig a = Limit("a", LimitScope::kDestination, 1, 1000, 1);
  a.capacity = 1 << 12;
  LimitConfig b = Limit("b", LimitScope::kSender, 1, 1000, 1);
  b.capacity = 1000;  // rounded up to 1024
  auto limits = Build({{a, b}, {}});
  const std::vector<LimitStats> s = limits->Stats();
  EXPECT_EQ(s[1].capacity, 1024u);
  EXPECT_EQ(limits->MemoryBytes(), s[0].memory_bytes + s[1].memory_bytes);
  EXPECT_GE(limits->MemoryBytes(), (4096u + 1024u) * 16u);
}

}  // namespace
}  // namespace sd

namespace sd {
namespace {

// Peek (the HTTPS API's early 429) answers what Charge would, and changes and counts nothing.
TEST(RateLimitsPeek, SaysWhatChargeWouldWithoutCharging) {
  RateLimitsConfig cfg;
  cfg.limits = {Limit("per_dest", LimitScope::kDestination, 1, 1000, 1)};
  auto limits = Build(cfg);
  ASSERT_NE(limits, nullptr);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limits->Peek(Job("+491511"), kNow).admitted());
  EXPECT_EQ(StatsOf(limits->Stats(), "per_dest").admitted, 0u);
  ASSERT_TRUE(limits->Charge(Job("+491511"), kNow).admitted());
  const LimitVerdict v = limits->Peek(Job("+491511"), kNow + 200);
  EXPECT_EQ(v.kind, LimitVerdict::Kind::kReject);
  EXPECT_EQ(v.limit, "per_dest");
  EXPECT_EQ(v.retry_at_ms, kNow + 1000);
  EXPECT_EQ(StatsOf(limits->Stats(), "per_dest").rejected, 0u);
  EXPECT_TRUE(limits->Peek(Job("+491512"), kNow + 200).admitted());  // another destination
  EXPECT_TRUE(limits->Peek(Job("+491511"), kNow + 1000).admitted());
  // A deferring limit says defer, and a cost over the burst can never pass.
  cfg.limits = {Limit("per_key_defer", LimitScope::kKey, 100, 1000, 2, LimitAction::kDefer)};
  auto deferring = Build(cfg);
  ASSERT_TRUE(deferring->Charge(Job("+491513", 2), kNow).admitted());
  EXPECT_EQ(deferring->Peek(Job("+491514"), kNow).kind, LimitVerdict::Kind::kDefer);
  const LimitVerdict never = deferring->Peek(Job("+491515", 3), kNow + 5000);
  EXPECT_EQ(never.kind, LimitVerdict::Kind::kReject);
  EXPECT_EQ(never.retry_at_ms, 0);
}

}  // namespace
}  // namespace sd
