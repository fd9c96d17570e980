// The recipient's clocks (adapters/policy/icu_local_times.h): numbers placed by
// libphonenumber's prefix-to-zone map as its own mapper places them (geographic numbers by
// area, others by country), and the zones' offsets from ICU through the year.
#include "adapters/policy/icu_local_times.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace sd {
namespace {

constexpr int64_t kJan15 = 1'768'435'200'000;  // 2026-01-15T00:00:00Z
constexpr int64_t kJul15 = 1'784'073'600'000;  // 2026-07-15T00:00:00Z

bool Has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

const IcuLocalTimes& Times() {
  const auto& t = IcuLocalTimes::Shared();
  EXPECT_NE(t, nullptr) << "the embedded map must parse";
  return *t;
}

std::vector<int> Offsets(ZoneSet set, int64_t at) {
  std::vector<int> out;
  Times().OffsetsAt(set, at, &out);
  return out;
}

TEST(IcuLocalTimes, EveryZoneOfTheMapIsKnownToIcu) {
  EXPECT_TRUE(Times().unknown_zones().empty())
      << "first unknown: " << Times().unknown_zones().front();
}

TEST(IcuLocalTimes, AGeographicNumberIsPlacedByItsAreaCode) {
  const ZoneSet nyc = Times().Place({"+12125550100", NumberType::kFixedLineOrMobile});
  EXPECT_EQ(Times().ZoneIds(nyc), std::vector<std::string>{"America/New_York"});
  EXPECT_EQ(Offsets(nyc, kJan15), std::vector<int>{-300});
  EXPECT_EQ(Offsets(nyc, kJul15), std::vector<int>{-240}) << "summer time";
  const ZoneSet alaska = Times().Place({"+19075550100", NumberType::kFixedLineOrMobile});
  EXPECT_TRUE(Has(Times().ZoneIds(alaska), "America/Anchorage"));
  EXPECT_TRUE(Has(Times().ZoneIds(alaska), "America/Adak"));
  EXPECT_EQ(Offsets(alaska, kJan15).size(), 2u) << "two zones: held for the later one";
  const ZoneSet berlin = Times().Place({"+493012345678", NumberType::kFixedLine});
  EXPECT_EQ(Times().ZoneIds(berlin), std::vector<std::string>{"Europe/Berlin"});
  EXPECT_EQ(Offsets(berlin, kJan15), std::vector<int>{60});
  EXPECT_EQ(Offsets(berlin, kJul15), std::vector<int>{120});
  const ZoneSet delhi = Times().Place({"+911123456789", NumberType::kFixedLine});
  EXPECT_EQ(Offsets(delhi, kJul15), std::vector<int>{330}) << "half-hour offsets";
}

TEST(IcuLocalTimes, ANumberThatDoesNotTellItsAreaGetsEveryZoneOfItsCountry) {
  // Russian mobiles are not tied to areas: the whole country, Kaliningrad to Kamchatka,
  // although the map's "79" entry says Moscow (libphonenumber's mapper does the same).
  const ZoneSet ru = Times().Place({"+79161234567", NumberType::kMobile});
  const std::vector<std::string> ids = Times().ZoneIds(ru);
  EXPECT_TRUE(Has(ids, "Europe/Moscow"));
  EXPECT_TRUE(Has(ids, "Asia/Vladivostok"));
  // North American toll-free: every zone of the numbering plan, Guam to Pago Pago.
  const ZoneSet tollfree = Times().Place({"+18005550100", NumberType::kTollFree});
  EXPECT_TRUE(Has(Times().ZoneIds(tollfree), "Pacific/Honolulu"));
  EXPECT_TRUE(Has(Times().ZoneIds(tollfree), "America/New_York"));
  const std::vector<int> off = Offsets(tollfree, kJan15);
  EXPECT_EQ(*std::max_element(off.begin(), off.end()), 600) << "Guam";
  EXPECT_EQ(*std::min_element(off.begin(), off.end()), -660) << "Pago Pago";
  // A type the checks could not tell (no number library): by its digits, as the likeliest
  // place for a number that has an area code.
  EXPECT_EQ(Times().Place({"+12125550100", NumberType::kUnknown}),
            Times().Place({"+12125550100", NumberType::kFixedLine}));
  // German mobiles: one zone either way.
  EXPECT_EQ(Times().ZoneIds(Times().Place({"+4915112345678", NumberType::kMobile})),
            std::vector<std::string>{"Europe/Berlin"});
}

TEST(IcuLocalTimes, NotANumberHasNoZones) {
  for (const char* bad : {"", "+", "4915112345678", "+x1", "+0123"}) {
    EXPECT_EQ(Times().Place({bad, NumberType::kMobile}), kNoZones) << bad;
  }
  EXPECT_TRUE(Offsets(kNoZones, kJan15).empty());
  EXPECT_TRUE(Offsets(1'000'000, kJan15).empty());
  EXPECT_TRUE(Times().ZoneIds(kNoZones).empty());
}

TEST(IcuLocalTimes, OffsetsFollowTheClockWithinOneThreadsCache) {
  const ZoneSet berlin = Times().Place({"+493012345678", NumberType::kFixedLine});
  // 2026-03-29T01:00:00Z Central Europe springs forward: the minute before and the minute of.
  constexpr int64_t kSpring = 1'774'746'000'000;
  EXPECT_EQ(Offsets(berlin, kSpring - 1), std::vector<int>{60});
  EXPECT_EQ(Offsets(berlin, kSpring), std::vector<int>{120});
  EXPECT_EQ(Offsets(berlin, kSpring - 60'001), std::vector<int>{60}) << "back in time too";
}

}  // namespace
}  // namespace sd
