// A fleet on a sharded Redis Cluster ([redis] shards, docs/redis.md "Shards"): 3 masters with
// two replicas each, the 3 shards on 3 different masters, 3 daemons each reading every shard,
// 30,000 jobs the CLI spread over the shards by the producers' rule. Mid-run one shard's master
// is killed (kill -9) and its replica takes over. With wait_replicas = 1 every job ends with
// exactly one outcome and one receipt on its own shard (receipts find it through the pointer
// records whichever daemon's bind they arrive on), nothing stays pending or quarantined, and
// the SMSC sees at most the daemons' carrier windows in duplicate submits. Then an operator's
// pumping block (kept under shard 0's tag) refuses the next jobs on every shard.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <thread>

#include "adapters/redis/cluster_slots.h"
#include "core/shard_rule.h"
#include "tests/integration/harness.h"
#include "tests/support/redis_cluster.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;

constexpr uint32_t kShards = 3;

std::string Name(uint32_t shard, const std::string& what) {
  return ShardName("sd:{0}:" + what, shard);
}

class ShardedFleet {
 public:
  explicit ShardedFleet(RedisCluster& rc) : rc_(rc) {}
  // Moves shards sharing a master to masters holding none, so each has its own.
  ::testing::AssertionResult SpreadShards() {
    std::map<size_t, int> load;
    for (uint32_t s = 0; s < kShards; ++s) ++load[Owner(s)];
    for (uint32_t s = 0; s < kShards; ++s) {
      if (load[Owner(s)] < 2) continue;
      for (size_t m : rc_.Masters()) {
        if (load[m] != 0) continue;
        --load[Owner(s)];
        if (!rc_.MigrateSlot(Slot(s), m)) return ::testing::AssertionFailure() << rc_.error();
        ++load[m];
        break;
      }
    }
    for (uint32_t s = 0; s < kShards; ++s) {
      if (load[Owner(s)] != 1) return ::testing::AssertionFailure() << "shards share a master";
    }
    return ::testing::AssertionSuccess();
  }
  static uint16_t Slot(uint32_t s) { return redis::KeySlot(Name(s, "jobs")); }
  size_t Owner(uint32_t s) { return rc_.MasterOfSlot(Slot(s)); }
  long long Length(uint32_t s, const std::string& what) {
    return StreamLength(rc_.node(Owner(s)), Name(s, what));
  }
  long long Total(const std::string& what) {
    long long n = 0;
    for (uint32_t s = 0; s < kShards; ++s) n += Length(s, what);
    return n;
  }

 private:
  RedisCluster& rc_;
};

TEST(ShardedClusterE2E, ThreeDaemonsThreeShardsAMasterKilledEveryJobOneOutcomeAndOneReceipt) {
  RedisClusterOptions co;
  co.masters = 3;
  co.replicas_per_master = 2;  // the promoted master still has one for wait_replicas = 1
  RedisCluster rc(co);
  ASSERT_TRUE(rc.Start()) << rc.error();
  ShardedFleet fleet(rc);
  ASSERT_TRUE(fleet.SpreadShards());
  const std::string seed_list = rc.SeedsArgument();

  Cluster::Options o;
  o.submit_latency_ms = 2;
  o.window = 32;
  o.max_inflight = 192;
  o.redis_endpoint = rc.SeedsConfig();
  o.redis_extra =
      std::string(kTaggedRedisNames) + "shards = 3\nwait_replicas = 1\nwait_timeout_ms = 200\n";
  o.extra_config = "[inbound]\nstream = \"sd:{0}:inbound\"\n";
  Cluster c(o);

  const long long n = 30'000;
  std::string out;
  ASSERT_EQ(c.Cli({"enqueue",
                   "--redis-cluster",
                   seed_list,
                   "--shards",
                   "3",
                   "--key-file",
                   c.dir() + "/keys.toml",
                   "--key-id",
                   "test.v1",
                   "--stream",
                   "sd:{0}:jobs",
                   "--count",
                   std::to_string(n),
                   "--to-prefix",
                   "+4915100",
                   "--from",
                   "ACME",
                   "--text",
                   "t",
                   "--wait-replicas",
                   "1"},
                  &out),
            0)
      << out;
  for (uint32_t s = 0; s < kShards; ++s) {
    EXPECT_NEAR(fleet.Length(s, "jobs"), n / kShards, n / 30) << "shard " << s;
  }
  ASSERT_EQ(fleet.Total("jobs"), n);

  const auto start = std::chrono::steady_clock::now();
  c.StartDaemon();
  auto b = c.StartPeerDaemon("b");
  auto d = c.StartPeerDaemon("c");
  ASSERT_TRUE(WaitUntil([&] { return fleet.Total("outcomes") >= n / 3; }, 120s)) << c.DaemonLog();

  // Failover: shard 1's master is killed; its replica takes over.
  ASSERT_TRUE(rc.KillMasterAndWaitForFailover(fleet.Owner(1), 30s).has_value()) << rc.error();
  const long long at_kill = fleet.Total("outcomes");
  ASSERT_LT(at_kill, n) << "the kill must land mid-run";
  ASSERT_TRUE(
      WaitUntil([&] { return fleet.Total("outcomes") >= n && fleet.Total("receipts") >= n; }, 300s))
      << "outcomes " << fleet.Total("outcomes") << " receipts " << fleet.Total("receipts") << "\n"
      << c.DaemonLog();
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // What travels through shard 0's keys reaches every daemon, whichever shard a job is on: an
  // operator's pumping block refuses the next jobs of every shard.
  ASSERT_EQ(c.Cli({"blocks", "add", "--redis-cluster", seed_list, "--key-prefix",
                   "sd:{0}:", "--prefix", "+4915200", "--duration", "10m"},
                  &out),
            0)
      << out;
  for (const std::string log : {"daemon.log", "daemon-b.log", "daemon-c.log"}) {
    ASSERT_TRUE(WaitUntil(
        [&] {
          return ReadFile(c.dir() + "/" + log).find("1 pumping block(s) in force") !=
                 std::string::npos;
        },
        10s))
        << log;
  }
  const long long blocked = 300;
  ASSERT_EQ(
      c.Cli({"enqueue", "--redis-cluster", seed_list, "--shards", "3", "--key-file",
             c.dir() + "/keys.toml", "--key-id", "test.v1", "--stream", "sd:{0}:jobs", "--count",
             std::to_string(blocked), "--to-prefix", "+4915200", "--from", "ACME", "--text", "t"},
            &out),
      0)
      << out;
  ASSERT_TRUE(WaitUntil([&] { return fleet.Total("outcomes") >= n + blocked; }, 60s));
  std::this_thread::sleep_for(1s);  // anything extra would show now
  for (auto* p : {b.get(), d.get()}) {
    p->Signal(SIGTERM);
    EXPECT_EQ(p->Wait(30s), 0);
  }
  c.StopDaemon();

  long long pumping = 0;
  for (uint32_t s = 0; s < kShards; ++s) {
    RedisServer& node = rc.node(fleet.Owner(s));
    std::map<std::string, int> per_entry, receipts;
    std::map<std::string, std::string> reason;
    long long shard_pumping = 0;
    for (const auto& e : StreamRead(node, Name(s, "outcomes"))) {
      ++per_entry[e.Get("entry")];
      reason[e.Get("entry")] = e.Get("reason");
      shard_pumping += e.Get("reason") == "pumping_suspected" ? 1 : 0;
    }
    for (const auto& e : StreamRead(node, Name(s, "receipts"))) ++receipts[e.Get("entry")];
    long long jobs = 0;
    for (const auto& j : StreamRead(node, Name(s, "jobs"))) {
      ++jobs;
      EXPECT_EQ(per_entry[j.id], 1) << "shard " << s << " entry " << j.id;
      // A refused job has no receipt; every submitted one has exactly one.
      const int want = reason[j.id].empty() ? 1 : 0;
      EXPECT_EQ(receipts[j.id], want) << "shard " << s << " entry " << j.id;
    }
    EXPECT_GT(shard_pumping, 0) << "shard " << s;
    pumping += shard_pumping;
    EXPECT_EQ(fleet.Length(s, "outcomes"), jobs) << "shard " << s;
    EXPECT_EQ(fleet.Length(s, "receipts:unmatched"), 0) << "shard " << s;
    EXPECT_EQ(PendingCount(node, Name(s, "jobs"), "smsdispatch"), 0) << "shard " << s;
  }
  EXPECT_EQ(pumping, blocked);
  // Each daemon can hold a carrier window of the killed shard's jobs whose outcome was lost.
  const long long duplicates = c.SimulatorStats()["submits"] - n;
  EXPECT_GE(duplicates, 0);
  EXPECT_LE(duplicates, 3 * o.window);
  std::printf(
      "sharded cluster: 3 daemons, %lld jobs over 3 shards in %.1f s (%.0f jobs/s), "
      "failover after %lld outcomes: %lld duplicate submits\n",
      n, secs, n / secs, at_kill, duplicates);
}

}  // namespace
}  // namespace sd::testing
