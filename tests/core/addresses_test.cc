#include "core/addresses.h"

#include <gtest/gtest.h>

namespace sd {
namespace {

TEST(Addresses, E164) {
  EXPECT_TRUE(IsE164("+4915123456"));
  EXPECT_TRUE(IsE164("+1234567"));            // 7 digits: the shortest
  EXPECT_TRUE(IsE164("+123456789012345"));    // 15 digits: the longest
  EXPECT_FALSE(IsE164("+123456"));            // too short
  EXPECT_FALSE(IsE164("+1234567890123456"));  // 16 digits
  EXPECT_FALSE(IsE164("4915123456"));         // no '+'
  EXPECT_FALSE(IsE164("+0915123456"));        // no country code starts with 0
  EXPECT_FALSE(IsE164("+49 151 23456"));      // spaces
  EXPECT_FALSE(IsE164("+49151234a6"));
  EXPECT_FALSE(IsE164(""));
}

TEST(Addresses, E164Prefix) {
  EXPECT_TRUE(IsE164Prefix("+4"));
  EXPECT_TRUE(IsE164Prefix("+44740"));
  EXPECT_TRUE(IsE164Prefix("+0"));  // a prefix is digits; the country rule is the number's
  EXPECT_FALSE(IsE164Prefix("+"));
  EXPECT_FALSE(IsE164Prefix("44"));
  EXPECT_FALSE(IsE164Prefix("+1234567890123456"));
}

TEST(Addresses, Sender) {
  EXPECT_TRUE(IsValidSender("ACME"));
  EXPECT_TRUE(IsValidSender("Acme Bank"));
  EXPECT_TRUE(IsValidSender("12345"));
  EXPECT_TRUE(IsValidSender("+4915123456"));
  EXPECT_FALSE(IsValidSender(""));
  EXPECT_FALSE(IsValidSender("ACME BANK LTD"));  // 13 characters
  EXPECT_FALSE(IsValidSender(" ACME"));
  EXPECT_FALSE(IsValidSender("AC\nME"));
  EXPECT_FALSE(IsValidSender("ACME!"));
  EXPECT_FALSE(IsValidSender("1234567890123456"));  // 16 digits
}

}  // namespace
}  // namespace sd
