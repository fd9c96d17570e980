// The prepared HMAC (OpenSslMac::Prepare) against OpenSSL's one-shot HMAC and RFC 4231.
#include "adapters/crypto/openssl_mac.h"

#include <gtest/gtest.h>

#include <string>

#include "core/hex.h"

namespace sd {
namespace {

std::string Hex(const Mac256& m) {
  return HexEncode(std::string_view(reinterpret_cast<const char*>(m.data()), m.size()));
}

TEST(PreparedMacTest, Rfc4231Vectors) {
  OpenSslMac mac;
  // Test case 2: a short key.
  EXPECT_EQ(Hex(mac.Prepare("Jefe")->Compute({"what do ya want ", "for nothing?"})),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6: a 131-byte key (longer than the block: hashed first).
  EXPECT_EQ(Hex(mac.Prepare(std::string(131, '\xaa'))
                    ->Compute({"Test Using Larger Than Block-Size Key - Hash Key First"})),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(PreparedMacTest, EqualsTheOneShotForEveryKeyLengthAndSplit) {
  OpenSslMac mac;
  std::string data;
  for (int i = 0; i < 300; ++i) data.push_back(static_cast<char>(i * 7 + 3));
  for (size_t key_len : {0, 1, 31, 32, 63, 64, 65, 128, 200}) {
    std::string key;
    for (size_t i = 0; i < key_len; ++i) key.push_back(static_cast<char>(i * 13 + 1));
    auto prepared = mac.Prepare(key);
    for (size_t cut : {size_t{0}, size_t{1}, size_t{64}, size_t{150}, data.size()}) {
      const std::string_view d(data);
      EXPECT_EQ(prepared->Compute({d.substr(0, cut), "", d.substr(cut)}), mac.HmacSha256(key, data))
          << "key " << key_len << " cut " << cut;
    }
    // Reusable: the prepared state is copied per call, never consumed.
    EXPECT_EQ(prepared->Compute({data}), mac.HmacSha256(key, data));
  }
}

}  // namespace
}  // namespace sd
