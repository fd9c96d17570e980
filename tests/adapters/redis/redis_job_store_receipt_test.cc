// Receipt batches by plain commands (adapters/redis/redis_job_store_receipt.cc): the same
// receipts, fields and duplicate handling as the receipt script, exactly one receipt per state
// when another daemon files the same one between the two steps or the receipt stream breaks
// between them, and the script for whatever the plain path leaves to it. Against a real
// redis-server.
#include <gtest/gtest.h>

#include <map>

#include "adapters/redis/api_status_record.h"
#include "adapters/redis/lua_scripts.h"
#include "tests/support/job_store_harness.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;


class ReceiptTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(redis_.Start()) << redis_.error(); }
  void TearDown() override { EXPECT_EQ(loop_.RunToCompletionAndClose(), 0) << "handles left open"; }

  // `n` jobs read, claimed and committed as submitted with message ids m-0, m-1, ...
  std::vector<std::string> Submitted(StoreHarness& h, int n) {
    const std::vector<std::string> ids = ReadAndClaim(redis_, h, n, "job-");
    for (int i = 0; i < n; ++i) {
      EXPECT_TRUE(h.Commit(SubmittedOutcome(ids[i], "job-" + ids[i], "m-" + std::to_string(i))));
    }
    return ids;
  }

  static Receipt Make(const std::string& message_id, ReceiptState state) {
    Receipt rc;
    rc.carrier = "carrier-a";
    rc.message_id = message_id;
    rc.state = state;
    rc.carrier_status = "DELIVRD";
    rc.error_code = "000";
    rc.ts_ms = 1'700'000'001'000;
    return rc;
  }

  // Puts every receipt in one loop turn (one batch) and waits for all of them.
  void PutAll(StoreHarness& h, const std::vector<Receipt>& receipts) {
    size_t done = 0;
    for (const Receipt& rc : receipts) h->PutReceipt(rc, [&] { ++done; });
    ASSERT_TRUE(loop_.RunUntil([&] { return done == receipts.size(); }, 10s));
  }

  std::string Get(const std::string& key) { return StringAt(redis_, key); }
  long long ScriptCalls() { return CommandCalls(redis_, "evalsha") + CommandCalls(redis_, "eval"); }

  UvTestLoop loop_;
  RedisServer redis_;
};

TEST_F(ReceiptTest, SinglePartReceiptsAreFiledWithoutAScript) {
  StoreHarness h(loop_, PlainOptions(redis_));
  const auto ids = Submitted(h, 3);
  const long long scripts = ScriptCalls();
  Receipt with_raw = Make("m-2", ReceiptState::kUndelivered);
  with_raw.raw = std::string("id:m-2 stat:UNDELIV \0 err:001", 29);
  PutAll(h, {Make("m-0", ReceiptState::kDelivered), Make("m-1", ReceiptState::kEnroute),
             with_raw});
  EXPECT_EQ(ScriptCalls(), scripts);
  EXPECT_EQ(h->counters().plain_receipts, 1u);
  const auto receipts = StreamRead(redis_, "sd:receipts");
  ASSERT_EQ(receipts.size(), 3u);
  const FieldList expected{{"entry", ids[0]},        {"job", "job-" + ids[0]},
                           {"ref", "ref-job-" + ids[0]}, {"kid", "test.v1"},
                           {"carrier", "carrier-a"}, {"message_id", "m-0"},
                           {"status", "delivered"},  {"carrier_status", "DELIVRD"},
                           {"err", "000"},           {"ts", "1700000001000"}};
  EXPECT_EQ(receipts[0].fields, expected);
  EXPECT_EQ(receipts[1].Get("status"), "enroute");
  EXPECT_EQ(receipts[2].Get("status"), "undelivered");
  EXPECT_EQ(receipts[2].Get("raw"), with_raw.raw);
  // Each state noted on its record, after the job's names.
  const std::string corr0 = redis::EncodeCorrelation(ids[0], "job-" + ids[0], "ref-job-" + ids[0],
                                                     "test.v1");
  EXPECT_EQ(Get("sd:corr:carrier-a:m-0"), corr0 + ";delivered;");
  // The same receipts again (the SMSC resent them): duplicates, nothing written. A new state
  // of m-1 is filed and noted beside the first.
  PutAll(h, {Make("m-0", ReceiptState::kDelivered), Make("m-1", ReceiptState::kDelivered)});
  EXPECT_EQ(StreamLength(redis_, "sd:receipts"), 4);
  EXPECT_EQ(h->counters().duplicate_receipts, 1u);
  const std::string corr1 = redis::EncodeCorrelation(ids[1], "job-" + ids[1], "ref-job-" + ids[1],
                                                     "test.v1");
  EXPECT_EQ(Get("sd:corr:carrier-a:m-1"), corr1 + ";enroute;delivered;");
  EXPECT_EQ(ScriptCalls(), scripts);
  ASSERT_TRUE(h.Close());
}

// Two receipts of one part in one batch, or one without a record yet: the script's cases.
TEST_F(ReceiptTest, WhatThePlainPathCannotDecideGoesToTheScript) {
  StoreHarness h(loop_, PlainOptions(redis_));
  Submitted(h, 1);
  PutAll(h, {Make("m-0", ReceiptState::kEnroute), Make("m-0", ReceiptState::kDelivered)});
  EXPECT_EQ(h->counters().plain_receipts, 0u);
  EXPECT_EQ(StreamLength(redis_, "sd:receipts"), 2);
  Receipt stray = Make("never-submitted", ReceiptState::kDelivered);
  PutAll(h, {stray});
  EXPECT_EQ(h->counters().plain_receipts, 0u);
  EXPECT_EQ(StreamLength(redis_, "sd:receipts:unmatched"), 1);
  EXPECT_EQ(h->counters().unmatched_receipts, 1u);
  ASSERT_TRUE(h.Close());
}

// The same receipt filed by another daemon (the SMSC resent it to another bind) between our
// check and our writes: EXEC runs nothing, the check is made again and finds it noted.
TEST_F(ReceiptTest, TheSameReceiptFiledElsewhereBetweenTheStepsIsFiledOnce) {
  StoreHarness h(loop_, PlainOptions(redis_));
  const auto ids = Submitted(h, 1);
  bool raced = false;
  h->SetPlainCheckHookForTest([&] {
    if (raced) return;
    raced = true;
    const std::string key = "sd:corr:carrier-a:m-0";
    ASSERT_TRUE(redis_.Command({"XADD", "sd:receipts", "*", "by", "other"}));
    ASSERT_TRUE(redis_.Command({"APPEND", key, ";delivered;"}));
  });
  PutAll(h, {Make("m-0", ReceiptState::kDelivered)});
  EXPECT_EQ(h->counters().receipt_rechecks, 1u);
  EXPECT_EQ(h->counters().duplicate_receipts, 1u);
  const auto receipts = StreamRead(redis_, "sd:receipts");
  ASSERT_EQ(receipts.size(), 1u);
  EXPECT_EQ(receipts[0].Get("by"), "other");
  ASSERT_TRUE(h.Close());
}

// The receipt stream replaced by a string between the steps: the XADD fails inside EXEC
// while the state was noted; the record is put back, the batch retried until the key is
// repaired, and the receipt filed once.
TEST_F(ReceiptTest, AReceiptStreamBrokenBetweenTheStepsLosesNothing) {
  StoreHarness h(loop_, PlainOptions(redis_));
  const auto ids = Submitted(h, 1);
  const std::string before = Get("sd:corr:carrier-a:m-0");
  bool broken = false;
  h->SetPlainCheckHookForTest([&] {
    if (broken) return;
    broken = true;
    ASSERT_TRUE(redis_.Command({"SET", "sd:receipts", "not a stream"}));
  });
  bool done = false;
  h->PutReceipt(Make("m-0", ReceiptState::kDelivered), [&] { done = true; });
  ASSERT_TRUE(loop_.RunUntil([&] { return h->counters().write_retries >= 2; }, 10s));
  EXPECT_FALSE(done);
  EXPECT_EQ(Get("sd:corr:carrier-a:m-0"), before);  // the state is not noted
  ASSERT_TRUE(redis_.Command({"DEL", "sd:receipts"}));
  ASSERT_TRUE(loop_.RunUntil([&] { return done; }, 10s));
  EXPECT_EQ(StreamLength(redis_, "sd:receipts"), 1);
  EXPECT_EQ(Get("sd:corr:carrier-a:m-0"), before + ";delivered;");
  EXPECT_EQ(h->counters().duplicate_receipts, 0u);
  ASSERT_TRUE(h.Close());
}

// Jobs the HTTPS API made, by the scripts: a status record that exists takes the outcome and
// then the receipt and keeps its expiry; one that expired is not made again by either. Each
// update of a live record is one APPEND.
TEST_F(ReceiptTest, ApiStatusRecordsTakeOutcomeAndReceiptOnlyWhileTheyExist) {
  StoreHarness h(loop_, TestStoreOptions(redis_));
  const auto ids = ReadAndClaim(redis_, h, 2, "api-");
  const std::string live = "sd:api:st:api-" + ids[0], gone = "sd:api:st:api-" + ids[1];
  std::string made;
  redis::AppendStatusField(made, "fam", "test");
  redis::AppendStatusField(made, "status", "queued");
  ASSERT_TRUE(redis_.Command({"SET", live, made, "PX", "60000"}));
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(h.Commit(SubmittedOutcome(ids[i], "api-" + ids[i], "m-" + std::to_string(i))));
  }
  PutAll(h, {Make("m-0", ReceiptState::kEnroute), Make("m-1", ReceiptState::kDelivered)});
  PutAll(h, {Make("m-0", ReceiptState::kDelivered)});
  EXPECT_EQ(StreamLength(redis_, "sd:receipts"), 3);
  ApiStatus record;
  ASSERT_TRUE(redis::DecodeStatusRecord(Get(live), record));
  const std::map<std::string, std::string> fields(record.begin(), record.end());
  EXPECT_EQ(record.size(), fields.size());  // each name once, with its latest value
  EXPECT_EQ(fields.at("fam"), "test");
  EXPECT_EQ(fields.at("status"), "submitted");
  EXPECT_EQ(fields.at("message_id"), "m-0");
  EXPECT_EQ(fields.at("receipt_status"), "delivered");
  EXPECT_EQ(fields.at("receipt_ts"), "1700000001000");
  EXPECT_EQ(fields.at("receipt_err"), "000");
  ReplyPtr ttl = redis_.Command({"PTTL", live});
  ASSERT_TRUE(ttl);
  EXPECT_GT(ttl->integer, 0);                               // its expiry kept
  EXPECT_EQ(redis_.Command({"EXISTS", gone})->integer, 0);  // not made again
  // This test's own, and the expired record's look-ups of a legacy record (commit, receipt):
  // none for the live record.
  EXPECT_EQ(CommandCalls(redis_, "exists"), 3);
  ASSERT_TRUE(h.Close());
}

// One receipt call for several API jobs whose states and fields differ in length: each status
// record takes its own, length-prefixed exactly (the script formats each length once per call).
TEST_F(ReceiptTest, ApiStatusRecordsOfOneCallTakeTheirOwnReceiptFields) {
  StoreHarness h(loop_, TestStoreOptions(redis_));
  const auto ids = ReadAndClaim(redis_, h, 3, "api-");
  for (int i = 0; i < 3; ++i) {
    std::string made;
    redis::AppendStatusField(made, "fam", "test");
    ASSERT_TRUE(redis_.Command({"SET", "sd:api:st:api-" + ids[i], made, "PX", "60000"}));
    EXPECT_TRUE(h.Commit(SubmittedOutcome(ids[i], "api-" + ids[i], "m-" + std::to_string(i))));
  }
  std::vector<Receipt> receipts{Make("m-0", ReceiptState::kDelivered),
                                Make("m-1", ReceiptState::kUndelivered),
                                Make("m-2", ReceiptState::kExpired)};
  receipts[1].error_code = "0x0000000b";
  receipts[2].error_code = "";
  receipts[2].ts_ms = 99;
  PutAll(h, receipts);
  const std::vector<std::map<std::string, std::string>> want{
      {{"receipt_status", "delivered"}, {"receipt_err", "000"}, {"receipt_ts", "1700000001000"}},
      {{"receipt_status", "undelivered"},
       {"receipt_err", "0x0000000b"},
       {"receipt_ts", "1700000001000"}},
      {{"receipt_status", "expired"}, {"receipt_err", ""}, {"receipt_ts", "99"}}};
  for (int i = 0; i < 3; ++i) {
    ApiStatus record;
    ASSERT_TRUE(redis::DecodeStatusRecord(Get("sd:api:st:api-" + ids[i]), record));
    const std::map<std::string, std::string> fields(record.begin(), record.end());
    for (const auto& [name, value] : want[i]) {
      ASSERT_TRUE(fields.count(name)) << i << " " << name;
      EXPECT_EQ(fields.at(name), value) << i << " " << name;
    }
  }
  ASSERT_TRUE(h.Close());
}

// A status record made as a hash before the string format takes the receipt as a hash.
TEST_F(ReceiptTest, ALegacyApiStatusRecordTakesTheReceipt) {
  StoreHarness h(loop_, TestStoreOptions(redis_));
  const auto ids = ReadAndClaim(redis_, h, 1, "api-");
  EXPECT_TRUE(h.Commit(SubmittedOutcome(ids[0], "api-" + ids[0], "m-0")));
  const std::string legacy = "sd:api:msg:api-" + ids[0];
  ASSERT_TRUE(redis_.Command({"HSET", legacy, "fam", "test", "status", "submitted"}));
  PutAll(h, {Make("m-0", ReceiptState::kDelivered)});
  ReplyPtr state = redis_.Command({"HGET", legacy, "receipt_status"});
  EXPECT_EQ(state && state->type == REDIS_REPLY_STRING ? std::string(state->str) : "", "delivered");
  EXPECT_EQ(redis_.Command({"EXISTS", "sd:api:st:api-" + ids[0]})->integer, 0);
  ASSERT_TRUE(h.Close());
}

}  // namespace
}  // namespace sd::testing
