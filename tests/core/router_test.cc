// Router: longest prefix, then country, then default; kinds; every build error; and the route
// stage of the decision (no_route, the routed carrier is what a carrier limit charges).
#include "core/router.h"

#include <gtest/gtest.h>

#include "adapters/crypto/openssl_mac.h"
#include "core/decision.h"
#include "core/envelope.h"

namespace sd {
namespace {

RouteSpec Route(std::vector<std::string> prefixes, std::vector<std::string> countries,
                std::vector<std::string> carriers, uint8_t kinds = 0) {
  RouteSpec r;
  r.prefixes = std::move(prefixes);
  r.countries = std::move(countries);
  r.carriers = std::move(carriers);
  r.kinds = kinds;
  return r;
}

const std::vector<std::string> kCarriers = {"primary", "backup", "cheap"};

std::shared_ptr<const Router> MustBuild(std::vector<RouteSpec> routes) {
  RouteError err;
  auto r = Router::Build(kCarriers, std::move(routes), &err);
  EXPECT_NE(r, nullptr) << "route " << err.route << ": " << err.message;
  return r;
}

// The carrier names a lookup picks, "" for no route.
std::string Pick(const Router& r, std::string_view to, std::string_view region = {},
                 JobKind kind = JobKind::kTransactional) {
  RouteChoice c;
  if (!r.Find(to, region, kind, &c)) return "";
  std::string out;
  for (uint8_t i = 0; i < c.count; ++i) {
    out += (out.empty() ? "" : ",") + std::string(r.CarrierName(c.carriers[i]));
  }
  return out;
}

TEST(Router, LongestPrefixWinsThenCountryThenDefault) {
  auto r = MustBuild({Route({"+49"}, {}, {"backup"}),
                      Route({"+4915", "+4917"}, {}, {"primary", "backup"}),
                      Route({}, {"FR"}, {"cheap"}), Route({}, {}, {"backup", "primary"})});
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(Pick(*r, "+4915112345678"), "primary,backup");
  EXPECT_EQ(Pick(*r, "+4917012345678"), "primary,backup");
  EXPECT_EQ(Pick(*r, "+4930123456"), "backup");
  EXPECT_EQ(Pick(*r, "+33612345678", "FR"), "cheap");
  // A prefix beats the country even when the country names the number's region.
  EXPECT_EQ(Pick(*r, "+4915112345678", "FR"), "primary,backup");
  EXPECT_EQ(Pick(*r, "+33612345678"), "backup,primary");  // region unknown: default
  EXPECT_EQ(Pick(*r, "+4412345678", "GB"), "backup,primary");
}

TEST(Router, WithoutADefaultAnUnmatchedJobHasNoRoute) {
  auto r = MustBuild({Route({"+49"}, {}, {"primary"})});
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(Pick(*r, "+4915112345678"), "primary");
  EXPECT_EQ(Pick(*r, "+4412345678"), "");
  EXPECT_EQ(Pick(*r, "+4"), "");  // shorter than any prefix
  EXPECT_EQ(Pick(*r, ""), "");
}

TEST(Router, AKindSpecificRouteBeatsOneForEveryKindAtTheSamePrefix) {
  const uint8_t otp = 1 << static_cast<int>(JobKind::kOtp);
  auto r = MustBuild({Route({"+49"}, {}, {"cheap"}), Route({"+49"}, {}, {"primary"}, otp),
                      Route({}, {}, {"backup"}, otp)});
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(Pick(*r, "+4915112345678", {}, JobKind::kOtp), "primary");
  EXPECT_EQ(Pick(*r, "+4915112345678", {}, JobKind::kMarketing), "cheap");
  EXPECT_EQ(Pick(*r, "+4412345678", {}, JobKind::kOtp), "backup");
  EXPECT_EQ(Pick(*r, "+4412345678", {}, JobKind::kMarketing), "");  // the default is OTP only
  // A kind-limited prefix does not hide a shorter prefix for the other kinds.
  auto r2 = MustBuild({Route({"+49"}, {}, {"cheap"}), Route({"+4915"}, {}, {"primary"}, otp)});
  ASSERT_NE(r2, nullptr);
  EXPECT_EQ(Pick(*r2, "+4915112345678", {}, JobKind::kMarketing), "cheap");
  EXPECT_EQ(Pick(*r2, "+4915112345678", {}, JobKind::kOtp), "primary");
}

TEST(Router, BuildErrorsNameTheRoute) {
  struct Case {
    std::vector<RouteSpec> routes;
    size_t route;
    std::string says;
  };
  const uint8_t otp = 1 << static_cast<int>(JobKind::kOtp);
  const std::vector<Case> cases = {
      {{Route({"+49"}, {}, {})}, 0, "no carriers"},
      {{Route({"+49"}, {}, {"primary"}), Route({"+44"}, {}, {"nope"})}, 1, "carrier 'nope'"},
      {{Route({"+49"}, {}, {"primary", "primary"})}, 0, "twice"},
      {{Route({"49"}, {}, {"primary"})}, 0, "prefix '49'"},
      {{Route({"+4a"}, {}, {"primary"})}, 0, "prefix '+4a'"},
      {{Route({"+12345678901234567"}, {}, {"primary"})}, 0, "1 to 15 digits"},
      {{Route({}, {"de"}, {"primary"})}, 0, "country 'de'"},
      {{Route({"+49"}, {}, {"primary"}), Route({"+49"}, {}, {"backup"})}, 1, "prefix '+49' again"},
      {{Route({"+49"}, {}, {"primary"}, otp), Route({"+49"}, {}, {"backup"}, otp | 2)},
       1,
       "prefix '+49' again"},
      {{Route({}, {"DE"}, {"primary"}), Route({}, {"DE"}, {"backup"})}, 1, "country 'DE' again"},
      {{Route({}, {}, {"primary"}), Route({}, {}, {"backup"})}, 1, "second default"},
      {{Route({"+49"}, {}, {"primary"}, 0x80)}, 0, "unknown job kind"},
      {{Route({"+49"}, {},
              {"primary", "backup", "cheap", "primary", "backup", "cheap", "primary", "backup",
               "cheap"})},
       0,
       "more than 8 carriers"},
  };
  for (const Case& c : cases) {
    RouteError err;
    EXPECT_EQ(Router::Build(kCarriers, c.routes, &err), nullptr) << c.says;
    EXPECT_EQ(err.route, c.route) << c.says << ": " << err.message;
    EXPECT_NE(err.message.find(c.says), std::string::npos) << err.message;
  }
  // Disjoint kinds at the same prefix are fine.
  EXPECT_NE(MustBuild({Route({"+49"}, {}, {"primary"}, otp), Route({"+49"}, {}, {"backup"}, 2)}),
            nullptr);
}

// ---- The route stage of the decision -------------------------------------------------

constexpr int64_t kNow = 1'700'000'000'000;

// Regions by prefix: enough of a number library for routing by country.
class RegionsByPrefix final : public NumberChecker {
 public:
  Result<NumberInfo> Check(std::string_view destination, const CountryScope&) const override {
    NumberInfo i;
    i.valid = true;
    i.e164 = std::string(destination);
    i.type = NumberType::kMobile;
    i.region = destination.substr(0, 3) == "+33" ? "FR" : "DE";
    return i;
  }
};

class RouteStageTest : public ::testing::Test {
 protected:
  RouteStageTest() : clock_(kNow) {
    auto keys = std::make_shared<KeyRing>();
    EXPECT_TRUE(keys->Add(SigningKey{"k.v1", secret_}));
    parts_.decision.stream = "sd:jobs";
    parts_.file_keys = keys;
  }
  StreamEntry Signed(const std::string& id, const std::string& to) {
    Job j;
    j.id = id;
    j.created_ms = kNow;
    j.expires_ms = kNow + 60'000;
    j.destination = to;
    j.sender = "ACME";
    j.text = "hello";
    StreamEntry e;
    e.entry_id = "1-0";
    e.version = "sd1";
    e.key_id = "k.v1";
    e.job = EncodeJob(j);
    e.sig = SignJob(mac_, secret_, "k.v1", "sd:jobs", e.job);
    return e;
  }
  std::string secret_ = std::string(32, 's');
  OpenSslMac mac_;
  ManualClock clock_;
  PolicyParts parts_;
};

TEST_F(RouteStageTest, AdmittedJobsCarryTheirRouteAndUnroutedOnesAreNoRoute) {
  parts_.numbers = std::make_shared<RegionsByPrefix>();
  parts_.router =
      MustBuild({Route({"+4915"}, {}, {"primary", "backup"}), Route({}, {"FR"}, {"cheap"})});
  auto policy = PolicySnapshot::Make(parts_);
  Decision de = Decide(Signed("a", "+4915112345678"), *policy, mac_, clock_);
  ASSERT_TRUE(de.result.ok()) << de.result.error().detail;
  ASSERT_EQ(de.result->route.count, 2);
  EXPECT_EQ(policy->parts().router->CarrierName(de.result->route.carriers[0]), "primary");
  EXPECT_EQ(policy->parts().router->CarrierName(de.result->route.carriers[1]), "backup");
  Decision fr = Decide(Signed("b", "+33612345678"), *policy, mac_, clock_);
  ASSERT_TRUE(fr.result.ok()) << fr.result.error().detail;
  EXPECT_EQ(policy->parts().router->CarrierName(fr.result->route.carriers[0]), "cheap");
  Decision none = Decide(Signed("c", "+4930123456"), *policy, mac_, clock_);
  ASSERT_FALSE(none.result.ok());
  EXPECT_EQ(none.result.error().reason, Reason::kNoRoute);
  EXPECT_EQ(none.job_id, "c");
  EXPECT_EQ(ReasonName(Reason::kNoRoute), "no_route");
  EXPECT_EQ(ReasonFromName("no_route"), Reason::kNoRoute);
}

TEST_F(RouteStageTest, ACarrierLimitChargesTheRoutedCarrierAndANoRouteJobChargesNothing) {
  parts_.router = MustBuild({Route({"+4915"}, {}, {"primary"}), Route({"+4917"}, {}, {"backup"})});
  LimitConfig l;
  l.name = "per_carrier";
  l.scope = LimitScope::kCarrier;
  l.rate = RateSpec{2, 60'000, 2};
  l.capacity = 64;
  RateLimitsConfig rc;
  rc.limits = {l};
  rc.hash_key = SipKey{5, 6};
  auto limits = RateLimits::Build(rc);
  ASSERT_TRUE(limits.ok());
  parts_.limits = limits.value();
  auto policy = PolicySnapshot::Make(parts_);
  auto reason = [&](const std::string& id, const std::string& to) {
    Decision d = Decide(Signed(id, to), *policy, mac_, clock_, "ignored-when-routed");
    return d.result.ok() ? Reason::kNone : d.result.error().reason;
  };
  EXPECT_EQ(reason("n1", "+4930123456"), Reason::kNoRoute);
  EXPECT_EQ(reason("p1", "+4915112345678"), Reason::kNone);
  EXPECT_EQ(reason("p2", "+4915112345679"), Reason::kNone);
  EXPECT_EQ(reason("p3", "+4915112345670"), Reason::kRateLimited);  // primary's 2 are used
  // The other carrier has its own bucket, untouched by primary's jobs.
  EXPECT_EQ(reason("b1", "+4917112345678"), Reason::kNone);
  EXPECT_EQ(reason("b2", "+4917112345679"), Reason::kNone);
  EXPECT_EQ(reason("b3", "+4917112345670"), Reason::kRateLimited);
}

}  // namespace
}  // namespace sd
