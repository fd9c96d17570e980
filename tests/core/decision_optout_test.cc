// The decision's opt-out stage (core/decision.h, stage 9): a job to a number that opted out of
// its sender's scope, its group's, or every sender is refused opted_out before any rate limit
// is charged; the kinds the rules cover; CheckOptOut as the submit gate asks it.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "adapters/crypto/openssl_mac.h"
#include "core/decision.h"
#include "core/envelope.h"
#include "core/optout.h"
#include "core/optout_set.h"

namespace sd {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;
constexpr const char* kOptedOut = "+447700900123";
constexpr const char* kOther = "+447700900999";

class OptOutDecisionTest : public ::testing::Test {
 protected:
  OptOutDecisionTest() : clock_(kNow) {
    auto keys = std::make_shared<KeyRing>();
    EXPECT_TRUE(keys->Add(SigningKey{"k.v1", secret_}));
    parts_.decision.stream = "sd:jobs";
    parts_.file_keys = keys;
    OptOutConfig c;
    c.groups = {{"brand", {"ACME", "+4915112345"}}};
    SetRules(c);
  }
  void SetRules(const OptOutConfig& c) { parts_.optout_rules = std::make_shared<OptOutRules>(c); }
  // The opt-outs, as (scope, number) pairs.
  void SetOptOuts(const std::vector<std::pair<std::string, std::string>>& entries) {
    std::vector<OptOutKey> keys;
    for (const auto& [scope, number] : entries) {
      std::optional<OptOutKey> k = MakeOptOutKey(scope, number);
      EXPECT_TRUE(k.has_value()) << scope << " " << number;
      if (k) keys.push_back(*k);
    }
    parts_.optouts = OptOutSet::Build(std::move(keys));
  }
  // One rate limit on the key: a single job per hour.
  void LimitToOneJob() {
    LimitConfig l;
    l.name = "per_key";
    l.scope = LimitScope::kKey;
    l.rate = RateSpec{1, 3'600'000, 1};
    l.capacity = 64;
    RateLimitsConfig rc;
    rc.limits = {l};
    rc.hash_key = SipKey{5, 6};
    auto limits = RateLimits::Build(rc);
    ASSERT_TRUE(limits.ok()) << limits.error().detail;
    parts_.limits = limits.value();
  }
  StreamEntry Signed(const std::string& id, const std::string& to, const std::string& sender,
                     JobKind kind = JobKind::kTransactional, int64_t send_at_ms = 0) {
    Job j;
    j.id = id;
    j.created_ms = kNow;
    j.expires_ms = kNow + 60'000;
    j.send_at_ms = send_at_ms;
    j.destination = to;
    j.sender = sender;
    j.text = "hello";
    j.kind = kind;
    return SignedJob(j);
  }
  StreamEntry SignedJob(const Job& j) {
    StreamEntry e;
    e.entry_id = "1-0";
    e.version = "sd1";
    e.key_id = "k.v1";
    e.job = EncodeJob(j);
    e.sig = SignJob(mac_, secret_, "k.v1", "sd:jobs", e.job);
    return e;
  }
  Decision Run(const std::string& to, const std::string& sender,
               JobKind kind = JobKind::kTransactional) {
    auto policy = PolicySnapshot::Make(parts_);
    return Decide(Signed("j" + std::to_string(++jobs_), to, sender, kind), *policy, mac_, clock_);
  }
  Reason ReasonOf(const std::string& to, const std::string& sender,
                  JobKind kind = JobKind::kTransactional) {
    Decision d = Run(to, sender, kind);
    return d.result.ok() ? Reason::kNone : d.result.error().reason;
  }

  std::string secret_ = std::string(32, 's');
  OpenSslMac mac_;
  ManualClock clock_;
  PolicyParts parts_;
  int jobs_ = 0;
};

TEST_F(OptOutDecisionTest, AnOptedOutNumberIsRefusedForItsSenderOnly) {
  SetOptOuts({{"s:shop24", kOptedOut}});
  Decision d = Run(kOptedOut, "Shop24");
  ASSERT_FALSE(d.result.ok());
  EXPECT_EQ(d.result.error().reason, Reason::kOptedOut);
  EXPECT_NE(d.result.error().detail.find("s:shop24"), std::string::npos) << d.result.error().detail;
  EXPECT_EQ(d.destination, kOptedOut);
  EXPECT_EQ(ReasonOf(kOptedOut, "SHOP24"), Reason::kOptedOut) << "the scope ignores case";
  EXPECT_EQ(ReasonOf(kOther, "Shop24"), Reason::kNone) << "another number";
  EXPECT_EQ(ReasonOf(kOptedOut, "Other"), Reason::kNone) << "another sender";
  EXPECT_EQ(ReasonOf(kOptedOut, "ACME"), Reason::kNone) << "another sender, in a group";
  EXPECT_EQ(ReasonName(Reason::kOptedOut), "opted_out");
  EXPECT_EQ(ReasonFromName("opted_out"), Reason::kOptedOut);
}

TEST_F(OptOutDecisionTest, AGroupsOptOutRefusesEverySenderOfTheGroup) {
  SetOptOuts({{"g:brand", kOptedOut}});
  EXPECT_EQ(ReasonOf(kOptedOut, "ACME"), Reason::kOptedOut);
  EXPECT_EQ(ReasonOf(kOptedOut, "Acme"), Reason::kOptedOut);
  EXPECT_EQ(ReasonOf(kOptedOut, "+4915112345"), Reason::kOptedOut);
  EXPECT_EQ(ReasonOf(kOptedOut, "4915112345"), Reason::kOptedOut);
  EXPECT_EQ(ReasonOf(kOptedOut, "Shop24"), Reason::kNone);
  // An operator's opt-out of one sender of a group holds for that sender only.
  SetOptOuts({{"s:acme", kOptedOut}});
  EXPECT_EQ(ReasonOf(kOptedOut, "ACME"), Reason::kOptedOut);
  EXPECT_EQ(ReasonOf(kOptedOut, "+4915112345"), Reason::kNone);
}

TEST_F(OptOutDecisionTest, StopAllRefusesEverySender) {
  SetOptOuts({{"*", kOptedOut}});
  for (const char* sender : {"ACME", "Shop24", "+4930111222", "12345"}) {
    Decision d = Run(kOptedOut, sender);
    ASSERT_FALSE(d.result.ok()) << sender;
    EXPECT_EQ(d.result.error().reason, Reason::kOptedOut) << sender;
    EXPECT_NE(d.result.error().detail.find("every sender"), std::string::npos)
        << d.result.error().detail;
  }
  EXPECT_EQ(ReasonOf(kOther, "ACME"), Reason::kNone);
}

TEST_F(OptOutDecisionTest, ARefusedJobChargesNoRateLimit) {
  SetOptOuts({{"*", kOptedOut}});
  LimitToOneJob();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(ReasonOf(kOptedOut, "Shop" + std::to_string(i)), Reason::kOptedOut) << i;
  }
  // The key's single job is still there to be had, and then used up.
  EXPECT_EQ(ReasonOf(kOther, "Shop24"), Reason::kNone);
  EXPECT_EQ(ReasonOf(kOther, "Other"), Reason::kRateLimited);
  EXPECT_EQ(ReasonOf(kOptedOut, "Other"), Reason::kOptedOut) << "opted_out comes first";
}

TEST_F(OptOutDecisionTest, OnlyTheCoveredKindsAreRefused) {
  SetOptOuts({{"s:shop24", kOptedOut}});
  EXPECT_EQ(ReasonOf(kOptedOut, "Shop24", JobKind::kMarketing), Reason::kOptedOut);
  EXPECT_EQ(ReasonOf(kOptedOut, "Shop24", JobKind::kOtp), Reason::kOptedOut);
  OptOutConfig c;
  c.refuse_marketing = false;
  SetRules(c);
  EXPECT_EQ(ReasonOf(kOptedOut, "Shop24", JobKind::kMarketing), Reason::kNone);
  EXPECT_EQ(ReasonOf(kOptedOut, "Shop24", JobKind::kTransactional), Reason::kOptedOut);
  c = OptOutConfig{};
  c.refuse_otp = false;
  SetRules(c);
  EXPECT_EQ(ReasonOf(kOptedOut, "Shop24", JobKind::kOtp), Reason::kNone);
  EXPECT_EQ(ReasonOf(kOptedOut, "Shop24", JobKind::kMarketing), Reason::kOptedOut);
  c = OptOutConfig{};
  c.enabled = false;
  SetRules(c);
  EXPECT_EQ(ReasonOf(kOptedOut, "Shop24", JobKind::kMarketing), Reason::kNone);
}

TEST_F(OptOutDecisionTest, WithoutRulesOrSetThereIsNoOptOutStage) {
  SetOptOuts({{"*", kOptedOut}});
  parts_.optout_rules = nullptr;
  EXPECT_EQ(ReasonOf(kOptedOut, "ACME"), Reason::kNone);
  SetRules(OptOutConfig{});
  parts_.optouts = nullptr;
  EXPECT_EQ(ReasonOf(kOptedOut, "ACME"), Reason::kNone);
  SetOptOuts({});
  EXPECT_EQ(ReasonOf(kOptedOut, "ACME"), Reason::kNone);
}

TEST_F(OptOutDecisionTest, AnEarlierStageStillNamesItsReason) {
  SetOptOuts({{"*", kOptedOut}});
  EXPECT_EQ(ReasonOf(kOptedOut, "ACME!"), Reason::kInvalidSender);
  EXPECT_EQ(ReasonOf("447700900123", "ACME"), Reason::kInvalidNumber);
}

TEST_F(OptOutDecisionTest, CheckOptOutDirectly) {
  SetOptOuts({{"g:brand", kOptedOut}, {"s:shop24", kOther}, {"*", "+12025550123"}});
  auto reason = [&](std::string_view sender, JobKind kind, std::string_view to) {
    std::optional<Error> e = CheckOptOut(parts_, sender, kind, to);
    return e ? e->reason : Reason::kNone;
  };
  const JobKind t = JobKind::kTransactional;
  EXPECT_EQ(reason("acme", t, kOptedOut), Reason::kOptedOut);
  EXPECT_EQ(reason("4915112345", t, kOptedOut), Reason::kOptedOut);
  EXPECT_EQ(reason("Shop24", t, kOptedOut), Reason::kNone);
  EXPECT_EQ(reason("Shop24", t, kOther), Reason::kOptedOut);
  EXPECT_EQ(reason("ACME", t, kOther), Reason::kNone);
  EXPECT_EQ(reason("anyone", JobKind::kOtp, "+12025550123"), Reason::kOptedOut);
  EXPECT_EQ(reason("ACME", t, "+12025550124"), Reason::kNone);
  EXPECT_EQ(reason("ACME", t, "447700900123"), Reason::kNone) << "not E.164: not ours to judge";
  EXPECT_EQ(reason("ACME", t, ""), Reason::kNone);
  std::optional<Error> e = CheckOptOut(parts_, "ACME", t, kOptedOut);
  ASSERT_TRUE(e.has_value());
  EXPECT_NE(e->detail.find("g:brand"), std::string::npos) << e->detail;
  // With a START the next set lets the job through.
  parts_.optouts = parts_.optouts->With({{*MakeOptOutKey("g:brand", kOptedOut), false}});
  EXPECT_EQ(reason("ACME", t, kOptedOut), Reason::kNone);
}

// A scheduled send (send_at ahead) passes every check but the limits, waits charged nothing,
// and is decided whole again when due: an opt-out made meanwhile refuses it then.
TEST_F(OptOutDecisionTest, ASendAtAheadWaitsChargedNothingAndIsDecidedAgainWhenDue) {
  LimitToOneJob();
  auto policy = PolicySnapshot::Make(parts_);
  const StreamEntry later = Signed("s1", kOther, "ACME", JobKind::kMarketing, kNow + 30'000);
  Decision d = Decide(later, *policy, mac_, clock_);
  ASSERT_FALSE(d.result.ok());
  EXPECT_TRUE(d.deferred);
  EXPECT_TRUE(d.scheduled);
  EXPECT_EQ(d.retry_at_ms, kNow + 30'000);
  EXPECT_EQ(d.result.error().reason, Reason::kNone);
  // Charged nothing: another job still gets the one-per-hour budget, and the scheduled one is
  // refused as before (the limit is charged when it is due: now spent).
  EXPECT_EQ(ReasonOf(kOther, "Shop24"), Reason::kNone);
  // Refusals come first: a scheduled job to an opted-out number is refused at once.
  SetOptOuts({{"*", kOptedOut}});
  policy = PolicySnapshot::Make(parts_);
  Decision refused = Decide(Signed("s2", kOptedOut, "ACME", JobKind::kMarketing, kNow + 30'000),
                            *policy, mac_, clock_);
  EXPECT_FALSE(refused.deferred);
  EXPECT_EQ(refused.result.error().reason, Reason::kOptedOut);
  // Due: decided again. The recipient opted out meanwhile: refused now.
  SetOptOuts({{"*", kOther}});
  policy = PolicySnapshot::Make(parts_);
  clock_.Set(kNow + 30'000);
  Decision due = Decide(later, *policy, mac_, clock_);
  EXPECT_FALSE(due.deferred);
  EXPECT_EQ(due.result.error().reason, Reason::kOptedOut);
}

TEST_F(OptOutDecisionTest, SendAtMustBeBeforeExpiresAndMayBePast) {
  auto policy = PolicySnapshot::Make(parts_);
  Decision late =
      Decide(Signed("s3", kOther, "ACME", JobKind::kOtp, kNow + 60'000), *policy, mac_, clock_);
  EXPECT_EQ(late.result.error().reason, Reason::kMalformed);
  EXPECT_NE(late.result.error().detail.find("send_at"), std::string::npos);
  Decision past =
      Decide(Signed("s4", kOther, "ACME", JobKind::kOtp, kNow - 5'000), *policy, mac_, clock_);
  EXPECT_TRUE(past.result.ok()) << "a send_at in the past means now";
  // The key-file overload schedules too.
  KeyRing keys;
  ASSERT_TRUE(keys.Add(SigningKey{"k.v1", secret_}));
  Decision file = Decide(Signed("s5", kOther, "ACME", JobKind::kOtp, kNow + 1'000), keys, mac_,
                         clock_, parts_.decision);
  EXPECT_TRUE(file.scheduled);
}

// Quiet hours in the decision: a marketing job in the recipient's night is deferred to the
// morning (charged nothing), or refused quiet_hours when it expires first; other kinds go.
class UtcPlusOne final : public LocalTimes {
 public:
  ZoneSet Place(const NumberPlace&) const override { return 0; }
  void OffsetsAt(ZoneSet, int64_t, std::vector<int>* out) const override { *out = {60}; }
};

TEST_F(OptOutDecisionTest, QuietHoursDeferToTheMorningOrRefuseWhatWouldExpireFirst) {
  QuietRule r{static_cast<uint8_t>(1u << static_cast<int>(JobKind::kMarketing)), 21 * 60, 8 * 60,
              "21:00-08:00"};
  parts_.local_times = std::make_shared<UtcPlusOne>();
  parts_.quiet = std::make_shared<const QuietHours>(std::vector<QuietRule>{r}, parts_.local_times);
  const int64_t night = kNow - kNow % 86'400'000 + 86'400'000 + 22 * 3'600'000;  // 23:00 local
  clock_.Set(night);
  Job j;
  j.id = "q1";
  j.created_ms = night;
  j.expires_ms = night + 12 * 3'600'000;
  j.destination = kOther;
  j.sender = "ACME";
  j.text = "sale";
  j.kind = JobKind::kMarketing;
  auto policy = PolicySnapshot::Make(parts_);
  Decision d = Decide(SignedJob(j), *policy, mac_, clock_);
  ASSERT_FALSE(d.result.ok());
  EXPECT_TRUE(d.deferred);
  EXPECT_FALSE(d.scheduled);
  EXPECT_EQ(d.result.error().reason, Reason::kQuietHours);
  EXPECT_EQ(d.retry_at_ms, night + 9 * 3'600'000) << "08:00 local is 07:00 UTC";
  j.expires_ms = night + 3'600'000;  // gone before the morning
  Decision late = Decide(SignedJob(j), *policy, mac_, clock_);
  EXPECT_FALSE(late.deferred);
  EXPECT_EQ(late.result.error().reason, Reason::kQuietHours);
  EXPECT_NE(late.result.error().detail.find("after the job expires"), std::string::npos);
  j.kind = JobKind::kOtp;
  EXPECT_TRUE(Decide(SignedJob(j), *policy, mac_, clock_).result.ok()) << "OTPs are not held";
}

}  // namespace
}  // namespace sd
