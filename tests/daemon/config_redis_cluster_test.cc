// [redis] cluster (docs/redis.md, "Running on Redis Cluster"): the seeds, and every key and
// stream name in one slot, or a problem naming the file, line and name.
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "adapters/redis/cluster_slots.h"
#include "daemon/lib/adapter_options.h"
#include "daemon/lib/config.h"
#include "tests/daemon/config_file_fixture.h"

namespace sd {
namespace {

constexpr char kTagged[] =
    "key_prefix = \"sd:{0}:\"\njobs_stream = \"sd:{0}:jobs\"\noutcomes_stream = "
    "\"sd:{0}:outcomes\"\nreceipts_stream = \"sd:{0}:receipts\"\ndead_letter_stream = "
    "\"sd:{0}:dead\"\nquarantine_stream = \"sd:{0}:receipts:unmatched\"\naudit_stream = "
    "\"sd:{0}:audit\"\ndelayed_set = \"sd:{0}:delayed\"\n";

class RedisClusterConfigTest : public ::sd::testing::ConfigFileTest {
 protected:
  RedisClusterConfigTest() : ConfigFileTest("sd-redis-cluster-config") {}
  void ExpectProblem(const std::string& rest, int line, const std::string& what) {
    const std::string e = ErrorOf(rest);
    EXPECT_NE(e.find(dir_.File("c.toml") + ":" + std::to_string(line) + ":"), std::string::npos)
        << "line " << line << ": " << e;
    EXPECT_NE(e.find(what), std::string::npos) << e;
  }
};

TEST_F(RedisClusterConfigTest, SeedsAndOneSlotForEveryName) {
  auto r = Load(std::string("[redis]\ncluster = [\"127.0.0.1:7000\", \"10.0.0.2:7001\"]\n") +
                kTagged + "[inbound]\nstream = \"sd:{0}:inbound\"\n");
  ASSERT_TRUE(std::holds_alternative<Config>(r)) << std::get<ConfigError>(r).ToString();
  const Config& c = std::get<Config>(r);
  ASSERT_EQ(c.redis.cluster.size(), 2u);
  EXPECT_EQ(c.redis.cluster[1], (std::pair<std::string, int>{"10.0.0.2", 7001}));
  EXPECT_EQ(c.redis.cluster_slot, redis::KeySlot("{0}"));
  const redis::RedisStoreOptions o = StoreOptionsFrom(c);
  EXPECT_EQ(o.endpoint.cluster_seeds, c.redis.cluster);
  EXPECT_EQ(o.endpoint.cluster_slot, c.redis.cluster_slot);
  // Without it, nothing changes.
  auto single = Load("");
  ASSERT_TRUE(std::holds_alternative<Config>(single));
  EXPECT_TRUE(std::get<Config>(single).redis.cluster.empty());
  EXPECT_EQ(std::get<Config>(single).redis.cluster_slot, -1);
}

TEST_F(RedisClusterConfigTest, ProblemsNameTheirLine) {
  ExpectProblem("[redis]\ncluster = [\"nohost\"]\n" + std::string(kTagged), 10,
                "'nohost' is not host:port");
  ExpectProblem("[redis]\ncluster = [\"h:99999\"]\n" + std::string(kTagged), 10, "host:port");
  ExpectProblem("[redis]\ncluster = []\n" + std::string(kTagged), 10, "at least one");
  ExpectProblem("[redis]\nport = 6379\ncluster = [\"h:1\"]\n" + std::string(kTagged), 10,
                "redis.port does not go with redis.cluster");
  // No tag in the prefix: its keys would scatter over the slots.
  ExpectProblem("[redis]\ncluster = [\"h:1\"]\n", 9, "has no hash tag");
  // One stream left untagged: named at its own line.
  ExpectProblem("[redis]\ncluster = [\"h:1\"]\n" + std::string(kTagged) +
                    "\n[inbound]\nenabled = true\nstream = \"sd:inbound\"\n",
                22, "inbound.stream 'sd:inbound' is not in the slot");
}

TEST_F(RedisClusterConfigTest, ShardsNeedTheZeroTagInEveryShardName) {
  auto r = Load(std::string("[redis]\nshards = 3\n") + kTagged);
  ASSERT_TRUE(std::holds_alternative<Config>(r)) << std::get<ConfigError>(r).ToString();
  EXPECT_EQ(std::get<Config>(r).redis.shards, 3);
  EXPECT_EQ(std::get<Config>(Load("")).redis.shards, 1);
  // The defaults have no tag: the prefix is refused at the section (it has no line), a
  // stream at its own.
  ExpectProblem("[redis]\nshards = 2\n", 9, "redis.key_prefix 'sd:' has no \"{0}\" hash tag");
  ExpectProblem("[redis]\nshards = 2\nkey_prefix = \"sd:{0}:\"\njobs_stream = \"sd:jobs\"\n", 12,
                "redis.jobs_stream 'sd:jobs' has no \"{0}\" hash tag");
  // The tag must be the name's first: "{x}{0}" hashes by x.
  std::string tagged = kTagged;
  tagged.replace(tagged.find("\"sd:{0}:audit\""), 14, "\"{x}{0}\"");
  ExpectProblem("[redis]\nshards = 2\n" + tagged, 17, "audit_stream '{x}{0}'");
  ExpectProblem("[redis]\nshards = 65\n" + std::string(kTagged), 10, "shards");
  // A subset to read: distinct shard numbers below shards.
  auto subset = Load("[redis]\nshards = 3\nread_shards = [2, 0]\n" + std::string(kTagged));
  ASSERT_TRUE(std::holds_alternative<Config>(subset)) << std::get<ConfigError>(subset).ToString();
  EXPECT_EQ(std::get<Config>(subset).redis.read_shards, (std::vector<uint32_t>{2, 0}));
  ExpectProblem("[redis]\nshards = 3\nread_shards = [3]\n" + std::string(kTagged), 11,
                "from 0 to redis.shards - 1 (2)");
  ExpectProblem("[redis]\nshards = 3\nread_shards = [1, 1]\n" + std::string(kTagged), 11,
                "names shard 1 twice");
  ExpectProblem("[redis]\nshards = 3\nread_shards = []\n" + std::string(kTagged), 11,
                "non-empty array");
}

}  // namespace
}  // namespace sd
