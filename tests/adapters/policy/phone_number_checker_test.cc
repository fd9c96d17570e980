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

// LookupUncached takes "valid" from the number type (one pass over the metadata's patterns)
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
    EXPECT_EQ(PhoneNumberChecker::LookupUncached(n).valid, library_valid) << n;
  }
  EXPECT_GT(valid, 20u);
  EXPECT_LT(valid, numbers.size());
}

TEST(NumberInfoCache, CapacityIsBoundedAndEvictsWithinASet) {
  NumberInfoCache cache(1);  // rounds up to one set per shard
  EXPECT_EQ(cache.capacity(), NumberInfoCache::kShards * NumberInfoCache::kWays);
  NumberInfo info;
  info.valid = true;
  for (int i = 0; i < 1000; ++i) cache.Insert("+4915100" + std::to_string(i), info);
  size_t present = 0;
  for (int i = 0; i < 1000; ++i) present += cache.Find("+4915100" + std::to_string(i)).has_value();
  EXPECT_EQ(present, cache.capacity());
  // Over-long keys are never stored.
  cache.Insert(std::string(NumberInfoCache::kMaxKeyBytes + 1, '1'), info);
  EXPECT_FALSE(cache.Find(std::string(NumberInfoCache::kMaxKeyBytes + 1, '1')).has_value());
}

TEST(NumberInfoCache, EveryFieldSurvivesTheSlotAndWhatDoesNotFitIsNotCached) {
  NumberInfoCache cache(64);
  NumberInfo info;
  info.valid = true;
  info.e164 = "+882123456789012";  // 16 bytes: the longest E.164 form
  info.region = "001";
  info.type = NumberType::kVoip;
  cache.Insert("00882123456789012", info);
  auto hit = cache.Find("00882123456789012");
  ASSERT_TRUE(hit.has_value());
  EXPECT_TRUE(hit->valid);
  EXPECT_EQ(hit->e164, info.e164);
  EXPECT_EQ(hit->region, "001");
  EXPECT_EQ(hit->type, NumberType::kVoip);
  EXPECT_FALSE(cache.Find("0088212345678901").has_value());  // a prefix is another key

  NumberInfo invalid;  // not parseable: empty E.164 and region
  cache.Insert("garbage", invalid);
  hit = cache.Find("garbage");
  ASSERT_TRUE(hit.has_value());
  EXPECT_FALSE(hit->valid);
  EXPECT_EQ(hit->e164, "");
  EXPECT_EQ(hit->region, "");

  NumberInfo too_long = info;
  too_long.e164 = "+88212345678901234";
  cache.Insert("+88212345678901234", too_long);
  EXPECT_FALSE(cache.Find("+88212345678901234").has_value());
}

// Writers evicting each other in a tiny cache while readers look up: a hit always carries the
// entry written for that key, never a mix of two (each entry is derived from its key). Run
// under ThreadSanitizer by scripts/test.sh.
TEST(NumberInfoCache, ConcurrentWritersAndReadersNeverSeeATornEntry) {
  NumberInfoCache cache(1);
  auto entry_for = [](int i) {
    NumberInfo info;
    info.valid = (i % 2) == 0;
    info.e164 = "+49151" + std::to_string(1000000 + i);
    info.region = (i % 3) == 0 ? "DE" : "001";
    info.type = static_cast<NumberType>(i % 5);
    return info;
  };
  constexpr int kKeys = 512;
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0}, hits{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&, w] {
      for (int round = 0; round < 200; ++round) {
        for (int i = w; i < kKeys; i += 2) cache.Insert(entry_for(i).e164, entry_for(i));
      }
    });
  }
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        for (int i = 0; i < kKeys; ++i) {
          const NumberInfo want = entry_for(i);
          auto got = cache.Find(want.e164);
          if (!got) continue;
          hits.fetch_add(1, std::memory_order_relaxed);
          if (got->e164 != want.e164 || got->region != want.region || got->valid != want.valid ||
              got->type != want.type) {
            torn.fetch_add(1);
          }
        }
      }
    });
  }
  threads[0].join();
  threads[1].join();
  stop = true;
  threads[2].join();
  threads[3].join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_GT(hits.load(), 0);
}

// Readers and writers from several threads; run under TSan (-DSD_TSAN=ON) to check the locks.
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
