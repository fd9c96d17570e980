// adapters/untrusted_log.h: Untrusted(...) formats as LogSafe through fmt and spdlog. (Here
// rather than beside core's escaper test because it needs fmt and spdlog, which core's tests
// do not link.)
#include "adapters/untrusted_log.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <sstream>
#include <string>

namespace sd {
namespace {

TEST(UntrustedLogTest, FormatsEscapedAndBounded) {
  EXPECT_EQ(fmt::format("kid {}", Untrusted("e\n<2>FORGED\x1b[31m")),
            "kid e\\x0A<2>FORGED\\x1B[31m");
  EXPECT_EQ(fmt::format("{}", Untrusted(std::string(1000, 'a'), 4)), "aaaa...(1000 bytes)");
  EXPECT_EQ(fmt::format("[{:>6}]", Untrusted("a\tb")), "[a\\x09b]");  // specs still apply
  EXPECT_EQ(fmt::format("[{:>8}]", Untrusted("ab")), "[      ab]");
}

TEST(UntrustedLogTest, ThroughSpdlogTheLineStaysOneLine) {
  std::ostringstream out;
  auto logger = std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_st>(out));
  logger->set_pattern("%v");
  logger->set_level(spdlog::level::debug);
  logger->warn("audit: key '{}'", Untrusted(std::string("x\n<2>FORGED\r\0\xff", 14)));
  EXPECT_EQ(out.str(), "audit: key 'x\\x0A<2>FORGED\\x0D\\x00\\xFF'\n");
}

}  // namespace
}  // namespace sd
