#pragma once
// Config tests that write a small file (lines 1-8: [keys] registry = "redis" and one SMPP
// carrier, so what a test adds starts at line 9) and check what LoadConfig says, problems as
// "file:line:column: what".
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "daemon/lib/config.h"
#include "tests/support/temp_dir.h"

namespace sd::testing {

class ConfigFileTest : public ::testing::Test {
 protected:
  explicit ConfigFileTest(const std::string& dir_name) : dir_(dir_name) {
    EXPECT_TRUE(WriteTextFile(dir_.File("smpp.pw"), "pw\n", 0600));
  }

  std::variant<Config, ConfigError> Load(const std::string& rest) {
    const std::string path = dir_.File("c.toml");
    EXPECT_TRUE(WriteTextFile(
        path,
        "[keys]\nregistry = \"redis\"\n[[carrier]]\nname = \"sim\"\nhost = \"127.0.0.1\"\nport = "
        "2775\nsystem_id = \"sim\"\npassword_file = \"smpp.pw\"\n" +
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

  TempDir dir_;
};

}  // namespace sd::testing
