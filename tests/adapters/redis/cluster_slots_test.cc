// KeySlot, SlotMap and ParseClusterError: against the cluster specification's vectors, against a
// real cluster-enabled redis-server (CLUSTER KEYSLOT, CLUSTER SHARDS), and against replies built
// by hiredis's own reader from hand-written RESP, malformed ones included.
#include "adapters/redis/cluster_slots.h"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <memory>
#include <random>
#include <string>

#include "tests/support/redis_server.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace sd::redis {
namespace {

// A reply parsed by hiredis's reader from RESP text.
testing::ReplyPtr Parse(const std::string& resp) {
  redisReader* reader = redisReaderCreate();
  redisReaderFeed(reader, resp.data(), resp.size());
  void* reply = nullptr;
  const int status = redisReaderGetReply(reader, &reply);
  redisReaderFree(reader);
  EXPECT_EQ(status, REDIS_OK);
  EXPECT_NE(reply, nullptr) << "incomplete RESP";
  return testing::ReplyPtr(static_cast<redisReply*>(reply));
}

std::string Bulk(const std::string& s) {
  return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
}
std::string Int(long long v) { return ":" + std::to_string(v) + "\r\n"; }
std::string Arr(size_t n) { return "*" + std::to_string(n) + "\r\n"; }

std::string Node(const std::string& id, int port, const std::string& role,
                 const std::string& endpoint = "127.0.0.1", const std::string& health = "online") {
  return Arr(14) + Bulk("id") + Bulk(id) + Bulk("port") + Int(port) + Bulk("ip") +
         Bulk("127.0.0.1") + Bulk("endpoint") + Bulk(endpoint) + Bulk("role") + Bulk(role) +
         Bulk("replication-offset") + Int(42) + Bulk("health") + Bulk(health);
}

std::string Shard(const std::vector<long long>& slots, const std::vector<std::string>& nodes) {
  std::string s = Arr(4) + Bulk("slots") + Arr(slots.size());
  for (long long v : slots) s += Int(v);
  s += Bulk("nodes") + Arr(nodes.size());
  for (const std::string& n : nodes) s += n;
  return s;
}

TEST(KeySlot, MatchesTheSpecificationsVectors) {
  EXPECT_EQ(KeySlot("123456789"), 0x31C3 % 16384);  // CRC16/XMODEM check value
  EXPECT_EQ(KeySlot("123456789"), 12739);
  EXPECT_EQ(KeySlot("foo"), 12182);
  EXPECT_EQ(KeySlot("bar"), 5061);
  EXPECT_EQ(KeySlot("{user1000}.following"), KeySlot("user1000"));
  EXPECT_EQ(KeySlot("{user1000}.followers"), KeySlot("user1000"));
  EXPECT_EQ(KeySlot("foo{}{bar}"), KeySlot("foo{}{bar}"));
  EXPECT_NE(KeySlot("foo{}{bar}"), KeySlot("bar"));  // an empty first tag: the whole key
  EXPECT_EQ(KeySlot("foo{{bar}}zap"), KeySlot("{bar"));
  EXPECT_EQ(KeySlot("foo{bar}{zap}"), KeySlot("bar"));
  EXPECT_EQ(KeySlot(""), 0);
}

class ClusterNodeServer : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::RedisServerOptions o;
    // The bus port is named: the default (port + 10000) does not exist above port 55535.
    o.extra_args = {"--cluster-enabled",     "yes",
                    "--cluster-config-file", config_.File("nodes.conf"),
                    "--cluster-port",        std::to_string(testing::PickFreeLoopbackPort())};
    server_ = std::make_unique<testing::RedisServer>(o);
    ASSERT_TRUE(server_->Start()) << server_->error();
  }
  testing::TempDir config_{"sd-cluster-node"};
  std::unique_ptr<testing::RedisServer> server_;
};

TEST_F(ClusterNodeServer, KeySlotAgreesWithRedisOnRandomBinaryKeys) {
  std::mt19937_64 rng(7);
  const std::string alphabet = "{}ab\0\xff:x";
  for (int i = 0; i < 2000; ++i) {
    std::string key;
    const size_t n = rng() % 24;
    for (size_t j = 0; j < n; ++j) {
      key.push_back(rng() % 3 == 0 ? alphabet[rng() % 9] : static_cast<char>(rng() % 256));
    }
    testing::ReplyPtr r = server_->Command({"CLUSTER", "KEYSLOT", key});
    ASSERT_TRUE(r && r->type == REDIS_REPLY_INTEGER);
    ASSERT_EQ(KeySlot(key), r->integer) << "key of " << key.size() << " bytes, #" << i;
  }
}

TEST_F(ClusterNodeServer, ReadsTheMapARealNodeGives) {
  ASSERT_EQ(server_->Command({"CLUSTER", "ADDSLOTSRANGE", "0", "16383"})->type, REDIS_REPLY_STATUS);
  testing::ReplyPtr r = server_->Command({"CLUSTER", "SHARDS"});
  std::string error;
  // A lone node never met by another may not know its own address: the host asked stands in.
  const std::optional<SlotMap> map = SlotMap::FromShards(r.get(), &error, server_->host());
  ASSERT_TRUE(map.has_value()) << error;
  EXPECT_TRUE(map->Complete());
  ASSERT_EQ(map->Masters().size(), 1u);
  EXPECT_EQ(map->MasterOf(0)->port, server_->port());
  EXPECT_EQ(map->MasterOf(16383)->host, "127.0.0.1");
  EXPECT_EQ(map->MasterOf(0)->id, server_->Command({"CLUSTER", "MYID"})->str);
}

TEST(SlotMap, ReadsShardsWithReplicasAndLeavesUncoveredSlotsUnserved) {
  const std::string resp =
      Arr(3) + Shard({0, 5460}, {Node("a", 7000, "master"), Node("a2", 7003, "replica")}) +
      Shard({5461, 10922},
            {Node("b2", 7004, "replica", "127.0.0.1", "failed"), Node("b", 7001, "master", "?")}) +
      Shard({10923, 16000}, {Node("c", 7002, "master", "host.example")});
  std::string error;
  const std::optional<SlotMap> map = SlotMap::FromShards(Parse(resp).get(), &error);
  ASSERT_TRUE(map.has_value()) << error;
  EXPECT_EQ(map->MasterOf(0)->port, 7000);
  EXPECT_EQ(map->MasterOf(5460)->id, "a");
  EXPECT_EQ(map->MasterOf(5461)->id, "b");
  EXPECT_EQ(map->MasterOf(5461)->host, "127.0.0.1");  // endpoint "?": the ip
  EXPECT_EQ(map->MasterOf(16000)->host, "host.example");
  EXPECT_EQ(map->MasterOf(16001), nullptr);
  EXPECT_FALSE(map->Complete());
  EXPECT_EQ(map->Masters().size(), 3u);
  EXPECT_EQ(map->nodes().size(), 5u);
  EXPECT_FALSE(map->nodes()[2].online);
}

TEST(SlotMap, ANodeWithoutAnAddressTakesTheHostAskedOrIsRefused) {
  std::string resp = Arr(1) + Shard({0, 16383}, {Node("a", 7000, "master", "")});
  resp.replace(resp.find("127.0.0.1"), 9, "");  // its ip empty too
  resp.replace(resp.find("$9\r\n\r\n"), 2, "$0");
  std::string error;
  EXPECT_FALSE(SlotMap::FromShards(Parse(resp).get(), &error).has_value());
  EXPECT_NE(error.find("no address"), std::string::npos) << error;
  const std::optional<SlotMap> map = SlotMap::FromShards(Parse(resp).get(), &error, "10.0.0.9");
  ASSERT_TRUE(map.has_value()) << error;
  EXPECT_EQ(map->MasterOf(5)->host, "10.0.0.9");
}

TEST(SlotMap, MovedRepointsExactlyOneSlot) {
  const std::string resp = Arr(1) + Shard({0, 16383}, {Node("a", 7000, "master")});
  std::string error;
  std::optional<SlotMap> map = SlotMap::FromShards(Parse(resp).get(), &error);
  ASSERT_TRUE(map.has_value()) << error;
  map->Moved(100, "127.0.0.1", 7009);
  EXPECT_EQ(map->MasterOf(100)->port, 7009);
  EXPECT_EQ(map->MasterOf(99)->port, 7000);
  EXPECT_EQ(map->MasterOf(101)->port, 7000);
  map->Moved(101, "127.0.0.1", 7009);  // the node it learnt is reused
  EXPECT_EQ(map->MasterOf(101), map->MasterOf(100));
  EXPECT_EQ(map->Masters().size(), 2u);
  map->Moved(100, "127.0.0.1", 7000);
  EXPECT_EQ(map->MasterOf(100)->port, 7000);
}

TEST(SlotMap, RefusesEveryMalformedReplyWithAReason) {
  const std::string ok_node = Node("a", 7000, "master");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not an array", Bulk("x")},
      {"a shard that is a string", Arr(1) + Bulk("x")},
      {"odd pairs", Arr(1) + Arr(3) + Bulk("slots") + Arr(0) + Bulk("nodes")},
      {"slot past the end", Arr(1) + Shard({0, 16384}, {ok_node})},
      {"start after end", Arr(1) + Shard({10, 9}, {ok_node})},
      {"negative slot", Arr(1) + Shard({-1, 9}, {ok_node})},
      {"odd slot list", Arr(1) + Shard({0, 9, 10}, {ok_node})},
      {"slots as strings", Arr(1) + Arr(4) + Bulk("slots") + Arr(2) + Bulk("0") + Bulk("9") +
                               Bulk("nodes") + Arr(1) + ok_node},
      {"overlap",
       Arr(2) + Shard({0, 100}, {ok_node}) + Shard({100, 200}, {Node("b", 7001, "master")})},
      {"slots without a master", Arr(1) + Shard({0, 100}, {Node("a", 7000, "replica")})},
      {"a node without a port", Arr(1) + Arr(4) + Bulk("slots") + Arr(0) + Bulk("nodes") + Arr(1) +
                                    Arr(2) + Bulk("id") + Bulk("a")},
      {"a port out of range", Arr(1) + Shard({0, 1}, {Node("a", 70000, "master")})},
      {"an unknown role", Arr(1) + Shard({0, 1}, {Node("a", 7000, "boss")})},
      {"nodes not an array", Arr(1) + Arr(4) + Bulk("slots") + Arr(0) + Bulk("nodes") + Int(3)},
  };
  for (const auto& [what, resp] : cases) {
    testing::ReplyPtr r = Parse(resp);
    std::string error;
    const std::optional<SlotMap> map = SlotMap::FromShards(r.get(), &error);
    EXPECT_FALSE(map.has_value()) << what;
    EXPECT_FALSE(error.empty()) << what;
  }
  std::string error;
  EXPECT_FALSE(SlotMap::FromShards(nullptr, &error).has_value());
}

TEST(ClusterError, ReadsRedirectsAndWaits) {
  using Kind = ClusterRedirect::Kind;
  ClusterRedirect r = ParseClusterError("MOVED 3999 127.0.0.1:6381");
  EXPECT_EQ(r.kind, Kind::kMoved);
  EXPECT_EQ(r.slot, 3999);
  EXPECT_EQ(r.host, "127.0.0.1");
  EXPECT_EQ(r.port, 6381);
  r = ParseClusterError("ASK 16383 ::1:6390");
  EXPECT_EQ(r.kind, Kind::kAsk);
  EXPECT_EQ(r.slot, 16383);
  EXPECT_EQ(r.host, "::1");
  EXPECT_EQ(r.port, 6390);
  r = ParseClusterError("MOVED 0 :7000");
  EXPECT_EQ(r.kind, Kind::kMoved);
  EXPECT_EQ(r.host, "");
  EXPECT_EQ(r.port, 7000);
  EXPECT_EQ(ParseClusterError("TRYAGAIN Multiple keys request during rehashing of slot").kind,
            Kind::kTryAgain);
  EXPECT_EQ(ParseClusterError("CLUSTERDOWN The cluster is down").kind, Kind::kClusterDown);
  EXPECT_EQ(ParseClusterError("LOADING Redis is loading the dataset in memory").kind,
            Kind::kLoading);
  EXPECT_EQ(ParseClusterError("MASTERDOWN Link with MASTER is down").kind, Kind::kMasterDown);
  for (const char* bad : {"MOVED", "MOVED 3999", "MOVED 16384 h:1", "MOVED x h:1", "MOVED 1 h",
                          "MOVED 1 h:0", "MOVED 1 h:65536", "MOVED 1 h:1x", "MOVED 1 h: 1",
                          "ASK -1 h:1", "ERR wrong number of arguments", "", "MOVEDX 1 h:1"}) {
    EXPECT_EQ(ParseClusterError(bad).kind, Kind::kNone) << bad;
  }
}

}  // namespace
}  // namespace sd::redis
