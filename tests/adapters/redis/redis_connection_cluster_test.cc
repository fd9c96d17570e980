// RedisConnection in cluster mode (adapters/redis/redis_connection_cluster.cc) against a real
// Redis Cluster started by the test: it finds the master of its slot from any seed, follows the
// slot when it is migrated (MOVED) and when its master is killed and a replica takes over.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <memory>
#include <string>

#include "adapters/redis/cluster_slots.h"
#include "adapters/redis/redis_connection.h"
#include "adapters/redis/redis_reply.h"
#include "tests/support/redis_cluster.h"
#include "tests/support/uv_test_loop.h"

namespace sd::redis {
namespace {

using namespace std::chrono_literals;

class ConnectionOnClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::RedisClusterOptions o;
    o.masters = 3;
    o.replicas_per_master = 1;
    cluster_ = std::make_unique<testing::RedisCluster>(o);
    ASSERT_TRUE(cluster_->Start()) << cluster_->error();
    owner_ = cluster_->MasterOfSlot(slot_);
  }
  void TearDown() override {
    if (conn_) {
      bool closed = false;
      conn_->Close(false, [&] { closed = true; });
      EXPECT_TRUE(loop_.RunUntil([&] { return closed; }));
    }
    EXPECT_EQ(loop_.RunToCompletionAndClose(), 0);
  }

  // A connection seeded with every node but the slot's master (it must find that itself).
  void Connect() {
    RedisEndpoint e;
    for (size_t i = 0; i < cluster_->size(); ++i) {
      if (i != owner_)
        e.cluster_seeds.emplace_back(cluster_->node(i).host(), cluster_->node(i).port());
    }
    e.cluster_slot = slot_;
    e.reconnect_initial_ms = 20;
    e.reconnect_max_ms = 200;
    e.connect_timeout_ms = 1000;
    uv_update_time(loop_.get());  // starting the cluster blocked the loop
    conn_ = std::make_unique<RedisConnection>(loop_.get(), e, "test");
    conn_->Start();
    ASSERT_TRUE(loop_.RunUntil([&] { return conn_->ready(); }, 20s)) << conn_->last_error();
  }
  // Runs a command until it succeeds (a MOVED on the way is an error reply, then retried).
  std::string Run(std::vector<std::string> argv, int* errors = nullptr) {
    for (int attempt = 0; attempt < 200; ++attempt) {
      bool done = false;
      std::string text;
      bool error = true;
      if (conn_->Command(argv, [&](redisReply* r) {
            done = true;
            error = ReplyIsError(r);
            text = ReplyString(r);
          })) {
        loop_.RunUntil([&] { return done; }, 10s);
        if (!error) return text;
        if (errors != nullptr) ++*errors;
      }
      loop_.RunUntil([] { return false; }, 50ms);
    }
    ADD_FAILURE() << "no success for " << argv[0];
    return {};
  }
  std::string DirectGet(size_t node, const std::string& key) {
    testing::ReplyPtr r = cluster_->node(node).Command({"GET", key});
    return r && r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : "<none>";
  }

  testing::UvTestLoop loop_;
  std::unique_ptr<testing::RedisCluster> cluster_;
  const std::string key_ = "sd:{shard0}:x";
  const uint16_t slot_ = KeySlot(key_);
  size_t owner_ = 0;
  std::unique_ptr<RedisConnection> conn_;
};

TEST_F(ConnectionOnClusterTest, FindsTheMasterOfItsSlotFromAnySeed) {
  Connect();
  EXPECT_EQ(Run({"SET", key_, "v1"}), "OK");
  EXPECT_EQ(DirectGet(owner_, key_), "v1");
}

TEST_F(ConnectionOnClusterTest, FollowsItsSlotWhenItIsMigrated) {
  Connect();
  ASSERT_EQ(Run({"SET", key_, "v1"}), "OK");
  size_t to = 0;
  for (size_t m : cluster_->Masters()) {
    if (m != owner_) to = m;
  }
  ASSERT_TRUE(cluster_->MigrateSlot(slot_, to)) << cluster_->error();
  int errors = 0;
  EXPECT_EQ(Run({"SET", key_, "v2"}, &errors), "OK");
  EXPECT_GE(errors, 1) << "the old owner answered MOVED";
  EXPECT_EQ(DirectGet(to, key_), "v2");
  EXPECT_EQ(Run({"GET", key_}), "v2");
}

TEST_F(ConnectionOnClusterTest, FollowsItsSlotToThePromotedReplica) {
  Connect();
  ASSERT_EQ(Run({"SET", key_, "v1"}), "OK");
  ASSERT_EQ(Run({"WAIT", "1", "2000"}), "1");
  const std::optional<size_t> promoted = cluster_->KillMasterAndWaitForFailover(owner_, 30s);
  ASSERT_TRUE(promoted.has_value()) << cluster_->error();
  uv_update_time(loop_.get());
  EXPECT_EQ(Run({"GET", key_}), "v1");
  EXPECT_EQ(Run({"SET", key_, "v2"}), "OK");
  EXPECT_EQ(DirectGet(*promoted, key_), "v2");
  EXPECT_GE(conn_->reconnects(), 1u);
}

}  // namespace
}  // namespace sd::redis
