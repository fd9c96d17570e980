// Address ranges for allowlists: webhook sources per carrier, API producers per key.
#include "core/cidr.h"

#include <gtest/gtest.h>

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
