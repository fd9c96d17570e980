// Connections: ACL authentication (and a clear failure with a wrong password), Unix sockets,
// Redis killed with commits outstanding and restarted, Redis restarted empty, and Close()
// leaving the loop with nothing open in every situation. All against a real redis-server.
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <optional>

#include "adapters/redis/api_store.h"
#include "tests/support/job_store_harness.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;

constexpr char kJobs[] = "sd:jobs";
constexpr char kGroup[] = "smsdispatch";

// The least-privilege user docs/redis.md documents, in ACL file syntax. Keep the two in step.
constexpr char kDocumentedAclUser[] =
    "smsdispatch on >daemon-pw ~sd:* resetchannels +xreadgroup +xautoclaim +xclaim +xpending "
    "+xack +xadd +xgroup|create +evalsha +eval +script|load +multi +exec +watch +unwatch +mget "
    "+type +set +get +exists "
    "+time +ping "
    "+hset +hget +hexists +hlen +hvals +pexpire +hincrby +auth +del +zadd +zrangebyscore +zrem "
    "+zcount +append +hgetall";

class ConnectionTest : public ::testing::Test {
 protected:
  void TearDown() override { EXPECT_EQ(loop_.RunToCompletionAndClose(), 0) << "handles left open"; }

  // A redis-server with the documented user, and store options that log in as it.
  static RedisServerOptions DocumentedAclServer() {
    RedisServerOptions ro;
    ro.acl_users = {kDocumentedAclUser};
    return ro;
  }
  static redis::RedisStoreOptions AsDocumentedUser(const RedisServer& redis) {
    auto o = TestStoreOptions(redis);
    o.endpoint.user = "smsdispatch";
    o.endpoint.password = "daemon-pw";
    return o;
  }

  // Reads `n` new entries through `h`, commits them all, and checks the result on Redis.
  void RoundTrip(RedisServer& redis, StoreHarness& h, int n) {
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) ids.push_back(StreamAdd(redis, kJobs, EnvelopeFields("j")));
    const size_t before = h.received.size();
    h.Grant(static_cast<size_t>(n));
    ASSERT_TRUE(h.WaitReceived(before + static_cast<size_t>(n))) << h->last_error();
    std::vector<ClaimRequest> claims;
    for (const std::string& id : ids) claims.push_back({id, "job-" + id, 60'000});
    EXPECT_EQ(h.Claim(claims), std::vector<ClaimState>(ids.size(), ClaimState::kNew));
    for (const std::string& id : ids) {
      Outcome o = SubmittedOutcome(id, "job-" + id, "m-" + id);
      // The first job went out in two parts: its receipt needs the aggregation hash too.
      if (id == ids[0]) o.match_keys = {"m-" + id, "m2-" + id};
      ASSERT_TRUE(h.Commit(o));
    }
    Receipt rc;
    rc.carrier = "carrier-a";
    rc.state = ReceiptState::kDelivered;
    for (const char* part : {"m-", "m2-"}) {
      rc.message_id = part + ids[0];
      ASSERT_TRUE(h.PutReceipt(rc));
    }
    EXPECT_EQ(PendingCount(redis, kJobs, kGroup), 0);
  }

  UvTestLoop loop_;
};

TEST_F(ConnectionTest, DocumentedAclUserCanDoEverything) {
  RedisServer redis(DocumentedAclServer());
  ASSERT_TRUE(redis.Start()) << redis.error();
  auto o = AsDocumentedUser(redis);
  o.plain_writes = true;     // its WATCH, MGET, TYPE too
  o.claim_interval_ms = 20;  // touch and XAUTOCLAIM run too
  o.claim_idle_ms = 60'000;
  o.max_deliveries = 1;
  StoreHarness h(loop_, o);
  RoundTrip(redis, h, 3);
  EXPECT_GT(h->counters().plain_commits, 0u);  // the plain paths' WATCH check is allowed
  EXPECT_EQ(StreamLength(redis, "sd:outcomes"), 3);
  EXPECT_EQ(StreamLength(redis, "sd:receipts"), 1);
  // Touch (XPENDING + XCLAIM in a script) needs an entry in flight.
  StreamAdd(redis, kJobs, EnvelopeFields("held"));
  h.Grant(1);
  ASSERT_TRUE(h.WaitReceived(4));
  const uint64_t touches = h->counters().touch_rounds;
  ASSERT_TRUE(loop_.RunUntil([&] { return h->counters().touch_rounds > touches + 1; }));
  // Dead-lettering (XPENDING, and the script's XADD/SET/XACK) as this user: a "crashed"
  // consumer's pending entry is read again by a new instance, one delivery too many.
  ASSERT_TRUE(h.Close());
  StoreHarness again(loop_, o);
  again.Grant(10);
  ASSERT_TRUE(loop_.RunUntil([&] { return StreamLength(redis, "sd:dead") == 1; }));
  ASSERT_TRUE(loop_.RunUntil([&] { return again->in_process() == 0; }));
  // Audit and deferral: an event, and a held entry deferred (due at once) and moved back.
  again->Emit(AuditEvent{Reason::kRateLimited, "deferred", "1-1", "job", "test.v1", "", "", 1});
  StreamAdd(redis, kJobs, EnvelopeFields("later"));
  ASSERT_TRUE(again.WaitReceived(1));
  ASSERT_EQ(again.Claim({{again.received.back().entry_id, "job-later", 60'000}}),
            std::vector<ClaimState>{ClaimState::kNew});  // so the deferral DELs the record
  bool deferred = false;
  again->Defer(again.received.back(), "job-later", 1, [&] { deferred = true; });
  ASSERT_TRUE(loop_.RunUntil([&] {
    return deferred && again->counters().audit_events == 1 && again->counters().defer_moved == 1;
  }));
  // No permission error anywhere: SCRIPT LOAD, scripts, XPENDING, XAUTOCLAIM, touch.
  EXPECT_EQ(h->counters().errors, 0u) << h->last_error();
  EXPECT_EQ(again->counters().errors, 0u) << again->last_error();
  ASSERT_TRUE(again.Close());
}

// The HTTPS API's Redis work as the documented user: the submit script, the commit and receipt
// scripts filling in the status record (one that exists, one that expired, one made as a hash
// before the string format) and GET /v1/messages' reads.
TEST_F(ConnectionTest, DocumentedAclUserCanDoTheApisWork) {
  RedisServer redis(DocumentedAclServer());
  ASSERT_TRUE(redis.Start()) << redis.error();
  const auto o = AsDocumentedUser(redis);
  redis::ApiStore api(loop_.get(), o.endpoint, {});
  api.Start();
  ASSERT_TRUE(loop_.RunUntil([&] { return api.ready(); }));
  ApiWrite w;
  w.family = "test";
  w.replay_token = "sig";
  w.replay_ttl_ms = 60'000;
  w.body_hash = std::string(64, '0');
  w.response = "202{}";
  w.jobs.push_back({"test.v1", "job-bytes", "00ff", "api-w", 1'700'000'000'000, 60'000});
  std::optional<ApiWriteResult> written;
  api.Write(std::move(w), [&](ApiWriteResult r) { written = std::move(r); });
  ASSERT_TRUE(loop_.RunUntil([&] { return written.has_value(); }));
  EXPECT_EQ(written->kind, ApiWriteResult::Kind::kWritten) << written->error;

  StoreHarness h(loop_, o);
  const auto ids = ReadAndClaim(redis, h, 4, "api-");  // the API's entry and three more
  ASSERT_TRUE(redis.Command({"SET", "sd:api:st:api-" + ids[1], "status:6:queued", "PX", "60000"}));
  ASSERT_TRUE(redis.Command({"HSET", "sd:api:msg:api-" + ids[2], "status", "queued"}));
  for (size_t i = 1; i < ids.size(); ++i) {
    ASSERT_TRUE(h.Commit(SubmittedOutcome(ids[i], "api-" + ids[i], "m-" + std::to_string(i))));
    Receipt rc;
    rc.carrier = "carrier-a";
    rc.message_id = "m-" + std::to_string(i);
    rc.state = ReceiptState::kDelivered;
    ASSERT_TRUE(h.PutReceipt(rc));
  }
  EXPECT_EQ(h->counters().errors, 0u) << h->last_error();
  EXPECT_EQ(StreamLength(redis, "sd:receipts"), 3);
  for (const std::string& id : {"api-" + ids[1], "api-" + ids[2], std::string("api-w")}) {
    std::optional<std::pair<bool, ApiStatus>> got;
    api.Status(id, [&](bool ok, bool found, ApiStatus st) {
      EXPECT_TRUE(ok) << id;
      got.emplace(found, std::move(st));
    });
    ASSERT_TRUE(loop_.RunUntil([&] { return got.has_value(); }));
    EXPECT_TRUE(got->first) << id;
    std::map<std::string, std::string> fields(got->second.begin(), got->second.end());
    EXPECT_EQ(fields["status"], id == "api-w" ? "queued" : "submitted") << id;
    EXPECT_EQ(fields["receipt_status"], id == "api-w" ? "" : "delivered") << id;
  }
  EXPECT_EQ(redis.Command({"EXISTS", "sd:api:st:api-" + ids[3]})->integer, 0);
  ASSERT_TRUE(h.Close());
  bool closed = false;
  api.Close([&] { closed = true; });
  ASSERT_TRUE(loop_.RunUntil([&] { return closed; }));
}

TEST_F(ConnectionTest, WorksWithoutScriptLoadPermission) {
  RedisServerOptions ro;
  ro.acl_users = {
      "minimal on >pw ~sd:* resetchannels +xreadgroup +xautoclaim +xpending +xack "
      "+xadd +xgroup|create +evalsha +eval +multi +exec +set +get +exists +time +ping +hset "
      "+hget +hexists +hlen "
      "+hvals +pexpire +auth"};
  RedisServer redis(ro);
  ASSERT_TRUE(redis.Start()) << redis.error();
  auto o = TestStoreOptions(redis);
  o.endpoint.user = "minimal";
  o.endpoint.password = "pw";
  StoreHarness h(loop_, o);
  RoundTrip(redis, h, 2);  // first use of each script: NOSCRIPT, then EVAL
  EXPECT_EQ(StreamLength(redis, "sd:outcomes"), 2);
  ASSERT_TRUE(h.Close());
}

TEST_F(ConnectionTest, DefaultUserPassword) {
  RedisServerOptions ro;
  ro.requirepass = "default-pw";
  RedisServer redis(ro);
  ASSERT_TRUE(redis.Start()) << redis.error();
  auto o = TestStoreOptions(redis);
  o.endpoint.password = "default-pw";  // no user: AUTH <password>
  StoreHarness h(loop_, o);
  RoundTrip(redis, h, 1);
  ASSERT_TRUE(h.Close());
}

TEST_F(ConnectionTest, AWrongPasswordFailsClearlyAndReadsNothing) {
  RedisServerOptions ro;
  ro.acl_users = {kDocumentedAclUser};
  RedisServer redis(ro);
  ASSERT_TRUE(redis.Start()) << redis.error();
  StreamAdd(redis, kJobs, EnvelopeFields("j"));
  auto o = TestStoreOptions(redis);
  o.endpoint.user = "smsdispatch";
  o.endpoint.password = "not-the-password";
  StoreHarness h(loop_, o);
  h.Grant(10);
  ASSERT_TRUE(loop_.RunUntil([&] { return h->counters().auth_failures >= 4; }));  // and retries
  EXPECT_FALSE(h->connected());
  const std::string err = h->last_error();
  EXPECT_NE(err.find("AUTH failed"), std::string::npos) << err;
  EXPECT_NE(err.find("WRONGPASS"), std::string::npos) << err;
  EXPECT_EQ(err.find("not-the-password"), std::string::npos) << "password leaked: " << err;
  EXPECT_EQ(h.received.size(), 0u);
  EXPECT_EQ(PendingCount(redis, kJobs, kGroup), -1);  // not even the group was created
  ASSERT_TRUE(h.Close());
}

TEST_F(ConnectionTest, UnixSocket) {
  RedisServerOptions ro;
  ro.unix_socket = true;
  RedisServer redis(ro);
  ASSERT_TRUE(redis.Start()) << redis.error();
  auto o = TestStoreOptions(redis);
  ASSERT_FALSE(o.endpoint.unix_socket.empty());
  o.endpoint.host = "192.0.2.1";  // unroutable: proves the socket path is what is used
  o.endpoint.port = 1;
  StoreHarness h(loop_, o);
  RoundTrip(redis, h, 2);
  ASSERT_TRUE(h.Close());
}

TEST_F(ConnectionTest, RedisKilledWithCommitsOutstandingLosesNone) {
  constexpr int kN = 1000;
  RedisServerOptions ro;
  ro.appendonly = true;  // what Redis acknowledged survives the kill
  RedisServer redis(ro);
  ASSERT_TRUE(redis.Start()) << redis.error();
  std::vector<std::string> ids;
  for (int i = 0; i < kN; ++i) ids.push_back(StreamAdd(redis, kJobs, EnvelopeFields("j")));
  StoreHarness h(loop_, TestStoreOptions(redis));
  h.Grant(kN);
  ASSERT_TRUE(h.WaitReceived(kN));

  int done = 0;
  for (int i = 0; i < kN / 2; ++i) {
    h->Commit(SubmittedOutcome(ids[i], "job", "m-" + ids[i]), [&] { ++done; });
  }
  ASSERT_TRUE(loop_.RunUntil([&] { return done == kN / 2; }));
  redis.Kill();
  // Issued while the store still believes it is connected: they go out on a dead socket.
  for (int i = kN / 2; i < kN; ++i) {
    h->Commit(SubmittedOutcome(ids[i], "job", "m-" + ids[i]), [&] { ++done; });
  }
  ASSERT_TRUE(loop_.RunUntil([&] { return !h->connected(); }));
  // Give the store a few failed reconnects to prove it keeps trying.
  const uint64_t failures_before = h->counters().reconnects;
  EXPECT_GE(failures_before, 1u);
  EXPECT_EQ(done, kN / 2);
  EXPECT_EQ(h->queued_writes(), static_cast<size_t>(kN / 2));

  ASSERT_TRUE(redis.Start()) << redis.error();  // same port, data from the AOF
  ASSERT_TRUE(loop_.RunUntil([&] { return done == kN; }, 60s)) << done;
  EXPECT_EQ(h->queued_writes(), 0u);
  // Exactly one outcome per entry, every entry acknowledged, none handed out twice.
  std::map<std::string, int> per_entry;
  for (const StreamRecord& r : StreamRead(redis, "sd:outcomes")) ++per_entry[r.Get("entry")];
  ASSERT_EQ(per_entry.size(), static_cast<size_t>(kN));
  for (const std::string& id : ids) EXPECT_EQ(per_entry[id], 1) << id;
  EXPECT_EQ(PendingCount(redis, kJobs, kGroup), 0);
  EXPECT_EQ(h->counters().entries_read, static_cast<uint64_t>(kN));
  EXPECT_EQ(h.received.size(), static_cast<size_t>(kN));
  // And intake resumes on the new connection.
  StreamAdd(redis, kJobs, EnvelopeFields("after"));
  h.Grant(1);
  ASSERT_TRUE(h.WaitReceived(kN + 1));
  ASSERT_TRUE(h.Close());
}

TEST_F(ConnectionTest, RedisRestartedEmptyGetsItsGroupAndScriptsBack) {
  RedisServer redis;
  ASSERT_TRUE(redis.Start()) << redis.error();
  StoreHarness h(loop_, TestStoreOptions(redis));
  RoundTrip(redis, h, 1);
  redis.Kill();
  ASSERT_TRUE(loop_.RunUntil([&] { return !h->connected(); }));
  ASSERT_TRUE(redis.Start()) << redis.error();  // no persistence: no stream, group, scripts
  ASSERT_TRUE(h.WaitConnected());
  RoundTrip(redis, h, 2);
  EXPECT_EQ(StreamLength(redis, "sd:outcomes"), 2);
  ASSERT_TRUE(h.Close());
}

TEST_F(ConnectionTest, CloseGivesUpOnUnconfirmedWritesAfterItsTimeout) {
  RedisServer redis;
  ASSERT_TRUE(redis.Start()) << redis.error();
  StoreHarness h(loop_, TestStoreOptions(redis));
  ASSERT_TRUE(h.WaitConnected());
  redis.Kill();
  ASSERT_TRUE(loop_.RunUntil([&] { return !h->connected(); }));
  bool committed = false;
  h->Commit(RejectedOutcome("1-1", Reason::kExpired), [&] { committed = true; });
  EXPECT_EQ(h->queued_writes(), 1u);
  ASSERT_TRUE(h.Close(50));
  EXPECT_FALSE(committed);  // never confirmed, so never reported as durable
}

TEST_F(ConnectionTest, CloseWhileAReadIsBlockedAndWhileConnecting) {
  RedisServer redis;
  ASSERT_TRUE(redis.Start()) << redis.error();
  auto o = TestStoreOptions(redis);
  o.block_ms = 60'000;  // the read would hold the reader for a minute
  {
    StoreHarness h(loop_, o);
    h.Grant(10);
    ASSERT_TRUE(
        loop_.RunUntil([&] { return InfoField(redis, "clients", "blocked_clients") == "1"; }));
    ASSERT_TRUE(h.Close());
  }
  {
    // Never connected: nothing listens on the port any more. The refusal is seen at once
    // (libuv reports it as a poll error, which hiredis' own libuv adapter drops: the
    // connection would hang until the connect timeout, here far beyond the test's patience).
    redis.Kill();
    o.endpoint.connect_timeout_ms = 600'000;
    StoreHarness h(loop_, o);
    ASSERT_TRUE(
        loop_.RunUntil([&] { return h->last_error().find("refused") != std::string::npos; }));
    ASSERT_TRUE(h.Close());
  }
}

TEST(RedisStoreOptions, DefaultConsumerIsTheHostName) {
  char host[256] = {};
  ASSERT_EQ(gethostname(host, sizeof host - 1), 0);
  EXPECT_EQ(redis::RedisStoreOptions{}.consumer, std::string(host));
}

}  // namespace
}  // namespace sd::testing
