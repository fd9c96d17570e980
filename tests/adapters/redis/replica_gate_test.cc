// wait_replicas (adapters/redis/replica_gate.cc, ApiStore::AwaitReplicas): a write Redis
// confirmed is reported only once a replica has it. Against a real master and a real replica
// (redis-server --replicaof): with the replica away nothing completes, however long; it
// completes once the replica is back; a connection lost meanwhile sends the writes again, and
// each still completes once, with one outcome. CopyReply, which the gate relies on, is checked
// against a real reply.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include "adapters/redis/api_store.h"
#include "adapters/redis/inbound_store.h"
#include "adapters/redis/redis_reply.h"
#include "core/clock.h"
#include "tests/support/job_store_harness.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;

RedisServerOptions ReplicaOf(const RedisServer& master) {
  RedisServerOptions o;
  o.extra_args = {"--replicaof", master.host(), std::to_string(master.port())};
  return o;
}

class ReplicaGateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(master_.Start()) << master_.error();
    // A replica's first sync would otherwise wait 5 s for others to join it.
    ASSERT_TRUE(master_.Command({"CONFIG", "SET", "repl-diskless-sync-delay", "0"}));
  }
  void TearDown() override { EXPECT_EQ(loop_.RunToCompletionAndClose(), 0) << "handles left open"; }

  redis::RedisStoreOptions Options() {
    redis::RedisStoreOptions o = TestStoreOptions(master_);
    o.wait_replicas = 1;
    o.wait_timeout_ms = 50;
    return o;
  }
  // Starts the replica and waits until the master counts it.
  void StartReplica() {
    // Made once the master has its port; started again on its own port after a Kill.
    if (!replica_) replica_ = std::make_unique<RedisServer>(ReplicaOf(master_));
    ASSERT_TRUE(replica_->Start()) << replica_->error();
    ASSERT_TRUE(loop_.RunUntil([&] { return OnlineReplicas() == 1 && Acked(); }, 20s));
  }
  // A write the replica acknowledged: a replica past its first sync answers WAIT only after
  // its first acknowledgement (up to a second later).
  bool Acked() {
    master_.Command({"SET", "sd:test:barrier", "1"});
    ReplyPtr r = master_.Command({"WAIT", "1", "100"});
    return r && r->type == REDIS_REPLY_INTEGER && r->integer >= 1;
  }
  long long OnlineReplicas() {
    ReplyPtr r = master_.Command({"INFO", "replication"});
    if (!r || r->type != REDIS_REPLY_STRING) return -1;
    const std::string info(r->str, r->len);
    // Replicas past their first sync (a syncing one acknowledges nothing yet).
    long long online = 0;
    for (size_t at = info.find("state=online"); at != std::string::npos;
         at = info.find("state=online", at + 1)) {
      ++online;
    }
    return online;
  }

  UvTestLoop loop_;
  RedisServer master_;
  std::unique_ptr<RedisServer> replica_;
};

TEST_F(ReplicaGateTest, ClaimsCommitsAndReceiptsWaitUntilAReplicaHasThem) {
  StoreHarness h(loop_, Options());
  const std::string id = StreamAdd(master_, "sd:jobs", EnvelopeFields("j"));
  h.Grant(1);
  ASSERT_TRUE(h.WaitReceived(1));

  std::vector<ClaimState> states;
  h->Claim({{id, "job-1", 600'000}}, [&](std::vector<ClaimState> s) { states = std::move(s); });
  // No replica: Redis has the claim, but the job must not go to a carrier on its word alone.
  loop_.RunUntil([] { return false; }, 600ms);
  EXPECT_TRUE(states.empty());
  EXPECT_EQ(StringAt(master_, "sd:idem:job-1"), id);
  EXPECT_GE(h->counters().replica_waits_short, 2u);
  EXPECT_GE(h->queued_writes(), 1u);

  StartReplica();
  ASSERT_TRUE(loop_.RunUntil([&] { return !states.empty(); }, 20s));
  EXPECT_EQ(states, std::vector<ClaimState>{ClaimState::kNew});

  // With the replica up, a commit and a receipt complete, and the replica has them then.
  ASSERT_TRUE(h.Commit(SubmittedOutcome(id, "job-1", "m-1")));
  EXPECT_EQ(StreamLength(*replica_, "sd:outcomes"), 1);
  EXPECT_EQ(PendingCount(*replica_, "sd:jobs", "smsdispatch"), 0);
  Receipt r;
  r.carrier = "carrier-a";
  r.message_id = "m-1";
  r.state = ReceiptState::kDelivered;
  r.carrier_status = "DELIVRD";
  r.ts_ms = 1'700'000'000'000;
  ASSERT_TRUE(h.PutReceipt(r));
  EXPECT_EQ(StreamLength(*replica_, "sd:receipts"), 1);
  EXPECT_GE(h->counters().replica_waits, 3u);
  ASSERT_TRUE(h.Close());
}

TEST_F(ReplicaGateTest, AConnectionLostBeforeTheWaitSendsTheWritesAgainAndEachCompletesOnce) {
  StoreHarness h(loop_, Options());
  StartReplica();
  const auto ids = ReadAndClaim(master_, h, 2, "job-");
  replica_->Kill();  // replication stops: the commits' WAITs come back short
  ASSERT_TRUE(loop_.RunUntil([&] { return OnlineReplicas() == 0; }, 20s));

  int done = 0;
  const uint64_t short_before = h->counters().replica_waits_short;  // the claims' first WAITs
  h->Commit(SubmittedOutcome(ids[0], "job-" + ids[0], "m-0"), [&] { ++done; });
  h->Commit(RejectedOutcome(ids[1], Reason::kRateLimited), [&] { ++done; });
  // The commits are written and their WAIT is blocked: now the connection goes.
  ASSERT_TRUE(
      loop_.RunUntil([&] { return h->counters().replica_waits_short >= short_before + 2; }, 10s));
  ASSERT_TRUE(master_.Command({"CLIENT", "KILL", "TYPE", "normal"}));
  ASSERT_TRUE(loop_.RunUntil([&] { return h->counters().replica_resends >= 1; }, 10s))
      << "waits " << h->counters().replica_waits << " short " << h->counters().replica_waits_short
      << " reconnects " << h->counters().reconnects << " queued " << h->queued_writes();
  loop_.RunUntil([] { return false; }, 300ms);
  EXPECT_EQ(done, 0);

  StartReplica();
  ASSERT_TRUE(loop_.RunUntil([&] { return done == 2; }, 20s));
  loop_.RunUntil([] { return false; }, 200ms);
  EXPECT_EQ(done, 2);
  EXPECT_EQ(StreamLength(master_, "sd:outcomes"), 2);  // sent twice, written once
  EXPECT_EQ(StreamLength(*replica_, "sd:outcomes"), 2);
  EXPECT_EQ(h->counters().outcomes_written, 2u);
  ASSERT_TRUE(h.Close());
}

TEST_F(ReplicaGateTest, CloseDropsWhatNoReplicaConfirmed) {
  StoreHarness h(loop_, Options());
  StartReplica();
  const auto ids = ReadAndClaim(master_, h, 1, "job-");
  replica_->Kill();
  ASSERT_TRUE(loop_.RunUntil([&] { return OnlineReplicas() == 0; }, 20s));
  bool done = false;
  h->Commit(SubmittedOutcome(ids[0], "job-" + ids[0], "m-0"), [&] { done = true; });
  ASSERT_TRUE(h.Close(300));  // gives up after its timeout, never reports the commit done
  EXPECT_FALSE(done);
}

TEST_F(ReplicaGateTest, TheApiReportsStoredJobsOnlyOnceAReplicaHasThem) {
  redis::RedisEndpoint e;
  e.host = master_.host();
  e.port = master_.port();
  redis::ApiStoreOptions o;
  o.wait_replicas = 1;
  o.wait_timeout_ms = 50;
  o.give_up_ms = 400;
  redis::ApiStore store(loop_.get(), e, o);
  store.Start();
  ASSERT_TRUE(loop_.RunUntil([&] { return store.ready(); }));
  auto write = [&](const std::string& job_id) {
    ApiWrite w;
    w.family = "fam";
    w.body_hash = std::string(64, 'a');
    w.response = "{}";
    w.jobs.push_back({"fam.v1", "job-bytes", "00ff", job_id, 1'700'000'000'000, 60'000});
    std::optional<ApiWriteResult> result;
    store.Write(std::move(w), [&](ApiWriteResult r) { result = std::move(r); });
    EXPECT_TRUE(loop_.RunUntil([&] { return result.has_value(); }, 20s));
    return result.value_or(ApiWriteResult{});
  };
  // No replica: written on the master, yet not reported stored (the API answers 503).
  const ApiWriteResult alone = write("a-1");
  EXPECT_EQ(alone.kind, ApiWriteResult::Kind::kFailed);
  EXPECT_NE(alone.error.find("fewer than wait_replicas"), std::string::npos) << alone.error;
  EXPECT_EQ(StreamLength(master_, "sd:jobs"), 1);
  EXPECT_GE(store.counters().replica_waits_short, 2u);

  StartReplica();
  const ApiWriteResult replicated = write("a-2");
  EXPECT_EQ(replicated.kind, ApiWriteResult::Kind::kWritten) << replicated.error;
  EXPECT_EQ(StreamLength(*replica_, "sd:jobs"), 2);
  bool closed = false;
  store.Close([&] { closed = true; });
  ASSERT_TRUE(loop_.RunUntil([&] { return closed; }));
}

// A message a recipient sent is acknowledged to the SMSC only once a replica has it.
TEST_F(ReplicaGateTest, InboundMessagesAreDurableOnlyOnceAReplicaHasThem) {
  redis::RedisEndpoint e;
  e.host = master_.host();
  e.port = master_.port();
  redis::InboundStoreOptions o;
  o.wait_replicas = 1;
  o.wait_timeout_ms = 50;
  ManualClock clock{1'000};
  redis::InboundStore store(loop_.get(), e, o, clock);
  store.Start();
  InboundPart p;
  p.carrier = "acme";
  p.from = "4917012345";
  p.to = "4930555";
  p.body = "hello";
  p.received_ms = 1'000;
  bool durable = false;
  store.Put(p, [&] { durable = true; });
  loop_.RunUntil([] { return false; }, 500ms);
  EXPECT_FALSE(durable);
  EXPECT_EQ(StreamLength(master_, "sd:inbound"), 1);  // on the master, not yet acknowledged
  StartReplica();
  ASSERT_TRUE(loop_.RunUntil([&] { return durable; }, 20s));
  EXPECT_EQ(StreamLength(*replica_, "sd:inbound"), 1);
  bool closed = false;
  store.Close([&] { closed = true; });
  ASSERT_TRUE(loop_.RunUntil([&] { return closed; }));
}

// An ACL without WAIT: nothing is reported done on the master's word; the refusal is counted
// (and logged), and the writes go through once the ACL allows WAIT.
TEST(ReplicaGateAcl, AUserWithoutWaitHoldsTheWritesUntilTheAclAllowsIt) {
  UvTestLoop loop;
  RedisServerOptions so;
  so.acl_users = {
      "smsdispatch on >pw ~sd:* resetchannels +@all -wait",
  };
  RedisServer server(so);
  ASSERT_TRUE(server.Start()) << server.error();
  {
    redis::RedisStoreOptions o = TestStoreOptions(server);
    o.endpoint.user = "smsdispatch";
    o.endpoint.password = "pw";
    o.wait_replicas = 1;
    o.wait_timeout_ms = 50;
    StoreHarness h(loop, o);
    const std::string id = StreamAdd(server, "sd:jobs", EnvelopeFields("j"));
    h.Grant(1);
    ASSERT_TRUE(h.WaitReceived(1));
    std::vector<ClaimState> states;
    h->Claim({{id, "job-1", 600'000}}, [&](std::vector<ClaimState> s) { states = std::move(s); });
    ASSERT_TRUE(loop.RunUntil([&] { return h->counters().errors >= 2; }, 10s));
    EXPECT_TRUE(states.empty());
    EXPECT_EQ(StringAt(server, "sd:idem:job-1"), id);
    // Allowed now, and a replica to count: the claim completes.
    ASSERT_TRUE(server.Command({"ACL", "SETUSER", "smsdispatch", "+wait"}));
    ASSERT_TRUE(server.Command({"CONFIG", "SET", "repl-diskless-sync-delay", "0"}));
    RedisServer replica(ReplicaOf(server));
    ASSERT_TRUE(replica.Start()) << replica.error();
    ASSERT_TRUE(loop.RunUntil([&] { return !states.empty(); }, 30s));
    EXPECT_EQ(states, std::vector<ClaimState>{ClaimState::kNew});
    ASSERT_TRUE(h.Close());
  }
  EXPECT_EQ(loop.RunToCompletionAndClose(), 0);
}

TEST(CopyReplyTest, CopiesEveryKindOfReplyDeeply) {
  RedisServer server;
  ASSERT_TRUE(server.Start()) << server.error();
  ASSERT_TRUE(server.Command({"RPUSH", "l", std::string("a\0b", 3), "", "ccc"}));
  ReplyPtr r = server.Command({"EVAL",
                               "return {redis.call('LRANGE', KEYS[1], 0, -1), 42, false, "
                               "redis.status_reply('OK'), redis.error_reply('ERR nope'), {}}",
                               "1", "l"});
  ASSERT_TRUE(r && r->type == REDIS_REPLY_ARRAY && r->elements == 6);
  redisReply* c = redis::CopyReply(r.get());
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->type, REDIS_REPLY_ARRAY);
  ASSERT_EQ(c->elements, 6u);
  ASSERT_EQ(c->element[0]->elements, 3u);
  EXPECT_EQ(std::string(c->element[0]->element[0]->str, c->element[0]->element[0]->len),
            std::string("a\0b", 3));
  EXPECT_NE(c->element[0]->element[0]->str, r->element[0]->element[0]->str);
  EXPECT_EQ(c->element[0]->element[1]->len, 0u);
  EXPECT_EQ(c->element[1]->integer, 42);
  EXPECT_EQ(c->element[2]->type, REDIS_REPLY_NIL);
  EXPECT_EQ(redis::ReplyString(c->element[3]), "OK");
  EXPECT_EQ(c->element[3]->type, REDIS_REPLY_STATUS);
  EXPECT_TRUE(redis::ReplyErrorIs(c->element[4], "ERR"));
  EXPECT_EQ(c->element[5]->elements, 0u);
  freeReplyObject(c);
  EXPECT_EQ(redis::CopyReply(nullptr), nullptr);
}

}  // namespace
}  // namespace sd::testing
