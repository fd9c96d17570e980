// The cluster fixture itself (tests/support/redis_cluster.h), checked with plain commands on each
// node, so that a ClusterClient test failing points at the client, not at the cluster it ran on.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <string>

#include "tests/support/redis_cluster.h"

namespace sd::testing {
namespace {

uint16_t SlotOf(RedisServer& node, const std::string& key) {
  return static_cast<uint16_t>(node.Command({"CLUSTER", "KEYSLOT", key})->integer);
}

std::string Error(const ReplyPtr& r) {
  return r && r->type == REDIS_REPLY_ERROR ? std::string(r->str, r->len) : std::string();
}

TEST(RedisClusterFixture, StartsMigratesAndFailsOver) {
  RedisCluster cluster;
  ASSERT_TRUE(cluster.Start()) << cluster.error();
  ASSERT_EQ(cluster.size(), 6u);
  ASSERT_EQ(cluster.Masters().size(), 3u);

  const std::string key = "{fixture}k";
  const uint16_t slot = SlotOf(cluster.node(0), key);
  const size_t owner = cluster.MasterOfSlot(slot);
  ASSERT_LT(owner, cluster.size());
  ASSERT_EQ(cluster.node(owner).Command({"SET", key, "v"})->type, REDIS_REPLY_STATUS);
  const size_t other = cluster.Masters()[0] == owner ? cluster.Masters()[1] : cluster.Masters()[0];
  EXPECT_EQ(Error(cluster.node(other).Command({"GET", key})).rfind("MOVED ", 0), 0u);

  // Half a migration: the moved key is asked for elsewhere, the one left is still served.
  const std::string stays = "{fixture}stays";
  ASSERT_EQ(cluster.node(owner).Command({"SET", stays, "s"})->type, REDIS_REPLY_STATUS);
  ASSERT_TRUE(cluster.BeginMigration(slot, other, {key})) << cluster.error();
  EXPECT_EQ(Error(cluster.node(owner).Command({"GET", key})).rfind("ASK ", 0), 0u);
  EXPECT_EQ(std::string(cluster.node(owner).Command({"GET", stays})->str), "s");
  ASSERT_TRUE(cluster.FinishMigration(slot, other)) << cluster.error();
  EXPECT_EQ(cluster.MasterOfSlot(slot), other);
  EXPECT_EQ(std::string(cluster.node(other).Command({"GET", stays})->str), "s");
  EXPECT_EQ(Error(cluster.node(owner).Command({"GET", key})).rfind("MOVED ", 0), 0u);

  // The new owner dies: its replica takes over with what was replicated.
  ASSERT_EQ(cluster.node(other).Command({"WAIT", "1", "2000"})->integer, 1);
  const std::optional<size_t> promoted =
      cluster.KillMasterAndWaitForFailover(other, std::chrono::seconds(30));
  ASSERT_TRUE(promoted.has_value()) << cluster.error();
  EXPECT_EQ(cluster.MasterOfSlot(slot), *promoted);
  EXPECT_EQ(std::string(cluster.node(*promoted).Command({"GET", key})->str), "v");
}

}  // namespace
}  // namespace sd::testing
