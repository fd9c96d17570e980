// Address ranges for allowlists: webhook sources per carrier, API producers per key.
#include "core/cidr.h"

#include <gtest/gtest.h>

#include <cstring>

namespace sd {
namespace {

TEST(Cidr, Ipv4Ipv6MappedAndMalformed) {
  std::vector<Cidr> ranges;
  for (const char* c : {"203.0.113.0/24", "2001:db8::/32", "198.51.100.7"}) {
    auto r = ParseCidr(c);
    ASSERT_TRUE(r.has_value()) << c;
    ranges.push_back(*r);
  }
  EXPECT_TRUE(AddressAllowed("203.0.113.200", ranges));
  EXPECT_FALSE(AddressAllowed("203.0.114.1", ranges));
  EXPECT_TRUE(AddressAllowed("2001:db8:ffff::1", ranges));
  EXPECT_FALSE(AddressAllowed("2001:db9::1", ranges));
  EXPECT_TRUE(AddressAllowed("198.51.100.7", ranges));
  EXPECT_FALSE(AddressAllowed("198.51.100.8", ranges));
  EXPECT_TRUE(AddressAllowed("::ffff:203.0.113.9", ranges));
  EXPECT_FALSE(AddressAllowed("peer", ranges));
  EXPECT_FALSE(AddressAllowed("203.0.113.1", {}));
  EXPECT_TRUE(AddressAllowed("10.1.2.3", {*ParseCidr("0.0.0.0/0")}));
  for (const char* bad : {"", "10.0.0.0/33", "10.0.0/8", "::/129", "10.0.0.0/", "10.0.0.0/x",
                          "example.com/8"}) {
    EXPECT_FALSE(ParseCidr(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace sd

// core parses addresses itself (no socket headers in core); it must agree with the C
// library's inet_pton on every input: edge cases, then random strings over the addresses'
// alphabet.
#include <arpa/inet.h>

#include <random>

namespace sd {
namespace {

void ExpectSameAsInetPton(const std::string& s) {
  uint8_t want4[4], want6[16];
  const bool v4 = inet_pton(AF_INET, s.c_str(), want4) == 1;
  const bool v6 = !v4 && inet_pton(AF_INET6, s.c_str(), want6) == 1;
  const auto got = ParseCidr(s);
  ASSERT_EQ(got.has_value(), v4 || v6) << "'" << s << "'";
  if (!got) return;
  if (v4) {
    EXPECT_FALSE(got->v6) << s;
    EXPECT_EQ(std::memcmp(got->bytes.data(), want4, 4), 0) << s;
    return;
  }
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(want6, kMapped, 12) == 0) {
    EXPECT_FALSE(got->v6) << s;
    EXPECT_EQ(std::memcmp(got->bytes.data(), want6 + 12, 4), 0) << s;
  } else {
    EXPECT_TRUE(got->v6) << s;
    EXPECT_EQ(std::memcmp(got->bytes.data(), want6, 16), 0) << s;
  }
}

TEST(Cidr, AddressesParseExactlyAsInetPton) {
  for (const char* s :
       {"0.0.0.0", "255.255.255.255", "256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1..2.3",
        "1.2.3.4 ", " 1.2.3.4", "1.2.3.", "::", "::1", "1::", "1::2", ":::", "1:::2", "::1::",
        "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8",
        "1:2:3:4:5:6:7::8", "12345::", "::ffff:203.0.113.9", "::ffff:203.0.113", "::1.2.3.4",
        "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "::1.2.3.4:5", "fe80::1%eth0", ":1::",
        "1:", "::ABCD:ef01", "2001:DB8::", "1:2:3:4:5::1.2.3.4", "::01.2.3.4", ""}) {
    ExpectSameAsInetPton(s);
  }
  std::mt19937 rng(12345);
  const std::string alphabet = "0123456789abcdefABCDEF:...:::0f";
  for (int i = 0; i < 200'000; ++i) {
    std::string s(rng() % 24, ' ');
    for (char& c : s) c = alphabet[rng() % alphabet.size()];
    ExpectSameAsInetPton(s);
    if (HasFatalFailure()) return;
  }
  // Valid addresses in their canonical text (inet_ntop: compressed, mapped, dotted quads),
  // with zero groups made likely so every "::" position occurs.
  for (int i = 0; i < 50'000; ++i) {
    uint8_t b[16];
    for (uint8_t& x : b) x = rng() % 3 == 0 ? 0 : static_cast<uint8_t>(rng());
    if (rng() % 4 == 0) std::memset(b, 0, 10 + rng() % 6);
    char text[INET6_ADDRSTRLEN];
    ASSERT_NE(inet_ntop(AF_INET6, b, text, sizeof text), nullptr);
    ExpectSameAsInetPton(text);
    ASSERT_NE(inet_ntop(AF_INET, b, text, sizeof text), nullptr);
    ExpectSameAsInetPton(text);
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace sd
