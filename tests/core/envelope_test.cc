// Signing input framing and HMAC verification: any changed byte, key id, stream or version
// fails; comparison is over the exact bytes as sent.
#include <gtest/gtest.h>

#include "adapters/crypto/openssl_mac.h"
#include "core/envelope.h"
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

}  // namespace
}  // namespace sd
