// What reaches sd:outcomes and sd:audit from an entry: every field bounded, and validated or
// escaped, whatever bytes a producer put in any entry field or job field.
#include "core/outcome.h"

#include <gtest/gtest.h>

#include <functional>
#include <msgpack.hpp>
#include <vector>

#include "adapters/crypto/openssl_mac.h"
#include "core/audit.h"
#include "core/decision.h"
#include "core/envelope.h"
#include "core/hex.h"
#include "core/safe_text.h"

namespace sd {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

// Independent of IsPlainText: no C0 control, DEL, C1 control (as UTF-8 C2 80-9F) or byte
// that cannot start or continue UTF-8.
bool SafeToEcho(const std::string& s) {
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f || c == 0xc0 || c == 0xc1 || c >= 0xf5) return false;
    if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) < 0xa0) return false;
  }
  return IsPlainText(s);
}

const std::vector<std::string>& HostileValues() {
  static const std::vector<std::string> v = {"a\nb",
                                             "\r\nXADD",
                                             "\x1b[2J\x1b]0;pwn\x07",
                                             std::string("a\0b", 3),
                                             "\xff\xfe",
                                             "\xc2\x9b"
                                             "31m",
                                             std::string(1 << 20, 'k'),
                                             std::string(300, '\n')};
  return v;
}

class OutcomeFieldsTest : public ::testing::Test {
 protected:
  OutcomeFieldsTest() : clock_(kNow) {
    EXPECT_TRUE(keys_.Add(SigningKey{"k.v1", secret_}));
    cfg_.stream = "sd:jobs";
  }

  // The job map with one key replaced by `value` (raw str bytes), or added when new.
  std::string JobWith(const std::string& key, const std::string& value) {
    std::vector<std::pair<std::string, std::string>> str = {
        {"id", "j1"},   {"to", "+4915112345678"}, {"from", "ACME"},
        {"text", "hi"}, {"kind", "otp"},          {"ref", "r1"}};
    bool replaced = false;
    for (auto& [k, v] : str) {
      if (k == key) v = value, replaced = true;
    }
    if (!replaced && key != "created" && key != "expires") str.emplace_back(key, value);
    msgpack::sbuffer b;
    msgpack::packer<msgpack::sbuffer> pk(&b);
    pk.pack_map(static_cast<uint32_t>(str.size() + 2));
    for (const auto& [k, v] : str) {
      pk.pack(k);
      pk.pack(v);
    }
    pk.pack(std::string("created"));
    if (key == "created") {
      pk.pack(value);  // a str where a uint is due
    } else {
      pk.pack(uint64_t{kNow});
    }
    pk.pack(std::string("expires"));
    if (key == "expires") {
      pk.pack(value);  // a str where a uint is due
    } else {
      pk.pack(uint64_t{kNow + 60'000});
    }
    return std::string(b.data(), b.size());
  }

  StreamEntry Signed(const std::string& job) {
    StreamEntry e;
    e.entry_id = "1-0";
    e.version = "sd1";
    e.key_id = "k.v1";
    e.job = job;
    e.sig = SignJob(mac_, secret_, "k.v1", "sd:jobs", job);
    return e;
  }

  // Decides `e` and builds the outcome and audit event the way the dispatcher does (raw entry
  // kid, the decision's job id and ref, its detail), then checks every field that would be
  // written.
  void ExpectWrittenFieldsSafe(const StreamEntry& e, const std::string& what) {
    Decision d = Decide(e, keys_, mac_, clock_, cfg_);
    Outcome o;
    o.entry_id = e.entry_id;
    o.job_id = d.job_id;
    o.key_id = e.key_id;
    o.client_ref = d.client_ref;
    o.status = d.result.ok() ? OutcomeStatus::kSubmitted : OutcomeStatus::kRejected;
    if (!d.result.ok()) {
      o.reason = d.result.error().reason;
      o.detail = d.result.error().detail;
    }
    for (const OutcomeField& f : OutcomeStreamFields(o)) {
      EXPECT_TRUE(SafeToEcho(f.second))
          << what << ": outcome " << f.first << " = " << HexEncode(f.second.substr(0, 80));
      EXPECT_LE(f.second.size(), kMaxOutcomeDetailBytes) << what << ": outcome " << f.first;
    }
    const AuditEvent a = MakeAuditEvent(o.reason, kAuditRejected, e.entry_id, d.job_id, e.key_id,
                                        d.destination, o.detail, kNow);
    for (const std::string* v : {&a.entry_id, &a.job_id, &a.key_id, &a.destination, &a.detail}) {
      EXPECT_TRUE(SafeToEcho(*v)) << what << ": audit " << HexEncode(v->substr(0, 80));
      EXPECT_LE(v->size(), kMaxAuditDetailBytes) << what;
    }
  }

  std::string secret_ = std::string(32, 's');
  OpenSslMac mac_;
  ManualClock clock_;
  KeyRing keys_;
  DecisionConfig cfg_;
};

TEST_F(OutcomeFieldsTest, HostileValueInEveryEntryField) {
  for (const std::string& bad : HostileValues()) {
    for (const char* field : {"v", "kid", "job", "sig"}) {
      StreamEntry e = Signed(JobWith("id", "j1"));
      if (field == std::string("v")) e.version = bad;
      if (field == std::string("kid")) e.key_id = bad;
      if (field == std::string("job")) e.job = bad;
      if (field == std::string("sig")) e.sig = bad;
      ExpectWrittenFieldsSafe(e, std::string(field) + "=" + HexEncode(bad.substr(0, 16)));
      Decision d = Decide(e, keys_, mac_, clock_, cfg_);
      ASSERT_FALSE(d.result.ok());
      EXPECT_TRUE(d.result.error().reason == Reason::kMalformed ||
                  (field == std::string("job") && d.result.error().reason == Reason::kTooLarge) ||
                  (field == std::string("job") && d.result.error().reason == Reason::kBadSignature))
          << field << ": " << ReasonName(d.result.error().reason);
    }
  }
}

TEST_F(OutcomeFieldsTest, HostileValueInEveryJobField) {
  for (const std::string& bad : HostileValues()) {
    for (const char* key :
         {"id", "created", "expires", "to", "from", "text", "kind", "ref", "x\x1b\n"}) {
      ExpectWrittenFieldsSafe(Signed(JobWith(key, bad)),
                              std::string(key) + "=" + HexEncode(bad.substr(0, 16)));
    }
    // The hostile value as an unknown key's name.
    ExpectWrittenFieldsSafe(Signed(JobWith(bad.substr(0, 100), "x")),
                            "key " + HexEncode(bad.substr(0, 16)));
  }
}

TEST(OutcomeStreamFields, ValidValuesPassUnchangedInDocumentedOrder) {
  Outcome o;
  o.entry_id = "1767225600000-3";
  o.job_id = "job-1:a.b_c";
  o.key_id = "acme-otp.v1";
  o.client_ref = "Bestellung \xc3\xa4";
  o.status = OutcomeStatus::kSubmitted;
  o.carrier = "smsc-a";
  o.message_id = "0A1b2C";
  o.segments = 2;
  o.ts_ms = 42;
  const auto f = OutcomeStreamFields(o);
  const std::vector<std::pair<std::string, std::string>> want = {
      {"entry", o.entry_id},    {"job", o.job_id}, {"kid", o.key_id}, {"ref", o.client_ref},
      {"status", "submitted"},  {"reason", ""},    {"detail", ""},    {"carrier", "smsc-a"},
      {"message_id", "0A1b2C"}, {"segments", "2"}, {"ts", "42"}};
  ASSERT_EQ(f.size(), want.size());
  for (size_t i = 0; i < f.size(); ++i) {
    EXPECT_EQ(f[i].first, want[i].first);
    EXPECT_EQ(f[i].second, want[i].second) << want[i].first;
  }
}

TEST(OutcomeStreamFields, InvalidEchoesAreDroppedOrEscaped) {
  Outcome o;
  o.entry_id = "1-0\n";
  o.job_id = "j 1";                      // not §2
  o.key_id = std::string(1 << 20, 'k');  // not §1
  o.client_ref = "a\x1b";
  o.reason = Reason::kCarrierRejected;
  o.detail = "status \x1b[31m" + std::string(1000, 'x');
  o.carrier = "c\xff";
  o.message_id = "id\r\n";
  const auto f = OutcomeStreamFields(o);
  EXPECT_EQ(f[0].second, "1-0\\x0A");
  EXPECT_EQ(f[1].second, "");
  EXPECT_EQ(f[2].second, "");
  EXPECT_EQ(f[3].second, "");
  EXPECT_EQ(f[4].second, "rejected");
  EXPECT_EQ(f[5].second, "carrier_rejected");
  EXPECT_EQ(f[6].second.substr(0, 14), "status \\x1B[31");
  EXPECT_EQ(f[6].second.size(), kMaxOutcomeDetailBytes);
  EXPECT_EQ(f[7].second, "c\\xFF");
  EXPECT_EQ(f[8].second, "id\\x0D\\x0A");
}

TEST(IsPlainText, Utf8WithoutControlCharacters) {
  for (const char* ok : {"", "acme-otp.v1", "caf\xc3\xa9", "\xc2\xa0", "\xe2\x82\xac",
                         "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf", "a b~"}) {
    EXPECT_TRUE(IsPlainText(ok)) << HexEncode(ok);
  }
  for (const std::string& bad :
       {std::string("\n"), std::string("\t"), std::string("\x1b"), std::string("\x7f"),
        std::string("\0", 1), std::string("\xc2\x80"), std::string("\xc2\x9f"),
        std::string("\xc0\xaf"), std::string("\xe0\x80\xaf"), std::string("\xed\xa0\x80"),
        std::string("\xe2\x82"), std::string("\xf5\x80\x80\x80"), std::string("\xf4\x90\x80\x80"),
        std::string("\x80"), std::string("\xff")}) {
    EXPECT_FALSE(IsPlainText(bad)) << HexEncode(bad);
  }
}

TEST(EscapeBytes, NeverCutsAnEscapeInHalf) {
  EXPECT_EQ(EscapeBytes("ab\ncd", 5), "ab");
  EXPECT_EQ(EscapeBytes("ab\ncd", 6), "ab\\x0A");
  EXPECT_EQ(EscapeBytes("a\\b", 10), "a\\x5Cb");
  EXPECT_EQ(PlainOrEscaped("caf\xc3\xa9", 10), "caf\xc3\xa9");
  EXPECT_EQ(PlainOrEscaped("caf\xc3\xa9", 4), "caf");
}

}  // namespace
}  // namespace sd
