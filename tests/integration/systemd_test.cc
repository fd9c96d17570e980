// What systemd sees, on a real notification socket: READY=1 once Redis is connected, WATCHDOG=1
// keep-alives, STATUS= lines and STOPPING=1 on SIGTERM; and the shipped example config passes
// --check-config; and the unit's hardening as systemd-analyze rates it.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>

#include "tests/integration/harness.h"
#include "tests/support/temp_dir.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;

TEST(Systemd, NotifiesReadyAndStopping) {
  Cluster c(Cluster::Options{});
  const std::string path = c.dir() + "/notify.sock";
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  std::string received;
  auto drain = [&] {
    char buf[512];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof buf, 0)) > 0) received.append(buf, static_cast<size_t>(n)).push_back('|');
  };
  c.StartDaemon({{"NOTIFY_SOCKET", path}, {"WATCHDOG_USEC", "200000"}});
  EXPECT_TRUE(WaitUntil([&] { drain(); return received.find("READY=1") != std::string::npos; }, 10s))
      << received << c.DaemonLog();
  // Keep-alives at half the watchdog interval, and a status line with the stats.
  EXPECT_TRUE(WaitUntil([&] { drain(); return received.find("WATCHDOG=1") != std::string::npos; }, 10s)) << received;
  EXPECT_TRUE(WaitUntil([&] { drain(); return received.find("STATUS=submitted 0") != std::string::npos; }, 10s))
      << received;
  c.StopDaemon();
  drain();
  EXPECT_NE(received.find("STOPPING=1"), std::string::npos) << received;
  close(fd);
}

TEST(Systemd, ShippedExampleConfigIsValid) {
  Cluster c(Cluster::Options{});
  const std::string dir = c.dir() + "/etc";
  ASSERT_EQ(system(("mkdir -p '" + dir + "' && cp '" SD_SOURCE_DIR "/systemd/smsdispatchd.toml' '" SD_SOURCE_DIR
                    "/systemd/content-rules.toml' '" + dir + "/'").c_str()), 0);
  WriteFile(dir + "/redis.password", "x\n");
  WriteFile(dir + "/carrier-a.password", "pw\n");
  ASSERT_EQ(c.Cli({"keygen", "--id", "acme.v1", "--out", dir + "/keys.toml"}), 0);
  Process p({SD_DAEMON, "--config", dir + "/smsdispatchd.toml", "--check-config"}, dir + "/check.log");
  EXPECT_EQ(p.Wait(10s), 0) << ReadFile(dir + "/check.log");
}

}  // namespace
}  // namespace sd::testing

namespace sd::testing {
namespace {

// The unit's hardening, as systemd itself rates it (docs/operations.md, "systemd hardening"):
// exposure at most 1.2. Skipped where systemd-analyze is not installed.
TEST(Systemd, UnitExposureStaysAtOrBelowOnePointTwo) {
  if (access("/usr/bin/systemd-analyze", X_OK) != 0) GTEST_SKIP() << "no systemd-analyze";
  TempDir dir("sd-analyze");
  const std::string out = dir.File("analyze.out");
  Process p({"/usr/bin/systemd-analyze", "security", "--offline=yes",
             SD_SOURCE_DIR "/systemd/smsdispatchd.service"},
            out);
  ASSERT_EQ(p.Wait(60s), 0) << ReadFile(out);
  const std::string text = ReadFile(out);
  const std::string marker = "Overall exposure level for smsdispatchd.service: ";
  const size_t at = text.find(marker);
  ASSERT_NE(at, std::string::npos) << text;
  const double exposure = std::stod(text.substr(at + marker.size()));
  EXPECT_LE(exposure, 1.2) << text;
}

}  // namespace
}  // namespace sd::testing
