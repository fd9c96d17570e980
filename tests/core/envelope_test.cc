// Signing input framing and HMAC verification: any changed byte, key id, stream or version
// fails; comparison is over the exact bytes as sent.
#include "core/envelope.h"

#include <gtest/gtest.h>

#include <vector>

#include "adapters/crypto/openssl_mac.h"
#include "core/hex.h"
#include "core/key_ring.h"

namespace sd {
namespace {

const std::string kSecret(32, '\x42');

TEST(Envelope, SigningInputIsVersionKeyStreamJobJoinedByNewlines) {
  EXPECT_EQ(SigningInput("sd1", "k.v1", "sd:jobs", std::string("\x81\xa1x\x01", 4)),
            std::string("sd1\nk.v1\nsd:jobs\n\x81\xa1x\x01", 21));
}

TEST(Envelope, KnownAnswerHmacSha256) {
  // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
  OpenSslMac mac;
  const Mac256 m = mac.HmacSha256("Jefe", "what do ya want for nothing?");
  EXPECT_EQ(HexEncode(std::string_view(reinterpret_cast<const char*>(m.data()), m.size())),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Envelope, SignAndVerify) {
  OpenSslMac mac;
  const std::string job = "job-bytes";
  const std::string sig = SignJob(mac, kSecret, "k.v1", "sd:jobs", job);
  EXPECT_EQ(sig.size(), 64u);
  EXPECT_TRUE(VerifyJobSignature(mac, kSecret, "k.v1", "sd:jobs", job, sig));
  std::string upper = sig;
  for (char& c : upper) c = static_cast<char>(toupper(c));
  EXPECT_TRUE(VerifyJobSignature(mac, kSecret, "k.v1", "sd:jobs", job, upper)) << "hex is case-insensitive";
}

TEST(Envelope, SigningWithThePreparedKeyGivesTheSameSignature) {
  OpenSslMac mac;
  const auto prepared = mac.Prepare(kSecret);
  ASSERT_NE(prepared, nullptr);
  for (const std::string& job : std::vector<std::string>{"", "job-bytes", std::string(3000, 'x')}) {
    EXPECT_EQ(SignJob(*prepared, "k.v1", "sd:{0}:jobs", job),
              SignJob(mac, kSecret, "k.v1", "sd:{0}:jobs", job));
  }
}

TEST(Envelope, AnyTamperingFails) {
  OpenSslMac mac;
  const std::string job = "0123456789";
  const std::string sig = SignJob(mac, kSecret, "k.v1", "sd:jobs", job);
  for (size_t i = 0; i < job.size(); ++i) {
    std::string t = job;
    t[i] ^= 0x01;
    EXPECT_FALSE(VerifyJobSignature(mac, kSecret, "k.v1", "sd:jobs", t, sig)) << "byte " << i;
  }
  EXPECT_FALSE(VerifyJobSignature(mac, kSecret, "k.v2", "sd:jobs", job, sig)) << "key id is bound";
  EXPECT_FALSE(VerifyJobSignature(mac, kSecret, "k.v1", "sd:other", job, sig)) << "stream is bound";
  EXPECT_FALSE(VerifyJobSignature(mac, std::string(32, 'x'), "k.v1", "sd:jobs", job, sig));
  EXPECT_FALSE(VerifyJobSignature(mac, kSecret, "k.v1", "sd:jobs", job + "x", sig));
  std::string bad = sig;
  bad[63] = bad[63] == '0' ? '1' : '0';
  EXPECT_FALSE(VerifyJobSignature(mac, kSecret, "k.v1", "sd:jobs", job, bad));
  EXPECT_FALSE(VerifyJobSignature(mac, kSecret, "k.v1", "sd:jobs", job, sig.substr(0, 62)));
  EXPECT_FALSE(VerifyJobSignature(mac, kSecret, "k.v1", "sd:jobs", job, std::string(64, 'z')));
  // Framing: a newline in the key id or stream could shift bytes between fields.
  EXPECT_FALSE(VerifyJobSignature(mac, kSecret, "k\nv1", "sd:jobs", job, sig));
  EXPECT_FALSE(VerifyJobSignature(mac, kSecret, "", "sd:jobs", job, sig));
}

// send_at is carried only when set (a job without it encodes as before, so old signatures
// stay valid), and is read back; a wrong type is malformed, over 2^53 too large.
TEST(Envelope, SendAtRoundTripsAndIsCheckedLikeTheOtherTimes) {
  Job j;
  j.id = "j1";
  j.created_ms = 1'000;
  j.expires_ms = 9'000;
  j.destination = "+4915112345678";
  j.sender = "ACME";
  j.text = "hi";
  const std::string plain = EncodeJob(j);
  EXPECT_EQ(plain.find("send_at"), std::string::npos);
  j.send_at_ms = 5'000;
  Result<Job> back = DecodeJob(EncodeJob(j));
  ASSERT_TRUE(back.ok()) << back.error().detail;
  EXPECT_EQ(back->send_at_ms, 5'000);
  EXPECT_EQ(DecodeJob(plain)->send_at_ms, 0);
  std::string bad = EncodeJob(j);
  bad.replace(bad.find("send_at") + 7, 3, std::string("\xa3") + "abc");  // a str, not a uint
  ASSERT_FALSE(DecodeJob(bad).ok());
  EXPECT_EQ(DecodeJob(bad).error().reason, Reason::kMalformed);
}

TEST(Envelope, MacEqualsComparesAllBytes) {
  Mac256 a{};
  Mac256 b{};
  EXPECT_TRUE(MacEquals(a, b));
  b[31] = 1;
  EXPECT_FALSE(MacEquals(a, b));
  b[31] = 0;
  b[0] = 0x80;
  EXPECT_FALSE(MacEquals(a, b));
}

TEST(Hex, RoundTripAndRejects) {
  EXPECT_EQ(HexEncode(std::string("\x00\xff\x10", 3)), "00ff10");
  EXPECT_EQ(*HexDecode("00FF10"), std::string("\x00\xff\x10", 3));
  EXPECT_FALSE(HexDecode("abc").has_value());
  EXPECT_FALSE(HexDecode("zz").has_value());
}

TEST(KeyRing, RejectsShortSecretsAndDuplicates) {
  KeyRing r;
  EXPECT_FALSE(r.Add(SigningKey{"a", std::string(31, 'x')}));
  EXPECT_TRUE(r.Add(SigningKey{"a", std::string(32, 'x')}));
  EXPECT_FALSE(r.Add(SigningKey{"a", std::string(32, 'y')}));
  ASSERT_NE(r.Find("a"), nullptr);
  EXPECT_EQ(r.Find("b"), nullptr);
}

// §1 in order: the field set, v's syntax, v = sd1, kid, sig, job. The first problem answers.
TEST(CheckEntry, Section1InOrder) {
  StreamEntry e;
  e.version = "sd1";
  e.key_id = "acme-otp.v1";
  e.sig = std::string(64, 'A');
  e.job = "\x80";
  EXPECT_FALSE(CheckEntry(e).has_value());
  auto reason = [](const StreamEntry& x) { return CheckEntry(x)->reason; };
  auto detail = [](const StreamEntry& x) { return CheckEntry(x)->detail; };

  StreamEntry bad = e;
  bad.fields_ok = false;
  bad.version = "";
  EXPECT_EQ(detail(bad), "entry fields must be exactly v, kid, job, sig, each once");
  bad = e;
  bad.version = "";
  bad.key_id = "";
  EXPECT_EQ(reason(bad), Reason::kMalformed);
  EXPECT_EQ(detail(bad), "v must be 1-16 ASCII letters and digits");
  bad.version = std::string(17, 'v');
  EXPECT_EQ(reason(bad), Reason::kMalformed);
  bad.version = "sd2";
  EXPECT_EQ(reason(bad), Reason::kUnsupportedVersion);
  bad = e;
  bad.key_id = std::string(65, 'k');
  bad.sig = "x";
  EXPECT_EQ(detail(bad), "kid longer than 64 bytes");
  bad.key_id = std::string(64, 'k');
  EXPECT_EQ(detail(bad), "sig must be 64 hex digits");
  bad = e;
  bad.job.clear();
  EXPECT_EQ(detail(bad), "job is empty");
  bad.job.assign(JobLimits::kMaxJobBytes + 1, 'x');
  EXPECT_EQ(reason(bad), Reason::kTooLarge);
  bad.job.assign(JobLimits::kMaxJobBytes, 'x');
  EXPECT_FALSE(CheckEntry(bad).has_value());
}

TEST(CheckEntry, KeyIdSyntax) {
  EXPECT_TRUE(IsValidKeyId("acme-otp.v1"));
  EXPECT_TRUE(IsValidKeyId(std::string(64, 'k')));
  EXPECT_TRUE(IsValidKeyId("\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87 1"));  // UTF-8, a space
  EXPECT_FALSE(IsValidKeyId(""));
  EXPECT_FALSE(IsValidKeyId(std::string(65, 'k')));
  for (const std::string& bad : {std::string("a\nb"), std::string("a\rb"), std::string("\x1b[0m"),
                                std::string("a\0b", 3), std::string("a\x7f"), std::string("\xff"),
                                std::string("\xc0\xaf"), std::string("\xed\xa0\x80"),
                                std::string("\xc2\x9b")}) {
    EXPECT_FALSE(IsValidKeyId(bad)) << HexEncode(bad);
    EXPECT_EQ(EchoableKeyId(bad), "");
  }
  EXPECT_EQ(EchoableKeyId("acme.v1"), "acme.v1");
  EXPECT_TRUE(IsValidSignatureHex(std::string(32, 'a') + std::string(32, 'F')));
  EXPECT_FALSE(IsValidSignatureHex(std::string(63, 'a') + "g"));
  EXPECT_TRUE(IsValidEnvelopeVersion("sd1"));
  EXPECT_FALSE(IsValidEnvelopeVersion("sd-1"));
}

}  // namespace
}  // namespace sd
