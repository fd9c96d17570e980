// [inbound] and a carrier's mo_alphabet (docs/inbound.md): defaults, settings, and every
// problem named at its line.
#include <gtest/gtest.h>

#include <string>

#include "daemon/lib/config.h"
#include "tests/daemon/config_file_fixture.h"

namespace sd {
namespace {

class InboundConfigTest : public ::sd::testing::ConfigFileTest {
 protected:
  InboundConfigTest() : ConfigFileTest("sd-inbound-config") {}
};

TEST_F(InboundConfigTest, OnByDefaultAndEverySettingIsRead) {
  auto d = Load("");
  ASSERT_TRUE(std::holds_alternative<Config>(d));
  const Config& c = std::get<Config>(d);
  EXPECT_TRUE(c.inbound.enabled) << "a message not kept is lost once answered";
  EXPECT_EQ(c.inbound.stream, "sd:inbound");
  EXPECT_EQ(c.carriers.at(0).mo_alphabet, "gsm7");
  auto set = Load(
      "mo_alphabet = \"latin1\"\n[inbound]\nstream = \"x:in\"\npart_timeout_s = 30\n"
      "dedupe_window_s = 0\nmax_queued = 5\nmaxlen = 0\n");
  ASSERT_TRUE(std::holds_alternative<Config>(set)) << std::get<ConfigError>(set).ToString();
  const Config& s = std::get<Config>(set);
  EXPECT_EQ(s.carriers.at(0).mo_alphabet, "latin1");
  EXPECT_EQ(s.inbound.stream, "x:in");
  EXPECT_EQ(s.inbound.part_timeout_ms, 30'000);
  EXPECT_EQ(s.inbound.dedupe_window_ms, 0);
  EXPECT_EQ(s.inbound.max_queued, 5u);
  EXPECT_EQ(s.inbound.maxlen, 0);
  auto off = Load("[inbound]\nenabled = false\n");
  ASSERT_TRUE(std::holds_alternative<Config>(off));
  EXPECT_FALSE(std::get<Config>(off).inbound.enabled);
}

TEST_F(InboundConfigTest, ProblemsNameTheirLine) {
  EXPECT_NE(ErrorOf("mo_alphabet = \"ebcdic\"\n").find(":9:"), std::string::npos);
  EXPECT_NE(ErrorOf("[inbound]\npart_timeout_s = 0\n").find(":10:"), std::string::npos);
  EXPECT_NE(ErrorOf("[inbound]\nstreem = \"x\"\n").find(":10:"), std::string::npos);
}

}  // namespace
}  // namespace sd
