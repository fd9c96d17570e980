// SMS-pumping detection (core/pumping.h) on a realistic pattern, with a manual clock: three
// hours of one key's steady OTP traffic to three countries (random arrivals, a tripling of
// the rate in the middle as a legitimate campaign would), then a burst to a prefix it never
// used, and a burst on a prefix it always used. Nothing fires on the steady part; both bursts
// are caught within seconds.
#include "core/pumping.h"

#include <gtest/gtest.h>

#include <random>

#include "core/calling_code.h"

namespace sd {
namespace {

PumpingRule Rule(PumpingAction action = PumpingAction::kBlock) {
  PumpingRule r;
  r.name = "otp";
  r.scope = PumpingScope::kKeyPrefix;
  r.prefix_digits = 2;
  r.kinds = 1u << static_cast<unsigned>(JobKind::kOtp);
  r.window_ms = 60'000;
  r.baseline_ms = 3'600'000;
  r.factor = 10;
  r.min_messages = 20;
  r.new_prefix_messages = 10;
  r.learn_ms = 3'600'000;
  r.action = action;
  r.block_ms = 3'600'000;
  return r;
}

// Steady traffic: Poisson arrivals per country at `per_minute` (times `scale`), to numbers
// spread over each country's usual mobile prefixes.
class SteadyTraffic {
 public:
  explicit SteadyTraffic(uint64_t seed) : rng_(seed) {}
  // The next job after `now`: its time and destination.
  std::pair<int64_t, std::string> Next(int64_t now, double scale) {
    struct Country {
      const char* prefixes[3];
      double per_minute;
    };
    static const Country kCountries[] = {{{"+49151", "+49160", "+49176"}, 30},
                                         {{"+447700", "+447911", "+447400"}, 10},
                                         {{"+33612", "+33755", "+33698"}, 5}};
    const double total = 45 * scale;
    std::exponential_distribution<double> gap(total / 60'000.0);
    const int64_t at = now + 1 + static_cast<int64_t>(gap(rng_));
    std::uniform_real_distribution<double> pick(0, 45);
    double x = pick(rng_);
    const Country* c = &kCountries[0];
    for (const Country& k : kCountries) {
      c = &k;
      if (x < k.per_minute) break;
      x -= k.per_minute;
    }
    std::uniform_int_distribution<int> which(0, 2);
    std::uniform_int_distribution<int> tail(1'000'000, 9'999'999);
    return {at, std::string(c->prefixes[which(rng_)]) + std::to_string(tail(rng_))};
  }

 private:
  std::mt19937_64 rng_;
};

// Three hours of steady traffic from t0; the rate triples in the second hour. Returns the end
// time; every hit seen is appended to `hits`.
int64_t RunSteady(PumpingDetector& d, SteadyTraffic& t, int64_t t0, int64_t ms,
                  std::vector<PumpingHit>* hits) {
  int64_t now = t0;
  while (now < t0 + ms) {
    const double scale = (now - t0 > 3'600'000 && now - t0 < 7'200'000) ? 3.0 : 1.0;
    auto [at, to] = t.Next(now, scale);
    now = at;
    for (PumpingHit& h : d.Observe("acme.v2", to, JobKind::kOtp, now)) hits->push_back(h);
  }
  return now;
}

TEST(PumpingDetector, SteadyTrafficNeverFiresAndABurstToANewPrefixIsCaughtWithinSeconds) {
  const int64_t t0 = 1'800'000'000'000;
  PumpingDetector d({Rule()}, t0);
  SteadyTraffic steady(42);
  std::vector<PumpingHit> hits;
  int64_t now = RunSteady(d, steady, t0, 3 * 3'600'000, &hits);
  ASSERT_TRUE(hits.empty()) << hits.front().detail;
  // The pump: 2 OTPs a second to Latvian numbers the key never sent to, steady traffic on.
  const int64_t burst_start = now;
  int64_t caught_at = 0;
  std::string caught;
  for (int i = 0; i < 600 && caught_at == 0; ++i) {
    now += 500;
    for (PumpingHit& h :
         d.Observe("acme.v3", "+3712" + std::to_string(1'000'000 + i), JobKind::kOtp, now)) {
      caught_at = now;
      caught =
          h.prefix + " " + h.key_family + " " + (h.new_prefix ? "new" : "burst") + ": " + h.detail;
    }
    auto [at, to] = steady.Next(now - 500, 1.0);
    if (at < now) {
      for (PumpingHit& h : d.Observe("acme.v2", to, JobKind::kOtp, at)) hits.push_back(h);
    }
  }
  ASSERT_NE(caught_at, 0) << "the burst was never detected";
  EXPECT_LE(caught_at - burst_start, 10'000) << "detected within 10 s";
  EXPECT_EQ(caught.substr(0, caught.find(':')), "+37121 acme new") << caught;
  EXPECT_TRUE(hits.empty()) << "the steady traffic alongside never fired: " << hits.front().detail;
  const auto stats = d.Stats();
  EXPECT_EQ(stats[0].blocks, 1u) << "one burst, one block";
}

TEST(PumpingDetector, ABurstOnAUsualPrefixFiresWhenFarAboveItsBaseline) {
  const int64_t t0 = 1'800'000'000'000;
  PumpingDetector d({Rule(PumpingAction::kAlert)}, t0);
  SteadyTraffic steady(7);
  std::vector<PumpingHit> hits;
  int64_t now = RunSteady(d, steady, t0, 2 * 3'600'000, &hits);
  ASSERT_TRUE(hits.empty()) << hits.front().detail;
  // +4917 runs at about 10 a minute (a third of the German 30; three times that in the busy
  // second hour, so its baseline is now about 23 per window). 10 a second is 60 times the
  // usual rate: it fires once the window holds 10 x baseline, about 23 s in.
  const int64_t start = now;
  int64_t caught_at = 0;
  for (int i = 0; i < 1200 && caught_at == 0; ++i) {
    now += 100;
    if (!d.Observe("acme.v2", "+4917" + std::to_string(10'000'000 + i), JobKind::kOtp, now)
             .empty()) {
      caught_at = now;
    }
  }
  ASSERT_NE(caught_at, 0);
  EXPECT_LE(caught_at - start, 30'000);
}

TEST(PumpingDetector, OnlyTheWatchedKindsCountAndAFullTableTracksNoMore) {
  PumpingRule r = Rule();
  r.capacity = 2;
  PumpingDetector d({r}, 0);
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(
        d.Observe("k.v1", "+4915100000" + std::to_string(i), JobKind::kMarketing, i).empty());
  }
  EXPECT_EQ(d.Stats()[0].tracked, 0u) << "marketing is not watched by this rule";
  (void)d.Observe("k.v1", "+491510000000", JobKind::kOtp, 1);
  (void)d.Observe("k.v1", "+441510000000", JobKind::kOtp, 1);
  (void)d.Observe("k.v1", "+331510000000", JobKind::kOtp, 1);
  EXPECT_EQ(d.Stats()[0].tracked, 2u);
  EXPECT_EQ(d.Stats()[0].untracked, 1u);
}

TEST(PumpingDetector, AReloadKeepsWhatUnchangedRulesLearntAndSweepForgetsTheQuiet) {
  const int64_t t0 = 1'800'000'000'000;
  auto first = std::make_unique<PumpingDetector>(std::vector<PumpingRule>{Rule()}, t0);
  for (int i = 0; i < 30; ++i) (void)first->Observe("k.v1", "+491510000000", JobKind::kOtp, t0 + i);
  PumpingRule changed = Rule();
  changed.factor = 5;  // a threshold change keeps the subjects; a window change would not
  PumpingDetector second({changed}, t0 + 100, first.get());
  EXPECT_EQ(second.Stats()[0].tracked, 1u);
  second.Sweep(t0 + 3 * 3'600'000 + 1'000);
  EXPECT_EQ(second.Stats()[0].tracked, 0u);
}

TEST(PumpingPrefix, CallingCodePlusDigits) {
  EXPECT_EQ(CallingCodeDigits("14155550100"), 1u);
  EXPECT_EQ(CallingCodeDigits("79161234567"), 1u);
  EXPECT_EQ(CallingCodeDigits("4915112345678"), 2u);
  EXPECT_EQ(CallingCodeDigits("420601123456"), 3u);
  EXPECT_EQ(CallingCodeDigits("97150123456"), 3u);
  EXPECT_EQ(CallingCodeDigits("8613800138000"), 2u);
  EXPECT_EQ(CallingCodeDigits("88216"), 3u);
  EXPECT_EQ(CallingCodeDigits("3712"), 3u);
  EXPECT_EQ(PumpingPrefix("+4915112345678", 2), "+4915");
  EXPECT_EQ(PumpingPrefix("+37120000000", 2), "+37120");
  EXPECT_EQ(PumpingPrefix("+1415", 5), "+1415");
  EXPECT_EQ(PumpingPrefix("4915", 2), "");
}

}  // namespace
}  // namespace sd
