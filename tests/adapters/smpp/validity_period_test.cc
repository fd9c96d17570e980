// SMPP 3.4 section 7.1.1 time fields: the absolute and relative validity_period the carrier
// builds from a job's expiry, and the parser the simulator uses, round-tripped and refused.
#include "adapters/smpp/validity_period.h"

#include <gtest/gtest.h>

#include "adapters/smpp/submit_parts.h"

namespace sd::smpp {
namespace {

// 2026-12-03 10:30:15.700 UTC.
constexpr int64_t kAt = 1'796'293'815'700;

TEST(ValidityPeriod, AbsoluteIsUtcWithTenths) {
  EXPECT_EQ(AbsoluteValidity(kAt), "261203103015700+");
  EXPECT_EQ(AbsoluteValidity(946'684'800'000), "000101000000000+");  // 2000-01-01
  EXPECT_EQ(ParseValidity("261203103015700+", 0), kAt);
}

TEST(ValidityPeriod, OffsetsAreQuarterHours) {
  // 11:30 local, one hour (4 quarters) ahead of UTC, is 10:30 UTC; and behind.
  EXPECT_EQ(ParseValidity("261203113015704+", 0), kAt);
  EXPECT_EQ(ParseValidity("261203093015704-", 0), kAt);
}

TEST(ValidityPeriod, RelativeIsDaysHoursMinutesSeconds) {
  EXPECT_EQ(RelativeValidity(90'061'000), "000001010101000R");  // 1 d 1 h 1 min 1 s
  EXPECT_EQ(RelativeValidity(0), "000000000001000R") << "at least one second";
  EXPECT_EQ(RelativeValidity(1'500), "000000000002000R") << "rounded up";
  EXPECT_EQ(ParseValidity("000001010101000R", 1000), 1000 + 90'061'000);
  EXPECT_EQ(ParseValidity("010100000000000R", 0), (365LL + 30) * 86'400'000);
}

TEST(ValidityPeriod, ForAJob) {
  EXPECT_EQ(ValidityFor(ValidityMode::kOff, kAt, kAt - 60'000), "");
  EXPECT_EQ(ValidityFor(ValidityMode::kAbsolute, 0, kAt), "") << "no expiry, no validity";
  EXPECT_EQ(ValidityFor(ValidityMode::kAbsolute, kAt, kAt - 60'000), "261203103015700+");
  EXPECT_EQ(ValidityFor(ValidityMode::kRelative, kAt, kAt - 60'000), "000000000100000R");
}

TEST(ValidityPeriod, MalformedIsRefused) {
  for (const char* bad :
       {"", "2612031030157+", "261203103015700+0", "261303103015700+", "261203243015700+",
        "261203103015749+", "261203103015700X", "26120310301570a+", "261200103015700+"}) {
    EXPECT_FALSE(ParseValidity(bad, kAt).has_value()) << bad;
  }
}

TEST(ValidityPeriod, EveryPartCarriesIt) {
  SubmitRequest req;
  req.destination = "+4915112345678";
  req.sender = "ACME";
  req.text.coding = DataCoding::kGsm7;
  req.text.bytes = std::string(300, 'a');
  req.expires_ms = kAt;
  PartsOptions o;
  auto parts = BuildParts(req, o, 1, 7, kAt - 60'000);
  ASSERT_TRUE(parts);
  ASSERT_EQ(parts->size(), 2u);
  for (const ShortMessage& sm : *parts) EXPECT_EQ(sm.validity_period, "261203103015700+");
  o.validity = ValidityMode::kOff;
  parts = BuildParts(req, o, 1, 7, kAt - 60'000);
  ASSERT_TRUE(parts);
  for (const ShortMessage& sm : *parts) EXPECT_EQ(sm.validity_period, "");
}

}  // namespace
}  // namespace sd::smpp
