// ApiStore (adapters/redis/api_store.h) against a real redis-server: the writes of one loop
// turn go out in one script call, yet each is its own step in order (an Idempotency-Key or a
// signature used twice in one batch is seen the second time), a cap splits large turns, a
// lost script cache is recovered, and with Redis away every write fails once. The status
// records, in their format and the one before it.
#include "adapters/redis/api_store.h"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <optional>
#include <string>
#include <vector>

#include "adapters/redis/redis_reply.h"
#include "tests/support/job_store_harness.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;

ApiWrite Write(const std::string& job_id, const std::string& idem = "", const std::string& sig = "",
               int jobs = 1) {
  ApiWrite w;
  w.family = "fam";
  w.idempotency_key = idem;
  w.record = true;
  w.replay_token = sig;
  w.replay_ttl_ms = 60'000;
  w.body_hash = std::string(64, job_id.back());
  w.response = "202{\"id\":\"" + job_id + "\"}";
  for (int i = 0; i < jobs; ++i) {
    const std::string id = jobs == 1 ? job_id : job_id + "-" + std::to_string(i);
    w.jobs.push_back({"fam.v1", "job-bytes-" + id, "00ff", id, 1'700'000'000'000, 60'000});
  }
  return w;
}

class ApiStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(redis_.Start()) << redis_.error(); }
  void TearDown() override { EXPECT_EQ(loop_.RunToCompletionAndClose(), 0) << "handles left open"; }

  redis::RedisEndpoint Endpoint() const {
    redis::RedisEndpoint e;
    e.host = redis_.host();
    e.port = redis_.port();
    return e;
  }
  // Queues every write in one loop turn, then runs the loop until each has its result.
  std::vector<ApiWriteResult> WriteAll(redis::ApiStore& store, std::vector<ApiWrite> writes) {
    std::vector<std::optional<ApiWriteResult>> results(writes.size());
    size_t done = 0;
    for (size_t i = 0; i < writes.size(); ++i) {
      store.Write(std::move(writes[i]), [&, i](ApiWriteResult r) {
        EXPECT_FALSE(results[i].has_value()) << "write " << i << " answered twice";
        results[i] = std::move(r);
        ++done;
      });
    }
    EXPECT_TRUE(loop_.RunUntil([&] { return done == results.size(); }, 20s));
    std::vector<ApiWriteResult> out;
    for (auto& r : results) out.push_back(r.value_or(ApiWriteResult{}));
    return out;
  }
  // Starts the store and waits for its connection.
  void Ready(redis::ApiStore& store) {
    store.Start();
    ASSERT_TRUE(loop_.RunUntil([&] { return store.ready(); }));
  }
  void Close(redis::ApiStore& store) {
    bool closed = false;
    store.Close([&] { closed = true; });
    ASSERT_TRUE(loop_.RunUntil([&] { return closed; }));
  }
  long long Pttl(const std::string& key) {
    ReplyPtr r = redis_.Command({"PTTL", key});
    return r && r->type == REDIS_REPLY_INTEGER ? r->integer : -100;
  }
  long long EvalshaCalls() {
    ReplyPtr r = redis_.Command({"INFO", "commandstats"});
    const std::string info = r && r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : "";
    const size_t at = info.find("cmdstat_evalsha:calls=");
    return at == std::string::npos ? 0 : std::stoll(info.substr(at + 22));
  }

  UvTestLoop loop_;
  RedisServer redis_;
};

TEST_F(ApiStoreTest, OneTurnIsOneCallAndEachWriteStillItsOwnStep) {
  redis::ApiStore store(loop_.get(), Endpoint(), {});
  Ready(store);
  WriteAll(store, {});  // nothing queued: no call
  {
    std::vector<ApiWrite> first;
    first.push_back(Write("api-w"));  // loads the script (NOSCRIPT, then EVAL)
    ASSERT_EQ(WriteAll(store, std::move(first))[0].kind, ApiWriteResult::Kind::kWritten);
  }
  ASSERT_TRUE(redis_.Command({"CONFIG", "RESETSTAT"}));
  const uint64_t calls_before = store.counters().calls;

  std::vector<ApiWrite> writes;
  for (int i = 0; i < 8; ++i) {
    writes.push_back(
        Write("api-" + std::to_string(i), "idem-" + std::to_string(i), "sig-" + std::to_string(i)));
  }
  writes.push_back(Write("api-8", "idem-0", "sig-8"));  // idem-0 again: the first answer
  // sig-1 again: a replay, whose first job has the same id (derived from the signature)
  writes.push_back(Write("api-1", "", "sig-1"));
  writes.push_back(Write("api-b", "", "sig-b", 3));  // a batch request of three jobs
  const std::vector<ApiWriteResult> r = WriteAll(store, std::move(writes));

  EXPECT_EQ(store.counters().calls - calls_before, 1u);
  EXPECT_EQ(EvalshaCalls(), 1);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(r[i].kind, ApiWriteResult::Kind::kWritten) << i;
  ASSERT_EQ(r[8].kind, ApiWriteResult::Kind::kIdempotent);
  EXPECT_EQ(r[8].stored_body_hash, std::string(64, '0'));
  EXPECT_EQ(r[8].stored_response, "202{\"id\":\"api-0\"}");
  EXPECT_EQ(r[9].kind, ApiWriteResult::Kind::kReplay);
  EXPECT_EQ(r[10].kind, ApiWriteResult::Kind::kWritten);
  EXPECT_EQ(StreamLength(redis_, "sd:jobs"), 12);
  EXPECT_EQ(store.counters().jobs, 12u);

  // Entries in the order of the writes, each with its status record.
  ReplyPtr entries = redis_.Command({"XRANGE", "sd:jobs", "-", "+"});
  ASSERT_TRUE(entries && entries->elements == 12);
  EXPECT_EQ(redis::ReplyString(entries->element[1]->element[1]->element[5]), "job-bytes-api-0");
  EXPECT_EQ(redis::ReplyString(entries->element[11]->element[1]->element[5]), "job-bytes-api-b-2");
  EXPECT_EQ(StringAt(redis_, "sd:api:st:api-b-1"),
            "fam:3:famkid:6:fam.v1created:13:1700000000000status:6:queued");
  // The status records are the replay records: none of the signatures' own.
  EXPECT_EQ(redis_.Command({"KEYS", "sd:api:sig:*"})->elements, 0u);
  EXPECT_GT(Pttl("sd:api:st:api-1"), 59'000);
  Close(store);
}

// Without status records ([api] status_retention_s = 0) a signed request keeps a replay record
// of its own, as long as the signature could be sent again.
TEST_F(ApiStoreTest, WithoutStatusRecordsTheSignatureHasItsOwnReplayRecord) {
  redis::ApiStore store(loop_.get(), Endpoint(), {});
  Ready(store);
  std::vector<ApiWrite> writes;
  writes.push_back(Write("api-1", "", "sig-1"));
  writes.push_back(Write("api-2", "", "sig-1"));  // the same signature
  for (ApiWrite& w : writes) w.jobs[0].status_ttl_ms = 0;
  const std::vector<ApiWriteResult> r = WriteAll(store, std::move(writes));
  EXPECT_EQ(r[0].kind, ApiWriteResult::Kind::kWritten) << r[0].error;
  EXPECT_EQ(r[1].kind, ApiWriteResult::Kind::kReplay);
  EXPECT_EQ(StreamLength(redis_, "sd:jobs"), 1);
  EXPECT_GT(Pttl("sd:api:sig:sig-1"), 59'000);
  EXPECT_EQ(Pttl("sd:api:st:api-1"), -2);
  Close(store);
}

// GET /v1/messages/<id>: the string record with each field's latest value, in the order first
// written; a record made as a hash before that format; none.
TEST_F(ApiStoreTest, StatusReadsTheRecordInEitherFormat) {
  redis::ApiStore store(loop_.get(), Endpoint(), {});
  Ready(store);
  ASSERT_TRUE(
      redis_.Command({"SET", "sd:api:st:api-s",
                      "fam:3:famstatus:6:queuedstatus:9:submittedreceipt_status:9:delivered"}));
  ASSERT_TRUE(redis_.Command({"HSET", "sd:api:msg:api-h", "fam", "fam", "status", "submitted"}));
  auto read = [&](const std::string& id) {
    std::optional<std::pair<bool, ApiStatus>> got;
    store.Status(id, [&](bool ok, bool found, ApiStatus s) {
      EXPECT_TRUE(ok);
      got.emplace(found, std::move(s));
    });
    EXPECT_TRUE(loop_.RunUntil([&] { return got.has_value(); }));
    return got.value_or(std::pair<bool, ApiStatus>{});
  };
  const ApiStatus expected{
      {"fam", "fam"}, {"status", "submitted"}, {"receipt_status", "delivered"}};
  EXPECT_EQ(read("api-s"), std::make_pair(true, expected));
  const ApiStatus legacy{{"fam", "fam"}, {"status", "submitted"}};
  EXPECT_EQ(read("api-h"), std::make_pair(true, legacy));
  EXPECT_EQ(read("api-none"), std::make_pair(false, ApiStatus{}));
  Close(store);
}

TEST_F(ApiStoreTest, ACapOnJobsPerCallSplitsATurnButNeverAWrite) {
  redis::ApiStoreOptions o;
  o.max_jobs_per_call = 4;
  redis::ApiStore store(loop_.get(), Endpoint(), o);
  Ready(store);
  std::vector<ApiWrite> writes;
  for (int i = 0; i < 10; ++i) writes.push_back(Write("api-" + std::to_string(i)));
  writes.push_back(Write("api-x", "", "", 6));  // more than the cap: a call of its own
  const std::vector<ApiWriteResult> r = WriteAll(store, std::move(writes));
  for (const ApiWriteResult& w : r) EXPECT_EQ(w.kind, ApiWriteResult::Kind::kWritten) << w.error;
  EXPECT_EQ(store.counters().calls, 4u);  // 4 + 4 + 2 jobs, then the six
  EXPECT_EQ(StreamLength(redis_, "sd:jobs"), 16);
  Close(store);
}

TEST_F(ApiStoreTest, ALostScriptCacheIsLoadedAgain) {
  redis::ApiStore store(loop_.get(), Endpoint(), {});
  Ready(store);
  ASSERT_TRUE(redis_.Command({"SCRIPT", "FLUSH"}));
  std::vector<ApiWrite> writes;
  writes.push_back(Write("api-1"));
  writes.push_back(Write("api-2"));
  const std::vector<ApiWriteResult> r = WriteAll(store, std::move(writes));
  EXPECT_EQ(r[0].kind, ApiWriteResult::Kind::kWritten) << r[0].error;
  EXPECT_EQ(r[1].kind, ApiWriteResult::Kind::kWritten) << r[1].error;
  EXPECT_EQ(StreamLength(redis_, "sd:jobs"), 2);
  Close(store);
}

TEST_F(ApiStoreTest, WithRedisAwayEveryWriteFailsOnce) {
  redis::ApiStore store(loop_.get(), Endpoint(), {});
  Ready(store);
  redis_.Kill();
  ASSERT_TRUE(loop_.RunUntil([&] { return !store.ready(); }, 10s));
  std::vector<ApiWrite> writes;
  writes.push_back(Write("api-1"));
  writes.push_back(Write("api-2", "idem-2"));
  const std::vector<ApiWriteResult> r = WriteAll(store, std::move(writes));
  for (const ApiWriteResult& w : r) {
    EXPECT_EQ(w.kind, ApiWriteResult::Kind::kFailed);
    EXPECT_EQ(w.error, "Redis not connected");
  }
  Close(store);
}

}  // namespace
}  // namespace sd::testing
