// [[pumping]] (docs/operations.md): every key with its default and range, problems at their
// line.
#include <gtest/gtest.h>

#include <string>

#include "daemon/lib/config.h"
#include "tests/support/temp_dir.h"

namespace sd {
namespace {

using ::sd::testing::TempDir;
using ::sd::testing::WriteTextFile;

class PumpingConfigTest : public ::testing::Test {
 protected:
  PumpingConfigTest() { EXPECT_TRUE(WriteTextFile(dir_.File("smpp.pw"), "pw\n", 0600)); }

  // Lines 1-8: [keys] and the carrier; the rules start at line 9.
  std::variant<Config, ConfigError> Load(const std::string& rest) {
    const std::string path = dir_.File("c.toml");
    EXPECT_TRUE(WriteTextFile(path,
                              "[keys]\nregistry = \"redis\"\n[[carrier]]\nname = \"sim\"\nhost = "
                              "\"127.0.0.1\"\nport = 2775\nsystem_id = \"sim\"\npassword_file = "
                              "\"smpp.pw\"\n" +
                                  rest,
                              0644));
    return LoadConfig(path);
  }
  std::string ErrorOf(const std::string& rest) {
    auto r = Load(rest);
    if (auto* e = std::get_if<ConfigError>(&r)) return e->ToString();
    return "";
  }
  std::string At(int line, int column, const std::string& what) const {
    return dir_.File("c.toml") + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " +
           what;
  }

  TempDir dir_{"sd-pumping-config"};
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
