// Inbound messages in a real Redis: one part written once (a redelivery is a duplicate), the
// parts of a long message joined and decoded once whichever order and store they come in, a
// message whose parts never all come written by the sweep with what came, and a part taken
// only once it is durable.
#include "adapters/redis/inbound_store.h"

#include <gtest/gtest.h>

#include <map>

#include "core/sms_text.h"
#include "tests/support/redis_server.h"
#include "tests/support/uv_test_loop.h"

namespace sd::redis {
namespace {

using Fields = std::map<std::string, std::string>;

class InboundStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start()) << server_.error(); }
  void TearDown() override {
    int closed = 0;
    for (auto& s : stores_) s->Close([&] { ++closed; });
    EXPECT_TRUE(loop_.RunUntil([&] { return closed == static_cast<int>(stores_.size()); }));
  }
  InboundStore& NewStore(int64_t part_timeout_ms = 60'000) {
    RedisEndpoint e;
    e.host = server_.host();
    e.port = server_.port();
    InboundStoreOptions o;
    o.part_timeout_ms = part_timeout_ms;
    o.sweep_ms = 50;
    stores_.push_back(std::make_unique<InboundStore>(loop_.get(), e, o, clock_));
    stores_.back()->Start();
    return *stores_.back();
  }
  static InboundPart Part(const std::string& body, uint8_t total = 0, uint8_t seq = 0) {
    InboundPart p;
    p.carrier = "acme";
    p.from = "4917012345";
    p.to = "4930555";
    p.body = body;
    p.received_ms = 1'000;
    if (total > 0) p.part = MoPart{0x2a, total, seq};
    return p;
  }
  std::vector<Fields> Inbound() {
    std::vector<Fields> out;
    testing::ReplyPtr r = server_.Command({"XRANGE", "sd:inbound", "-", "+"});
    for (size_t i = 0; r && i < r->elements; ++i) {
      Fields f;
      const redisReply* kv = r->element[i]->element[1];
      for (size_t k = 0; k + 1 < kv->elements; k += 2) {
        f[ReplyString(kv->element[k])] = ReplyString(kv->element[k + 1]);
      }
      out.push_back(std::move(f));
    }
    return out;
  }
  // Puts and runs the loop until the part is durable.
  bool PutDurably(InboundStore& s, InboundPart p) {
    bool durable = false;
    s.Put(std::move(p), [&] { durable = true; });
    return loop_.RunUntil([&] { return durable; });
  }

  testing::RedisServer server_;
  testing::UvTestLoop loop_;
  ManualClock clock_{1'000};
  std::vector<std::unique_ptr<InboundStore>> stores_;
};

TEST_F(InboundStoreTest, AMessageInOnePartIsWrittenOnceAndDecoded) {
  InboundStore& s = NewStore();
  ASSERT_TRUE(PutDurably(s, Part("STOP")));
  ASSERT_TRUE(PutDurably(s, Part("STOP"))) << "a redelivery is acknowledged too";
  const auto in = Inbound();
  ASSERT_EQ(in.size(), 1u);
  EXPECT_EQ(in[0].at("text"), "STOP");
  EXPECT_EQ(in[0].at("from"), "4917012345");
  EXPECT_EQ(in[0].at("to"), "4930555");
  EXPECT_EQ(in[0].at("carrier"), "acme");
  EXPECT_EQ(in[0].at("coding"), "gsm7");
  EXPECT_EQ(in[0].at("parts"), "1");
  EXPECT_EQ(s.counters().messages, 1u);
  EXPECT_EQ(s.counters().duplicates, 1u);
}

TEST_F(InboundStoreTest, PartsFromTwoStoresAreJoinedOnceInAnyOrder) {
  InboundStore& a = NewStore();
  InboundStore& b = NewStore();
  auto enc = EncodeText("ok \xf0\x9f\x91\x8d", DataCoding::kUcs2);  // a pair split below
  ASSERT_TRUE(enc.ok());
  InboundPart p2 = Part(enc->bytes.substr(8), 2, 2);
  InboundPart p1 = Part(enc->bytes.substr(0, 8), 2, 1);
  p1.coding = p2.coding = MoCoding::kUcs2;
  ASSERT_TRUE(PutDurably(a, p2));
  EXPECT_TRUE(Inbound().empty()) << "waits for its sibling";
  ASSERT_TRUE(PutDurably(b, p1));
  ASSERT_TRUE(loop_.RunUntil([&] { return Inbound().size() == 1; }));
  const auto in = Inbound();
  EXPECT_EQ(in[0].at("text"), "ok \xf0\x9f\x91\x8d");
  EXPECT_EQ(in[0].at("parts"), "2");
  EXPECT_EQ(in[0].count("missing"), 0u);
  // A part delivered again after the message was written is a duplicate, not a new message.
  ASSERT_TRUE(PutDurably(a, p2));
  loop_.RunUntil([] { return false; }, std::chrono::milliseconds(200));
  EXPECT_EQ(Inbound().size(), 1u);
  EXPECT_EQ(a.counters().duplicates, 1u);
}

TEST_F(InboundStoreTest, AMessageMissingAPartIsWrittenByTheSweepWithWhatCame) {
  InboundStore& s = NewStore(1'000);
  ASSERT_TRUE(PutDurably(s, Part("ST", 3, 1)));
  ASSERT_TRUE(PutDurably(s, Part("P", 3, 3)));
  loop_.RunUntil([] { return false; }, std::chrono::milliseconds(200));
  EXPECT_TRUE(Inbound().empty()) << "not yet due";
  clock_.Advance(1'001);
  ASSERT_TRUE(loop_.RunUntil([&] { return Inbound().size() == 1; }));
  const auto in = Inbound();
  EXPECT_EQ(in[0].at("text"), "STP");
  EXPECT_EQ(in[0].at("missing"), "1");
  EXPECT_EQ(in[0].at("parts"), "3");
  EXPECT_EQ(s.counters().timed_out, 1u);
  // The late part is a duplicate of a message already written.
  ASSERT_TRUE(PutDurably(s, Part("O", 3, 2)));
  loop_.RunUntil([] { return false; }, std::chrono::milliseconds(200));
  EXPECT_EQ(Inbound().size(), 1u);
}

TEST_F(InboundStoreTest, APartIsAcknowledgedOnlyOnceItIsInRedis) {
  InboundStore& s = NewStore();
  server_.Kill();
  bool durable = false;
  s.Put(Part("STOP"), [&] { durable = true; });
  loop_.RunUntil([] { return false; }, std::chrono::milliseconds(300));
  EXPECT_FALSE(durable) << "Redis is down: the SMSC must keep it";
  EXPECT_EQ(s.queued(), 1u);
  ASSERT_TRUE(server_.Start()) << server_.error();
  ASSERT_TRUE(loop_.RunUntil([&] { return durable; }));
  EXPECT_EQ(Inbound().size(), 1u);
}

}  // namespace
}  // namespace sd::redis
