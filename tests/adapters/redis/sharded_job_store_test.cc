// ShardedJobStore ([redis] shards, docs/redis.md "Shards") against a real redis-server holding
// three shards' names: entries of every shard reach the dispatcher named "<shard>/<id>", a job
// on another shard's stream is refused, a submitted job's pointer is durable before its commit,
// and a receipt finds its job's shard through it (or is quarantined when no commit names its
// message id). The multi-node case is tests/integration/cluster_e2e_test.cc.
#include "adapters/redis/sharded_job_store.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "adapters/redis/cluster_slots.h"
#include "core/shard_rule.h"
#include "tests/support/job_store_harness.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;

constexpr uint32_t kShards = 3;

redis::RedisStoreOptions ShardedOptions(const RedisServer& server) {
  redis::RedisStoreOptions o = TestStoreOptions(server);
  o.key_prefix = "sd:{0}:";
  o.jobs_stream = "sd:{0}:jobs";
  o.outcomes_stream = "sd:{0}:outcomes";
  o.receipts_stream = "sd:{0}:receipts";
  o.dead_letter_stream = "sd:{0}:dead";
  o.quarantine_stream = "sd:{0}:receipts:unmatched";
  o.audit_stream = "sd:{0}:audit";
  o.delayed_set = "sd:{0}:delayed";
  return o;
}

// A job id JobShard puts in `shard`.
std::string JobIdOn(uint32_t shard, int n = 0) {
  for (int i = 0;; ++i) {
    std::string id = "job-" + std::to_string(n) + "-" + std::to_string(i);
    if (JobShard(id, kShards) == shard) return id;
  }
}

std::string S(uint32_t shard, const std::string& name) {
  return ShardName("sd:{0}:" + name, shard);
}

class ShardedJobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start()) << redis_.error();
    store_ = std::make_unique<redis::ShardedJobStore>(loop_.get(), options_(), kShards);
    store_->SetBatchHandler([this](std::vector<StreamEntry> batch) {
      for (StreamEntry& e : batch) received_.push_back(std::move(e));
    });
  }
  void TearDown() override {
    bool closed = false;
    store_->Close(2000, [&] { closed = true; });
    EXPECT_TRUE(loop_.RunUntil([&] { return closed; }, 30s));
    EXPECT_EQ(loop_.RunToCompletionAndClose(), 0) << "handles left open";
  }
  std::function<redis::RedisStoreOptions()> options_ = [this] {
    redis::RedisStoreOptions o = ShardedOptions(redis_);
    o.unmatched_receipt_wait_ms = 400;
    return o;
  };
  // Starts, grants `credit` and waits until `n` entries came in.
  void Read(size_t credit, size_t n) {
    store_->Start();
    store_->GrantCredit(credit);
    ASSERT_TRUE(loop_.RunUntil([&] { return received_.size() >= n; }, 20s));
  }
  std::vector<ClaimState> Claim(std::vector<ClaimRequest> reqs) {
    return ClaimAndWait(loop_, *store_, std::move(reqs));
  }
  bool Commit(Outcome o) { return CommitAndWait(loop_, *store_, std::move(o)); }
  bool PutReceipt(const std::string& message_id) {
    Receipt rc;
    rc.carrier = "carrier-a";
    rc.message_id = message_id;
    rc.state = ReceiptState::kDelivered;
    rc.carrier_status = "DELIVRD";
    rc.ts_ms = 1'700'000'001'000;
    bool done = false;
    store_->PutReceipt(rc, [&] { done = true; });
    return loop_.RunUntil([&] { return done; }, 20s);
  }
  // An entry of `shard` read by the store: its name inside the daemon.
  std::string Entry(uint32_t shard, const std::string& job_id) {
    const std::string id = StreamAdd(redis_, S(shard, "jobs"), EnvelopeFields(job_id));
    return std::to_string(shard) + "/" + id;
  }

  UvTestLoop loop_;
  RedisServer redis_;
  std::unique_ptr<redis::ShardedJobStore> store_;
  std::vector<StreamEntry> received_;
};

TEST(ShardOptionsTest, EveryNameAndTheSlotFollowTheShard) {
  redis::RedisStoreOptions base;
  base.key_prefix = "sd:{0}:";
  base.jobs_stream = "sd:{0}:jobs";
  base.endpoint.cluster_seeds = {{"127.0.0.1", 7000}};
  const redis::RedisStoreOptions o = redis::ShardOptions(base, 2);
  EXPECT_EQ(o.key_prefix, "sd:{2}:");
  EXPECT_EQ(o.jobs_stream, "sd:{2}:jobs");
  EXPECT_EQ(o.endpoint.cluster_slot, redis::KeySlot("{2}"));
  EXPECT_EQ(redis::ShardOptions(base, 0).jobs_stream, "sd:{0}:jobs");
}

TEST_F(ShardedJobStoreTest, ReadsEveryShardNamingEachEntrysShard) {
  std::set<std::string> expected;
  for (uint32_t s = 0; s < kShards; ++s) {
    for (int i = 0; i < 4; ++i) expected.insert(Entry(s, JobIdOn(s, i)));
  }
  // 12 entries, credit 12: shared 4/4/4, so every shard's entries come in.
  Read(12, 12);
  std::set<std::string> got;
  for (const StreamEntry& e : received_) got.insert(e.entry_id);
  EXPECT_EQ(got, expected);
  EXPECT_EQ(store_->counters().entries_read, 12u);
  EXPECT_EQ(store_->in_process(), 12u);
}

TEST_F(ShardedJobStoreTest, ADaemonReadingASubsetReadsOnlyThoseShards) {
  bool closed = false;  // the fixture's store (reading all) never started: closed at once
  store_->Close(0, [&] { closed = true; });
  ASSERT_TRUE(loop_.RunUntil([&] { return closed; }));
  store_ = std::make_unique<redis::ShardedJobStore>(loop_.get(), options_(), kShards,
                                                    std::vector<uint32_t>{1});
  store_->SetBatchHandler([this](std::vector<StreamEntry> batch) {
    for (StreamEntry& e : batch) received_.push_back(std::move(e));
  });
  for (uint32_t s = 0; s < kShards; ++s) Entry(s, JobIdOn(s));
  Read(30, 1);
  loop_.RunUntil([] { return false; }, 300ms);  // anything of the other shards would come now
  ASSERT_EQ(received_.size(), 1u);
  EXPECT_EQ(received_[0].entry_id.substr(0, 2), "1/");
  EXPECT_EQ(store_->credit(), 29u);  // all of it on shard 1
}

TEST_F(ShardedJobStoreTest, ClaimsOnTheJobsShardAndRefusesOneOnAnotherShardsStream) {
  const std::string right = JobIdOn(1);
  const std::string wrong = JobIdOn(2);
  const std::string a = Entry(1, right);
  const std::string b = Entry(1, wrong);  // copied to shard 1's stream: its record is on 2
  Read(6, 2);
  const std::vector<ClaimState> states =
      Claim({{a, right, 60'000}, {b, wrong, 60'000}, {"9/1-0", right, 60'000}});
  ASSERT_EQ(states.size(), 3u);
  EXPECT_EQ(states[0], ClaimState::kNew);
  EXPECT_EQ(states[1], ClaimState::kWrongShard);
  EXPECT_EQ(states[2], ClaimState::kWrongShard);  // names no shard
  EXPECT_EQ(StringAt(redis_, S(1, "idem:" + right)), a.substr(2));
  EXPECT_EQ(StringAt(redis_, S(1, "idem:" + wrong)), "<nil>");
  EXPECT_EQ(StringAt(redis_, S(2, "idem:" + wrong)), "<nil>");
}

TEST_F(ShardedJobStoreTest, AReceiptFindsItsJobsShardThroughThePointer) {
  const std::string job = JobIdOn(2);
  const std::string entry = Entry(2, job);
  Read(6, 1);
  // A message id whose pointer lives on another shard than the job.
  std::string mid;
  for (int i = 0; mid.empty(); ++i) {
    const std::string m = "m" + std::to_string(i);
    if (MessageShard("carrier-a", m, kShards) != 2) mid = m;
  }
  const uint32_t h = MessageShard("carrier-a", mid, kShards);
  ASSERT_EQ(Claim({{entry, job, 60'000}})[0], ClaimState::kNew);
  ASSERT_TRUE(Commit(SubmittedOutcome(entry, job, mid)));
  EXPECT_EQ(StringAt(redis_, S(h, "mid:carrier-a:" + mid)), "2");
  const auto outcomes = StreamRead(redis_, S(2, "outcomes"));
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].Get("entry"), entry.substr(2));  // the plain stream id
  EXPECT_EQ(PendingCount(redis_, S(2, "jobs"), "smsdispatch"), 0);

  ASSERT_TRUE(PutReceipt(mid));
  const auto receipts = StreamRead(redis_, S(2, "receipts"));
  ASSERT_EQ(receipts.size(), 1u);
  EXPECT_EQ(receipts[0].Get("entry"), entry.substr(2));
  EXPECT_EQ(receipts[0].Get("job"), job);
  for (uint32_t s = 0; s < kShards; ++s) {
    EXPECT_EQ(StreamLength(redis_, S(s, "receipts:unmatched")), 0) << "shard " << s;
  }
  EXPECT_EQ(store_->counters().shard_pointers, 1u);
  EXPECT_EQ(store_->counters().shard_lookups, 1u);
}

TEST_F(ShardedJobStoreTest, ALoopTurnsPointersAndLookupsGoOutAsOneTransactionPerShard) {
  std::vector<std::pair<std::string, std::string>> jobs;  // entry, job id
  for (int i = 0; i < 30; ++i) {
    const uint32_t s = static_cast<uint32_t>(i) % kShards;
    const std::string job = JobIdOn(s, i);
    jobs.emplace_back(Entry(s, job), job);
  }
  Read(30, 30);
  uint64_t before = 0;
  for (uint32_t s = 0; s < kShards; ++s) before += store_->shard(s).counters().transactions;
  size_t committed = 0;
  for (size_t i = 0; i < jobs.size(); ++i) {
    store_->Commit(SubmittedOutcome(jobs[i].first, jobs[i].second, "batch-" + std::to_string(i)),
                   [&] { ++committed; });
  }
  ASSERT_TRUE(loop_.RunUntil([&] { return committed == jobs.size(); }));
  uint64_t after = 0;
  for (uint32_t s = 0; s < kShards; ++s) after += store_->shard(s).counters().transactions;
  EXPECT_LE(after - before, kShards) << "one MULTI of pointers per shard, not one per job";
  EXPECT_EQ(store_->counters().shard_pointers, 30u);
  size_t receipts = 0;
  for (size_t i = 0; i < jobs.size(); ++i) {
    Receipt rc;
    rc.carrier = "carrier-a";
    rc.message_id = "batch-" + std::to_string(i);
    rc.state = ReceiptState::kDelivered;
    store_->PutReceipt(rc, [&] { ++receipts; });
  }
  ASSERT_TRUE(loop_.RunUntil([&] { return receipts == jobs.size(); }));
  uint64_t looked = 0;
  for (uint32_t s = 0; s < kShards; ++s) looked += store_->shard(s).counters().transactions;
  EXPECT_LE(looked - after, kShards);
  EXPECT_EQ(store_->counters().shard_lookups, 30u);
  long long written = 0;
  for (uint32_t s = 0; s < kShards; ++s) written += StreamLength(redis_, S(s, "receipts"));
  EXPECT_EQ(written, 30);
}

TEST_F(ShardedJobStoreTest, AReceiptNoCommitNamesIsQuarantinedOnItsPointersShard) {
  store_->Start();
  ASSERT_TRUE(loop_.RunUntil([&] { return store_->connected(); }));
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(PutReceipt("nobody"));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 350ms) << "asked again for the wait";
  const uint32_t h = MessageShard("carrier-a", "nobody", kShards);
  const auto q = StreamRead(redis_, S(h, "receipts:unmatched"));
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].Get("reason"), "unmatched");
  EXPECT_GT(store_->counters().shard_lookup_retries, 0u);
}

TEST_F(ShardedJobStoreTest, AuditGoesToShardZeroAndDeferralsToTheEntrysShard) {
  const std::string job = JobIdOn(1);
  const std::string entry = Entry(1, job);
  Read(6, 1);
  AuditEvent ev;
  ev.reason = Reason::kBadSignature;
  ev.action = "rejected";
  ev.entry_id = entry;
  store_->Emit(ev);
  bool deferred = false;
  store_->Defer(received_[0], job, 4'000'000'000'000, [&] { deferred = true; });
  ASSERT_TRUE(loop_.RunUntil([&] { return deferred && StreamLength(redis_, S(0, "audit")) == 1; }));
  EXPECT_EQ(StreamRead(redis_, S(0, "audit"))[0].Get("entry"), entry.substr(2));
  ReplyPtr r = redis_.Command({"ZCARD", S(1, "delayed")});
  ASSERT_TRUE(r && r->type == REDIS_REPLY_INTEGER);
  EXPECT_EQ(r->integer, 1);
  EXPECT_EQ(PendingCount(redis_, S(1, "jobs"), "smsdispatch"), 0);
}

}  // namespace
}  // namespace sd::testing
