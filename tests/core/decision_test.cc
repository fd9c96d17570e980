// Decide(): every rejection reason reachable, in the documented order, and admission.
#include "core/decision.h"

#include <gtest/gtest.h>

#include <cctype>
#include <functional>
#include <vector>

#include "adapters/crypto/openssl_mac.h"
#include "core/envelope.h"

namespace sd {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

class DecisionTest : public ::testing::Test {
 protected:
  DecisionTest() : clock_(kNow) {
    EXPECT_TRUE(keys_.Add(SigningKey{"k.v1", secret_}));
    cfg_.stream = "sd:jobs";
  }
  Job Base() {
    Job j;
    j.id = "j1";
    j.created_ms = kNow;
    j.expires_ms = kNow + 60'000;
    j.destination = "+4915112345678";
    j.sender = "ACME";
    j.text = "hello";
    j.kind = JobKind::kTransactional;
    j.client_ref = "r1";
    return j;
  }
  StreamEntry Signed(const Job& j) { return SignedBytes(EncodeJob(j)); }
  StreamEntry SignedBytes(const std::string& bytes) {
    StreamEntry e;
    e.entry_id = "1-0";
    e.version = "sd1";
    e.key_id = "k.v1";
    e.job = bytes;
    e.sig = SignJob(mac_, secret_, "k.v1", "sd:jobs", bytes);
    return e;
  }
  Reason ReasonOf(const StreamEntry& e) {
    Decision d = Decide(e, keys_, mac_, clock_, cfg_);
    return d.result.ok() ? Reason::kNone : d.result.error().reason;
  }

  std::string secret_ = std::string(32, 's');
  OpenSslMac mac_;
  ManualClock clock_;
  KeyRing keys_;
  DecisionConfig cfg_;
};

TEST_F(DecisionTest, AdmitsAValidJobWithItsEncoding) {
  Decision d = Decide(Signed(Base()), keys_, mac_, clock_, cfg_);
  ASSERT_TRUE(d.result.ok()) << d.result.error().detail;
  EXPECT_EQ(d.job_id, "j1");
  EXPECT_EQ(d.client_ref, "r1");
  EXPECT_EQ(d.result->text.coding, DataCoding::kGsm7);
  EXPECT_EQ(d.result->text.segments, 1);
}

TEST_F(DecisionTest, EnvelopeReasons) {
  StreamEntry e = Signed(Base());
  e.fields_ok = false;
  EXPECT_EQ(ReasonOf(e), Reason::kMalformed);
  e = Signed(Base());
  e.version = "sd2";
  EXPECT_EQ(ReasonOf(e), Reason::kUnsupportedVersion);
  e = Signed(Base());
  e.key_id = "nope.v1";
  EXPECT_EQ(ReasonOf(e), Reason::kUnknownKey);
  e = Signed(Base());
  e.key_id = std::string(65, 'k');  // breaks §1: malformed, not an unknown key
  EXPECT_EQ(ReasonOf(e), Reason::kMalformed);
  e = Signed(Base());
  e.sig[0] = e.sig[0] == 'a' ? 'b' : 'a';
  EXPECT_EQ(ReasonOf(e), Reason::kBadSignature);
  e = Signed(Base());
  e.job.back() ^= 1;
  EXPECT_EQ(ReasonOf(e), Reason::kBadSignature);
  e = SignedBytes(std::string(JobLimits::kMaxJobBytes + 1, 'x'));
  EXPECT_EQ(ReasonOf(e), Reason::kTooLarge);
}

// An entry field that breaks §1 is malformed whatever else is wrong, before any key is looked
// up or any MAC computed; one that follows §1 gets the later stages' reasons.
TEST_F(DecisionTest, EntryFieldsBreakingSection1AreMalformed) {
  const std::vector<std::pair<std::string, std::function<void(StreamEntry&)>>> cases = {
      {"empty v", [](StreamEntry& e) { e.version.clear(); }},
      {"v with a newline", [](StreamEntry& e) { e.version = "sd1\n"; }},
      {"empty kid", [](StreamEntry& e) { e.key_id.clear(); }},
      {"1 MiB kid", [](StreamEntry& e) { e.key_id.assign(1 << 20, 'k'); }},
      {"kid with a newline", [](StreamEntry& e) { e.key_id = "k.v1\nx"; }},
      {"kid with ESC", [](StreamEntry& e) { e.key_id = "k\x1b[2J"; }},
      {"kid with NUL", [](StreamEntry& e) { e.key_id = std::string("k\0v1", 4); }},
      {"kid not UTF-8", [](StreamEntry& e) { e.key_id = "k\xff.v1"; }},
      {"kid with a C1 control", [](StreamEntry& e) { e.key_id = "k\xc2\x9b.v1"; }},
      {"sig of 63 digits", [](StreamEntry& e) { e.sig.pop_back(); }},
      {"sig of 65 digits", [](StreamEntry& e) { e.sig += "0"; }},
      {"sig not hex", [](StreamEntry& e) { e.sig[10] = 'g'; }},
      {"empty job", [](StreamEntry& e) { e.job.clear(); }},
  };
  for (const auto& [name, change] : cases) {
    StreamEntry e = Signed(Base());
    change(e);
    Decision d = Decide(e, keys_, mac_, clock_, cfg_);
    ASSERT_FALSE(d.result.ok()) << name;
    EXPECT_EQ(d.result.error().reason, Reason::kMalformed) << name << ": " << d.result.error().detail;
    EXPECT_LE(d.result.error().detail.size(), 64u) << name;
    EXPECT_TRUE(d.job_id.empty() && d.client_ref.empty()) << name;
  }
  // Upper-case hex is the same signature.
  StreamEntry e = Signed(Base());
  for (char& c : e.sig) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(ReasonOf(e), Reason::kNone);
  // A well-formed version other than sd1 is unsupported, even when kid and sig break §1 too
  // (another version may define them otherwise); a broken v is malformed first.
  e = Signed(Base());
  e.version = "sd2";
  e.sig = "x";
  EXPECT_EQ(ReasonOf(e), Reason::kUnsupportedVersion);
  e.version = "";
  EXPECT_EQ(ReasonOf(e), Reason::kMalformed);
  // A kid that follows §1 (UTF-8 included) but names no key is unknown_key.
  e = Signed(Base());
  e.key_id = "\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87.v1";
  EXPECT_EQ(ReasonOf(e), Reason::kUnknownKey);
}

TEST_F(DecisionTest, SignedButUndecodableIsMalformedNotBadSignature) {
  EXPECT_EQ(ReasonOf(SignedBytes("not msgpack")), Reason::kMalformed);
}

TEST_F(DecisionTest, TimingReasons) {
  Job j = Base();
  j.created_ms = kNow + cfg_.max_future_skew_ms + 1;
  j.expires_ms = j.created_ms + 1000;
  EXPECT_EQ(ReasonOf(Signed(j)), Reason::kClockSkew);
  j = Base();
  j.created_ms = kNow + cfg_.max_future_skew_ms;  // exactly at the limit is fine
  j.expires_ms = j.created_ms + 1000;
  EXPECT_EQ(ReasonOf(Signed(j)), Reason::kNone);
  j = Base();
  j.created_ms = kNow - 2000;
  j.expires_ms = kNow;
  EXPECT_EQ(ReasonOf(Signed(j)), Reason::kExpired);
  j = Base();
  j.expires_ms = j.created_ms;
  EXPECT_EQ(ReasonOf(Signed(j)), Reason::kMalformed);
  j = Base();
  j.expires_ms = j.created_ms + cfg_.max_validity_ms + 1;
  EXPECT_EQ(ReasonOf(Signed(j)), Reason::kMalformed);
}

TEST_F(DecisionTest, DestinationSenderAndTextReasons) {
  for (const char* bad : {"4915112345678", "+0915112345678", "+49151", "+49151123456789012", "+49 151 1234567",
                          "+4915112345a78", ""}) {
    Job j = Base();
    j.destination = bad;
    EXPECT_EQ(ReasonOf(Signed(j)), Reason::kInvalidNumber) << bad;
  }
  for (const char* good : {"+12025550123", "+4915112345678", "+123456789012345"}) {
    Job j = Base();
    j.destination = good;
    EXPECT_EQ(ReasonOf(Signed(j)), Reason::kNone) << good;
  }
  for (const char* bad : {"", "ACME!", " ACME", "TwelveChars1", "1234567890123456", "123 456"}) {
    Job j = Base();
    j.sender = bad;
    EXPECT_EQ(ReasonOf(Signed(j)), Reason::kInvalidSender) << bad;
  }
  for (const char* good : {"ACME", "Acme Bank", "+4915112345678", "12345", "Shop24"}) {
    Job j = Base();
    j.sender = good;
    EXPECT_EQ(ReasonOf(Signed(j)), Reason::kNone) << good;
  }
  Job j = Base();
  j.text = "\xff";
  EXPECT_EQ(ReasonOf(Signed(j)), Reason::kInvalidText);
  j.text = std::string(161, 'a');
  cfg_.max_segments = 1;
  EXPECT_EQ(ReasonOf(Signed(j)), Reason::kTextTooLong);
  cfg_.max_segments = 2;
  EXPECT_EQ(ReasonOf(Signed(j)), Reason::kNone);
}

TEST(ReasonNames, RoundTripAndAreStable) {
  for (int i = 1; i <= static_cast<int>(Reason::kPumpingSuspected); ++i) {
    const auto r = static_cast<Reason>(i);
    EXPECT_EQ(ReasonFromName(ReasonName(r)), r);
  }
  EXPECT_EQ(ReasonName(Reason::kBadSignature), "bad_signature");
  EXPECT_EQ(ReasonName(Reason::kReplay), "replay");
  EXPECT_EQ(ReasonName(Reason::kPumpingSuspected), "pumping_suspected");
  EXPECT_FALSE(ReasonFromName("no_such_reason").has_value());
}

}  // namespace
}  // namespace sd
