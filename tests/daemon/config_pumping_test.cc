// [[pumping]] (docs/operations.md): every key with its default and range, problems at their
// line.
#include <gtest/gtest.h>

#include <string>

#include "daemon/lib/config.h"
#include "tests/daemon/config_file_fixture.h"

namespace sd {
namespace {


// Rules start at line 9.
class PumpingConfigTest : public ::sd::testing::ConfigFileTest {
 protected:
  PumpingConfigTest() : ConfigFileTest("sd-pumping-config") {}
};

TEST_F(PumpingConfigTest, DefaultsAndEveryKey) {
  auto r = Load(
      "[[pumping]]\nname = \"watch\"\n"
      "[[pumping]]\nname = \"otp\"\nscope = \"prefix\"\nprefix_digits = 3\nkinds = [\"otp\"]\n"
      "window_s = 30\nbaseline_s = 7200\nfactor = 8\nmin_messages = 50\nnew_prefix_messages = 0\n"
      "learn_s = 600\naction = \"block\"\nblock_s = 900\ncapacity = 1024\n");
  ASSERT_TRUE(std::holds_alternative<Config>(r)) << std::get<ConfigError>(r).ToString();
  const auto& rules = std::get<Config>(r).pumping;
  ASSERT_EQ(rules.size(), 2u);
  const PumpingRule& d = rules[0];
  EXPECT_EQ(d.scope, PumpingScope::kKeyPrefix);
  EXPECT_EQ(d.prefix_digits, 2);
  EXPECT_EQ(d.kinds, 0);
  EXPECT_EQ(d.window_ms, 60'000);
  EXPECT_EQ(d.baseline_ms, 3'600'000);
  EXPECT_EQ(d.factor, 10);
  EXPECT_EQ(d.min_messages, 20);
  EXPECT_EQ(d.new_prefix_messages, 10);
  EXPECT_EQ(d.learn_ms, 3'600'000);
  EXPECT_EQ(d.action, PumpingAction::kAlert) << "alert until the operator chooses block";
  const PumpingRule& o = rules[1];
  EXPECT_EQ(o.scope, PumpingScope::kPrefix);
  EXPECT_EQ(o.prefix_digits, 3);
  EXPECT_EQ(o.kinds, 1u << static_cast<unsigned>(JobKind::kOtp));
  EXPECT_EQ(o.window_ms, 30'000);
  EXPECT_EQ(o.baseline_ms, 7'200'000);
  EXPECT_EQ(o.factor, 8);
  EXPECT_EQ(o.min_messages, 50);
  EXPECT_EQ(o.new_prefix_messages, 0);
  EXPECT_EQ(o.learn_ms, 600'000);
  EXPECT_EQ(o.action, PumpingAction::kBlock);
  EXPECT_EQ(o.block_ms, 900'000);
  EXPECT_EQ(o.capacity, 1024u);
}

TEST_F(PumpingConfigTest, ProblemsNameTheirLine) {
  EXPECT_EQ(ErrorOf("[[pumping]]\nname = \"a\"\n[[pumping]]\nname = \"a\"\n"),
            At(12, 8, "pumping[1].name: 'a' names two rules"));
  EXPECT_EQ(ErrorOf("[[pumping]]\nname = \"a\"\nwindow_s = 600\nbaseline_s = 60\n"),
            At(12, 14,
               "pumping[0].baseline_s must be at least pumping[0].window_s: the "
               "baseline is a mean over many windows"));
  EXPECT_NE(ErrorOf("[[pumping]]\nname = \"a\"\naction = \"drop\"\n").find("pumping[0].action"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[[pumping]]\nname = \"a\"\nkinds = [\"spam\"]\n").find("pumping[0].kinds"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[[pumping]]\nname = \"a\"\nfactor = 1\n").find("pumping[0].factor"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[[pumping]]\nname = \"a\"\nwindow = 60\n").find("unknown key"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[[pumping]]\nscope = \"prefix\"\n").find("name"), std::string::npos);
}

}  // namespace
}  // namespace sd
