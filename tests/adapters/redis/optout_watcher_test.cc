// The opt-outs in a real Redis, changed through the same script as the CLI and a recipient's
// STOP: a watcher reads the hash whole once (in pages), then follows the change log; a change
// it missed (the log trimmed past it, a version bumped without an entry, Redis restarted empty)
// makes it read the hash whole again, so its copy always ends equal to the hash.
#include "adapters/redis/optout_watcher.h"

#include <gtest/gtest.h>

#include "adapters/redis/lua_scripts.h"
#include "adapters/redis/optout_writes.h"
#include "tests/support/redis_server.h"
#include "tests/support/uv_test_loop.h"

namespace sd::redis {
namespace {

class OptOutWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start()) << server_.error();
    RedisEndpoint e;
    e.host = server_.host();
    e.port = server_.port();
    e.reconnect_initial_ms = 20;
    e.reconnect_max_ms = 100;
    watcher_ = std::make_unique<OptOutWatcher>(loop_.get(), e, "t:", 50);
    watcher_->SetOnChange([this](std::shared_ptr<const OptOutSet> s) {
      last_ = std::move(s);
      ++changes_;
    });
  }
  void TearDown() override {
    bool closed = false;
    watcher_->Close([&] { closed = true; });
    EXPECT_TRUE(loop_.RunUntil([&] { return closed; }));
  }
  // As `smsdispatch optouts` does it; returns the changes made.
  long long Change(const std::vector<OptOutChange>& changes) {
    std::vector<std::string> argv = {"EVAL", kOptOutsScript.body, "4"};
    OptOutKeys::For("t:", "t:audit").AppendTo(&argv);
    AppendOptOutBlock(changes, {"cli:test", "", 1000}, 0, &argv);
    auto r = server_.Command(argv);
    EXPECT_TRUE(r && r->type == REDIS_REPLY_INTEGER) << (r ? r->str : "no reply");
    return r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
  }
  bool Has(const std::string& scope, const std::string& number) {
    return last_ != nullptr && last_->Contains(*MakeOptOutKey(scope, number));
  }
  static std::string Number(int i) { return "+4477009" + std::to_string(10000 + i); }

  testing::RedisServer server_;
  testing::UvTestLoop loop_;
  std::unique_ptr<OptOutWatcher> watcher_;
  std::shared_ptr<const OptOutSet> last_;
  int changes_ = 0;
};

TEST_F(OptOutWatcherTest, ReadsTheHashWholeInPagesThenFollowsTheLog) {
  std::vector<OptOutChange> many;
  for (int i = 0; i < 12'000; ++i) many.push_back({true, "*", Number(i)});  // > one HSCAN page
  ASSERT_EQ(Change(many), 12'000);
  server_.Command({"HSET", "t:optouts", "garbage", "1|x|"});  // skipped, counted
  watcher_->Start();
  ASSERT_TRUE(loop_.RunUntil([&] { return watcher_->loaded(); }));
  EXPECT_EQ(last_->size(), 12'000u);
  EXPECT_TRUE(Has("*", Number(0)));
  EXPECT_TRUE(Has("*", Number(11'999)));
  EXPECT_EQ(watcher_->counters().full_loads, 1u);
  EXPECT_EQ(watcher_->counters().bad_records, 1u);
  // Changes arrive through the log, in order; the hash is not read again.
  EXPECT_EQ(Change({{true, "g:acme", "+4915112345678"}, {false, "*", Number(0)}}), 2);
  ASSERT_TRUE(loop_.RunUntil([&] { return Has("g:acme", "+4915112345678"); }));
  EXPECT_FALSE(Has("*", Number(0)));
  EXPECT_EQ(last_->size(), 12'000u);
  EXPECT_EQ(watcher_->counters().full_loads, 1u);
  EXPECT_EQ(watcher_->counters().changes, 2u);
  // A change that changes nothing is not logged: nothing to apply.
  EXPECT_EQ(Change({{true, "g:acme", "+4915112345678"}}), 0);
  // A remove then an add of the same number in one batch ends added.
  EXPECT_EQ(Change({{false, "g:acme", "+4915112345678"}, {true, "g:acme", "+4915112345678"}}), 2);
  ASSERT_TRUE(loop_.RunUntil([&] { return watcher_->counters().changes == 4; }));
  EXPECT_TRUE(Has("g:acme", "+4915112345678"));
  EXPECT_EQ(watcher_->counters().gaps, 0u);
}

TEST_F(OptOutWatcherTest, AMissedChangeMakesItReadEverythingAgain) {
  ASSERT_EQ(Change({{true, "*", Number(1)}}), 1);
  watcher_->Start();
  ASSERT_TRUE(loop_.RunUntil([&] { return watcher_->loaded(); }));
  // Behind the watcher's back: a change made without its log entry.
  server_.Command({"HSET", "t:optouts", "*|" + Number(2), "5|cli:x|"});
  server_.Command({"INCR", "t:optouts:version"});  // no log entry: the counter is ahead
  ASSERT_TRUE(loop_.RunUntil([&] { return Has("*", Number(2)); }));
  EXPECT_GE(watcher_->counters().gaps, 1u);
  EXPECT_EQ(watcher_->counters().full_loads, 2u);
  // The log trimmed past entries not yet read: a version that skips.
  ASSERT_EQ(Change({{true, "*", Number(3)}}), 1);
  ASSERT_TRUE(loop_.RunUntil([&] { return Has("*", Number(3)); }));
  const uint64_t gaps = watcher_->counters().gaps;
  server_.Command({"HSET", "t:optouts", "*|" + Number(4), "5|cli:x|"});
  server_.Command({"INCR", "t:optouts:version"});
  ASSERT_EQ(Change({{true, "*", Number(5)}}), 1);  // logged with a version one too far
  ASSERT_TRUE(loop_.RunUntil([&] { return Has("*", Number(4)) && Has("*", Number(5)); }));
  EXPECT_GT(watcher_->counters().gaps, gaps);
  // Redis restarts empty: the version is behind the copy, which is read again (empty).
  server_.Kill();
  ASSERT_TRUE(server_.Start()) << server_.error();
  ASSERT_TRUE(loop_.RunUntil([&] { return last_ != nullptr && last_->size() == 0; }));
}

}  // namespace
}  // namespace sd::redis
