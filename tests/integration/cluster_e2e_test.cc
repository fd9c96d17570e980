// The daemon on a real Redis Cluster ([redis] cluster, docs/redis.md "Running on Redis
// Cluster"): 3 masters with two replicas each, every key under one hash tag so that one shard
// carries the deployment. Mid-run the shard's slot is migrated to another master (MOVED, ASK
// and TRYAGAIN on the way), then that master is killed (kill -9) and its replica takes over.
// With wait_replicas = 1: every job ends with exactly one outcome and one receipt, nothing stays
// pending, and the SMSC sees at most the carrier window in duplicate submits.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <cstdio>
#include <map>
#include <thread>

#include "adapters/redis/cluster_slots.h"
#include "tests/integration/harness.h"
#include "tests/support/redis_cluster.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;

constexpr char kTag[] = "sd:{0}:";

std::string Tagged(const std::string& name) { return kTag + name; }

TEST(ClusterE2E, OneShardSurvivesAReshardAndAMasterKillLosingNothing) {
  RedisClusterOptions co;
  co.masters = 3;
  // Two replicas each: after a failover the promoted master still has one, which
  // wait_replicas = 1 needs (one replica per master would stop dispatch, as documented).
  co.replicas_per_master = 2;
  RedisCluster rc(co);
  ASSERT_TRUE(rc.Start()) << rc.error();
  const uint16_t slot = redis::KeySlot(Tagged("jobs"));
  size_t owner = rc.MasterOfSlot(slot);

  Cluster::Options o;
  o.submit_latency_ms = 2;
  o.window = 32;
  o.max_inflight = 128;
  o.redis_endpoint = rc.SeedsConfig();
  o.redis_extra = std::string(kTaggedRedisNames) + "wait_replicas = 1\nwait_timeout_ms = 200\n";
  o.extra_config = "[inbound]\nstream = \"sd:{0}:inbound\"\n";
  Cluster c(o);

  const long long n = 3000;
  std::string out;
  // The producer finds the shard's master itself (--redis-cluster), from every seed.
  const std::string seed_list = rc.SeedsArgument();
  const std::vector<std::string> enqueue{"enqueue",
                                         "--key-file",
                                         c.dir() + "/keys.toml",
                                         "--key-id",
                                         "test.v1",
                                         "--stream",
                                         Tagged("jobs"),
                                         "--count",
                                         std::to_string(n),
                                         "--to-prefix",
                                         "+4915100",
                                         "--from",
                                         "ACME",
                                         "--text",
                                         "t",
                                         "--wait-replicas",
                                         "1"};
  std::vector<std::string> args = enqueue;
  args.insert(args.begin() + 1, {"--redis-cluster", seed_list});
  ASSERT_EQ(c.Cli(args, &out), 0) << out;
  ASSERT_EQ(StreamLength(rc.node(owner), Tagged("jobs")), n);
  args = enqueue;
  args.insert(args.begin() + 1, {"--redis-cluster", seed_list, "--redis", "127.0.0.1:1"});
  EXPECT_EQ(c.Cli(args, &out), 2) << out;
  EXPECT_NE(out.find("exclude each other"), std::string::npos) << out;

  auto outcomes_on = [&](size_t node) { return StreamLength(rc.node(node), Tagged("outcomes")); };
  c.StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return outcomes_on(owner) >= 600; }, 60s)) << c.DaemonLog();

  // Reshard: the shard's slot, with every key in it, moves to another master while the daemon
  // writes.
  size_t to = owner;
  for (size_t m : rc.Masters()) {
    if (m != owner) to = m;
  }
  ASSERT_TRUE(rc.MigrateSlot(slot, to)) << rc.error();
  owner = to;
  const long long after_reshard = outcomes_on(owner);
  ASSERT_LT(after_reshard, n) << "the reshard must land mid-run";
  ASSERT_TRUE(WaitUntil([&] { return outcomes_on(owner) >= after_reshard + 600; }, 60s))
      << c.DaemonLog();

  // Failover: the new owner is killed; its replica takes over.
  const std::optional<size_t> promoted = rc.KillMasterAndWaitForFailover(owner, 30s);
  ASSERT_TRUE(promoted.has_value()) << rc.error();
  owner = *promoted;
  ASSERT_TRUE(WaitUntil(
      [&] {
        return outcomes_on(owner) >= n && StreamLength(rc.node(owner), Tagged("receipts")) >= n;
      },
      120s))
      << "outcomes " << outcomes_on(owner) << "\n"
      << c.DaemonLog();
  std::this_thread::sleep_for(1s);  // anything extra would show now
  c.StopDaemon();

  std::map<std::string, int> per_entry, receipts;
  for (const auto& e : StreamRead(rc.node(owner), Tagged("outcomes"))) ++per_entry[e.Get("entry")];
  for (const auto& e : StreamRead(rc.node(owner), Tagged("receipts"))) ++receipts[e.Get("entry")];
  long long jobs = 0;
  for (const auto& j : StreamRead(rc.node(owner), Tagged("jobs"))) {
    ++jobs;
    EXPECT_EQ(per_entry[j.id], 1) << "entry " << j.id;
    EXPECT_EQ(receipts[j.id], 1) << "entry " << j.id;
  }
  EXPECT_EQ(jobs, n);
  EXPECT_EQ(outcomes_on(owner), n);
  EXPECT_EQ(PendingCount(rc.node(owner), Tagged("jobs"), "smsdispatch"), 0);
  const long long duplicates = c.SimulatorStats()["submits"] - n;
  EXPECT_GE(duplicates, 0);
  EXPECT_LE(duplicates, o.window);
  std::printf("cluster: reshard after %lld outcomes, failover, %lld jobs: %lld duplicate submits\n",
              after_reshard, n, duplicates);
}

}  // namespace
}  // namespace sd::testing
