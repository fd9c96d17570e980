// SipHash-2-4 against the reference vectors of the SipHash paper, and keyed.
#include "core/siphash.h"

#include <gtest/gtest.h>

#include <string>

namespace sd {
namespace {

constexpr SipKey kTestKey{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};

TEST(SipHash24, MatchesTheReferenceVectors) {
  // Key 00..0f; messages 00..(n-1) from the SipHash paper's test vectors.
  EXPECT_EQ(SipHash24(kTestKey, ""), 0x726fdb47dd0e0e31ULL);
  std::string m;
  for (int i = 0; i < 15; ++i) m.push_back(static_cast<char>(i));
  EXPECT_EQ(SipHash24(kTestKey, m), 0xa129ca6149be45e5ULL);
}

TEST(SipHash24, DependsOnTheKey) {
  EXPECT_NE(SipHash24(kTestKey, "+4915112345678"), SipHash24(SipKey{1, 2}, "+4915112345678"));
}

}  // namespace
}  // namespace sd
