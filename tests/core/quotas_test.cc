// Quotas (core/quotas.h): the Redis record, UTC periods, validation, and charging a key's and
// its tenant's quota all or nothing through the lease book.
#include "core/quotas.h"

#include <gtest/gtest.h>

#include <functional>

namespace sd {
namespace {

constexpr SipKey kKey{3, 4};
constexpr int64_t kNow = 1'796'428'800'000 + 3'600'000;  // 2026-12-05 01:00 UTC

QuotaDefinition Def(std::string subject, int64_t daily, int64_t monthly,
                    std::vector<std::string> members = {}) {
  return QuotaDefinition{std::move(subject), daily, monthly, std::move(members)};
}

std::shared_ptr<const Quotas> Build(std::vector<QuotaDefinition> defs,
                                    const Quotas* previous = nullptr) {
  auto r = Quotas::Build(std::move(defs), previous, kKey);
  EXPECT_TRUE(r.ok()) << r.error().detail;
  return r.ok() ? r.value() : nullptr;
}

// Answers every wanted lease with `grant(value, units)` (the lease agent's part).
void Answer(const Quotas& q, const std::function<int64_t(const std::string&, int64_t)>& grant) {
  for (const auto& w : q.book().TakeWants()) {
    const int64_t g = grant(w.value, w.units);
    q.book().Granted(w.value, g, g > 0 ? 0 : 1000, kNow);
  }
}

int64_t All(const std::string&, int64_t units) { return units; }

TEST(QuotasTest, RecordsRoundTripAndBadOnesAreRefused) {
  const QuotaDefinition t = Def("tenant:bigco", 1000, 20000, {"acme", "acme-otp"});
  EXPECT_EQ(QuotaValue(t), "1000|20000|acme,acme-otp");
  EXPECT_EQ(ParseQuota("tenant:bigco", QuotaValue(t)), t);
  EXPECT_EQ(ParseQuota("key:acme", "10|0|"), Def("key:acme", 10, 0));
  EXPECT_FALSE(ParseQuota("key:acme", "0|0|"));        // no bound at all
  EXPECT_FALSE(ParseQuota("key:acme", "10|0|other"));  // a key has no members
  EXPECT_FALSE(ParseQuota("user:acme", "10|0|"));      // not a subject kind
  EXPECT_FALSE(ParseQuota("key:ac me", "10|0|"));
  EXPECT_FALSE(ParseQuota("key:acme", "-1|0|"));
  EXPECT_FALSE(ParseQuota("key:acme", "10|x|"));
  EXPECT_FALSE(ParseQuota("key:acme", "10"));
  EXPECT_FALSE(ParseQuota("tenant:t", "10|0|a,b c"));
}

TEST(QuotasTest, PeriodsAreUtcDaysAndMonths) {
  const QuotaPeriods p = QuotaPeriodsAt(kNow);
  EXPECT_EQ(p.day, "20261205");
  EXPECT_EQ(p.month, "202612");
  EXPECT_EQ(p.day_ends_ms, 1'796'428'800'000 + 86'400'000);
  EXPECT_EQ(p.month_ends_ms, 1'798'761'600'000);  // 2027-01-01 00:00 UTC
  const QuotaPeriods last = QuotaPeriodsAt(1'798'761'600'000 - 1);
  EXPECT_EQ(last.day, "20261231");
  EXPECT_EQ(QuotaPeriodsAt(1'798'761'600'000).month, "202701");
}

TEST(QuotasTest, LeasesAreOnePercentOfTheSmallerQuota) {
  EXPECT_EQ(QuotaLeaseUnits(Def("key:a", 10'000, 200'000)), 100);
  EXPECT_EQ(QuotaLeaseUnits(Def("key:a", 0, 5'000)), 50);
  EXPECT_EQ(QuotaLeaseUnits(Def("key:a", 50, 0)), 1);
  EXPECT_EQ(QuotaLeaseUnits(Def("key:a", 1'000'000, 0)), 100);
}

TEST(QuotasTest, BuildRefusesAKeyInTwoTenantsAndDuplicates) {
  auto r =
      Quotas::Build({Def("tenant:a", 10, 0, {"k"}), Def("tenant:b", 10, 0, {"k"})}, nullptr, kKey);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().detail.find("key 'k' is in two tenants"), std::string::npos);
  r = Quotas::Build({Def("key:k", 10, 0), Def("key:k", 20, 0)}, nullptr, kKey);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().detail.find("twice"), std::string::npos);
}

TEST(QuotasTest, AJobChargesItsKeysAndItsTenantsQuotaAllOrNothing) {
  auto q = Build({Def("key:acme", 100, 0), Def("tenant:bigco", 0, 3, {"acme", "other"})});
  EXPECT_EQ(q->Charge("acme.v1", 1, kNow).kind, Quotas::Verdict::Kind::kAwait);
  // Both leases were asked at once, in one round.
  EXPECT_EQ(q->book().HasWants(), true);
  Answer(*q, All);
  EXPECT_EQ(q->Charge("acme.v2", 1, kNow).kind, Quotas::Verdict::Kind::kAdmit);
  // A key with neither quota is never charged.
  EXPECT_EQ(q->Charge("free.v1", 5, kNow).kind, Quotas::Verdict::Kind::kAdmit);
  // The tenant's month is used up (its counter refuses): the key's segment is given back.
  Answer(*q, [](const std::string& value, int64_t units) {
    return value.starts_with("tenant:") ? 0 : units;
  });
  const int64_t held = q->book().HeldUnits();
  const Quotas::Verdict v = q->Charge("acme.v1", 1, kNow);
  EXPECT_EQ(v.kind, Quotas::Verdict::Kind::kExceeded);
  EXPECT_EQ(v.detail, "quota 'tenant:bigco' (monthly 3 segments) used up");
  EXPECT_EQ(q->book().HeldUnits(), held);
}

TEST(QuotasTest, ARefundGivesTheSegmentsBack) {
  auto q = Build({Def("key:acme", 1000, 0)});
  (void)q->Charge("acme.v1", 1, kNow);
  Answer(*q, All);
  ASSERT_EQ(q->Charge("acme.v1", 3, kNow).kind, Quotas::Verdict::Kind::kAdmit);
  const int64_t held = q->book().HeldUnits();
  q->Refund("acme.v1", 3, kNow);
  EXPECT_EQ(q->book().HeldUnits(), held + 3);
}

TEST(QuotasTest, ANewDayLeasesAfreshAndTheOldDaysTokensGoBack) {
  auto q = Build({Def("key:acme", 1000, 0)});
  (void)q->Charge("acme.v1", 1, kNow);
  Answer(*q, All);
  ASSERT_EQ(q->Charge("acme.v1", 1, kNow).kind, Quotas::Verdict::Kind::kAdmit);
  const int64_t tomorrow = kNow + 86'400'000;
  EXPECT_EQ(q->Charge("acme.v1", 1, tomorrow).kind, Quotas::Verdict::Kind::kAwait);
  const auto wants = q->book().TakeWants();
  ASSERT_EQ(wants.size(), 1u);
  EXPECT_EQ(wants[0].value, "key:acme|20261206|202612");
  const auto back = q->book().TakeExpired(tomorrow);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].value, "key:acme|20261205|202612");
}

TEST(QuotasTest, ReloadKeepsTheLeaseBook) {
  auto first = Build({Def("key:acme", 1000, 0)});
  auto second = Build({Def("key:acme", 2000, 0)}, first.get());
  EXPECT_EQ(&first->book(), &second->book());
}

TEST(QuotasTest, PeekNamesAQuotaFoundUsedUpAndNothingElse) {
  auto q = Build({Def("key:acme", 5, 0)});
  EXPECT_FALSE(q->Peek("acme.v1", 1, kNow));  // not asked yet: the charge decides
  (void)q->Charge("acme.v1", 1, kNow);
  Answer(*q, [](const std::string&, int64_t) { return 0; });  // used up
  const auto why = q->Peek("acme.v1", 1, kNow + 10);
  ASSERT_TRUE(why);
  EXPECT_EQ(*why, "quota 'key:acme' (daily 5 segments) used up");
  EXPECT_FALSE(q->Peek("acme.v1", 1, kNow + 1000));  // its retry time came: asked again
  EXPECT_FALSE(q->Peek("other.v1", 1, kNow));
  // No answer from Redis is not "used up".
  (void)q->Charge("acme.v1", 1, kNow + 1000);
  for (const auto& w : q->book().TakeWants()) q->book().Failed(w.value, kNow + 1000);
  EXPECT_FALSE(q->Peek("acme.v1", 1, kNow + 1001));
}

}  // namespace
}  // namespace sd
