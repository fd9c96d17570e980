// ClusterClient against a real Redis Cluster started by the test (tests/support/redis_cluster.h):
// routing by slot, MOVED after a slot migrates, ASK during a migration, a master killed and its
// replica promoted, and the retry budget when no node answers.
#include "adapters/redis/cluster_client.h"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "adapters/redis/cluster_slots.h"
#include "tests/support/redis_cluster.h"
#include "tests/support/uv_test_loop.h"

namespace sd::redis {
namespace {

// One command's answer, as the test reads it.
struct Answer {
  bool done = false;
  bool null = false;
  int type = 0;
  std::string text;
};

class ClusterClientTest : public ::testing::Test {
 protected:
  void StartCluster(int masters, int replicas) {
    testing::RedisClusterOptions o;
    o.masters = masters;
    o.replicas_per_master = replicas;
    cluster_ = std::make_unique<testing::RedisCluster>(o);
    ASSERT_TRUE(cluster_->Start()) << cluster_->error();
  }
  void StartClient(std::vector<std::pair<std::string, int>> seeds, int64_t budget_ms = 15'000) {
    ClusterOptions o;
    o.seeds = std::move(seeds);
    o.retry_budget_ms = budget_ms;
    o.node.reconnect_initial_ms = 20;
    o.node.reconnect_max_ms = 200;
    o.node.connect_timeout_ms = 1'000;
    // Starting the cluster blocked the loop for seconds: its cached time would make the
    // connect watchdog and the budgets fire at once.
    uv_update_time(loop_.get());
    client_ = std::make_unique<ClusterClient>(loop_.get(), o, "test");
    client_->SetOnReady([this] { ready_ = true; });
    client_->Start();
  }
  void StartClientOnCluster() {
    StartClient({{cluster_->node(0).host(), cluster_->node(0).port()}});
    ASSERT_TRUE(loop_.RunUntil([this] { return ready_; })) << client_->last_error();
  }
  void TearDown() override {
    if (!client_) return;
    bool closed = false;
    client_->Close(false, [&] { closed = true; });
    EXPECT_TRUE(loop_.RunUntil([&] { return closed; }));
    EXPECT_EQ(loop_.RunToCompletionAndClose(), 0);
  }

  // Sends and runs the loop until the answer came.
  Answer Run(const std::string& key, std::vector<std::string> argv,
             ClusterClient::Retry retry = ClusterClient::Retry::kIdempotent,
             std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    Answer a;
    client_->Command(KeySlot(key), std::move(argv), retry, [&a](redisReply* r) {
      a.done = true;
      a.null = r == nullptr;
      if (r == nullptr) return;
      a.type = r->type;
      if (r->str != nullptr) a.text.assign(r->str, r->len);
    });
    EXPECT_TRUE(loop_.RunUntil([&] { return a.done; }, timeout));
    return a;
  }
  // A master other than the one serving `slot`: where a migration sends it.
  size_t AnotherMaster(uint16_t slot) {
    const size_t from = cluster_->MasterOfSlot(slot);
    const std::vector<size_t> masters = cluster_->Masters();
    return masters[0] == from ? masters[1] : masters[0];
  }
  // The value of `key` read straight from node i (no redirects followed).
  std::string DirectGet(size_t i, const std::string& key) {
    testing::ReplyPtr r = cluster_->node(i).Command({"GET", key});
    if (!r) return "<unreachable>";
    if (r->type == REDIS_REPLY_ERROR) return "<error " + std::string(r->str, r->len) + ">";
    return r->str != nullptr ? std::string(r->str, r->len) : "<nil>";
  }

  testing::UvTestLoop loop_;
  std::unique_ptr<testing::RedisCluster> cluster_;
  std::unique_ptr<ClusterClient> client_;
  bool ready_ = false;
};

TEST_F(ClusterClientTest, SendsEveryCommandToTheMasterOfItsSlot) {
  StartCluster(3, 0);
  StartClientOnCluster();
  for (int i = 0; i < 300; ++i) {
    const std::string key = "k" + std::to_string(i);
    const Answer a = Run(key, {"SET", key, "v" + std::to_string(i)});
    ASSERT_EQ(a.type, REDIS_REPLY_STATUS) << key << ": " << a.text;
  }
  for (int i = 0; i < 300; ++i) {
    const std::string key = "k" + std::to_string(i);
    EXPECT_EQ(DirectGet(cluster_->MasterOfSlot(KeySlot(key)), key), "v" + std::to_string(i));
    EXPECT_EQ(Run(key, {"GET", key}).text, "v" + std::to_string(i));
  }
  // The map was right from the start: nothing was redirected.
  EXPECT_EQ(client_->counters().moved, 0u);
  EXPECT_EQ(client_->counters().asked, 0u);
  EXPECT_TRUE(client_->ready());
}

TEST_F(ClusterClientTest, FollowsMovedOnceASlotHasMigratedAndLearnsTheNewOwner) {
  StartCluster(3, 0);
  StartClientOnCluster();
  const std::string key = "{moving}k";
  ASSERT_EQ(Run(key, {"SET", key, "before"}).type, REDIS_REPLY_STATUS);
  const uint16_t slot = KeySlot(key);
  const size_t to = AnotherMaster(slot);
  ASSERT_TRUE(cluster_->MigrateSlot(slot, to)) << cluster_->error();

  // The client's map still names the old owner: it answers MOVED and the client follows.
  EXPECT_EQ(Run(key, {"GET", key}).text, "before");
  EXPECT_EQ(client_->counters().moved, 1u);
  EXPECT_EQ(Run(key, {"SET", key, "after"}).type, REDIS_REPLY_STATUS);
  EXPECT_EQ(DirectGet(to, key), "after");
  EXPECT_EQ(client_->counters().moved, 1u);  // learnt: no second redirect
}

TEST_F(ClusterClientTest, FollowsAskForAKeyAlreadyMovedDuringAMigration) {
  StartCluster(3, 0);
  StartClientOnCluster();
  const std::string moved = "{mig}a", stays = "{mig}b";
  ASSERT_EQ(Run(moved, {"SET", moved, "A"}).type, REDIS_REPLY_STATUS);
  ASSERT_EQ(Run(stays, {"SET", stays, "B"}).type, REDIS_REPLY_STATUS);
  const uint16_t slot = KeySlot(moved);
  const size_t to = AnotherMaster(slot);
  ASSERT_TRUE(cluster_->BeginMigration(slot, to, {moved})) << cluster_->error();

  EXPECT_EQ(Run(moved, {"GET", moved}).text, "A");  // source: ASK; target: ASKING + GET
  EXPECT_EQ(client_->counters().asked, 1u);
  EXPECT_EQ(Run(stays, {"GET", stays}).text, "B");  // still at the source
  EXPECT_EQ(client_->counters().asked, 1u);
  EXPECT_EQ(client_->counters().moved, 0u);  // ASK leaves the map alone
  EXPECT_EQ(Run(moved, {"GET", moved}).text, "A");
  EXPECT_EQ(client_->counters().asked, 2u);

  ASSERT_TRUE(cluster_->FinishMigration(slot, to)) << cluster_->error();
  EXPECT_EQ(Run(stays, {"GET", stays}).text, "B");
  EXPECT_EQ(client_->counters().moved, 1u);
}

TEST_F(ClusterClientTest, WaitsOutTryAgainUntilTheMigrationEnds) {
  StartCluster(3, 0);
  StartClientOnCluster();
  const std::string a = "{try}a", b = "{try}b";
  ASSERT_EQ(Run(a, {"SET", a, "A"}).type, REDIS_REPLY_STATUS);
  ASSERT_EQ(Run(b, {"SET", b, "B"}).type, REDIS_REPLY_STATUS);
  const uint16_t slot = KeySlot(a);
  const size_t to = AnotherMaster(slot);
  ASSERT_TRUE(cluster_->BeginMigration(slot, to, {a})) << cluster_->error();

  // Half the keys moved: a command on both is answered TRYAGAIN by either side until the
  // slot is handed over, then MOVED, then its answer.
  Answer both;
  client_->Command(slot, {"MGET", a, b}, ClusterClient::Retry::kIdempotent, [&](redisReply* r) {
    both.done = true;
    both.null = r == nullptr;
    if (r != nullptr && r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
      both.text = std::string(r->element[0]->str, r->element[0]->len) +
                  std::string(r->element[1]->str, r->element[1]->len);
    }
  });
  EXPECT_FALSE(loop_.RunUntil([&] { return both.done; }, std::chrono::milliseconds(400)));
  EXPECT_GE(client_->counters().waits, 1u);
  ASSERT_TRUE(cluster_->FinishMigration(slot, to)) << cluster_->error();
  ASSERT_TRUE(loop_.RunUntil([&] { return both.done; }));
  EXPECT_FALSE(both.null);
  EXPECT_EQ(both.text, "AB");
}

TEST_F(ClusterClientTest, IdempotentCommandsOutliveAFailoverAndOthersReportTheLoss) {
  StartCluster(3, 1);
  StartClientOnCluster();
  const std::string key = "{fail}k";
  ASSERT_EQ(Run(key, {"SET", key, "kept"}).type, REDIS_REPLY_STATUS);
  const size_t master = cluster_->MasterOfSlot(KeySlot(key));
  ASSERT_EQ(cluster_->node(master).Command({"WAIT", "1", "2000"})->integer, 1);

  // Blocked on the master when it dies: one the caller may not repeat gets a null reply, one it
  // may repeat is sent again to the promoted replica and finishes there.
  Answer once, again;
  const std::string list = "{fail}list";
  client_->Command(KeySlot(list), {"BLPOP", list, "4"}, ClusterClient::Retry::kNever,
                   [&](redisReply* r) {
                     once.done = true;
                     once.null = r == nullptr;
                   });
  client_->Command(KeySlot(list), {"BLPOP", list, "1"}, ClusterClient::Retry::kIdempotent,
                   [&](redisReply* r) {
                     again.done = true;
                     again.null = r == nullptr;
                   });
  loop_.RunUntil([] { return false; }, std::chrono::milliseconds(200));  // both are sent
  const std::optional<size_t> promoted =
      cluster_->KillMasterAndWaitForFailover(master, std::chrono::seconds(30));
  ASSERT_TRUE(promoted.has_value()) << cluster_->error();

  ASSERT_TRUE(loop_.RunUntil([&] { return once.done && again.done; }, std::chrono::seconds(30)));
  EXPECT_TRUE(once.null);
  EXPECT_FALSE(again.null);
  EXPECT_GE(client_->counters().lost, 1u);
  EXPECT_GE(client_->counters().resent_after_loss, 1u);
  // The promoted replica serves the slot now, with what was written before.
  EXPECT_EQ(Run(key, {"GET", key}).text, "kept");
  EXPECT_EQ(cluster_->MasterOfSlot(KeySlot(key)), *promoted);
  EXPECT_EQ(DirectGet(*promoted, key), "kept");
}

// A master that failed and was replaced leaves the map: its connection is closed, not
// reconnected to for as long as the process lives. The seed stays, whatever the map says.
TEST_F(ClusterClientTest, ClosesItsConnectionToAFailedMasterOnceTheMapNoLongerHasIt) {
  StartCluster(3, 1);
  StartClientOnCluster();
  std::string key;
  size_t master = 0;
  for (int i = 0; master == 0; ++i) {  // a key served by a master that is not the seed
    key = "{left}" + std::to_string(i);
    master = cluster_->MasterOfSlot(KeySlot(key));
  }
  ASSERT_EQ(Run(key, {"SET", key, "v"}).type, REDIS_REPLY_STATUS);
  ASSERT_EQ(cluster_->node(master).Command({"WAIT", "1", "2000"})->integer, 1);
  const std::string dead =
      cluster_->node(master).host() + ":" + std::to_string(cluster_->node(master).port());
  auto has = [&](const std::string& address) {
    const auto all = client_->node_addresses();
    return std::find(all.begin(), all.end(), address) != all.end();
  };
  ASSERT_TRUE(has(dead));
  const std::optional<size_t> promoted =
      cluster_->KillMasterAndWaitForFailover(master, std::chrono::seconds(30));
  ASSERT_TRUE(promoted.has_value()) << cluster_->error();
  EXPECT_EQ(Run(key, {"GET", key}).text, "v");  // served by the promoted replica
  ASSERT_TRUE(loop_.RunUntil([&] { return !has(dead); }, std::chrono::seconds(10)));
  EXPECT_GE(client_->counters().retired, 1u);
  const std::string seed =
      cluster_->node(0).host() + ":" + std::to_string(cluster_->node(0).port());
  EXPECT_TRUE(has(seed));
  EXPECT_TRUE(has(cluster_->node(*promoted).host() + ":" +
                  std::to_string(cluster_->node(*promoted).port())));
}

TEST_F(ClusterClientTest, ReadsTheMapFromAnotherSeedWhenTheFirstIsDown) {
  StartCluster(3, 0);
  // Nothing listens on the first seed: a port taken from a stopped node's neighbourhood is not
  // reliable, so a node is stopped for good and its port reused as the dead seed.
  testing::RedisServer gone;
  ASSERT_TRUE(gone.Start()) << gone.error();
  const int dead_port = gone.port();
  gone.Stop();
  StartClient({{"127.0.0.1", dead_port}, {cluster_->node(1).host(), cluster_->node(1).port()}});
  ASSERT_TRUE(loop_.RunUntil([this] { return ready_; })) << client_->last_error();
  EXPECT_EQ(Run("x", {"SET", "x", "1"}).type, REDIS_REPLY_STATUS);
}

TEST_F(ClusterClientTest, GivesANullReplyOnceTheBudgetIsSpentWithNoNodeAnswering) {
  testing::RedisServer gone;
  ASSERT_TRUE(gone.Start()) << gone.error();
  const int dead_port = gone.port();
  gone.Stop();
  StartClient({{"127.0.0.1", dead_port}}, /*budget_ms=*/600);
  const Answer a =
      Run("x", {"GET", "x"}, ClusterClient::Retry::kIdempotent, std::chrono::seconds(10));
  EXPECT_TRUE(a.null);
  EXPECT_EQ(client_->counters().gave_up, 1u);
  EXPECT_FALSE(client_->ready());
}

TEST_F(ClusterClientTest, ClosingAnswersEveryWaitingCommandWithANullReply) {
  testing::RedisServer gone;
  ASSERT_TRUE(gone.Start()) << gone.error();
  const int dead_port = gone.port();
  gone.Stop();
  StartClient({{"127.0.0.1", dead_port}});
  int nulls = 0;
  for (int i = 0; i < 5; ++i) {
    client_->Command(KeySlot("k"), {"GET", "k"}, ClusterClient::Retry::kIdempotent,
                     [&](redisReply* r) { nulls += r == nullptr; });
  }
  EXPECT_EQ(nulls, 0);  // never inside the call
  bool closed = false;
  client_->Close(false, [&] { closed = true; });
  EXPECT_EQ(nulls, 5);
  EXPECT_TRUE(loop_.RunUntil([&] { return closed; }));
  client_->Command(KeySlot("k"), {"GET", "k"}, ClusterClient::Retry::kNever,
                   [&](redisReply* r) { nulls += r == nullptr; });
  EXPECT_EQ(nulls, 6);
  client_.reset();
  EXPECT_EQ(loop_.RunToCompletionAndClose(), 0);
}

}  // namespace
}  // namespace sd::redis
