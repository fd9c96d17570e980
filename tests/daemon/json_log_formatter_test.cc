#include "daemon/lib/json_log_formatter.h"

#include <gtest/gtest.h>
#include <spdlog/details/log_msg.h>

#include <nlohmann/json.hpp>

namespace sd {
namespace {

TEST(JsonLog, EscapesQuotesControlsAndBytesThatAreNotUtf8) {
  EXPECT_EQ(JsonEscape("a\"b\\c"), "a\\\"b\\\\c");
  EXPECT_EQ(JsonEscape(std::string("\n\x01\x7f", 3)), "\\u000a\\u0001\\u007f");
  EXPECT_EQ(JsonEscape("Grüße €"), "Grüße €") << "valid UTF-8 passes";
  EXPECT_EQ(JsonEscape("\xff\xc0\xaf\xed\xa0\x80x"), "\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffdx")
      << "invalid bytes, overlong forms and surrogates are replaced byte by byte";
}

TEST(JsonLog, EveryLineIsOneObjectThatParses) {
  JsonLogFormatter f;
  const std::string payload = std::string("entry \"x\" \\ \n<2>FORGED ") + "\xff";
  spdlog::details::log_msg msg("smsdispatchd", spdlog::level::warn, payload);
  spdlog::memory_buf_t out;
  f.format(msg, out);
  const std::string line(out.data(), out.size());
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line";
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["level"], "warning");
  EXPECT_EQ(j["logger"], "smsdispatchd");
  EXPECT_EQ(j["msg"], "entry \"x\" \\ \n<2>FORGED \xef\xbf\xbd");
  EXPECT_EQ(j["ts"].get<std::string>().size(), 24u) << j["ts"];
  EXPECT_NE(f.clone(), nullptr);
}

}  // namespace
}  // namespace sd
