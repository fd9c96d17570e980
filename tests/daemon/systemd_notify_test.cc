// The sd_notify wrapper on a real notification socket: the exact messages, the watchdog
// interval from the environment, and nothing sent (and nothing failing) outside systemd.
#include "daemon/lib/systemd_notify.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace sd {
namespace {

// A bound AF_UNIX datagram socket standing in for systemd, named by NOTIFY_SOCKET while the
// object lives. sd_notify sends synchronously, so after a call the datagram is already queued.
class NotifySocket {
 public:
  explicit NotifySocket(bool announce = true) : path_(dir_.File("notify.sock")) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
    bound_ = fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    if (announce) setenv("NOTIFY_SOCKET", path_.c_str(), 1);
  }
  ~NotifySocket() {
    unsetenv("NOTIFY_SOCKET");
    if (fd_ >= 0) close(fd_);
  }
  bool bound() const { return bound_; }
  const std::string& path() const { return path_; }
  // Every datagram queued so far.
  std::vector<std::string> Received() {
    std::vector<std::string> out;
    char buf[4096];
    ssize_t n;
    while ((n = recv(fd_, buf, sizeof buf, 0)) > 0) out.emplace_back(buf, static_cast<size_t>(n));
    return out;
  }

 private:
  testing::TempDir dir_{"sd-notify-test"};
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
};

TEST(SystemdNotifyTest, SendsTheDocumentedMessages) {
  NotifySocket systemd;
  ASSERT_TRUE(systemd.bound());
  NotifyReady();
  NotifyStatus("consuming sd:jobs\nINJECTED=1");
  NotifyReloading();
  NotifyWatchdog();
  NotifyStopping();
  EXPECT_EQ(systemd.Received(),
            (std::vector<std::string>{"READY=1", "STATUS=consuming sd:jobs INJECTED=1",
                                      "RELOADING=1", "WATCHDOG=1", "STOPPING=1"}));
}

TEST(SystemdNotifyTest, NoOpOutsideSystemd) {
  // A listening socket that NOTIFY_SOCKET does not name: nothing may reach it, and the calls
  // simply return.
  NotifySocket bystander(/*announce=*/false);
  ASSERT_TRUE(bystander.bound());
  unsetenv("NOTIFY_SOCKET");
  NotifyReady();
  NotifyStatus("x");
  NotifyWatchdog();
  NotifyStopping();
  EXPECT_TRUE(bystander.Received().empty());
  // And once it is named, the same calls arrive (so the check above could fail).
  setenv("NOTIFY_SOCKET", bystander.path().c_str(), 1);
  NotifyReady();
  EXPECT_EQ(bystander.Received(), std::vector<std::string>{"READY=1"});
}

TEST(SystemdNotifyTest, WatchdogIntervalComesFromTheEnvironment) {
  unsetenv("WATCHDOG_USEC");
  unsetenv("WATCHDOG_PID");
  EXPECT_EQ(WatchdogIntervalUsec(), 0u);
  setenv("WATCHDOG_USEC", "20000000", 1);
  EXPECT_EQ(WatchdogIntervalUsec(), 20'000'000u);
  // Meant for another process (a parent that set it for itself): not ours to answer.
  setenv("WATCHDOG_PID", std::to_string(getpid() + 1).c_str(), 1);
  EXPECT_EQ(WatchdogIntervalUsec(), 0u);
  setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
  EXPECT_EQ(WatchdogIntervalUsec(), 20'000'000u);
  unsetenv("WATCHDOG_USEC");
  unsetenv("WATCHDOG_PID");
}

}  // namespace
}  // namespace sd
