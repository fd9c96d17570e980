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
  InboundStore& NewStore(int64_t part_timeout_ms = 60'000,
                         std::shared_ptr<const OptOutRules> rules = nullptr) {
    RedisEndpoint e;
    e.host = server_.host();
    e.port = server_.port();
    InboundStoreOptions o;
    o.part_timeout_ms = part_timeout_ms;
    o.sweep_ms = 50;
    o.optout_rules = std::move(rules);
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

// A keyword reply changes the opt-outs in the step that writes it: the hash, the change log and
// an audit event, once however often the SMSC delivers it; START undoes STOP, also when it comes
// in parts; a keyword from a number that is not international is kept and said so, but changes
// nothing.
TEST_F(InboundStoreTest, AKeywordReplyChangesTheOptOutsOnceInTheSameStep) {
  InboundStore& s = NewStore(60'000, std::make_shared<const OptOutRules>());
  ASSERT_TRUE(PutDurably(s, Part(" Stop. ")));
  ASSERT_TRUE(PutDurably(s, Part(" Stop. ")));  // a redelivery
  auto hash = [&] { return server_.Command({"HGETALL", "sd:optouts"}); };
  ASSERT_EQ(hash()->elements, 2u);
  EXPECT_EQ(ReplyString(hash()->element[0]), "s:4930555|+4917012345");
  EXPECT_EQ(ReplyString(hash()->element[1]).substr(0, 13), "1000|mo:acme|");
  EXPECT_EQ(server_.Command({"XLEN", "sd:optouts:log"})->integer, 1);
  EXPECT_EQ(ReplyString(server_.Command({"GET", "sd:optouts:version"}).get()), "1");
  auto audit = server_.Command({"XRANGE", "sd:audit", "-", "+"});
  ASSERT_EQ(audit->elements, 1u);
  Fields ev;
  const redisReply* kv = audit->element[0]->element[1];
  for (size_t k = 0; k + 1 < kv->elements; k += 2) {
    ev[ReplyString(kv->element[k])] = ReplyString(kv->element[k + 1]);
  }
  EXPECT_EQ(ev["action"], "optout_added");
  EXPECT_EQ(ev["reason"], "opted_out");
  EXPECT_EQ(ev["dest"].find("4917012345"), std::string::npos) << "masked";
  ASSERT_EQ(Inbound().size(), 1u);
  EXPECT_EQ(Inbound()[0]["optout"], "stop s:4930555");
  EXPECT_EQ(s.counters().optout_stops, 1u);
  // START in two parts: joined, then it removes the opt-out.
  ASSERT_TRUE(PutDurably(s, Part("STA", 2, 1)));
  ASSERT_TRUE(PutDurably(s, Part("RT", 2, 2)));
  ASSERT_TRUE(loop_.RunUntil([&] { return hash()->elements == 0; }));
  EXPECT_EQ(server_.Command({"XLEN", "sd:optouts:log"})->integer, 2);
  ASSERT_TRUE(loop_.RunUntil([&] { return s.counters().optout_starts == 1; }));
  // From a national number: kept, nothing changed.
  InboundPart national = Part("STOP");
  national.from = "07012345";
  ASSERT_TRUE(PutDurably(s, national));
  const auto in = Inbound();
  ASSERT_EQ(in.size(), 3u);
  EXPECT_EQ(in[2].at("optout_skipped"), "sender not international");
  EXPECT_EQ(hash()->elements, 0u);
  EXPECT_EQ(s.counters().optout_unusable, 1u);
}

}  // namespace
}  // namespace sd::redis
