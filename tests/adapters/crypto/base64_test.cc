// Base64 against RFC 4648 section 10's test vectors, both ways, and what is refused.
#include "adapters/crypto/base64.h"

#include <gtest/gtest.h>

namespace sd {
namespace {

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> v[] = {{"", ""},         {"f", "Zg=="},
                                                   {"fo", "Zm8="},   {"foo", "Zm9v"},
                                                   {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
                                                   {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : v) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    if (*plain != '\0') {
      EXPECT_EQ(Base64Decode(encoded), plain) << encoded;
    }
  }
}

TEST(Base64, MalformedTextIsRefused) {
  for (const char* bad : {"", "Zg=", "Zm9", "Z===", "Zg==Zg==", "Zm9v!A=="}) {
    EXPECT_EQ(Base64Decode(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(Base64Decode("AAEC/w=="), std::string("\x00\x01\x02\xff", 4));
}

}  // namespace
}  // namespace sd
