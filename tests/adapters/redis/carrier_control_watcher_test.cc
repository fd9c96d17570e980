// The carrier control hash in a real Redis: a watcher reads it once connected, again whenever
// its version moves (and only then), skips bad records, and reads it afresh after Redis
// restarts, since it may have changed while the daemon was away.
#include "adapters/redis/carrier_control_watcher.h"

#include <gtest/gtest.h>

#include "tests/support/redis_server.h"
#include "tests/support/uv_test_loop.h"

namespace sd::redis {
namespace {

class CarrierControlWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start()) << server_.error();
    RedisEndpoint e;
    e.host = server_.host();
    e.port = server_.port();
    e.reconnect_initial_ms = 20;
    e.reconnect_max_ms = 100;
    watcher_ = std::make_unique<CarrierControlWatcher>(loop_.get(), e, "t:", 50);
    watcher_->SetOnControls([this](const CarrierControlWatcher::Controls& c) {
      last_ = c;
      ++reads_;
    });
  }
  void TearDown() override {
    bool closed = false;
    watcher_->Close([&] { closed = true; });
    EXPECT_TRUE(loop_.RunUntil([&] { return closed; }));
  }
  // As the CLI does it: the record and the version together.
  void Set(const std::string& carrier, const std::string& value) {
    server_.Command({"MULTI"});
    server_.Command({"HSET", "t:carriers:control", carrier, value});
    server_.Command({"INCR", "t:carriers:control:version"});
    server_.Command({"EXEC"});
  }

  testing::RedisServer server_;
  testing::UvTestLoop loop_;
  std::unique_ptr<CarrierControlWatcher> watcher_;
  CarrierControlWatcher::Controls last_;
  int reads_ = 0;
};

TEST_F(CarrierControlWatcherTest, ReadsOnConnectOnEveryVersionAndAfterARestart) {
  Set("acme", "paused|1000|alice|incident");
  watcher_->Start();
  ASSERT_TRUE(loop_.RunUntil([&] { return reads_ == 1; }));
  ASSERT_EQ(last_.size(), 1u);
  EXPECT_EQ(last_.at("acme").state, CarrierControl::kPaused);
  EXPECT_EQ(last_.at("acme").by, "alice");
  EXPECT_EQ(last_.at("acme").note, "incident");
  // Unchanged version: polled, not read again.
  loop_.RunUntil([] { return false; }, std::chrono::milliseconds(300));
  EXPECT_EQ(reads_, 1);
  // A bad record is skipped and counted; the good one still counts.
  Set("broken", "stopped|x|y|z");
  Set("beta", "draining|2000|bob|");
  ASSERT_TRUE(loop_.RunUntil([&] { return last_.count("beta") == 1; }));
  EXPECT_EQ(last_.count("broken"), 0u);
  EXPECT_EQ(last_.at("beta").state, CarrierControl::kDraining);
  EXPECT_GE(watcher_->counters().bad_records, 1u);
  // Redis restarts (its data gone, the version back to nothing): the watcher reads afresh.
  server_.Kill();
  ASSERT_TRUE(server_.Start()) << server_.error();
  const int before = reads_;
  ASSERT_TRUE(loop_.RunUntil([&] { return reads_ > before; }));
  EXPECT_TRUE(last_.empty()) << "nothing asked any more: every carrier is active";
}

}  // namespace
}  // namespace sd::redis
