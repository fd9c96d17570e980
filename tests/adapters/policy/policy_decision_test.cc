// The whole admission decision under a PolicySnapshot, with the real number checker
// (libphonenumber) and the real content scanner (Hyperscan): every stage's reasons reachable,
// in the documented order, and rate limits charged last (a refused job charges nothing).
#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "adapters/crypto/openssl_mac.h"
#include "adapters/policy/content_scanner.h"
#include "adapters/policy/icu_domain_names.h"
#include "adapters/policy/phone_number_checker.h"
#include "core/decision.h"
#include "core/envelope.h"
#include "core/policy_snapshot.h"

namespace sd {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;
const std::string kStream = "sd:jobs";

constexpr const char* kRules = R"(
[[rule]]
id = "crypto"
action = "reject"
keywords = ["free bitcoin"]

[[rule]]
id = "suspended"
action = "flag"
keywords = ["account suspended"]

[urls]
deny = ["evil.example"]
allow = ["example.com"]
shorteners = ["bit.ly"]
shortener_policy = "reject"

[lookalike]
protected = ["paypal.com"]
)";

std::shared_ptr<const ContentScanner> Scanner() {
  auto rules = ParseContentRules(kRules, "rules.toml");
  EXPECT_TRUE(std::holds_alternative<ContentRules>(rules));
  auto s = HyperscanContentScanner::Build(std::get<ContentRules>(std::move(rules)), "rules.toml");
  EXPECT_TRUE(std::holds_alternative<std::unique_ptr<HyperscanContentScanner>>(s));
  return std::move(std::get<std::unique_ptr<HyperscanContentScanner>>(s));
}

KeyRecord Record(const std::string& id, char fill) {
  KeyRecord r;
  r.id = id;
  r.secret = std::string(32, fill);
  r.created_ms = kNow - 10'000;
  r.not_before_ms = kNow - 10'000;
  return r;
}

class PolicyDecisionTest : public ::testing::Test {
 protected:
  PolicyDecisionTest() : clock_(kNow) {
    parts_.decision.stream = kStream;
    parts_.decision.max_segments = 10;
    KeyRecord open = Record("open.v1", 'o');
    KeyRecord revoked = Record("gone.v1", 'g');
    revoked.revoked = true;
    revoked.revoked_at_ms = kNow - 1;
    KeyRecord future = Record("later.v1", 'l');
    future.not_before_ms = kNow + 1000;
    KeyRecord old = Record("old.v1", 'x');
    old.not_after_ms = kNow;
    KeyRecord otp = Record("otp.v1", 't');
    otp.scopes.kinds = KindBit(JobKind::kOtp);
    otp.scopes.senders = {"ACME"};
    otp.scopes.countries = {"DE"};
    otp.scopes.max_segments = 1;
    otp.scopes.url_policy = UrlPolicy::kNone;
    otp.scopes.otp_template = "Your code is {code}";
    KeyRecord links = Record("links.v1", 'u');
    links.scopes.url_policy = UrlPolicy::kAllowlist;
    links.scopes.url_domains = {"acme.example"};
    KeyRecord rated = Record("rated.v1", 'r');
    rated.scopes.rate_per_s = 2;
    rated.scopes.burst = 2;
    auto reg = KeyRegistrySnapshot::Build(7, {open, revoked, future, old, otp, links, rated});
    EXPECT_TRUE(reg.ok()) << reg.error().detail;
    parts_.registry_keys = reg.value();
    auto ring = std::make_shared<KeyRing>();
    EXPECT_TRUE(ring->Add(SigningKey{"file.v1", std::string(32, 'f')}));
    parts_.file_keys = ring;
    PhoneNumberChecker::Options no;
    no.number.mobile_required = true;
    no.number.high_risk_prefixes = {"+37360"};
    parts_.numbers = std::make_shared<PhoneNumberChecker>(no);
    parts_.content = Scanner();
    parts_.mac = &mac_;  // keys prepared, as in the daemon
  }

  Job Base(JobKind kind = JobKind::kTransactional) {
    Job j;
    j.id = "j1";
    j.created_ms = kNow;
    j.expires_ms = kNow + 60'000;
    j.destination = "+4915112345678";
    j.sender = "ACME";
    j.text = "hello";
    j.kind = kind;
    return j;
  }
  std::string SecretOf(const std::string& kid) {
    if (kid == "file.v1") return std::string(32, 'f');
    return parts_.registry_keys->Find(kid) ? parts_.registry_keys->Find(kid)->record.secret
                                           : std::string(32, '?');
  }
  StreamEntry Signed(const Job& j, const std::string& kid = "open.v1") {
    StreamEntry e;
    e.entry_id = "1-0";
    e.version = "sd1";
    e.key_id = kid;
    e.job = EncodeJob(j);
    e.sig = SignJob(mac_, SecretOf(kid), kid, kStream, e.job);
    return e;
  }
  Decision Run(const StreamEntry& e) {
    auto snap = PolicySnapshot::Make(parts_);
    return Decide(e, *snap, mac_, clock_, "sim");
  }
  Reason ReasonOf(const StreamEntry& e) {
    Decision d = Run(e);
    return d.result.ok() ? Reason::kNone : d.result.error().reason;
  }
  void AddLimit(LimitConfig l) {
    RateLimitsConfig rc;
    cfgs_.push_back(std::move(l));
    rc.limits = cfgs_;
    rc.hash_key = SipKey{1, 2};
    auto built = RateLimits::Build(rc, parts_.limits.get());
    ASSERT_TRUE(built.ok()) << built.error().detail;
    parts_.limits = built.value();
  }

  OpenSslMac mac_;
  ManualClock clock_;
  PolicyParts parts_;
  std::vector<LimitConfig> cfgs_;
};

TEST_F(PolicyDecisionTest, AdmitsThroughEveryStage) {
  Decision d = Run(Signed(Base()));
  ASSERT_TRUE(d.result.ok()) << d.result.error().detail;
  EXPECT_FALSE(d.deferred);
  EXPECT_EQ(d.destination, "+4915112345678");
  EXPECT_TRUE(d.flagged.empty());
}

TEST_F(PolicyDecisionTest, KeyStage) {
  EXPECT_EQ(ReasonOf(Signed(Base(), "nobody.v1")), Reason::kUnknownKey);
  EXPECT_EQ(ReasonOf(Signed(Base(), "gone.v1")), Reason::kRevokedKey);
  EXPECT_EQ(ReasonOf(Signed(Base(), "later.v1")), Reason::kKeyNotActive);
  EXPECT_EQ(ReasonOf(Signed(Base(), "old.v1")), Reason::kKeyNotActive);
  // A key-file key works beside the registry.
  EXPECT_EQ(ReasonOf(Signed(Base(), "file.v1")), Reason::kNone);
  // Revocation applies before the signature is even looked at.
  StreamEntry e = Signed(Base(), "gone.v1");
  e.sig = std::string(64, '0');
  EXPECT_EQ(ReasonOf(e), Reason::kRevokedKey);
}

TEST_F(PolicyDecisionTest, SignatureBeforeDecode) {
  StreamEntry e = Signed(Base());
  e.job = "\xc1 not msgpack";
  EXPECT_EQ(ReasonOf(e), Reason::kBadSignature);
  e.sig = SignJob(mac_, SecretOf("open.v1"), "open.v1", kStream, e.job);
  EXPECT_EQ(ReasonOf(e), Reason::kMalformed);
}

TEST_F(PolicyDecisionTest, GlobalMaxSegments) {
  Job j = Base();
  j.text = std::string(160 * 3, 'a');  // 4 GSM segments of 153
  EXPECT_EQ(ReasonOf(Signed(j)), Reason::kNone);
  parts_.decision.max_segments = 3;
  EXPECT_EQ(ReasonOf(Signed(j)), Reason::kTextTooLong);
}

TEST_F(PolicyDecisionTest, ScopeStage) {
  Job ok = Base(JobKind::kOtp);
  ok.text = "Your code is 123456";
  EXPECT_EQ(ReasonOf(Signed(ok, "otp.v1")), Reason::kNone);

  EXPECT_EQ(ReasonOf(Signed(Base(JobKind::kMarketing), "otp.v1")), Reason::kKindNotAllowed);
  Job j = ok;
  j.sender = "OTHER";
  EXPECT_EQ(ReasonOf(Signed(j, "otp.v1")), Reason::kSenderNotAllowed);
  j = ok;
  j.text = "Your code is 123456 " + std::string(200, 'x');
  EXPECT_EQ(ReasonOf(Signed(j, "otp.v1")), Reason::kTextTooLong);
  j = ok;
  j.text = "Your code is abc";
  EXPECT_EQ(ReasonOf(Signed(j, "otp.v1")), Reason::kOtpTemplateMismatch);
  j = ok;
  j.destination = "+33612345678";  // valid French mobile; the key may send to DE only
  EXPECT_EQ(ReasonOf(Signed(j, "otp.v1")), Reason::kCountryNotAllowed);
}

TEST_F(PolicyDecisionTest, NumberStage) {
  Job j = Base();
  j.destination = "+4900000000";
  EXPECT_EQ(ReasonOf(Signed(j)), Reason::kInvalidNumber);
  j.destination = "+449012345678";
  EXPECT_EQ(ReasonOf(Signed(j)), Reason::kPremiumNumber);
  j.destination = "+37360123456";
  EXPECT_EQ(ReasonOf(Signed(j)), Reason::kHighRiskPrefix);
  j.destination = "+4930123456";
  EXPECT_EQ(ReasonOf(Signed(j)), Reason::kNotMobile);
}

TEST_F(PolicyDecisionTest, ContentStage) {
  Job j = Base();
  j.text = "get free bitcoin now";
  Decision d = Run(Signed(j));
  ASSERT_FALSE(d.result.ok());
  EXPECT_EQ(d.result.error().reason, Reason::kBlockedContent);
  EXPECT_EQ(d.result.error().detail, "crypto");
  j.text = "see https://evil.example/x";
  EXPECT_EQ(ReasonOf(Signed(j)), Reason::kUrlNotAllowed);
  j.text = "see bit.ly/abc";
  EXPECT_EQ(ReasonOf(Signed(j)), Reason::kShortenerNotAllowed);
  j.text = "see https://p\xd0\xb0ypal.com/login";  // Cyrillic a
  EXPECT_EQ(ReasonOf(Signed(j)), Reason::kLookalikeDomain);
  // The key's URL policy: none for otp.v1, an allowlist for links.v1.
  Job otp = Base(JobKind::kOtp);
  otp.text = "Your code is 123456";
  EXPECT_EQ(ReasonOf(Signed(otp, "otp.v1")), Reason::kNone);
  j.text = "see https://acme.example/x";
  EXPECT_EQ(ReasonOf(Signed(j, "links.v1")), Reason::kNone);
  j.text = "see https://example.com/x";
  EXPECT_EQ(ReasonOf(Signed(j, "links.v1")), Reason::kUrlNotAllowed);
  // A flag rule passes and is reported.
  j.text = "your account suspended, call us";
  d = Run(Signed(j));
  ASSERT_TRUE(d.result.ok());
  EXPECT_EQ(d.flagged, std::vector<std::string>{"suspended"});
}

TEST_F(PolicyDecisionTest, WithoutNumberCheckerACountryScopeFailsClosed) {
  parts_.numbers = nullptr;
  Job ok = Base(JobKind::kOtp);
  ok.text = "Your code is 123456";
  EXPECT_EQ(ReasonOf(Signed(ok, "otp.v1")), Reason::kCountryNotAllowed);
  EXPECT_EQ(ReasonOf(Signed(Base())), Reason::kNone);  // no country scope: nothing to know
}

TEST_F(PolicyDecisionTest, WithoutScannerTheKeysUrlPolicyStillApplies) {
  parts_.content = nullptr;
  parts_.domains = IcuDomainNames::Shared();  // as the daemon always sets it
  Job j = Base();
  j.text = "see https://example.com/x";
  EXPECT_EQ(ReasonOf(Signed(j, "links.v1")), Reason::kUrlNotAllowed);
  j.text = "see https://www.acme.example/x";
  EXPECT_EQ(ReasonOf(Signed(j, "links.v1")), Reason::kNone);
  j.text = "see https://www.\u0430cme.example/x";  // Cyrillic а: mixed scripts
  EXPECT_EQ(ReasonOf(Signed(j, "links.v1")), Reason::kLookalikeDomain);
  j.text = "get free bitcoin";  // no rules without a scanner
  EXPECT_EQ(ReasonOf(Signed(j)), Reason::kNone);
}

// Without a way to read hosts, a key's URL policy cannot be checked: fail closed for keys
// that have one, pass keys that allow any URL.
TEST_F(PolicyDecisionTest, WithoutDomainNamesAUrlPolicyFailsClosed) {
  parts_.content = nullptr;
  parts_.domains = nullptr;
  Job j = Base();
  j.text = "see https://www.acme.example/x";
  EXPECT_EQ(ReasonOf(Signed(j, "links.v1")), Reason::kUrlNotAllowed);
  EXPECT_EQ(ReasonOf(Signed(j)), Reason::kNone);
}

LimitConfig Limit(std::string name, LimitScope scope, int64_t count, int64_t burst,
                  LimitAction action) {
  LimitConfig l;
  l.name = std::move(name);
  l.scope = scope;
  l.rate = RateSpec{count, 1000, burst};
  l.action = action;
  l.capacity = 1024;
  return l;
}

TEST_F(PolicyDecisionTest, RateLimitRejectsAndDefersInSegments) {
  AddLimit(Limit("per_number", LimitScope::kDestination, 2, 2, LimitAction::kReject));
  EXPECT_EQ(ReasonOf(Signed(Base())), Reason::kNone);
  EXPECT_EQ(ReasonOf(Signed(Base())), Reason::kNone);
  Decision d = Run(Signed(Base()));
  ASSERT_FALSE(d.result.ok());
  EXPECT_EQ(d.result.error().reason, Reason::kRateLimited);
  EXPECT_FALSE(d.deferred);

  cfgs_.clear();
  parts_.limits = nullptr;
  AddLimit(Limit("per_key", LimitScope::kKey, 3, 3, LimitAction::kDefer));
  Job two = Base();
  two.text = std::string(200, 'a');  // 2 segments
  EXPECT_EQ(ReasonOf(Signed(two)), Reason::kNone);
  d = Run(Signed(two));  // 2 + 2 > burst 3: deferred until one more segment fits
  ASSERT_FALSE(d.result.ok());
  EXPECT_TRUE(d.deferred);
  EXPECT_EQ(d.result.error().reason, Reason::kRateLimited);
  EXPECT_GT(d.retry_at_ms, kNow);
  EXPECT_LE(d.retry_at_ms, kNow + 1000);
  // One that would expire before its turn is refused now rather than deferred until then.
  Job soon = two;
  soon.id = "job-expiring";
  soon.expires_ms = kNow + 1;
  d = Run(Signed(soon));
  ASSERT_FALSE(d.result.ok());
  EXPECT_FALSE(d.deferred);
  EXPECT_EQ(d.result.error().reason, Reason::kRateLimited);
  EXPECT_NE(d.result.error().detail.find("expire"), std::string::npos) << d.result.error().detail;
}

TEST_F(PolicyDecisionTest, ARefusedJobChargesNothing) {
  AddLimit(Limit("per_key", LimitScope::kKey, 1, 1, LimitAction::kReject));
  Job bad = Base();
  bad.text = "free bitcoin";
  for (int i = 0; i < 5; ++i) EXPECT_EQ(ReasonOf(Signed(bad)), Reason::kBlockedContent);
  Job wrong = Base(JobKind::kMarketing);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(ReasonOf(Signed(wrong, "otp.v1")), Reason::kKindNotAllowed);
  EXPECT_EQ(parts_.limits->StateOf("per_key")->counters.admitted.load(), 0u);
  EXPECT_EQ(ReasonOf(Signed(Base())), Reason::kNone);  // the budget is all there
  EXPECT_EQ(ReasonOf(Signed(Base())), Reason::kRateLimited);
}

TEST_F(PolicyDecisionTest, CarrierLimitUsesTheCarrierName) {
  AddLimit(Limit("per_carrier", LimitScope::kCarrier, 1, 1, LimitAction::kReject));
  EXPECT_EQ(ReasonOf(Signed(Base())), Reason::kNone);
  EXPECT_EQ(ReasonOf(Signed(Base())), Reason::kRateLimited);
  auto snap = PolicySnapshot::Make(parts_);
  // Not routed (no carrier name): carrier limits are skipped.
  EXPECT_TRUE(Decide(Signed(Base()), *snap, mac_, clock_, "").result.ok());
}

// Offered ten times the limit for ten seconds of injected time, the decision admits the
// limit's rate (plus its burst) within 1 %.
TEST_F(PolicyDecisionTest, TenTimesTheLimitOfferedAdmitsTheLimit) {
  parts_.numbers = nullptr;  // the limit is what is measured here
  parts_.content = nullptr;
  constexpr int64_t kRate = 200;  // per second
  constexpr int64_t kBurst = 20;
  constexpr int64_t kSeconds = 10;
  AddLimit(Limit("per_key", LimitScope::kKey, kRate, kBurst, LimitAction::kReject));
  auto snap = PolicySnapshot::Make(parts_);
  const StreamEntry e = Signed(Base());
  int64_t admitted = 0;
  const int64_t offered = kRate * 10 * kSeconds;
  for (int64_t i = 0; i < offered; ++i) {
    // 10 x rate per second: one job every 1000 / (10 * rate) ms, as fractions of a ms.
    clock_.Set(kNow + i * 1000 / (10 * kRate));
    admitted += Decide(e, *snap, mac_, clock_, "sim").result.ok() ? 1 : 0;
  }
  const double expected = kRate * kSeconds + kBurst;
  EXPECT_NEAR(static_cast<double>(admitted), expected, expected * 0.01)
      << admitted << " of " << offered;
}

TEST_F(PolicyDecisionTest, TheKeysOwnRateIsChargedAllOrNothingAndSurvivesRebuilds) {
  AddLimit(Limit("per_number", LimitScope::kDestination, 1, 1, LimitAction::kReject));
  auto snap = PolicySnapshot::Make(parts_);
  auto decide = [&](const std::string& to, const PolicySnapshot& p) {
    Job j = Base();
    j.destination = to;
    Decision d = Decide(Signed(j, "rated.v1"), p, mac_, clock_, "sim");
    return d.result.ok() ? std::string("ok") : d.result.error().detail;
  };
  EXPECT_EQ(decide("+4915112345671", *snap), "ok");
  // The number's limit refuses: the key's charge is given back.
  EXPECT_NE(decide("+4915112345671", *snap).find("per_number"), std::string::npos);
  EXPECT_EQ(decide("+4915112345672", *snap), "ok");
  EXPECT_EQ(decide("+4915112345673", *snap), "key 'rated.v1' rate limit (2/s, burst 2) exceeded");
  // A rebuild (registry change, reload) keeps the bucket; a snapshot made from nothing would not.
  auto rebuilt = PolicySnapshot::Make(parts_, 1, snap.get());
  EXPECT_EQ(decide("+4915112345674", *rebuilt),
            "key 'rated.v1' rate limit (2/s, burst 2) exceeded");
  clock_.Advance(500);  // one emission interval at 2/s
  EXPECT_EQ(decide("+4915112345675", *rebuilt), "ok");
  // Other keys are not limited by it.
  EXPECT_TRUE(Decide(Signed(Base()), *rebuilt, mac_, clock_, "sim").result.ok());
}

// A rotation (rated.v2 beside rated.v1, same scopes) starts no fresh budget: both versions
// charge one bucket, in this snapshot and in the rebuilt one that drops the old version.
TEST_F(PolicyDecisionTest, TheKeysOwnRateIsSharedByEveryVersionOfTheKey) {
  auto records = parts_.registry_keys->All();
  std::vector<KeyRecord> with_v2;
  for (const RegisteredKey* k : records) with_v2.push_back(k->record);
  KeyRecord v2 = Record("rated.v2", 's');
  v2.scopes.rate_per_s = 2;
  v2.scopes.burst = 2;
  with_v2.push_back(v2);
  parts_.registry_keys = KeyRegistrySnapshot::Build(8, with_v2).value();
  auto snap = PolicySnapshot::Make(parts_);
  auto decide = [&](const std::string& kid, const PolicySnapshot& p) {
    Decision d = Decide(Signed(Base(), kid), p, mac_, clock_, "sim");
    return d.result.ok() ? std::string("ok") : d.result.error().detail;
  };
  EXPECT_EQ(decide("rated.v1", *snap), "ok");
  EXPECT_EQ(decide("rated.v1", *snap), "ok");
  EXPECT_EQ(decide("rated.v2", *snap), "key 'rated.v2' rate limit (2/s, burst 2) exceeded");
  // The overlap ends: only v2 is left, and it still has nothing.
  std::vector<KeyRecord> only_v2;
  for (const KeyRecord& r : with_v2) {
    if (r.id != "rated.v1") only_v2.push_back(r);
  }
  parts_.registry_keys = KeyRegistrySnapshot::Build(9, only_v2).value();
  auto rebuilt = PolicySnapshot::Make(parts_, 1, snap.get());
  EXPECT_EQ(decide("rated.v2", *rebuilt), "key 'rated.v2' rate limit (2/s, burst 2) exceeded");
  clock_.Advance(500);  // one emission interval at 2/s
  EXPECT_EQ(decide("rated.v2", *rebuilt), "ok");
  EXPECT_EQ(decide("rated.v2", *rebuilt), "key 'rated.v2' rate limit (2/s, burst 2) exceeded");
}

// Counts one-shot HMACs; prepares through OpenSSL.
class CountingMac final : public MacAlgorithm {
 public:
  Mac256 HmacSha256(std::string_view key, std::string_view data) const override {
    ++one_shot;
    return real.HmacSha256(key, data);
  }
  std::shared_ptr<const PreparedMac> Prepare(std::string_view key) const override {
    return real.Prepare(key);
  }
  OpenSslMac real;
  mutable int one_shot = 0;
};

// DecideBuilt (the HTTPS API, which built and signed the job) decides every job as Decide
// decides its entry: the same admission or refusal, reason and detail, deferral and flags.
TEST_F(PolicyDecisionTest, ABuiltJobIsDecidedAsItsEntryIs) {
  struct Case {
    Job job;
    std::string kid;
  };
  auto with = [&](JobKind kind, const std::function<void(Job&)>& change) {
    Job j = Base(kind);
    change(j);
    return j;
  };
  const JobKind tx = JobKind::kTransactional;
  const std::vector<Case> cases{
      {Base(), "open.v1"},
      {Base(), "otp.v1"},  // kind outside the key's scopes
      {with(JobKind::kOtp, [](Job& j) { j.text = "Your code is 123456"; }), "otp.v1"},
      {with(tx, [](Job& j) { j.destination = "+493012345678"; }), "open.v1"},  // landline
      {with(tx, [](Job& j) { j.text = "free bitcoin now"; }), "open.v1"},
      {with(tx, [](Job& j) { j.text = "your account suspended"; }), "open.v1"},  // flagged
      {with(tx, [](Job& j) { j.text = "see https://bit.ly/x"; }), "links.v1"},
      {with(tx, [](Job& j) { j.text = std::string(1600, 'a'); }), "open.v1"},
      {with(tx, [](Job& j) { j.send_at_ms = kNow + 30'000; }), "open.v1"},
      {with(tx, [](Job& j) { j.expires_ms = j.created_ms; }), "open.v1"},
  };
  auto snap = PolicySnapshot::Make(parts_);
  for (const Case& c : cases) {
    const StreamEntry e = Signed(c.job, c.kid);
    const Decision full = Decide(e, *snap, mac_, clock_, "sim", LimitMode::kPeek);
    const Decision built = DecideBuilt(e, c.job, *parts_.registry_keys->Find(c.kid), *snap, clock_,
                                       "sim", LimitMode::kPeek);
    const std::string what = c.kid + ": " + c.job.text.substr(0, 20);
    ASSERT_EQ(built.result.ok(), full.result.ok()) << what;
    if (full.result.ok()) {
      EXPECT_EQ(built.result->job.id, full.result->job.id) << what;
      EXPECT_EQ(built.result->text.segments, full.result->text.segments) << what;
    } else {
      EXPECT_EQ(built.result.error().reason, full.result.error().reason) << what;
      EXPECT_EQ(built.result.error().detail, full.result.error().detail) << what;
    }
    EXPECT_EQ(built.deferred, full.deferred) << what;
    EXPECT_EQ(built.scheduled, full.scheduled) << what;
    EXPECT_EQ(built.retry_at_ms, full.retry_at_ms) << what;
    EXPECT_EQ(built.flagged, full.flagged) << what;
    EXPECT_EQ(built.job_id, full.job_id) << what;
  }
}

TEST_F(PolicyDecisionTest, PreparedKeysVerifyWithoutTheOneShotHmac) {
  CountingMac counting;
  parts_.mac = &counting;
  auto snap = PolicySnapshot::Make(parts_);
  EXPECT_TRUE(Decide(Signed(Base()), *snap, counting, clock_, "sim").result.ok());
  EXPECT_TRUE(Decide(Signed(Base(), "file.v1"), *snap, counting, clock_, "sim").result.ok());
  StreamEntry forged = Signed(Base());
  forged.sig[10] = forged.sig[10] == 'a' ? 'b' : 'a';
  EXPECT_EQ(Decide(forged, *snap, counting, clock_, "sim").result.error().reason,
            Reason::kBadSignature);
  forged.sig[10] = 'g';  // not hex: breaks docs/jobs.md §1, refused before any MAC
  EXPECT_EQ(Decide(forged, *snap, counting, clock_, "sim").result.error().reason,
            Reason::kMalformed);
  EXPECT_EQ(counting.one_shot, 0);
  // Another algorithm than the one the snapshot was prepared with: the one-shot path.
  EXPECT_TRUE(Decide(Signed(Base()), *snap, mac_, clock_, "sim").result.ok());
  parts_.mac = nullptr;
  auto unprepared = PolicySnapshot::Make(parts_);
  EXPECT_TRUE(Decide(Signed(Base()), *unprepared, counting, clock_, "sim").result.ok());
  EXPECT_EQ(counting.one_shot, 1);
}

TEST(PolicySlotTest, UpdateAppliesToWhateverIsCurrent) {
  PolicySlot slot;
  EXPECT_EQ(slot.Load()->generation(), 0u);
  auto ring = std::make_shared<KeyRing>();
  slot.Update([&](const PolicySnapshot& cur) {
    PolicyParts p = cur.parts();
    p.file_keys = ring;
    return p;
  });
  slot.Update([](const PolicySnapshot& cur) {
    PolicyParts p = cur.parts();
    p.decision.max_segments = 3;
    return p;
  });
  auto now = slot.Load();
  EXPECT_EQ(now->generation(), 2u);
  EXPECT_EQ(now->parts().file_keys, ring);
  EXPECT_EQ(now->decision().max_segments, 3);
}

}  // namespace
}  // namespace sd
