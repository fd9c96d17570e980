// [[quota_cost]] (docs/limits.md, "Budgets"): entries by country and carrier, and every
// problem named at its file and line.
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "daemon/lib/config.h"
#include "tests/daemon/config_file_fixture.h"

namespace sd {
namespace {

class QuotaCostConfigTest : public ::sd::testing::ConfigFileTest {
 protected:
  QuotaCostConfigTest() : ConfigFileTest("sd-quota-cost-config") {}

  void ExpectProblem(const std::string& rest, int line, const std::string& what) {
    const std::string e = ErrorOf(rest);
    EXPECT_NE(e.find(dir_.File("c.toml") + ":" + std::to_string(line) + ":"), std::string::npos)
        << "line " << line << ": " << e;
    EXPECT_NE(e.find(what), std::string::npos) << e;
  }
};

TEST_F(QuotaCostConfigTest, EntriesByCountryAndCarrier) {
  auto r = Load(
      "[[quota_cost]]\ncountry = \"DE\"\ncarrier = \"sim\"\nper_segment = 9\n"
      "[[quota_cost]]\ncountry = \"001\"\nper_segment = 40\n"
      "[[quota_cost]]\nper_segment = 5\n");
  ASSERT_TRUE(std::holds_alternative<Config>(r)) << std::get<ConfigError>(r).ToString();
  const auto& q = std::get<Config>(r).quota_costs;
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q[0], (QuotaCost{"DE", "sim", 9}));
  EXPECT_EQ(q[1], (QuotaCost{"001", "", 40}));
  EXPECT_EQ(q[2], (QuotaCost{"", "", 5}));
  auto none = Load("");
  ASSERT_TRUE(std::holds_alternative<Config>(none));
  EXPECT_TRUE(std::get<Config>(none).quota_costs.empty());
}

TEST_F(QuotaCostConfigTest, ProblemsNameTheirLine) {
  ExpectProblem("[[quota_cost]]\ncountry = \"de\"\nper_segment = 3\n", 10, "region code");
  ExpectProblem("[[quota_cost]]\ncarrier = \"nope\"\nper_segment = 3\n", 10,
                "'nope' is not a [[carrier]]");
  ExpectProblem("[[quota_cost]]\ncountry = \"DE\"\n", 9, "per_segment");
  ExpectProblem("[[quota_cost]]\nper_segment = 0\n", 10, "per_segment = 0 is out of range");
  ExpectProblem("[[quota_cost]]\nper_segment = 1\nprice = 2\n", 11, "price");
  ExpectProblem(
      "[[quota_cost]]\ncountry = \"DE\"\nper_segment = 1\n"
      "[[quota_cost]]\ncountry = \"DE\"\nper_segment = 2\n",
      12, "a second entry for country 'DE' and carrier ''");
  ExpectProblem("[quota_cost]\nper_segment = 1\n", 9, "write [[quota_cost]]");
}

}  // namespace
}  // namespace sd
