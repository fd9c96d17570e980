// RedisJobStore as AuditSink against a real redis-server: the event's fields on the audit
// stream, the bound on events waiting while Redis is away, and burst alerts.
#include <gtest/gtest.h>

#include "tests/support/job_store_harness.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;

AuditEvent Event(const std::string& detail, Reason reason = Reason::kBadSignature) {
  AuditEvent e;
  e.reason = reason;
  e.action = "rejected";
  e.entry_id = "1700000000000-0";
  e.job_id = "job-1";
  e.key_id = "shop.v1";
  e.destination = "+4477******89";
  e.detail = detail;
  e.ts_ms = 1'700'000'000'123;
  return e;
}

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(redis_.Start()) << redis_.error(); }
  void TearDown() override { EXPECT_EQ(loop_.RunToCompletionAndClose(), 0) << "handles left open"; }

  UvTestLoop loop_;
  RedisServer redis_;
};

TEST_F(AuditLogTest, EventIsWrittenWithItsFields) {
  auto o = TestStoreOptions(redis_);
  o.audit_stream = "test:audit";
  StoreHarness h(loop_, o);
  h->Emit(Event("signature does not verify"));
  AuditEvent none = Event("no reason given", Reason::kNone);
  none.action = "flagged";
  h->Emit(none);
  ASSERT_TRUE(loop_.RunUntil([&] { return h->counters().audit_events == 2; }));
  const auto events = StreamRead(redis_, "test:audit");
  ASSERT_EQ(events.size(), 2u);
  const FieldList expected{{"reason", "bad_signature"},
                           {"action", "rejected"},
                           {"entry", "1700000000000-0"},
                           {"job", "job-1"},
                           {"kid", "shop.v1"},
                           {"dest", "+4477******89"},
                           {"detail", "signature does not verify"},
                           {"ts", "1700000000123"}};
  EXPECT_EQ(events[0].fields, expected);
  EXPECT_EQ(events[1].Get("reason"), "none");
  EXPECT_EQ(events[1].Get("action"), "flagged");
  EXPECT_EQ(h->counters().audit_dropped, 0u);
  EXPECT_EQ(h->queued_writes(), 0u);
  ASSERT_TRUE(h.Close());
}

TEST_F(AuditLogTest, StreamIsTrimmedApproximately) {
  auto o = TestStoreOptions(redis_);
  o.audit_maxlen = 10;
  StoreHarness h(loop_, o);
  constexpr int kN = 500;
  for (int i = 0; i < kN; ++i) h->Emit(Event("e" + std::to_string(i)));
  ASSERT_TRUE(loop_.RunUntil([&] { return h->counters().audit_events == kN; }));
  // MAXLEN ~ trims whole radix-tree nodes (100 entries by default): far below kN, at least 10.
  const long long len = StreamLength(redis_, "sd:audit");
  EXPECT_GE(len, 10);
  EXPECT_LT(len, kN);
  ASSERT_TRUE(h.Close());
}

TEST_F(AuditLogTest, WhileRedisIsAwayTheQueueKeepsTheNewestAndCountsTheDropped) {
  auto o = TestStoreOptions(redis_);
  o.audit_queue_max = 3;
  StoreHarness h(loop_, o);
  ASSERT_TRUE(h.WaitConnected());
  redis_.Kill();
  ASSERT_TRUE(loop_.RunUntil([&] { return !h->connected(); }));
  for (int i = 0; i < 5; ++i) h->Emit(Event("e" + std::to_string(i)));
  EXPECT_EQ(h->counters().audit_dropped, 2u);
  EXPECT_EQ(h->queued_writes(), 3u);
  ASSERT_TRUE(redis_.Start()) << redis_.error();  // same port, empty
  ASSERT_TRUE(loop_.RunUntil([&] { return h->counters().audit_events == 3; }, 30s));
  const auto events = StreamRead(redis_, "sd:audit");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].Get("detail"), "e2");  // the oldest two were dropped; order kept
  EXPECT_EQ(events[1].Get("detail"), "e3");
  EXPECT_EQ(events[2].Get("detail"), "e4");
  EXPECT_EQ(h->counters().audit_dropped, 2u);
  ASSERT_TRUE(h.Close());
}

TEST_F(AuditLogTest, AnEventIssuedAfterACommitIsWrittenAfterIt) {
  // Commits of one loop turn leave together on the next turn; an event issued after one must
  // not overtake it. One stream for both makes the order visible.
  auto o = TestStoreOptions(redis_);
  o.audit_stream = "sd:outcomes";
  StoreHarness h(loop_, o);
  ASSERT_TRUE(h.WaitConnected());
  bool committed = false;
  h->Commit(RejectedOutcome("1-1", Reason::kBadSignature), [&] { committed = true; });
  h->Emit(Event("after the commit"));
  ASSERT_TRUE(loop_.RunUntil([&] { return committed && h->counters().audit_events == 1; }));
  const auto written = StreamRead(redis_, "sd:outcomes");
  ASSERT_EQ(written.size(), 2u);
  EXPECT_TRUE(written[0].Has("status"));
  EXPECT_EQ(written[1].Get("detail"), "after the commit");
  ASSERT_TRUE(h.Close());
}

TEST_F(AuditLogTest, BurstsOfOneReasonAreCountedOnce) {
  auto o = TestStoreOptions(redis_);
  o.audit_burst_per_minute = 3;
  StoreHarness h(loop_, o);
  for (int i = 0; i < 6; ++i) h->Emit(Event("e" + std::to_string(i)));
  h->Emit(Event("other", Reason::kUnknownKey));
  EXPECT_EQ(h->counters().audit_bursts, 1u);
  ASSERT_TRUE(loop_.RunUntil([&] { return h->counters().audit_events == 7; }));
  ASSERT_TRUE(h.Close());
}

}  // namespace
}  // namespace sd::testing
