// The Redis side end to end: Unix socket + ACL user, Redis killed and restarted mid-run,
// entries of a dead consumer reclaimed, poison entries dead-lettered.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "tests/integration/harness.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;

void Redis(Cluster& c, const char* fmt, const std::string& a = "", const std::string& b = "") {
  auto* r = static_cast<redisReply*>(redisCommand(c.redis(), fmt, a.c_str(), b.c_str()));
  ASSERT_NE(r, nullptr);
  EXPECT_NE(r->type, REDIS_REPLY_ERROR) << r->str;
  freeReplyObject(r);
}

TEST(RedisRecovery, UnixSocketWithLeastPrivilegeAclUser) {
  Cluster::Options o;
  o.unix_socket = true;
  o.acl_user = true;
  Cluster c(o);
  ASSERT_EQ(c.Enqueue({"--count", "100", "--to-prefix", "+4915100", "--from", "ACME", "--text", "t"}), 0);
  c.StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:receipts") >= 100; }, 60s)) << c.DaemonLog();
  c.StopDaemon();
  EXPECT_EQ(c.StreamLength("sd:outcomes"), 100);
  EXPECT_EQ(c.PendingCount(), 0);
  EXPECT_EQ(c.DaemonLog().find("[error]"), std::string::npos) << "the documented ACL must be enough";
}

TEST(RedisRecovery, WrongRedisPasswordIsReportedAndNothingIsProcessed) {
  Cluster::Options o;
  o.acl_user = true;
  Cluster c(o);
  WriteFile(c.dir() + "/redis.password", "not-the-password\n");
  ASSERT_EQ(c.Enqueue({"--to", "+4915112345678", "--from", "ACME", "--text", "t"}), 0);
  c.StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return c.DaemonLog().find("AUTH failed") != std::string::npos; }, 20s))
      << c.DaemonLog();
  EXPECT_EQ(c.DaemonLog().find("not-the-password"), std::string::npos) << "password leaked to the log";
  c.StopDaemon();
  EXPECT_EQ(c.StreamLength("sd:outcomes"), 0);
}

TEST(RedisRecovery, RedisKilledAndRestartedMidRunLosesNoJob) {
  Cluster::Options o;
  o.appendonly = true;  // Redis' own durability; the daemon must cope with its absence
  o.submit_latency_ms = 2;
  Cluster c(o);
  const long long n = 1500;
  ASSERT_EQ(c.Enqueue({"--count", std::to_string(n), "--to-prefix", "+4915100", "--from", "ACME", "--text", "t"}), 0);
  c.StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:outcomes") >= 200; }, 60s)) << c.DaemonLog();
  c.KillRedis();
  std::this_thread::sleep_for(500ms);  // the daemon keeps running without Redis
  ASSERT_TRUE(c.daemon()->running()) << c.DaemonLog();
  c.StartRedis();
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:outcomes") >= n; }, 90s)) << c.DaemonLog();
  c.StopDaemon();
  // Every entry has exactly one outcome and is acknowledged.
  std::map<std::string, int> per_entry;
  for (const auto& out : c.ReadStream("sd:outcomes")) ++per_entry[out.at("entry")];
  const auto jobs = c.ReadStream("sd:jobs");
  ASSERT_EQ(static_cast<long long>(jobs.size()), n);
  for (const auto& j : jobs) EXPECT_EQ(per_entry[j.at("_id")], 1) << j.at("_id");
  EXPECT_EQ(c.PendingCount(), 0);
}

TEST(RedisRecovery, EntriesOfADeadConsumerAreReclaimed) {
  Cluster::Options o;
  o.claim_idle_ms = 200;
  Cluster c(o);
  ASSERT_EQ(c.Enqueue({"--count", "5", "--to-prefix", "+4915100", "--from", "ACME", "--text", "t"}), 0);
  // Another consumer reads them and dies without an outcome.
  Redis(c, "XGROUP CREATE sd:jobs smsdispatch 0 MKSTREAM");
  Redis(c, "XREADGROUP GROUP smsdispatch crashed-host COUNT 10 STREAMS sd:jobs >");
  std::this_thread::sleep_for(300ms);
  c.StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:outcomes") >= 5; }, 30s)) << c.DaemonLog();
  c.StopDaemon();
  for (const auto& out : c.ReadStream("sd:outcomes")) EXPECT_EQ(out.at("status"), "submitted");
  EXPECT_EQ(c.PendingCount(), 0);
}

TEST(RedisRecovery, PoisonEntryIsDeadLetteredWithAnOutcome) {
  Cluster::Options o;
  o.claim_idle_ms = 200;
  o.max_deliveries = 3;
  Cluster c(o);
  ASSERT_EQ(c.Enqueue({"--to", "+4915112345678", "--from", "ACME", "--text", "poison"}), 0);
  Redis(c, "XGROUP CREATE sd:jobs smsdispatch 0 MKSTREAM");
  Redis(c, "XREADGROUP GROUP smsdispatch crashed-host COUNT 10 STREAMS sd:jobs >");
  const std::string id = c.ReadStream("sd:jobs").at(0).at("_id");
  // Delivered (and crashed on) again and again: each XCLAIM bumps the delivery count.
  for (int i = 0; i < 4; ++i) Redis(c, "XCLAIM sd:jobs smsdispatch crashed-host 0 %s", id);
  std::this_thread::sleep_for(300ms);
  c.StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:outcomes") >= 1; }, 30s)) << c.DaemonLog();
  c.StopDaemon();
  const auto outcomes = c.ReadStream("sd:outcomes");
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].at("entry"), id);
  EXPECT_EQ(outcomes[0].at("reason"), "dead_letter");
  const auto dead = c.ReadStream("sd:dead");
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].at("entry"), id);
  EXPECT_FALSE(dead[0].at("job").empty()) << "the original fields are kept for inspection";
  EXPECT_EQ(c.SimulatorStats()["submits"], 0);
  EXPECT_EQ(c.PendingCount(), 0);
}

}  // namespace
}  // namespace sd::testing
