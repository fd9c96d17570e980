// Reading the job stream through the consumer group: every entry exactly once with its exact
// bytes, credit-based backpressure, malformed entries flagged (never dropped), the drain of
// our own pending entries after a restart, XAUTOCLAIM of a dead consumer's entries, the
// dead-letter path, and live consumers keeping their in-flight entries. All against a real
// redis-server.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "tests/support/job_store_harness.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;

constexpr char kJobs[] = "sd:jobs";
constexpr char kGroup[] = "smsdispatch";

class IntakeTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(redis_.Start()) << redis_.error(); }
  void TearDown() override { EXPECT_EQ(loop_.RunToCompletionAndClose(), 0) << "handles left open"; }

  std::vector<std::string> AddJobs(int n, const std::string& tag = "job") {
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
      ids.push_back(StreamAdd(redis_, kJobs, EnvelopeFields(tag + std::to_string(i))));
      EXPECT_FALSE(ids.back().empty());
    }
    return ids;
  }

  void ExpectOk(const ReplyPtr& r) {
    ASSERT_TRUE(r);
    EXPECT_NE(r->type, REDIS_REPLY_ERROR) << std::string(r->str, r->len);
  }

  UvTestLoop loop_;
  RedisServer redis_;
};

TEST_F(IntakeTest, HandsOutEveryEntryOnceWithItsExactBytes) {
  std::vector<std::string> ids;
  std::vector<std::string> jobs;
  for (int i = 0; i < 50; ++i) {
    // Binary job bytes: NUL, high bytes, newlines and CR-LF must survive untouched.
    std::string job = std::string("\x82\xa2id\x00\xff\r\n", 9) + std::to_string(i);
    jobs.push_back(job);
    ids.push_back(StreamAdd(redis_, kJobs,
                            {{"v", "1"},
                             {"kid", "k" + std::to_string(i)},
                             {"job", job},
                             {"sig", "sig" + std::to_string(i)}}));
  }
  StoreHarness h(loop_, TestStoreOptions(redis_));
  h.Grant(1000);
  ASSERT_TRUE(h.WaitReceived(50));
  ASSERT_EQ(h.received.size(), 50u);
  for (int i = 0; i < 50; ++i) {
    const StreamEntry& e = h.received[static_cast<size_t>(i)];
    EXPECT_EQ(e.entry_id, ids[static_cast<size_t>(i)]);  // stream order
    EXPECT_TRUE(e.fields_ok);
    EXPECT_EQ(e.version, "1");
    EXPECT_EQ(e.key_id, "k" + std::to_string(i));
    EXPECT_EQ(e.job, jobs[static_cast<size_t>(i)]);
    EXPECT_EQ(e.sig, "sig" + std::to_string(i));
  }
  // Read but not committed: pending in the group for this consumer, nobody else.
  EXPECT_EQ(PendingCount(redis_, kJobs, kGroup, "test-consumer"), 50);
  EXPECT_EQ(h->counters().entries_read, 50u);
  EXPECT_EQ(h->in_process(), 50u);
  // More arrive later: read as they come (BLOCK), still exactly once.
  const auto more = AddJobs(5, "later");
  ASSERT_TRUE(h.WaitReceived(55));
  ASSERT_TRUE(h.Close());
  std::set<std::string> unique;
  for (const StreamEntry& e : h.received) unique.insert(e.entry_id);
  EXPECT_EQ(unique.size(), 55u);
  EXPECT_EQ(h.received.size(), 55u);
}

TEST_F(IntakeTest, NeverReadsMoreThanTheCredit) {
  AddJobs(20);
  auto o = TestStoreOptions(redis_);
  o.batch = 4;
  StoreHarness h(loop_, o);  // its handler checks received <= granted on every batch
  h.Grant(3);
  ASSERT_TRUE(h.WaitReceived(3));
  EXPECT_EQ(h->credit(), 0u);
  // Nothing beyond the credit was even read from Redis (no read is issued without credit).
  EXPECT_EQ(PendingCount(redis_, kJobs, kGroup), 3);
  h.Grant(10);
  ASSERT_TRUE(h.WaitReceived(13));
  EXPECT_EQ(PendingCount(redis_, kJobs, kGroup), 13);
  h.Grant(100);
  ASSERT_TRUE(h.WaitReceived(20));
  ASSERT_TRUE(h.Close());
  EXPECT_EQ(h.received.size(), 20u);
  for (size_t n : h.batch_sizes) EXPECT_LE(n, 4u) << "a batch exceeded COUNT";
}

TEST_F(IntakeTest, MalformedFieldsAreFlaggedAndStillHandedOut) {
  const std::string missing = StreamAdd(redis_, kJobs, {{"v", "1"}, {"kid", "k"}, {"job", "j"}});
  const std::string extra =
      StreamAdd(redis_, kJobs, {{"v", "1"}, {"kid", "k"}, {"job", "j"}, {"sig", "s"}, {"x", "y"}});
  const std::string dup =
      StreamAdd(redis_, kJobs, {{"v", "1"}, {"v", "2"}, {"kid", "k"}, {"job", "j"}, {"sig", "s"}});
  const std::string other = StreamAdd(redis_, kJobs, {{"hello", "world"}});
  const std::string good = StreamAdd(redis_, kJobs, EnvelopeFields("j"));
  StoreHarness h(loop_, TestStoreOptions(redis_));
  h.Grant(100);
  ASSERT_TRUE(h.WaitReceived(5));
  ASSERT_TRUE(h.Close());
  ASSERT_EQ(h.received.size(), 5u);
  EXPECT_EQ(h.received[0].entry_id, missing);
  EXPECT_FALSE(h.received[0].fields_ok);
  EXPECT_EQ(h.received[1].entry_id, extra);
  EXPECT_FALSE(h.received[1].fields_ok);
  EXPECT_EQ(h.received[2].entry_id, dup);
  EXPECT_FALSE(h.received[2].fields_ok);
  EXPECT_EQ(h.received[3].entry_id, other);
  EXPECT_FALSE(h.received[3].fields_ok);
  EXPECT_EQ(h.received[4].entry_id, good);
  EXPECT_TRUE(h.received[4].fields_ok);
}

TEST_F(IntakeTest, AfterACrashOwnPendingEntriesComeFirst) {
  const auto before = AddJobs(5, "before");
  std::vector<std::string> pending_ids;
  {
    // The first daemon reads the entries and "crashes": closed without any outcome.
    StoreHarness first(loop_, TestStoreOptions(redis_));
    first.Grant(100);
    ASSERT_TRUE(first.WaitReceived(5));
    ASSERT_TRUE(first.Close());
  }
  EXPECT_EQ(PendingCount(redis_, kJobs, kGroup, "test-consumer"), 5);
  const auto after = AddJobs(3, "after");
  auto o = TestStoreOptions(redis_);
  o.batch = 2;  // the drain pages through the pending list
  StoreHarness second(loop_, o);
  second.Grant(100);
  ASSERT_TRUE(second.WaitReceived(8));
  ASSERT_TRUE(second.Close());
  ASSERT_EQ(second.received.size(), 8u);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(second.received[i].entry_id, before[i]);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(second.received[5 + i].entry_id, after[i]);
  EXPECT_EQ(second->counters().pending_redelivered, 5u);
}

TEST_F(IntakeTest, ReclaimsTheEntriesOfADeadConsumer) {
  const auto ids = AddJobs(4);
  ExpectOk(redis_.Command({"XGROUP", "CREATE", kJobs, kGroup, "0", "MKSTREAM"}));
  ExpectOk(redis_.Command(
      {"XREADGROUP", "GROUP", kGroup, "dead-host", "COUNT", "10", "STREAMS", kJobs, ">"}));
  ASSERT_EQ(PendingCount(redis_, kJobs, kGroup, "dead-host"), 4);
  auto o = TestStoreOptions(redis_);
  o.consumer = "live-host";
  o.claim_idle_ms = 50;
  o.claim_interval_ms = 20;
  StoreHarness h(loop_, o);
  h.Grant(100);
  ASSERT_TRUE(h.WaitReceived(4));
  std::vector<std::string> got;
  for (const StreamEntry& e : h.received) got.push_back(e.entry_id);
  EXPECT_EQ(got, ids);
  EXPECT_EQ(h->counters().reclaimed, 4u);
  EXPECT_EQ(PendingCount(redis_, kJobs, kGroup, "dead-host"), 0);
  EXPECT_EQ(PendingCount(redis_, kJobs, kGroup, "live-host"), 4);
  // Intake of new entries goes on alongside.
  AddJobs(1, "new");
  ASSERT_TRUE(h.WaitReceived(5));
  ASSERT_TRUE(h.Close());
  EXPECT_EQ(h.received.size(), 5u);
}

TEST_F(IntakeTest, AnEntryDeliveredTooOftenIsDeadLettered) {
  ExpectOk(redis_.Command({"XGROUP", "CREATE", kJobs, kGroup, "0", "MKSTREAM"}));
  const std::string poison = StreamAdd(
      redis_, kJobs, {{"v", "1"}, {"kid", "test.v1"}, {"job", "poison"}, {"sig", "abcd"}});
  const std::string fine = StreamAdd(redis_, kJobs, EnvelopeFields("fine"));
  ExpectOk(redis_.Command(
      {"XREADGROUP", "GROUP", kGroup, "test-consumer", "COUNT", "10", "STREAMS", kJobs, ">"}));
  // The poison entry has already been delivered 3 times (say, it crashed the daemon twice).
  ExpectOk(redis_.Command(
      {"XCLAIM", kJobs, kGroup, "test-consumer", "0", poison, "RETRYCOUNT", "3", "JUSTID"}));
  auto o = TestStoreOptions(redis_);
  o.max_deliveries = 3;  // the restart's drain is its 4th delivery: one too many
  StoreHarness h(loop_, o);
  h.Grant(100);
  ASSERT_TRUE(h.WaitReceived(1));
  ASSERT_TRUE(loop_.RunUntil([&] { return StreamLength(redis_, "sd:dead") == 1; }));
  ASSERT_TRUE(loop_.RunUntil([&] { return h->in_process() == 1; }));  // the script confirmed
  ASSERT_EQ(h.received.size(), 1u);
  EXPECT_EQ(h.received[0].entry_id, fine);  // the poison entry never reaches the dispatcher
  EXPECT_EQ(h->credit(), 99u);              // and its credit was given back
  EXPECT_EQ(h->counters().dead_lettered, 1u);

  const auto dead = StreamRead(redis_, "sd:dead");
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].Get("entry"), poison);
  EXPECT_EQ(dead[0].Get("reason"), "max_deliveries");
  EXPECT_EQ(dead[0].Get("deliveries"), "4");
  EXPECT_EQ(dead[0].Get("v"), "1");
  EXPECT_EQ(dead[0].Get("kid"), "test.v1");
  EXPECT_EQ(dead[0].Get("job"), "poison");
  EXPECT_EQ(dead[0].Get("sig"), "abcd");
  const auto outcomes = StreamRead(redis_, "sd:outcomes");
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].Get("entry"), poison);
  EXPECT_EQ(outcomes[0].Get("status"), "rejected");
  EXPECT_EQ(outcomes[0].Get("reason"), "dead_letter");
  EXPECT_EQ(outcomes[0].Get("kid"), "test.v1");
  // Acknowledged: only the fine entry is still pending.
  EXPECT_EQ(PendingCount(redis_, kJobs, kGroup), 1);
  ASSERT_TRUE(h.Close());
}

// The dead-letter outcome echoes the kid only when it follows docs/jobs.md §1; sd:dead keeps the
// entry's fields as they were, for investigation.
TEST_F(IntakeTest, ADeadLetterOutcomeNeverEchoesAHostileKid) {
  ExpectOk(redis_.Command({"XGROUP", "CREATE", kJobs, kGroup, "0", "MKSTREAM"}));
  const std::string kid = "evil\n\x1b[2J" + std::string(4096, 'k');
  const std::string poison =
      StreamAdd(redis_, kJobs, {{"v", "sd1"}, {"kid", kid}, {"job", "poison"}, {"sig", "abcd"}});
  ExpectOk(redis_.Command(
      {"XREADGROUP", "GROUP", kGroup, "test-consumer", "COUNT", "10", "STREAMS", kJobs, ">"}));
  ExpectOk(redis_.Command(
      {"XCLAIM", kJobs, kGroup, "test-consumer", "0", poison, "RETRYCOUNT", "3", "JUSTID"}));
  auto o = TestStoreOptions(redis_);
  o.max_deliveries = 3;
  StoreHarness h(loop_, o);
  h.Grant(100);
  ASSERT_TRUE(loop_.RunUntil([&] { return StreamLength(redis_, "sd:outcomes") == 1; }));
  const auto outcomes = StreamRead(redis_, "sd:outcomes");
  EXPECT_EQ(outcomes[0].Get("reason"), "dead_letter");
  EXPECT_EQ(outcomes[0].Get("kid"), "");
  ASSERT_TRUE(loop_.RunUntil([&] { return StreamLength(redis_, "sd:dead") == 1; }));
  EXPECT_EQ(StreamRead(redis_, "sd:dead")[0].Get("kid"), kid);
  ASSERT_TRUE(h.Close());
}

TEST_F(IntakeTest, DeletedPendingEntriesAreAcknowledged) {
  const auto ids = AddJobs(3);
  {
    StoreHarness first(loop_, TestStoreOptions(redis_));
    first.Grant(100);
    ASSERT_TRUE(first.WaitReceived(3));
    ASSERT_TRUE(first.Close());
  }
  ExpectOk(redis_.Command({"XDEL", kJobs, ids[1]}));
  StoreHarness second(loop_, TestStoreOptions(redis_));
  second.Grant(100);
  ASSERT_TRUE(second.WaitReceived(2));
  ASSERT_TRUE(loop_.RunUntil([&] { return PendingCount(redis_, kJobs, kGroup) == 2; }));
  ASSERT_TRUE(second.Close());
  ASSERT_EQ(second.received.size(), 2u);
  EXPECT_EQ(second.received[0].entry_id, ids[0]);
  EXPECT_EQ(second.received[1].entry_id, ids[2]);
  EXPECT_EQ(second->counters().deleted_entries, 1u);
}

TEST_F(IntakeTest, ALiveConsumerKeepsItsInFlightEntries) {
  AddJobs(3);
  auto oa = TestStoreOptions(redis_);
  oa.consumer = "a";
  oa.claim_idle_ms = 2000;
  oa.claim_interval_ms = 50;
  auto a = std::make_unique<StoreHarness>(loop_, oa);
  a->Grant(100);
  ASSERT_TRUE(a->WaitReceived(3));  // in flight at A: no outcome yet
  auto ob = oa;
  ob.consumer = "b";
  StoreHarness b(loop_, ob);
  b.Grant(100);
  // Run well past claim_idle_ms. A keeps refreshing its entries, so B must not take them
  // (B taking them would mean a second submission of jobs A is working on). Showing that
  // something does not happen needs a span of time; nothing here depends on its precision.
  const auto until =
      std::chrono::steady_clock::now() + 2 * std::chrono::milliseconds(oa.claim_idle_ms);
  loop_.RunUntil([&] { return !b.received.empty() || std::chrono::steady_clock::now() > until; },
                 60s);
  EXPECT_GT((*a)->counters().touch_rounds, 0u);
  EXPECT_EQ(b.received.size(), 0u);
  EXPECT_EQ(b->counters().reclaimed, 0u);
  EXPECT_EQ(PendingCount(redis_, kJobs, kGroup, "a"), 3);
  // A dies (no more refreshes): after claim_idle_ms B takes over.
  ASSERT_TRUE(a->Close());
  a.reset();
  ASSERT_TRUE(b.WaitReceived(3, 60s));
  EXPECT_EQ(b->counters().reclaimed, 3u);
  ASSERT_TRUE(b.Close());
}

}  // namespace
}  // namespace sd::testing
