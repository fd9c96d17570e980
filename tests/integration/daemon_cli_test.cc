// smsdispatchd's command line (CLI11): usage errors exit 2 naming the option, --help and
// --version exit 0, a configuration that cannot load exits 78 (EX_CONFIG, which the systemd
// unit's RestartPreventExitStatus names) with file and problem.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/integration/harness.h"
#include "tests/support/temp_dir.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;

struct Ran {
  int status;
  std::string output;
};

Ran RunDaemon(const TempDir& dir, std::vector<std::string> args) {
  args.insert(args.begin(), SD_DAEMON);
  const std::string log = dir.File("out.log");
  WriteFile(log, "");
  Process p(args, log);
  const int status = p.Wait(20s);
  return {status, ReadFile(log)};
}

TEST(DaemonCommandLine, UsageErrorsExitTwoAndNameTheOption) {
  TempDir dir("sd-daemon-cli");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{}, "--config is required"},
      {{"--config"}, "--config"},
      {{"--check-config"}, "--config is required"},
      {{"--config", "a.toml", "--frobnicate"}, "--frobnicate"},
      {{"--config", "a.toml", "--config", "b.toml"}, "--config"},
  };
  for (const auto& [args, says] : cases) {
    const Ran ran = RunDaemon(dir, args);
    EXPECT_EQ(ran.status, 2) << ran.output;
    EXPECT_NE(ran.output.find(says), std::string::npos) << ran.output;
  }
}

TEST(DaemonCommandLine, HelpAndVersionExitZero) {
  TempDir dir("sd-daemon-cli");
  const Ran help = RunDaemon(dir, {"--help"});
  EXPECT_EQ(help.status, 0);
  for (const char* opt : {"--config", "--check-config", "--version"}) {
    EXPECT_NE(help.output.find(opt), std::string::npos) << help.output;
  }
  const Ran version = RunDaemon(dir, {"--version"});
  EXPECT_EQ(version.status, 0);
  EXPECT_NE(version.output.find("smsdispatchd 0.1.0"), std::string::npos) << version.output;
}

TEST(DaemonCommandLine, AConfigThatCannotLoadExitsWithExConfigNamingTheFile) {
  TempDir dir("sd-daemon-cli");
  const Ran missing = RunDaemon(dir, {"--config", dir.File("none.toml")});
  EXPECT_EQ(missing.status, 78) << missing.output;
  EXPECT_NE(missing.output.find(dir.File("none.toml") + ": cannot open"), std::string::npos)
      << missing.output;
  WriteFile(dir.File("bad.toml"), "[daemon]\nmax_inflight = = 3\n");
  const Ran bad = RunDaemon(dir, {"--config", dir.File("bad.toml"), "--check-config"});
  EXPECT_EQ(bad.status, 78) << bad.output;
  EXPECT_NE(bad.output.find(dir.File("bad.toml") + ":2:"), std::string::npos) << bad.output;
}

}  // namespace
}  // namespace sd::testing
