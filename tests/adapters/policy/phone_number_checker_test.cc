#include "adapters/policy/phone_number_checker.h"

#include <gtest/gtest.h>
#include <phonenumbers/phonenumberutil.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace sd {
namespace {

PhoneNumberChecker MakeChecker(bool mobile_required = true, size_t capacity = 1024) {
  PhoneNumberChecker::Options o;
  o.number.mobile_required = mobile_required;
  o.number.high_risk_prefixes = {"+882", "+883", "+373", "+37360"};
  o.cache_capacity = capacity;
  return PhoneNumberChecker(o);
}

const CountryScope kAnyCountry{};

TEST(PhoneNumberChecker, ValidMobilePassesWithNormalisedInfo) {
  auto c = MakeChecker();
  auto r = c.Check("+447400123456", kAnyCountry);
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_EQ(r->e164, "+447400123456");
  EXPECT_EQ(r->region, "GB");
  EXPECT_EQ(r->type, NumberType::kMobile);
}

TEST(PhoneNumberChecker, FixedLineOrMobileCountsAsMobile) {
  auto c = MakeChecker();
  auto r = c.Check("+16502530000", kAnyCountry);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->type, NumberType::kFixedLineOrMobile);
  EXPECT_EQ(r->region, "US");
}

TEST(PhoneNumberChecker, InvalidNumbers) {
  auto c = MakeChecker();
  for (const char* bad : {"", "+", "447400123456", "+44 7400 123456", "+4474001234567890", "abc",
                          "+0123", "+4490", "+447700900123x"}) {
    auto r = c.Check(bad, kAnyCountry);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().reason, Reason::kInvalidNumber) << bad;
  }
}

TEST(PhoneNumberChecker, FixedLineIsNotMobileUnlessAllowed) {
  auto strict = MakeChecker(true);
  auto r = strict.Check("+4930123456", kAnyCountry);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, Reason::kNotMobile);
  EXPECT_EQ(r.error().detail, "fixed_line");
  auto lax = MakeChecker(false);
  EXPECT_TRUE(lax.Check("+4930123456", kAnyCountry).ok());
}

TEST(PhoneNumberChecker, PremiumRateIsRefusedEvenWhenMobileNotRequired) {
  auto c = MakeChecker(false);
  auto r = c.Check("+449012345678", kAnyCountry);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, Reason::kPremiumNumber);
  EXPECT_EQ(r.error().detail, "premium_rate");
}

TEST(PhoneNumberChecker, HighRiskPrefixLongestMatchNamed) {
  auto c = MakeChecker();
  auto r = c.Check("+37360123456", kAnyCountry);  // valid Moldovan mobile
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, Reason::kHighRiskPrefix);
  EXPECT_EQ(r.error().detail, "+37360");
  r = c.Check("+37369123456", kAnyCountry);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().detail, "+373");
}

TEST(PhoneNumberChecker, CountryOutsideScope) {
  auto c = MakeChecker();
  CountryScope scope{false, {"DE", "FR"}};
  EXPECT_TRUE(c.Check("+33612345678", scope).ok());
  auto r = c.Check("+447400123456", scope);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, Reason::kCountryNotAllowed);
  EXPECT_EQ(r.error().detail, "GB");
  // An empty list with any=false allows nothing (fail closed).
  EXPECT_EQ(c.Check("+33612345678", CountryScope{false, {}}).error().reason,
            Reason::kCountryNotAllowed);
}

TEST(PhoneNumberChecker, SecondLookupIsServedFromCache) {
  auto c = MakeChecker();
  ASSERT_TRUE(c.Check("+447400123456", kAnyCountry).ok());
  EXPECT_EQ(c.cache_misses(), 1u);
  EXPECT_EQ(c.cache_hits(), 0u);
  // The cache holds library facts only: a different scope still gets its own verdict.
  auto r = c.Check("+447400123456", CountryScope{false, {"FR"}});
  EXPECT_EQ(r.error().reason, Reason::kCountryNotAllowed);
  EXPECT_EQ(c.cache_hits(), 1u);
  EXPECT_EQ(c.cache_misses(), 1u);
}

// LookupLibrary takes "valid" from the number type (one pass over the metadata's patterns)
// instead of also calling IsValidNumber. Against the library itself, over numbers of many
// regions and kinds, valid or not: the two agree.
TEST(NumberChecks, ValidMeansAKnownType) {
  using i18n::phonenumbers::PhoneNumber;
  using i18n::phonenumbers::PhoneNumberUtil;
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  std::vector<std::string> numbers = {
      "+4915112345678", "+4930123456",    "+49900123456", "+491511234",   "+447400123456",
      "+442071234567",  "+449012345678",  "+33612345678", "+33123456789", "+12015550123",
      "+12125551234",   "+18005550100",   "+19005550100", "+16135550123", "+79161234567",
      "+77012345678",   "+8613812345678", "+81312345678", "+61412345678", "+5511912345678",
      "+882123456789",  "+88213456",      "+80012345678", "+3901234567",  "+393123456789",
      "+37360123456",   "+3726123456",    "+99912345",    "+1",           "+123"};
  for (int i = 0; i < 200; ++i) numbers.push_back("+4915" + std::to_string(100000000 + i * 7919));
  for (int i = 0; i < 200; ++i) numbers.push_back("+1" + std::to_string(2000000000 + i * 3137));
  size_t valid = 0;
  for (const std::string& n : numbers) {
    PhoneNumber parsed;
    if (util.Parse(n, "ZZ", &parsed) != PhoneNumberUtil::NO_PARSING_ERROR) continue;
    const bool library_valid = util.IsValidNumber(parsed);
    valid += library_valid;
    EXPECT_EQ(PhoneNumberChecker::LookupLibrary(n).valid, library_valid) << n;
  }
  EXPECT_GT(valid, 20u);
  EXPECT_LT(valid, numbers.size());
}

TEST(PhoneNumberChecker, ConcurrentChecksAgree) {
  auto c = MakeChecker(true, 64);
  std::vector<std::string> numbers;
  for (int i = 0; i < 200; ++i) numbers.push_back("+4915112" + std::to_string(345000 + i));
  const NumberInfo expected = PhoneNumberChecker::LookupUncached(numbers[0]);
  ASSERT_TRUE(expected.valid);
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < 5; ++round) {
        for (const std::string& n : numbers) {
          auto r = c.Check(n, kAnyCountry);
          if (!r.ok() || r->e164 != n || r->region != "DE") wrong.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(c.cache_hits() + c.cache_misses(), 4u * 5u * numbers.size());
}

TEST(JudgeNumber, SharedCostIsPremium) {
  NumberInfo info{true, "+33810123456", "FR", NumberType::kSharedCost};
  auto r = JudgeNumber(info, NumberOptions{}, CountryScope{});
  EXPECT_EQ(r.error().reason, Reason::kPremiumNumber);
  EXPECT_EQ(r.error().detail, "shared_cost");
}

TEST(LongestPrefixMatch, PicksLongest) {
  const std::vector<std::string> p{"+3", "+373", "+37360", "+44"};
  EXPECT_EQ(LongestPrefixMatch("+37360111", p), "+37360");
  EXPECT_EQ(LongestPrefixMatch("+37361111", p), "+373");
  EXPECT_EQ(LongestPrefixMatch("+49", p), "");
}

}  // namespace
}  // namespace sd
