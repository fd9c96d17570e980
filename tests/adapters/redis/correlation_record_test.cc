// The correlation record's value (EncodeCorrelation, lua_scripts.h): its format, the format
// before it for names holding its separators, and receipts matched against records of either
// format, including records a daemon before this format wrote (a rolling upgrade), by the
// receipt script and by the plain path. Against a real redis-server.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "adapters/redis/lua_scripts.h"
#include "tests/support/job_store_harness.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;

// What daemons before this format wrote: each name as "<decimal length>:<bytes>".
std::string LengthPrefixed(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += std::to_string(n.size()) + ":" + n;
  return out;
}

// The format's two bytes: 0x1E first, 0x1F after each name.
const std::string kMark(1, '\x1e');
const std::string kEnd(1, '\x1f');

TEST(EncodeCorrelationTest, NamesEachEndedBySeparatorAfterAMark) {
  EXPECT_EQ(redis::EncodeCorrelation("1-0", "job-1", "ref;x:y", "k.v1"),
            kMark + "1-0" + kEnd + "job-1" + kEnd + "ref;x:y" + kEnd + "k.v1" + kEnd);
  EXPECT_EQ(redis::EncodeCorrelation("1-0", "job-1", "", "k.v1", 2, 3),
            kMark + "1-0" + kEnd + "job-1" + kEnd + kEnd + "k.v1" + kEnd + "2" + kEnd + "3" + kEnd);
  // One part: no part numbers.
  EXPECT_EQ(redis::EncodeCorrelation("1-0", "j", "r", "k", 1, 1),
            kMark + "1-0" + kEnd + "j" + kEnd + "r" + kEnd + "k" + kEnd);
}

TEST(EncodeCorrelationTest, ANameHoldingASeparatorTakesTheLengthPrefixedFormat) {
  const std::string ref = "a" + kEnd + "b";
  EXPECT_EQ(redis::EncodeCorrelation("1-0", "job-1", ref, "k.v1"),
            LengthPrefixed({"1-0", "job-1", ref, "k.v1"}));
  EXPECT_EQ(redis::EncodeCorrelation("1-0", "job" + kMark, "r", "k", 1, 2),
            LengthPrefixed({"1-0", "job" + kMark, "r", "k", "1", "2"}));
}

class CorrelationRecordTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(redis_.Start()) << redis_.error(); }
  void TearDown() override { EXPECT_EQ(loop_.RunToCompletionAndClose(), 0) << "handles left open"; }

  static Receipt Make(const std::string& message_id, ReceiptState state) {
    Receipt rc;
    rc.carrier = "carrier-a";
    rc.message_id = message_id;
    rc.state = state;
    rc.carrier_status = std::string(ReceiptStateName(state));
    rc.error_code = "000";
    rc.ts_ms = 1'700'000'001'000;
    return rc;
  }
  void Set(const std::string& key, const std::string& value) {
    ASSERT_TRUE(redis_.Command({"SET", key, value, "PX", "600000"}));
  }
  std::string Get(const std::string& key) { return StringAt(redis_, key); }
  long long ScriptCalls() { return CommandCalls(redis_, "evalsha") + CommandCalls(redis_, "eval"); }

  // The receipt's names of the job, as filed.
  static std::vector<std::string> Names(const StreamRecord& r) {
    return {r.Get("entry"), r.Get("job"), r.Get("ref"), r.Get("kid")};
  }

  UvTestLoop loop_;
  RedisServer redis_;
};

// Records a daemon before this format wrote (single part, and the parts of a multipart job)
// and one in the length-prefixed form for a ref holding the separator: each receipt names its
// job exactly, and each state is noted once.
TEST_F(CorrelationRecordTest, TheScriptReadsRecordsOfEitherFormat) {
  StoreHarness h(loop_, TestStoreOptions(redis_));
  const std::vector<std::string> old_names{"5-0", "job-old", "ref\n:;odd", "test.v1"};
  Set("sd:corr:carrier-a:old", LengthPrefixed(old_names));
  Set("sd:corr:carrier-a:p1", LengthPrefixed({"6-0", "job-parts", "r", "test.v1", "1", "2"}));
  Set("sd:corr:carrier-a:p2", LengthPrefixed({"6-0", "job-parts", "r", "test.v1", "2", "2"}));
  const std::vector<std::string> ids = ReadAndClaim(redis_, h, 2, "job-");
  Outcome odd = SubmittedOutcome(ids[0], "job-odd", "odd");
  odd.client_ref = "sep" + kEnd + ";delivered;";  // never passes a job's checks; still survives
  ASSERT_TRUE(h.Commit(odd));
  ASSERT_TRUE(h.Commit(SubmittedOutcome(ids[1], "job-new", "new")));
  EXPECT_EQ(Get("sd:corr:carrier-a:odd"),
            LengthPrefixed({ids[0], "job-odd", odd.client_ref, "test.v1"}));

  for (const char* id : {"old", "odd", "new", "p1", "p2", "old", "new"}) {
    ASSERT_TRUE(h.PutReceipt(Make(id, ReceiptState::kDelivered))) << id;
  }
  const auto receipts = StreamRead(redis_, "sd:receipts");
  ASSERT_EQ(receipts.size(), 4u);
  EXPECT_EQ(Names(receipts[0]), old_names);
  EXPECT_EQ(Names(receipts[1]),
            (std::vector<std::string>{ids[0], "job-odd", odd.client_ref, "test.v1"}));
  EXPECT_EQ(Names(receipts[2]),
            (std::vector<std::string>{ids[1], "job-new", "ref-job-new", "test.v1"}));
  EXPECT_EQ(Names(receipts[3]), (std::vector<std::string>{"6-0", "job-parts", "r", "test.v1"}));
  EXPECT_EQ(receipts[3].Get("parts"), "2");
  EXPECT_EQ(receipts[3].Get("delivered_parts"), "2");
  EXPECT_EQ(h->counters().duplicate_receipts, 2u);
  EXPECT_EQ(h->counters().part_receipts, 1u);
  EXPECT_EQ(StreamLength(redis_, "sd:receipts:unmatched"), 0);
  // The states are noted after the names, in either format.
  EXPECT_EQ(Get("sd:corr:carrier-a:old"), LengthPrefixed(old_names) + ";delivered;");
  EXPECT_EQ(Get("sd:corr:carrier-a:new"),
            redis::EncodeCorrelation(ids[1], "job-new", "ref-job-new", "test.v1") + ";delivered;");
  ASSERT_TRUE(h.Close());
}

// The plain path reads both formats too: a record of the format before is filed without the
// script, beside one of the new format.
TEST_F(CorrelationRecordTest, ThePlainPathReadsRecordsOfEitherFormat) {
  StoreHarness h(loop_, PlainOptions(redis_));
  const std::vector<std::string> old_names{"5-0", "job-old", "r:;", "test.v1"};
  Set("sd:corr:carrier-a:old", LengthPrefixed(old_names) + ";enroute;");
  const std::vector<std::string> ids = ReadAndClaim(redis_, h, 1, "job-");
  ASSERT_TRUE(h.Commit(SubmittedOutcome(ids[0], "job-new", "new")));
  const long long scripts = ScriptCalls();
  size_t done = 0;
  for (const char* id : {"old", "new"}) {
    h->PutReceipt(Make(id, ReceiptState::kDelivered), [&] { ++done; });
  }
  ASSERT_TRUE(loop_.RunUntil([&] { return done == 2; }, 10s));
  EXPECT_EQ(ScriptCalls(), scripts);
  EXPECT_EQ(h->counters().plain_receipts, 1u);
  const auto receipts = StreamRead(redis_, "sd:receipts");
  ASSERT_EQ(receipts.size(), 2u);
  EXPECT_EQ(Names(receipts[0]), old_names);
  EXPECT_EQ(Names(receipts[1]),
            (std::vector<std::string>{ids[0], "job-new", "ref-job-new", "test.v1"}));
  EXPECT_EQ(Get("sd:corr:carrier-a:old"), LengthPrefixed(old_names) + ";enroute;delivered;");
  ASSERT_TRUE(h.Close());
}

}  // namespace
}  // namespace sd::testing
