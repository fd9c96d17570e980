// Writes: the claim states, exactly one outcome per entry with its acknowledgement and
// correlation record, receipts matched or quarantined, pipelining, script-cache loss, and
// error replies retried until they succeed. All against a real redis-server.
#include <gtest/gtest.h>

#include <map>

#include "adapters/redis/lua_scripts.h"
#include "tests/support/job_store_harness.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;

constexpr char kJobs[] = "sd:jobs";
constexpr char kGroup[] = "smsdispatch";

class WriteTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(redis_.Start()) << redis_.error(); }
  void TearDown() override { EXPECT_EQ(loop_.RunToCompletionAndClose(), 0) << "handles left open"; }

  // Adds `n` entries and lets `h` read them (so they are pending, as in production).
  std::vector<std::string> ReadJobs(StoreHarness& h, int n) {
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) ids.push_back(StreamAdd(redis_, kJobs, EnvelopeFields("j")));
    const size_t before = h.received.size();
    h.Grant(static_cast<size_t>(n));
    EXPECT_TRUE(h.WaitReceived(before + static_cast<size_t>(n)));
    return ids;
  }

  long long Pttl(const std::string& key) {
    ReplyPtr r = redis_.Command({"PTTL", key});
    return r && r->type == REDIS_REPLY_INTEGER ? r->integer : -100;
  }
  std::string Get(const std::string& key) {
    ReplyPtr r = redis_.Command({"GET", key});
    return r && r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : "<nil>";
  }

  UvTestLoop loop_;
  RedisServer redis_;
};

TEST_F(WriteTest, ClaimStates) {
  StoreHarness h(loop_, TestStoreOptions(redis_));
  ASSERT_TRUE(h.WaitConnected());
  const int64_t ttl = 600'000;
  // First sight of a job id: new. The record names the entry and expires.
  EXPECT_EQ(h.Claim({{"1-1", "job-a", ttl}}), std::vector<ClaimState>{ClaimState::kNew});
  EXPECT_EQ(Get("sd:idem:job-a"), "1-1");
  EXPECT_GT(Pttl("sd:idem:job-a"), 0);
  EXPECT_LE(Pttl("sd:idem:job-a"), ttl);
  // The same entry again (redelivery after a crash, no outcome yet): resume.
  EXPECT_EQ(h.Claim({{"1-1", "job-a", ttl}}), std::vector<ClaimState>{ClaimState::kResume});
  // Another entry with the same job id: a replay.
  EXPECT_EQ(h.Claim({{"2-1", "job-a", ttl}}), std::vector<ClaimState>{ClaimState::kReplay});
  // Once the entry has its outcome, a redelivery only needs the ack: already done.
  ASSERT_TRUE(h.Commit(SubmittedOutcome("1-1", "job-a", "m-1")));
  EXPECT_EQ(h.Claim({{"1-1", "job-a", ttl}}), std::vector<ClaimState>{ClaimState::kAlreadyDone});
  // The claimed job's record is its guard: marked done, its TTL kept, no separate guard key.
  EXPECT_EQ(Get("sd:idem:job-a"), "1-1|done");
  EXPECT_GT(Pttl("sd:idem:job-a"), 0);
  EXPECT_LE(Pttl("sd:idem:job-a"), ttl);
  EXPECT_EQ(Get("sd:out:1-1"), "<nil>");
  // A replay's rejection owns no record: it is guarded by its entry's key, and the owner's
  // record is left alone.
  Outcome replay = RejectedOutcome("2-1", Reason::kReplay);
  replay.job_id = "job-a";
  ASSERT_TRUE(h.Commit(replay));
  EXPECT_EQ(Get("sd:out:2-1"), "1");
  EXPECT_EQ(Get("sd:idem:job-a"), "1-1|done");
  // A batch: one answer per request, in request order.
  EXPECT_EQ(h.Claim({{"3-1", "job-b", ttl}, {"2-1", "job-a", ttl}, {"3-1", "job-b", ttl}}),
            (std::vector<ClaimState>{ClaimState::kNew, ClaimState::kReplay, ClaimState::kResume}));
  // An empty batch still completes (asynchronously, as every completion).
  bool called = false;
  h->Claim({}, [&](std::vector<ClaimState> s) {
    EXPECT_TRUE(s.empty());
    called = true;
  });
  EXPECT_FALSE(called);
  EXPECT_TRUE(loop_.RunUntil([&] { return called; }));
  EXPECT_EQ(h->counters().claims, 7u);
  // New job ids went out as plain SET NX in MULTI/EXEC; the claims that found a record were
  // settled by the claim script: resume, replay, done, and two in the batch.
  EXPECT_EQ(h->counters().claim_conflicts, 5u);
  EXPECT_GE(h->counters().transactions, 5u);
  ASSERT_TRUE(h.Close());
}

TEST_F(WriteTest, CommitWritesExactlyOneOutcomeAcksAndCorrelates) {
  auto o = TestStoreOptions(redis_);
  o.correlation_ttl_ms = 3'600'000;
  StoreHarness h(loop_, o);
  const auto ids = ReadJobs(h, 1);
  ASSERT_EQ(PendingCount(redis_, kJobs, kGroup), 1);
  Outcome out = SubmittedOutcome(ids[0], "job-1", "msg-1");
  out.detail = "first";
  ASSERT_TRUE(h.Commit(out));
  EXPECT_EQ(h->in_process(), 0u);
  // The same entry again (a retry, or a second daemon racing): acked, nothing new written.
  out.detail = "second";
  out.message_id = "msg-2";
  ASSERT_TRUE(h.Commit(out));

  const auto outcomes = StreamRead(redis_, "sd:outcomes");
  ASSERT_EQ(outcomes.size(), 1u);
  const StreamRecord& r = outcomes[0];
  const FieldList expected{{"entry", ids[0]},    {"job", "job-1"},         {"kid", "test.v1"},
                           {"ref", "ref-job-1"}, {"status", "submitted"},  {"reason", ""},
                           {"detail", "first"},  {"carrier", "carrier-a"}, {"message_id", "msg-1"},
                           {"segments", "1"},    {"ts", "1700000000000"}};
  EXPECT_EQ(r.fields, expected);
  EXPECT_EQ(PendingCount(redis_, kJobs, kGroup), 0);  // acknowledged
  // Correlation for receipts, keyed by the carrier's message id exactly, with a TTL.
  EXPECT_EQ(Get("sd:corr:carrier-a:msg-1"),
            redis::EncodeCorrelation(ids[0], "job-1", "ref-job-1", "test.v1"));
  EXPECT_GT(Pttl("sd:corr:carrier-a:msg-1"), 0);
  EXPECT_LE(Pttl("sd:corr:carrier-a:msg-1"), 3'600'000);
  EXPECT_EQ(Get("sd:corr:carrier-a:msg-2"), "<nil>");
  // The job was never claimed here, so the once-per-entry guard key holds (correlation TTL).
  EXPECT_GT(Pttl("sd:out:" + ids[0]), 0);
  EXPECT_EQ(h->counters().commits, 2u);
  EXPECT_EQ(h->counters().outcomes_written, 1u);
  ASSERT_TRUE(h.Close());
}

TEST_F(WriteTest, RejectedOutcomeNamesItsReasonAndHasNoCorrelation) {
  StoreHarness h(loop_, TestStoreOptions(redis_));
  const auto ids = ReadJobs(h, 1);
  ASSERT_TRUE(h.Commit(RejectedOutcome(ids[0], Reason::kBadSignature)));
  const auto outcomes = StreamRead(redis_, "sd:outcomes");
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].Get("status"), "rejected");
  EXPECT_EQ(outcomes[0].Get("reason"), "bad_signature");
  EXPECT_EQ(outcomes[0].Get("detail"), "test rejection");
  ReplyPtr keys = redis_.Command({"KEYS", "sd:corr:*"});
  ASSERT_TRUE(keys);
  EXPECT_EQ(keys->elements, 0u);
  EXPECT_EQ(PendingCount(redis_, kJobs, kGroup), 0);
  ASSERT_TRUE(h.Close());
}

// A receipt can overtake its own submit_sm_resp (another bind, or the same read): it is not
// quarantined but asked again until the commit with its correlation has landed.
TEST_F(WriteTest, ReceiptBeforeItsCommitWaitsForIt) {
  auto o = TestStoreOptions(redis_);
  o.unmatched_receipt_wait_ms = 10'000;
  StoreHarness h(loop_, o);
  const auto ids = ReadJobs(h, 1);
  Receipt early;
  early.carrier = "carrier-a";
  early.message_id = "late-1";
  early.state = ReceiptState::kDelivered;
  bool receipt_done = false;
  h->PutReceipt(early, [&] { receipt_done = true; });
  // Its submit response is still "on the way": the receipt waits, nothing is written.
  EXPECT_FALSE(loop_.RunUntil([&] { return receipt_done; }, 350ms));
  EXPECT_EQ(StreamLength(redis_, "sd:receipts:unmatched"), 0);
  EXPECT_GE(h->counters().receipt_retries, 1u);
  ASSERT_TRUE(h.Commit(SubmittedOutcome(ids[0], "job-late", "late-1")));
  ASSERT_TRUE(loop_.RunUntil([&] { return receipt_done; }, 10s));
  const auto receipts = StreamRead(redis_, "sd:receipts");
  ASSERT_EQ(receipts.size(), 1u);
  EXPECT_EQ(receipts[0].Get("job"), "job-late");
  EXPECT_EQ(StreamLength(redis_, "sd:receipts:unmatched"), 0);
  EXPECT_EQ(h->counters().unmatched_receipts, 0u);
  ASSERT_TRUE(h.Close());
}

// A job sent in three parts: one correlation key per part (canonical ids), and ONE receipt
// for the job once every part has a final state; "enroute" on the way counts for nothing.
TEST_F(WriteTest, MultipartReceiptsAggregateIntoOneJobReceipt) {
  StoreHarness h(loop_, TestStoreOptions(redis_));
  const auto ids = ReadJobs(h, 2);
  Outcome out = SubmittedOutcome(ids[0], "job-m", "0A");
  out.match_keys = {"10", "11", "12"};
  out.segments = 3;
  ASSERT_TRUE(h.Commit(out));
  for (const char* k : {"10", "11", "12"}) {
    EXPECT_GT(Pttl(std::string("sd:corr:carrier-a:") + k), 0) << k;
  }
  EXPECT_EQ(Get("sd:corr:carrier-a:0A"), "<nil>");  // the raw id is not a key when canonical

  auto part = [&](const char* raw, const char* key, ReceiptState st) {
    Receipt r;
    r.carrier = "carrier-a";
    r.message_id = raw;
    r.match_key = key;
    r.state = st;
    r.carrier_status = std::string(ReceiptStateName(st));
    r.ts_ms = 1'700'000'002'000;
    return r;
  };
  ASSERT_TRUE(h.PutReceipt(part("0a", "10", ReceiptState::kDelivered)));
  ASSERT_TRUE(h.PutReceipt(part("0B", "11", ReceiptState::kEnroute)));
  ASSERT_TRUE(h.PutReceipt(part("0B", "11", ReceiptState::kDelivered)));
  ASSERT_TRUE(h.PutReceipt(part("0b", "11", ReceiptState::kDelivered)));  // duplicate
  EXPECT_EQ(StreamLength(redis_, "sd:receipts"), 0);
  ASSERT_TRUE(h.PutReceipt(part("0C", "12", ReceiptState::kDelivered)));
  auto receipts = StreamRead(redis_, "sd:receipts");
  ASSERT_EQ(receipts.size(), 1u);
  EXPECT_EQ(receipts[0].Get("entry"), ids[0]);
  EXPECT_EQ(receipts[0].Get("job"), "job-m");
  EXPECT_EQ(receipts[0].Get("status"), "delivered");
  EXPECT_EQ(receipts[0].Get("parts"), "3");
  EXPECT_EQ(receipts[0].Get("delivered_parts"), "3");
  EXPECT_EQ(receipts[0].Get("message_id"), "0C");
  EXPECT_EQ(h->counters().part_receipts, 3u);
  EXPECT_EQ(h->counters().duplicate_receipts, 1u);
  EXPECT_EQ(StreamLength(redis_, "sd:receipts:unmatched"), 0);

  // Second job: one part fails. The job's receipt carries the worst part state.
  Outcome out2 = SubmittedOutcome(ids[1], "job-n", "20");
  out2.match_keys = {"20", "21"};
  ASSERT_TRUE(h.Commit(out2));
  ASSERT_TRUE(h.PutReceipt(part("21", "21", ReceiptState::kUndelivered)));
  ASSERT_TRUE(h.PutReceipt(part("20", "20", ReceiptState::kDelivered)));
  receipts = StreamRead(redis_, "sd:receipts");
  ASSERT_EQ(receipts.size(), 2u);
  EXPECT_EQ(receipts[1].Get("job"), "job-n");
  EXPECT_EQ(receipts[1].Get("status"), "undelivered");
  EXPECT_EQ(receipts[1].Get("parts"), "2");
  EXPECT_EQ(receipts[1].Get("delivered_parts"), "1");
  ASSERT_TRUE(h.Close());
}

// SMPP 3.4 calls ACCEPTED final, yet SMSCs send ACCEPTD and then DELIVRD for the same part.
// A single-part job gets a receipt per state; a multipart job's receipt is written again
// when a part's later state changes the job's state, and not when it leaves it unchanged.
TEST_F(WriteTest, AMultipartJobsReceiptFollowsAPartsLaterState) {
  StoreHarness h(loop_, TestStoreOptions(redis_));
  const auto ids = ReadJobs(h, 1);
  Outcome out = SubmittedOutcome(ids[0], "job-a", "p1");
  out.match_keys = {"p1", "p2"};
  out.segments = 2;
  ASSERT_TRUE(h.Commit(out));
  auto part = [&](const char* id, ReceiptState st) {
    Receipt r;
    r.carrier = "carrier-a";
    r.message_id = r.match_key = id;
    r.state = st;
    r.carrier_status = std::string(ReceiptStateName(st));
    return r;
  };
  ASSERT_TRUE(h.PutReceipt(part("p1", ReceiptState::kAccepted)));
  ASSERT_TRUE(h.PutReceipt(part("p2", ReceiptState::kDelivered)));
  auto receipts = StreamRead(redis_, "sd:receipts");
  ASSERT_EQ(receipts.size(), 1u);
  EXPECT_EQ(receipts[0].Get("status"), "accepted");
  EXPECT_EQ(receipts[0].Get("delivered_parts"), "1");
  ASSERT_TRUE(h.PutReceipt(part("p2", ReceiptState::kDelivered)));  // redelivered: nothing
  ASSERT_TRUE(h.PutReceipt(part("p1", ReceiptState::kDelivered)));  // the job is delivered now
  receipts = StreamRead(redis_, "sd:receipts");
  ASSERT_EQ(receipts.size(), 2u);
  EXPECT_EQ(receipts[1].Get("status"), "delivered");
  EXPECT_EQ(receipts[1].Get("delivered_parts"), "2");
  EXPECT_EQ(receipts[1].Get("job"), "job-a");
  ASSERT_TRUE(h.PutReceipt(part("p1", ReceiptState::kDelivered)));  // duplicate again
  EXPECT_EQ(StreamLength(redis_, "sd:receipts"), 2);
  EXPECT_EQ(h->counters().duplicate_receipts, 2u);
  // Matched receipts leave no key of their own: the states are noted on the correlation key.
  ReplyPtr keys = redis_.Command({"KEYS", "sd:rcpt:*"});
  ASSERT_TRUE(keys && keys->type == REDIS_REPLY_ARRAY);
  EXPECT_EQ(keys->elements, 0u);
  EXPECT_GT(Pttl("sd:corr:carrier-a:p1"), 0);  // the note kept the correlation's TTL
  ASSERT_TRUE(h.Close());
}

// A part receipt whose XADD fails (the receipts stream has the wrong type) leaves no state
// behind: once the stream is fixed, the retried write completes the job's receipt.
TEST_F(WriteTest, MultipartReceiptRetriedAfterAFailedWriteStillCompletes) {
  StoreHarness h(loop_, TestStoreOptions(redis_));
  const auto ids = ReadJobs(h, 1);
  Outcome out = SubmittedOutcome(ids[0], "job-r", "a");
  out.match_keys = {"a", "b"};
  ASSERT_TRUE(h.Commit(out));
  Receipt r;
  r.carrier = "carrier-a";
  r.state = ReceiptState::kDelivered;
  r.message_id = r.match_key = "a";
  ASSERT_TRUE(h.PutReceipt(r));
  ASSERT_TRUE(redis_.Command({"SET", "sd:receipts", "not a stream"}));
  r.message_id = r.match_key = "b";
  bool done = false;
  h->PutReceipt(r, [&] { done = true; });
  // The store retries while the write fails; fix the key and the same write lands.
  EXPECT_FALSE(loop_.RunUntil([&] { return done; }, 300ms));
  ASSERT_TRUE(redis_.Command({"DEL", "sd:receipts"}));
  ASSERT_TRUE(loop_.RunUntil([&] { return done; }, 10s));
  const auto receipts = StreamRead(redis_, "sd:receipts");
  ASSERT_EQ(receipts.size(), 1u);
  EXPECT_EQ(receipts[0].Get("status"), "delivered");
  EXPECT_EQ(receipts[0].Get("delivered_parts"), "2");
  ASSERT_TRUE(h.Close());
}

TEST_F(WriteTest, ReceiptsAreMatchedOrQuarantined) {
  StoreHarness h(loop_, TestStoreOptions(redis_));
  const auto ids = ReadJobs(h, 1);
  Outcome out = SubmittedOutcome(ids[0], "job-1", "id:with:colons");
  out.client_ref = std::string("ref\nwith:\0odd bytes", 19);  // opaque to us, must survive
  ASSERT_TRUE(h.Commit(out));

  Receipt matched;
  matched.carrier = "carrier-a";
  matched.message_id = "id:with:colons";
  matched.state = ReceiptState::kDelivered;
  matched.carrier_status = "DELIVRD";
  matched.error_code = "000";
  matched.ts_ms = 1'700'000'001'000;
  ASSERT_TRUE(h.PutReceipt(matched));
  const auto receipts = StreamRead(redis_, "sd:receipts");
  ASSERT_EQ(receipts.size(), 1u);
  const FieldList expected{{"entry", ids[0]},        {"job", "job-1"},
                           {"ref", out.client_ref},  {"kid", "test.v1"},
                           {"carrier", "carrier-a"}, {"message_id", "id:with:colons"},
                           {"status", "delivered"},  {"carrier_status", "DELIVRD"},
                           {"err", "000"},           {"ts", "1700000001000"}};
  EXPECT_EQ(receipts[0].fields, expected);

  // The SMSC sends the same receipt again (its deliver_sm_resp got lost): recorded once.
  ASSERT_TRUE(h.PutReceipt(matched));
  EXPECT_EQ(StreamLength(redis_, "sd:receipts"), 1);
  EXPECT_EQ(h->counters().duplicate_receipts, 1u);

  Receipt stray = matched;
  stray.message_id = "never-submitted";
  ASSERT_TRUE(h.PutReceipt(stray));
  EXPECT_EQ(StreamLength(redis_, "sd:receipts"), 1);
  const auto quarantined = StreamRead(redis_, "sd:receipts:unmatched");
  ASSERT_EQ(quarantined.size(), 1u);
  EXPECT_EQ(quarantined[0].Get("message_id"), "never-submitted");
  EXPECT_EQ(quarantined[0].Get("carrier"), "carrier-a");
  EXPECT_EQ(quarantined[0].Get("status"), "delivered");
  EXPECT_EQ(quarantined[0].Get("reason"), "unmatched");
  EXPECT_FALSE(quarantined[0].Has("entry"));
  EXPECT_EQ(h->counters().receipts, 3u);
  EXPECT_EQ(h->counters().unmatched_receipts, 1u);
  // The stray one sent again is quarantined once.
  ASSERT_TRUE(h.PutReceipt(stray));
  EXPECT_EQ(StreamLength(redis_, "sd:receipts:unmatched"), 1);
  EXPECT_EQ(h->counters().duplicate_receipts, 2u);
  ASSERT_TRUE(h.Close());
}

// write_linger_ms: commits issued over several loop turns within the linger go out in one
// script call; without it, each turn's commits are their own call.
TEST_F(WriteTest, CommitsWithinTheWriteLingerShareOneScriptCall) {
  for (const int64_t linger : {int64_t{0}, int64_t{50}}) {
    SCOPED_TRACE(linger);
    ASSERT_TRUE(redis_.Command({"FLUSHALL"}));
    auto o = TestStoreOptions(redis_);
    o.write_linger_ms = linger;
    StoreHarness h(loop_, o);
    const auto ids = ReadJobs(h, 5);
    const uint64_t calls_before = h->counters().script_calls;
    int done = 0;
    bool turned = false, closed = false;
    uv_timer_t t;
    uv_timer_init(loop_.get(), &t);
    t.data = &turned;
    for (int i = 0; i < 5; ++i) {
      h->Commit(SubmittedOutcome(ids[i], "job-l" + std::to_string(i), "m" + std::to_string(i)),
                [&] { ++done; });
      // Another loop turn before the next commit (a timer of 0 ms runs on the next turn).
      turned = false;
      uv_timer_start(
          &t, [](uv_timer_t* x) { *static_cast<bool*>(x->data) = true; }, 0, 0);
      ASSERT_TRUE(loop_.RunUntil([&] { return turned; }, 1s));
    }
    t.data = &closed;
    uv_close(reinterpret_cast<uv_handle_t*>(&t),
             [](uv_handle_t* x) { *static_cast<bool*>(x->data) = true; });
    ASSERT_TRUE(loop_.RunUntil([&] { return done == 5 && closed; }, 5s));
    EXPECT_EQ(StreamLength(redis_, "sd:outcomes"), 5);
    const uint64_t calls = h->counters().script_calls - calls_before;
    if (linger == 0) {
      EXPECT_EQ(calls, 5u);
    } else {
      EXPECT_EQ(calls, 1u);
    }
    ASSERT_TRUE(h.Close());
  }
}

// A receipt the carrier could not read (empty message id, its bytes in `raw`) is never
// dropped: quarantined at once with reason unparsable and its raw text, every time it comes
// (nothing can tell a redelivery from another unreadable receipt), never matched to a job.
TEST_F(WriteTest, UnparsableReceiptsAreQuarantinedAtOnceWithTheirBytes) {
  StoreHarness h(loop_, TestStoreOptions(redis_));
  Receipt r;
  r.carrier = "carrier-a";
  r.raw = "id:?? stat:\\x01garbage";
  ASSERT_TRUE(h.PutReceipt(r));
  ASSERT_TRUE(h.PutReceipt(r));  // redelivered
  Receipt other = r;
  other.raw = "something else";
  ASSERT_TRUE(h.PutReceipt(other));
  Receipt empty;  // a receipt flagged as one with nothing readable in it
  empty.carrier = "carrier-a";
  ASSERT_TRUE(h.PutReceipt(empty));
  ASSERT_TRUE(h.PutReceipt(empty));
  const auto q = StreamRead(redis_, "sd:receipts:unmatched");
  ASSERT_EQ(q.size(), 5u);
  EXPECT_EQ(q[0].Get("reason"), "unparsable");
  EXPECT_EQ(q[0].Get("raw"), r.raw);
  EXPECT_EQ(q[0].Get("carrier"), "carrier-a");
  EXPECT_EQ(q[1].Get("raw"), r.raw);
  EXPECT_EQ(q[2].Get("raw"), "something else");
  EXPECT_EQ(q[3].Get("reason"), "unparsable");
  EXPECT_EQ(StreamLength(redis_, "sd:receipts"), 0);
  EXPECT_EQ(h->counters().unparsable_receipts, 5u);
  EXPECT_EQ(h->counters().duplicate_receipts, 0u);
  EXPECT_EQ(h->counters().receipt_retries, 0u) << "no wait for a submit that cannot come";
  ASSERT_TRUE(h.Close());
}

TEST_F(WriteTest, AThousandCommitsInOneLoopTurnArePipelined) {
  constexpr int kN = 1000;
  auto o = TestStoreOptions(redis_);
  o.batch = 256;
  StoreHarness h(loop_, o);
  ASSERT_TRUE(h.WaitConnected());
  // Seed with one pipelined round trip (hiredis sync: append, then read every reply).
  redisContext* c = redis_.Client();
  ASSERT_NE(c, nullptr);
  for (int i = 0; i < kN; ++i) {
    redisAppendCommand(c, "XADD %s * v 1 kid k job j%d sig s", kJobs, i);
  }
  for (int i = 0; i < kN; ++i) {
    void* reply = nullptr;
    ASSERT_EQ(redisGetReply(c, &reply), REDIS_OK);
    freeReplyObject(reply);
  }
  h.Grant(kN);
  ASSERT_TRUE(h.WaitReceived(kN));

  // All issued before the loop runs again: hiredis puts them in one output buffer.
  int done = 0;
  for (const StreamEntry& e : h.received) {
    h->Commit(SubmittedOutcome(e.entry_id, "job-" + e.entry_id, "m-" + e.entry_id),
              [&] { ++done; });
  }
  EXPECT_EQ(done, 0);  // completions never run inside the call
  loop_.StartCountingIterations();
  ASSERT_TRUE(loop_.RunUntil([&] { return done == kN; }));
  const uint64_t iterations = loop_.iterations();
  RecordProperty("loop_iterations", std::to_string(iterations));
  loop_.StopCountingIterations();

  EXPECT_EQ(StreamLength(redis_, "sd:outcomes"), kN);
  EXPECT_EQ(PendingCount(redis_, kJobs, kGroup), 0);
  const std::string stats = InfoField(redis_, "commandstats", "cmdstat_evalsha");
  ASSERT_FALSE(stats.empty());
  EXPECT_EQ(stats.rfind("calls=", 0), 0u) << stats;
  // Commits issued in one loop turn are batched: far fewer script calls than commits.
  EXPECT_LE(std::stoll(stats.substr(6)), kN / 100) << stats;
  // Waiting for each reply before sending the next would need at least one loop iteration
  // per commit. This counts iterations, not time.
  EXPECT_LT(iterations, static_cast<uint64_t>(kN) / 4) << "commits were not pipelined";
  ASSERT_TRUE(h.Close());
}

TEST_F(WriteTest, LosingTheScriptCacheIsHarmless) {
  StoreHarness h(loop_, TestStoreOptions(redis_));
  const auto ids = ReadJobs(h, 2);
  ReplyPtr r = redis_.Command({"SCRIPT", "FLUSH"});
  ASSERT_TRUE(r);
  ASSERT_TRUE(h.Commit(SubmittedOutcome(ids[0], "job-1", "m1")));
  EXPECT_EQ(h.Claim({{ids[1], "job-2", 60'000}}), std::vector<ClaimState>{ClaimState::kNew});
  EXPECT_EQ(StreamLength(redis_, "sd:outcomes"), 1);
  EXPECT_EQ(PendingCount(redis_, kJobs, kGroup), 1);
  // The body was sent once (EVAL), which cached it: the next calls are EVALSHA again.
  r = redis_.Command({"SCRIPT", "EXISTS", redis::kCommitManyScript.sha1});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->elements, 1u);
  EXPECT_EQ(r->element[0]->integer, 1);
  ASSERT_TRUE(h.Close());
}

TEST_F(WriteTest, AFailingWriteIsRetriedUntilItSucceedsAndStillWritesOnce) {
  StoreHarness h(loop_, TestStoreOptions(redis_));
  const auto ids = ReadJobs(h, 1);
  // An operator mistake: the outcome stream's name is taken by a string. The commit fails
  // with WRONGTYPE, and must neither be dropped nor leave a guard behind that would make
  // the retry skip the outcome.
  ReplyPtr r = redis_.Command({"SET", "sd:outcomes", "not a stream"});
  ASSERT_TRUE(r);
  bool done = false;
  h->Commit(SubmittedOutcome(ids[0], "job-1", "m1"), [&] { done = true; });
  ASSERT_TRUE(loop_.RunUntil([&] { return h->counters().write_retries >= 2; }));
  EXPECT_FALSE(done);
  EXPECT_EQ(PendingCount(redis_, kJobs, kGroup), 1);
  r = redis_.Command({"DEL", "sd:outcomes"});
  ASSERT_TRUE(loop_.RunUntil([&] { return done; }));
  EXPECT_EQ(StreamLength(redis_, "sd:outcomes"), 1);
  EXPECT_EQ(PendingCount(redis_, kJobs, kGroup), 0);
  EXPECT_GE(h->counters().errors, 2u);

  // Same for a receipt whose stream is broken.
  r = redis_.Command({"SET", "sd:receipts", "not a stream"});
  bool receipt_done = false;
  Receipt rc;
  rc.carrier = "carrier-a";
  rc.message_id = "m1";
  rc.state = ReceiptState::kDelivered;
  h->PutReceipt(rc, [&] { receipt_done = true; });
  const uint64_t retries = h->counters().write_retries;
  ASSERT_TRUE(loop_.RunUntil([&] { return h->counters().write_retries >= retries + 2; }));
  EXPECT_FALSE(receipt_done);
  r = redis_.Command({"DEL", "sd:receipts"});
  ASSERT_TRUE(loop_.RunUntil([&] { return receipt_done; }));
  EXPECT_EQ(StreamLength(redis_, "sd:receipts"), 1);
  EXPECT_EQ(h->counters().duplicate_receipts, 0u);
  ASSERT_TRUE(h.Close());
}

TEST_F(WriteTest, OutcomeAndReceiptStreamsAreTrimmedApproximately) {
  auto o = TestStoreOptions(redis_);
  o.outcome_maxlen = 10;
  StoreHarness h(loop_, o);
  const auto ids = ReadJobs(h, 300);
  int done = 0;
  for (const std::string& id : ids)
    h->Commit(RejectedOutcome(id, Reason::kExpired), [&] { ++done; });
  ASSERT_TRUE(loop_.RunUntil([&] { return done == 300; }));
  // "~": Redis trims whole nodes, so the length is bounded but not exactly 10.
  EXPECT_LT(StreamLength(redis_, "sd:outcomes"), 300);
  // The job stream is never trimmed by the daemon.
  EXPECT_EQ(StreamLength(redis_, kJobs), 300);
  ASSERT_TRUE(h.Close());
}

}  // namespace
}  // namespace sd::testing
