// Commit batches by plain commands (adapters/redis/redis_job_store_commit.cc): WATCH and read
// the records, then MULTI/EXEC of the writes. Exactly one outcome per entry when another
// daemon commits the same entry between the two steps, when the outcome stream breaks
// between them, and when a batch holds entries only the script can decide. Against a real
// redis-server.
#include <gtest/gtest.h>

#include <map>

#include "adapters/redis/api_status_record.h"
#include "adapters/redis/lua_scripts.h"
#include "tests/support/job_store_harness.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;

constexpr char kJobs[] = "sd:jobs";

constexpr char kGroup[] = "smsdispatch";

class CommitTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(redis_.Start()) << redis_.error(); }
  void TearDown() override { EXPECT_EQ(loop_.RunToCompletionAndClose(), 0) << "handles left open"; }

  std::vector<std::string> ReadAndClaim(StoreHarness& h, int n, const std::string& prefix) {
    return sd::testing::ReadAndClaim(redis_, h, n, prefix);
  }

  // Commits every outcome in one loop turn (one batch) and waits for all of them.
  void CommitAll(StoreHarness& h, const std::vector<Outcome>& outcomes) {
    size_t done = 0;
    for (const Outcome& o : outcomes) h->Commit(o, [&] { ++done; });
    ASSERT_TRUE(loop_.RunUntil([&] { return done == outcomes.size(); }, 10s));
  }

  std::string Get(const std::string& key) { return StringAt(redis_, key); }
  long long Pttl(const std::string& key) {
    ReplyPtr r = redis_.Command({"PTTL", key});
    return r && r->type == REDIS_REPLY_INTEGER ? r->integer : -100;
  }
  long long CommandCalls(const std::string& name) { return sd::testing::CommandCalls(redis_, name); }

  UvTestLoop loop_;
  RedisServer redis_;
};

// Jobs the HTTPS API made: the status record that exists takes the outcome; one that expired
// is not made again.
TEST_F(CommitTest, ApiStatusRecordsAreUpdatedOnlyWhereTheyExist) {
  StoreHarness h(loop_, PlainOptions(redis_));
  const auto again = ReadAndClaim(h, 2, "api-");
  const std::string live = "sd:api:st:api-" + again[0];
  ASSERT_TRUE(redis_.Command({"SET", live, "status:6:queued", "PX", "60000"}));
  std::vector<Outcome> api = {SubmittedOutcome(again[0], "api-" + again[0], "m-a0"),
                              SubmittedOutcome(again[1], "api-" + again[1], "m-a1")};
  const long long evalsha_before = CommandCalls("evalsha") + CommandCalls("eval");
  CommitAll(h, api);
  EXPECT_EQ(CommandCalls("evalsha") + CommandCalls("eval"), evalsha_before);
  EXPECT_EQ(h->counters().plain_commits, 1u);
  EXPECT_EQ(h->counters().outcomes_written, 2u);
  EXPECT_EQ(StreamLength(redis_, "sd:outcomes"), 2);
  EXPECT_EQ(PendingCount(redis_, kJobs, kGroup), 0);
  const std::string record = Get(live);
  EXPECT_EQ(record.rfind("status:6:queuedstatus:9:submitted", 0), 0u) << record;
  EXPECT_NE(record.find("message_id:4:m-a0"), std::string::npos) << record;
  EXPECT_GT(Pttl(live), 0);                          // its expiry kept
  EXPECT_EQ(Pttl("sd:api:st:api-" + again[1]), -2);  // not re-created
  ASSERT_TRUE(h.Close());
}

// A status record made as a hash, before the string format: the script updates it (the plain
// path leaves the batch to it), and makes no string record beside it.
TEST_F(CommitTest, ALegacyApiStatusRecordIsUpdatedByTheScript) {
  StoreHarness h(loop_, PlainOptions(redis_));
  const auto ids = ReadAndClaim(h, 1, "api-");
  const std::string legacy = "sd:api:msg:api-" + ids[0];
  ASSERT_TRUE(redis_.Command({"HSET", legacy, "fam", "test", "status", "queued"}));
  ASSERT_TRUE(redis_.Command({"PEXPIRE", legacy, "60000"}));
  const long long evalsha_before = CommandCalls("evalsha") + CommandCalls("eval");
  CommitAll(h, {SubmittedOutcome(ids[0], "api-" + ids[0], "m-l0")});
  EXPECT_EQ(CommandCalls("evalsha") + CommandCalls("eval"), evalsha_before + 1);
  EXPECT_EQ(h->counters().plain_commits, 0u);
  ReplyPtr status = redis_.Command({"HGET", legacy, "status"});
  EXPECT_EQ(status && status->type == REDIS_REPLY_STRING ? std::string(status->str) : "",
            "submitted");
  ReplyPtr message_id = redis_.Command({"HGET", legacy, "message_id"});
  EXPECT_EQ(
      message_id && message_id->type == REDIS_REPLY_STRING ? std::string(message_id->str) : "",
      "m-l0");
  EXPECT_GT(Pttl(legacy), 0);
  EXPECT_EQ(Pttl("sd:api:st:api-" + ids[0]), -2);
  ASSERT_TRUE(h.Close());
}

// The same API job on the stream twice (its signed bytes added again): the copy's rejection
// (replay) is an outcome of its own entry, and leaves the job's status record alone. A job
// rejected before it was claimed (nobody's record) still fills its record in.
TEST_F(CommitTest, AReplayedApiJobsRejectionLeavesTheJobsStatusRecordAlone) {
  StoreHarness h(loop_, TestStoreOptions(redis_));
  const std::string first = StreamAdd(redis_, kJobs, EnvelopeFields("j"));
  const std::string copy = StreamAdd(redis_, kJobs, EnvelopeFields("j"));
  const std::string early = StreamAdd(redis_, kJobs, EnvelopeFields("j"));
  h.Grant(3);
  ASSERT_TRUE(h.WaitReceived(3));
  EXPECT_EQ(h.Claim({{first, "api-x", 600'000}, {copy, "api-x", 600'000}}),
            (std::vector<ClaimState>{ClaimState::kNew, ClaimState::kReplay}));
  for (const std::string id : {"api-x", "api-early"}) {
    ASSERT_TRUE(redis_.Command({"SET", "sd:api:st:" + id, "status:6:queued", "PX", "60000"}));
  }
  Outcome replay = RejectedOutcome(copy, Reason::kReplay);
  replay.job_id = "api-x";
  Outcome revoked = RejectedOutcome(early, Reason::kRevokedKey);
  revoked.job_id = "api-early";
  CommitAll(h, {SubmittedOutcome(first, "api-x", "m-x"), replay, revoked});
  EXPECT_EQ(StreamLength(redis_, "sd:outcomes"), 3);
  ApiStatus x, e;
  ASSERT_TRUE(redis::DecodeStatusRecord(Get("sd:api:st:api-x"), x));
  ASSERT_TRUE(redis::DecodeStatusRecord(Get("sd:api:st:api-early"), e));
  std::map<std::string, std::string> xf(x.begin(), x.end()), ef(e.begin(), e.end());
  EXPECT_EQ(xf["status"], "submitted");
  EXPECT_EQ(xf["reason"], "");
  EXPECT_EQ(ef["status"], "rejected");
  EXPECT_EQ(ef["reason"], "revoked_key");
  ASSERT_TRUE(h.Close());
}

TEST_F(CommitTest, RecordsCorrelationAndAcksAsTheScriptDoes) {
  auto o = PlainOptions(redis_);
  o.correlation_ttl_ms = 3'600'000;
  StoreHarness h(loop_, o);
  const auto ids = ReadAndClaim(h, 3, "job-");
  std::vector<Outcome> batch = {SubmittedOutcome(ids[0], "job-" + ids[0], "m-0"),
                                SubmittedOutcome(ids[1], "job-" + ids[1], "m-1"),
                                RejectedOutcome(ids[2], Reason::kRateLimited)};
  batch[1].match_keys = {"p1", "p2", "p3"};
  batch[1].segments = 3;
  batch[2].job_id = "job-" + ids[2];
  const long long scripts_before = CommandCalls("evalsha") + CommandCalls("eval");
  CommitAll(h, batch);
  EXPECT_EQ(CommandCalls("evalsha") + CommandCalls("eval"), scripts_before);
  EXPECT_EQ(h->counters().plain_commits, 1u);
  EXPECT_EQ(h->counters().outcomes_written, 3u);
  const auto outcomes = StreamRead(redis_, "sd:outcomes");
  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_EQ(outcomes[0].Get("entry"), ids[0]);
  EXPECT_EQ(outcomes[1].Get("segments"), "3");
  EXPECT_EQ(outcomes[2].Get("reason"), "rate_limited");
  EXPECT_EQ(PendingCount(redis_, kJobs, kGroup), 0);
  // Each record says done and keeps the claim's expiry; no guard keys.
  for (const std::string& id : ids) {
    EXPECT_EQ(Get("sd:idem:job-" + id), id + "|done");
    EXPECT_GT(Pttl("sd:idem:job-" + id), 0);
    EXPECT_EQ(Get("sd:out:" + id), "<nil>");
  }
  // Correlation: the single part's, and one per part with its position.
  const std::string corr = redis::EncodeCorrelation(ids[0], "job-" + ids[0], "ref-job-" + ids[0],
                                                    "test.v1");
  EXPECT_EQ(Get("sd:corr:carrier-a:m-0"), corr);
  EXPECT_GT(Pttl("sd:corr:carrier-a:m-0"), 0);
  EXPECT_LE(Pttl("sd:corr:carrier-a:m-0"), 3'600'000);
  EXPECT_EQ(
      Get("sd:corr:carrier-a:p2"),
      redis::EncodeCorrelation(ids[1], "job-" + ids[1], "ref-job-" + ids[1], "test.v1", 2, 3));
  // Committed again (a retry): acknowledged, nothing written, still without the script.
  CommitAll(h, batch);
  EXPECT_EQ(StreamLength(redis_, "sd:outcomes"), 3);
  EXPECT_EQ(h->counters().outcomes_written, 3u);
  EXPECT_EQ(h->counters().commits, 6u);
  EXPECT_EQ(h->counters().plain_commits, 2u);
  ASSERT_TRUE(h.Close());
}

// Another daemon took the entry over and committed it between our check and our writes: our
// EXEC runs nothing, the check is made again and finds it done. One outcome, theirs.
TEST_F(CommitTest, AnotherDaemonsCommitBetweenTheStepsWins) {
  StoreHarness h(loop_, PlainOptions(redis_));
  const auto ids = ReadAndClaim(h, 2, "job-");
  bool raced = false;
  h->SetPlainCheckHookForTest([&] {
    if (raced) return;
    raced = true;
    ASSERT_TRUE(redis_.Command({"XADD", "sd:outcomes", "*", "entry", ids[0], "by", "other"}));
    ASSERT_TRUE(redis_.Command({"SET", "sd:idem:job-" + ids[0], ids[0] + "|done", "XX", "KEEPTTL"}));
  });
  CommitAll(h, {SubmittedOutcome(ids[0], "job-" + ids[0], "m-0"),
                SubmittedOutcome(ids[1], "job-" + ids[1], "m-1")});
  EXPECT_EQ(h->counters().commit_rechecks, 1u);
  EXPECT_EQ(h->counters().outcomes_written, 1u);  // only the second was ours to write
  const auto outcomes = StreamRead(redis_, "sd:outcomes");
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].Get("by"), "other");
  EXPECT_EQ(outcomes[1].Get("entry"), ids[1]);
  EXPECT_EQ(Get("sd:corr:carrier-a:m-0"), "<nil>");  // the loser wrote nothing
  EXPECT_EQ(PendingCount(redis_, kJobs, kGroup), 0);
  ASSERT_TRUE(h.Close());
}

// The outcome key is replaced by a string between the check and the writes: the XADD fails
// inside EXEC while the record was marked. The record is restored and the batch retried
// until the operator repairs the key; then exactly one outcome.
TEST_F(CommitTest, AnOutcomeStreamBrokenBetweenTheStepsLosesNothing) {
  StoreHarness h(loop_, PlainOptions(redis_));
  const auto ids = ReadAndClaim(h, 1, "job-");
  bool broken = false;
  h->SetPlainCheckHookForTest([&] {
    if (broken) return;
    broken = true;
    ASSERT_TRUE(redis_.Command({"SET", "sd:outcomes", "not a stream"}));
  });
  bool done = false;
  h->Commit(SubmittedOutcome(ids[0], "job-" + ids[0], "m-0"), [&] { done = true; });
  ASSERT_TRUE(loop_.RunUntil([&] { return h->counters().write_retries >= 2; }, 10s));
  EXPECT_FALSE(done);
  EXPECT_EQ(Get("sd:idem:job-" + ids[0]), ids[0]);  // restored: not done
  ASSERT_TRUE(redis_.Command({"DEL", "sd:outcomes"}));
  ASSERT_TRUE(loop_.RunUntil([&] { return done; }, 10s));
  EXPECT_EQ(StreamLength(redis_, "sd:outcomes"), 1);
  EXPECT_EQ(Get("sd:idem:job-" + ids[0]), ids[0] + "|done");
  EXPECT_EQ(PendingCount(redis_, kJobs, kGroup), 0);
  EXPECT_EQ(h->counters().outcomes_written, 1u);
  ASSERT_TRUE(h.Close());
}

// A batch with an entry only the script can decide (never claimed: no record) goes to the
// script whole; the claimed ones in it are written once as well.
TEST_F(CommitTest, ABatchWithAnUnclaimedEntryGoesByTheScript) {
  StoreHarness h(loop_, PlainOptions(redis_));
  const auto ids = ReadAndClaim(h, 2, "job-");
  const std::string unclaimed = StreamAdd(redis_, kJobs, EnvelopeFields("j"));
  h.Grant(1);
  ASSERT_TRUE(h.WaitReceived(3));
  CommitAll(h, {SubmittedOutcome(ids[0], "job-" + ids[0], "m-0"),
                RejectedOutcome(unclaimed, Reason::kBadSignature),
                SubmittedOutcome(ids[1], "job-" + ids[1], "m-1")});
  EXPECT_EQ(h->counters().plain_commits, 0u);
  EXPECT_EQ(h->counters().outcomes_written, 3u);
  EXPECT_EQ(StreamLength(redis_, "sd:outcomes"), 3);
  EXPECT_EQ(PendingCount(redis_, kJobs, kGroup), 0);
  EXPECT_EQ(Get("sd:out:" + unclaimed), "1");  // the script's guard for the unclaimed one
  ASSERT_TRUE(h.Close());
}

// An ACL without WATCH: the commits go by the script (one warning), nothing is lost.
TEST_F(CommitTest, AnAclWithoutWatchFallsBackToTheScript) {
  RedisServerOptions ro;
  ro.acl_users = {
      "nowatch on >pw ~sd:* resetchannels +xreadgroup +xautoclaim +xclaim +xpending +xack "
      "+xadd +xgroup|create +evalsha +eval +script|load +multi +exec +set +get +exists +time "
      "+ping +hset +hget +hexists +hlen +hvals +pexpire +auth"};
  RedisServer redis(ro);
  ASSERT_TRUE(redis.Start()) << redis.error();
  auto o = PlainOptions(redis);
  o.endpoint.user = "nowatch";
  o.endpoint.password = "pw";
  StoreHarness h(loop_, o);
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(StreamAdd(redis, kJobs, EnvelopeFields("j")));
  h.Grant(4);
  ASSERT_TRUE(h.WaitReceived(4));
  std::vector<ClaimRequest> claims;
  for (const std::string& id : ids) claims.push_back({id, "job-" + id, 60'000});
  ASSERT_EQ(h.Claim(claims), std::vector<ClaimState>(4, ClaimState::kNew));
  for (const std::string& id : ids) ASSERT_TRUE(h.Commit(SubmittedOutcome(id, "job-" + id, "m")));
  EXPECT_EQ(StreamLength(redis, "sd:outcomes"), 4);
  EXPECT_EQ(PendingCount(redis, kJobs, kGroup), 0);
  EXPECT_EQ(h->counters().plain_commits, 0u);
  EXPECT_EQ(h->counters().outcomes_written, 4u);
  ASSERT_TRUE(h.Close());
}

// Off (the default): every commit and receipt batch goes by its script, as before.
TEST_F(CommitTest, WithoutPlainWritesTheScriptsDoEverything) {
  StoreHarness h(loop_, TestStoreOptions(redis_));
  const auto ids = ReadAndClaim(h, 2, "job-");
  const long long scripts = CommandCalls("evalsha") + CommandCalls("eval");
  CommitAll(h, {SubmittedOutcome(ids[0], "job-" + ids[0], "m-0"),
                SubmittedOutcome(ids[1], "job-" + ids[1], "m-1")});
  Receipt rc;
  rc.carrier = "carrier-a";
  rc.message_id = "m-0";
  rc.state = ReceiptState::kDelivered;
  ASSERT_TRUE(h.PutReceipt(rc));
  EXPECT_EQ(CommandCalls("evalsha") + CommandCalls("eval"), scripts + 2);
  EXPECT_EQ(CommandCalls("watch"), 0);
  EXPECT_EQ(h->counters().plain_commits, 0u);
  EXPECT_EQ(h->counters().plain_receipts, 0u);
  EXPECT_EQ(StreamLength(redis_, "sd:outcomes"), 2);
  EXPECT_EQ(StreamLength(redis_, "sd:receipts"), 1);
  ASSERT_TRUE(h.Close());
}

}  // namespace
}  // namespace sd::testing
