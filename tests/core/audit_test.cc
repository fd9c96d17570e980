// core/audit.h: numbers are masked (never shown whole), events carry no text or secret.
#include "core/audit.h"

#include <gtest/gtest.h>

namespace sd {
namespace {

TEST(MaskNumberTest, KeepsCountryAndNetworkAndTheLastTwoDigits) {
  EXPECT_EQ(MaskNumber("+447700900089"), "+4477******89");
  EXPECT_EQ(MaskNumber("+4915112345678"), "+4915*******78");
}

TEST(MaskNumberTest, AtLeastHalfOfTheDigitsAreMasked) {
  EXPECT_EQ(MaskNumber("+12345678"), "+1234****");
  EXPECT_EQ(MaskNumber("+123"), "+1**");
  EXPECT_EQ(MaskNumber("1"), "*");
  EXPECT_EQ(MaskNumber(""), "");
  EXPECT_EQ(MaskNumber("+"), "+");
  for (std::string s : {"+441234567890123", "+4412345", "+99"}) {
    const std::string m = MaskNumber(s);
    size_t shown = 0;
    for (char c : m) shown += (c >= '0' && c <= '9');
    EXPECT_LE(shown * 2, s.size() - 1) << m;
  }
}

TEST(MaskNumberTest, NonDigitsAreMaskedToo) {
  EXPECT_EQ(MaskNumber("+44ab567890"), "+44*******0");  // head 4 = "44ab", letters masked
}

TEST(AuditEventTest, BuildsAMaskedBoundedEvent) {
  AuditEvent e = MakeAuditEvent(Reason::kRevokedKey, kAuditRejected, "1-0", "j1", "acme.v2",
                                "+447700900089", std::string(1000, 'd'), 42);
  EXPECT_EQ(e.reason, Reason::kRevokedKey);
  EXPECT_EQ(e.action, "rejected");
  EXPECT_EQ(e.destination, "+4477******89");
  EXPECT_EQ(e.detail.size(), kMaxAuditDetailBytes);
  EXPECT_EQ(e.ts_ms, 42);
}

TEST(AuditEventTest, OnlySecurityDecisionsAreAudited) {
  for (Reason r :
       {Reason::kBadSignature, Reason::kUnknownKey, Reason::kRevokedKey, Reason::kKeyNotActive,
        Reason::kKindNotAllowed, Reason::kSenderNotAllowed, Reason::kCountryNotAllowed,
        Reason::kOtpTemplateMismatch, Reason::kUrlNotAllowed, Reason::kPremiumNumber,
        Reason::kHighRiskPrefix, Reason::kBlockedContent, Reason::kShortenerNotAllowed,
        Reason::kLookalikeDomain, Reason::kRateLimited, Reason::kPumpingSuspected}) {
    EXPECT_TRUE(IsAuditedReason(r)) << ReasonName(r);
  }
  for (Reason r : {Reason::kMalformed, Reason::kExpired, Reason::kInvalidText, Reason::kTextTooLong,
                   Reason::kReplay, Reason::kCarrierRejected}) {
    EXPECT_FALSE(IsAuditedReason(r)) << ReasonName(r);
  }
}

}  // namespace
}  // namespace sd
