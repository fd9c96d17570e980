// The simulator's parts on their own: the due-work queue on a real libuv loop, the stats file's
// content and the messages file's escaping. The whole simulator is tested as a process by the
// other tests here and by every end-to-end test.
#include <gtest/gtest.h>
#include <uv.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/smsc_sim/due_queue.h"
#include "bench/smsc_sim/message_log.h"
#include "bench/smsc_sim/stats_file.h"
#include "tests/support/temp_dir.h"

namespace sd::smsc_sim {
namespace {

class DueQueueTest : public ::testing::Test {
 protected:
  DueQueueTest() { uv_loop_init(&loop_); }
  ~DueQueueTest() override {
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }

  DueQueue::Hooks Hooks() {
    return DueQueue::Hooks{[this](uint64_t client, const std::string& bytes) {
                             if (client == gone_client_) return false;
                             responses_.push_back(std::to_string(client) + ":" + bytes);
                             return true;
                           },
                           [this](const Receipt& r) {
                             if (!receiver_bound_) return false;
                             receipts_.push_back(r);
                             return true;
                           },
                           [this] { ++flushes_; }};
  }

  // Runs the loop until the queue has nothing due left (its timer is the only handle).
  void RunUntilIdle() { uv_run(&loop_, UV_RUN_DEFAULT); }

  uv_loop_t loop_;
  Options options_;
  Counters counters_;
  std::vector<std::string> responses_;
  std::vector<Receipt> receipts_;
  int flushes_ = 0;
  bool receiver_bound_ = true;
  uint64_t gone_client_ = 0;
};

TEST_F(DueQueueTest, HeldResponsesGoOutAfterTheLatencyInOrderExceptToAClientThatIsGone) {
  options_.submit_latency_ms = 20;
  DueQueue q(&loop_, options_, counters_, Hooks());
  gone_client_ = 2;
  const uint64_t start = uv_now(&loop_);
  q.HoldResponse(1, "a");
  q.HoldResponse(2, "b");
  q.HoldResponse(1, "c");
  q.Arm();
  RunUntilIdle();
  uv_update_time(&loop_);
  EXPECT_GE(uv_now(&loop_) - start, 20u);
  EXPECT_EQ(responses_, (std::vector<std::string>{"1:a", "1:c"}));
  EXPECT_EQ(counters_.submit_resps, 2u);  // the lost one is not counted as answered
  EXPECT_GE(flushes_, 1);
  q.Close();
}

TEST_F(DueQueueTest, ReceiptsWithNoReceiverWaitWithinTheCapAndDrainWhenOneBinds) {
  options_.receipt_delay_ms = 0;
  options_.max_waiting_receipts = 2;
  DueQueue q(&loop_, options_, counters_, Hooks());
  receiver_bound_ = false;
  for (const char* id : {"m1", "m2", "m3"}) {
    Receipt r;
    r.message_id = id;
    q.ScheduleReceipt(r);
  }
  q.Arm();
  RunUntilIdle();
  EXPECT_TRUE(receipts_.empty());
  EXPECT_EQ(q.waiting(), 2u);
  EXPECT_EQ(q.scheduled(), 0u);
  EXPECT_EQ(counters_.receipts_dropped, 1u);
  receiver_bound_ = true;
  q.DrainWaiting();
  ASSERT_EQ(receipts_.size(), 2u);
  EXPECT_EQ(receipts_[0].message_id, "m1");
  EXPECT_EQ(receipts_[1].message_id, "m2");
  EXPECT_EQ(q.waiting(), 0u);
  q.Close();
}

TEST_F(DueQueueTest, AReceiptDueAfterItsValidityReportsExpiredUnlessSentBefore) {
  options_.receipt_delay_ms = 0;
  DueQueue q(&loop_, options_, counters_, Hooks());
  Receipt late;
  late.valid_until_ms = WallMs() - 1000;
  Receipt resent = late;
  resent.sent_before = true;
  Receipt failed = late;
  failed.state = ReceiptState::kUndeliverable;
  q.ScheduleReceipt(late);
  q.ScheduleReceipt(resent);
  q.ScheduleReceipt(failed);
  q.Arm();
  RunUntilIdle();
  ASSERT_EQ(receipts_.size(), 3u);
  EXPECT_EQ(receipts_[0].state, ReceiptState::kExpired);
  EXPECT_EQ(receipts_[1].state, ReceiptState::kDelivered);
  EXPECT_EQ(receipts_[2].state, ReceiptState::kUndeliverable);
  EXPECT_EQ(counters_.expired_deliveries, 1u);
  q.Close();
}

TEST_F(DueQueueTest, NothingIsArmedAfterClose) {
  options_.receipt_delay_ms = 10'000;  // would keep the loop alive for 10 s if armed
  DueQueue q(&loop_, options_, counters_, Hooks());
  q.Close();
  q.ScheduleReceipt(Receipt{});
  q.Arm();
  RunUntilIdle();
  EXPECT_TRUE(receipts_.empty());
}

TEST(StatsJson, TotalsComeFirstThenSessionsWithPrefixedFieldsAndBytesThatAreNotUtf8Replaced) {
  Counters c;
  c.submits = 7;
  c.reassembly_duplicates = 1;
  c.reassembly_overflows = 2;
  SessionStats tx{1, "esme", "tx", {}};
  tx.counters.submits = 5;
  SessionStats rx{2, std::string("bad\xff", 4), "rx", {}};
  const std::string text = StatsJson(c, QueueSizes{3, 4, 5}, {tx, rx});
  ASSERT_EQ(text.back(), '\n');
  const auto j = nlohmann::ordered_json::parse(text);
  EXPECT_EQ(j.begin().key(), "connections");
  EXPECT_EQ(j["submits"], 7);
  EXPECT_EQ(j["reassembly_errors"], 3);
  EXPECT_EQ(j["receipts_waiting"], 3);
  EXPECT_EQ(j["receipts_scheduled"], 4);
  EXPECT_EQ(j["reassembly_pending"], 5);
  EXPECT_EQ(j["bound_tx"], 1);
  EXPECT_EQ(j["bound_rx"], 1);
  EXPECT_EQ(j["bound_trx"], 0);
  ASSERT_EQ(j["sessions"].size(), 2u);
  EXPECT_EQ(j["sessions"][0]["session_submits"], 5);
  EXPECT_EQ(j["sessions"][1]["session_system_id"], "bad\xef\xbf\xbd");  // U+FFFD
}

TEST(StatsFile, ReplacesTheFileWhole) {
  testing::TempDir dir;
  StatsFile f(dir.File("stats.json"));
  f.Write("{\"a\":1}\n");
  f.Write("{\"a\":2}\n");
  EXPECT_EQ(testing::ReadTextFile(dir.File("stats.json")), "{\"a\":2}\n");
  EXPECT_FALSE(StatsFile("").enabled());
}

TEST(MessageLog, EscapesAddressesAndWritesTheUserDataInHex) {
  testing::TempDir dir;
  MessageLog log;
  ASSERT_EQ(log.Open(dir.File("m.jsonl")), "");
  smpp::ShortMessage sm;
  sm.source_addr = "A\"B";
  sm.destination_addr = std::string("+49\n\x01", 5);
  sm.data_coding = 8;
  log.Record("sys\\id", sm, PartMethod::kSingle, 1, std::string("\x00\x41", 2), 1234);
  const std::string line = testing::ReadTextFile(dir.File("m.jsonl"));
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["system_id"], "sys\\id");
  EXPECT_EQ(j["source"], "A\"B");
  EXPECT_EQ(j["dest"], std::string("+49\n\x01", 5));
  EXPECT_EQ(j["data_coding"], 8);
  EXPECT_EQ(j["parts"], 1);
  EXPECT_EQ(j["received_ms"], 1234);
  EXPECT_EQ(j["hex"], "0041");
  EXPECT_NE(MessageLog().Open(dir.File("no/such/dir/m.jsonl")), "");
}

}  // namespace
}  // namespace sd::smsc_sim
