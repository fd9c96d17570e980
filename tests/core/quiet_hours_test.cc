// Quiet hours with an injected clock and injected zones (core/quiet_hours.h): a job is held
// until the recipient's local night ends in every zone its number may be in, across
// daylight-saving changes, and never when its zones' days do not meet.
#include "core/quiet_hours.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>

namespace sd {
namespace {

constexpr int64_t kHourMs = 3'600'000;
// 2026-03-29T01:00:00Z: Central Europe goes from UTC+1 to UTC+2.
constexpr int64_t kSpring = 1'774'746'000'000;
// 2026-10-25T01:00:00Z: and back.
constexpr int64_t kAutumn = 1'792'890'000'000;

// Zone sets: Berlin, five US zones, and two zones half a day apart.
constexpr ZoneSet kDE = 0, kUS = 1, kFAR = 2, kNowhere = 7;

// Zones by set, each an offset (minutes) as a function of the UTC time.
class FakeTimes final : public LocalTimes {
 public:
  using Zone = std::function<int(int64_t)>;
  ZoneSet Place(const NumberPlace&) const override { return kNoZones; }
  void OffsetsAt(ZoneSet set, int64_t utc_ms, std::vector<int>* out) const override {
    out->clear();
    auto it = zones.find(set);
    if (it == zones.end()) return;
    for (const Zone& z : it->second) out->push_back(z(utc_ms));
  }
  std::map<ZoneSet, std::vector<Zone>> zones;
};

std::shared_ptr<FakeTimes> Times() {
  auto t = std::make_shared<FakeTimes>();
  t->zones[kDE] = {[](int64_t u) { return (u >= kSpring && u < kAutumn) ? 120 : 60; }};
  for (int off : {-300, -360, -420, -480, -600}) {  // New York to Honolulu, winter
    t->zones[kUS].push_back([off](int64_t) { return off; });
  }
  t->zones[kFAR] = {[](int64_t) { return 0; }, [](int64_t) { return 720; }};
  return t;
}

QuietHours Marketing(std::shared_ptr<FakeTimes> times, const char* start = "21:00",
                     const char* end = "08:00") {
  QuietRule r;
  r.kinds = 1u << static_cast<int>(JobKind::kMarketing);
  r.start_min = *ParseClockTime(start);
  r.end_min = *ParseClockTime(end);
  r.text = std::string(start) + "-" + end;
  return QuietHours({r}, std::move(times));
}

TEST(QuietHours, HeldUntilTheLocalMorningForTheKindsListedOnly) {
  const QuietHours q = Marketing(Times());
  const int64_t jan15 = 1'768'435'200'000;  // 2026-01-15T00:00:00Z
  // 21:30 UTC is 22:30 in Berlin: held until 08:00 local, 07:00 UTC.
  QuietVerdict v = q.Check(JobKind::kMarketing, kDE, jan15 + 21 * kHourMs + 1'800'000);
  ASSERT_NE(v.rule, nullptr);
  EXPECT_EQ(v.opens_ms, jan15 + 31 * kHourMs);
  EXPECT_EQ(q.Check(JobKind::kTransactional, kDE, jan15 + 21 * kHourMs).rule, nullptr);
  EXPECT_EQ(q.Check(JobKind::kMarketing, kDE, jan15 + 12 * kHourMs).rule, nullptr) << "13:00";
  // The window's edges: 20:59 local goes, 21:00 is held, 07:59 is held, 08:00 goes.
  EXPECT_EQ(q.Check(JobKind::kMarketing, kDE, jan15 + 19 * kHourMs + 59 * 60'000).rule, nullptr);
  EXPECT_NE(q.Check(JobKind::kMarketing, kDE, jan15 + 20 * kHourMs).rule, nullptr);
  EXPECT_NE(q.Check(JobKind::kMarketing, kDE, jan15 + 6 * kHourMs + 59 * 60'000).rule, nullptr);
  EXPECT_EQ(q.Check(JobKind::kMarketing, kDE, jan15 + 7 * kHourMs).rule, nullptr);
  EXPECT_EQ(q.Check(JobKind::kMarketing, kNowhere, jan15).rule, nullptr) << "no zones: not held";
  EXPECT_EQ(q.Check(JobKind::kMarketing, kNoZones, jan15).rule, nullptr) << "unknown: not held";
}

TEST(QuietHours, TheMorningIsFoundAcrossADaylightSavingChange) {
  const QuietHours q = Marketing(Times());
  // 2026-03-28 22:00 UTC is 23:00 CET; the clocks go forward at 01:00 UTC; 08:00 CEST is
  // 06:00 UTC (not 07:00, the winter answer).
  QuietVerdict v = q.Check(JobKind::kMarketing, kDE, kSpring - 3 * kHourMs);
  ASSERT_NE(v.rule, nullptr);
  EXPECT_EQ(v.opens_ms, kSpring + 5 * kHourMs);
  // 2026-10-24 20:00 UTC is 22:00 CEST; back to CET at 01:00 UTC; 08:00 CET is 07:00 UTC.
  v = q.Check(JobKind::kMarketing, kDE, kAutumn - 5 * kHourMs);
  ASSERT_NE(v.rule, nullptr);
  EXPECT_EQ(v.opens_ms, kAutumn + 6 * kHourMs);
}

TEST(QuietHours, SeveralZonesWaitForTheLatestStartingOne) {
  const QuietHours q = Marketing(Times());
  const int64_t jan15 = 1'768'435'200'000;
  // 03:00 UTC: 22:00 in New York (quiet), 17:00 in Honolulu. New York's morning (13:00 UTC) is
  // Honolulu's 03:00: the job may go only at Honolulu's 08:00, 18:00 UTC.
  QuietVerdict v = q.Check(JobKind::kMarketing, kUS, jan15 + 3 * kHourMs);
  ASSERT_NE(v.rule, nullptr);
  EXPECT_EQ(v.opens_ms, jan15 + 18 * kHourMs);
  // 19:00 UTC: 14:00 in New York, 09:00 in Honolulu: no zone is quiet.
  EXPECT_EQ(q.Check(JobKind::kMarketing, kUS, jan15 + 19 * kHourMs).rule, nullptr);
  // Zones 12 hours apart never share a waking hour when the day is 10 hours (quiet 18:00 to
  // 08:00): held, never opens.
  v = Marketing(Times(), "18:00", "08:00").Check(JobKind::kMarketing, kFAR, jan15 + 22 * kHourMs);
  ASSERT_NE(v.rule, nullptr);
  EXPECT_EQ(v.opens_ms, 0);
}

TEST(QuietHours, ClockTimesParse) {
  EXPECT_EQ(ParseClockTime("00:00"), 0);
  EXPECT_EQ(ParseClockTime("23:59"), 1439);
  for (const char* bad : {"24:00", "7:00", "07:60", "07-00", "", "07:000"}) {
    EXPECT_FALSE(ParseClockTime(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace sd
