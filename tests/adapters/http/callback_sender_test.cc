// Status callbacks (callback_sender.h, callback_event.h): against provider_server.py over TLS
// with certificates made here, and a fake queue (the one class under test is the sender; the
// Redis queue is tested end to end in tests/integration/callbacks_e2e_test.cc).
#include "adapters/http/callback_sender.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "adapters/crypto/base64.h"
#include "adapters/http/callback_event.h"
#include "adapters/http/webhook_auth.h"
#include "tests/adapters/http/provider_server.h"
#include "tests/support/test_pki.h"
#include "tests/support/uv_test_loop.h"

namespace sd::http {
namespace {

using ::sd::testing::ProviderServer;
using nlohmann::json;

// Hands out its entries once, then nothing; records what the sender did with them.
class FakeQueue : public StatusEntryQueue {
 public:
  std::vector<StatusEntry> entries;
  std::vector<std::string> acked, dead, dead_reasons;
  size_t keeps = 0;

  void Read(size_t max, std::function<void(std::vector<StatusEntry>)> got) override {
    std::vector<StatusEntry> out;
    while (!entries.empty() && out.size() < max) {
      out.push_back(std::move(entries.front()));
      entries.erase(entries.begin());
    }
    if (out.empty()) {
      pending_ = std::move(got);  // like a blocking read: answered by Close or more entries
      return;
    }
    got(std::move(out));
  }
  void Ack(const StatusEntry& e) override { acked.push_back(e.id); }
  void DeadLetter(const StatusEntry& e, std::string reason,
                  std::function<void(bool)> done) override {
    dead.push_back(e.id);
    dead_reasons.push_back(std::move(reason));
    done(true);
  }
  void Keep(const std::vector<const StatusEntry*>& held) override { keeps += held.size(); }

 private:
  std::function<void(std::vector<StatusEntry>)> pending_;
};

StatusEntry Outcome(const std::string& id, const std::string& kid, const std::string& job) {
  StatusEntry e;
  e.id = id;
  e.fields = {{"entry", "1-0"}, {"job", job},       {"kid", kid},
              {"ref", "r\"1"},  {"status", "submitted"}, {"reason", ""},
              {"detail", ""},   {"carrier", "sim"}, {"message_id", "m1"},
              {"segments", "1"}, {"ts", "1767225600000"}};
  return e;
}

class CallbackSenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.emplace(::sd::testing::ProviderServerOptions{pki_.server().cert, pki_.server().key});
    ASSERT_TRUE(server_->ok()) << server_->Log();
  }
  void TearDown() override {
    if (!sender_) return;
    bool closed = false;
    sender_->Close([&] { closed = true; });
    EXPECT_TRUE(loop_.RunUntil([&] { return closed; }));
    EXPECT_EQ(loop_.RunToCompletionAndClose(std::chrono::seconds(5)), 0) << "a handle is open";
  }

  // Keys "a.v1" (callback to path_a) and "b.v1" (callback to path_b, or none).
  void Keys(const std::string& path_a, const std::string& path_b = "",
            std::vector<std::string> secrets = {std::string(32, 'k')}) {
    std::vector<KeyRecord> recs;
    for (const auto& [id, path] : {std::pair{"a.v1", path_a}, std::pair{"b.v1", path_b}}) {
      KeyRecord r;
      r.id = id;
      r.secret = std::string(32, 's');
      if (!path.empty()) {
        r.callback_url = server_->Url(path);
        r.callback_secrets = secrets;
      }
      recs.push_back(r);
    }
    auto snap = KeyRegistrySnapshot::Build(1, std::move(recs));
    ASSERT_TRUE(snap.ok()) << snap.error().detail;
    keys_ = *snap;
  }

  void Start(CallbackSenderOptions o = {}) {
    o.client.ca_file = pki_.ca();
    o.retry_initial_ms = 20;
    o.retry_max_ms = 100;
    sender_ = std::make_unique<CallbackSender>(
        loop_.get(), &queue_, [this] { return keys_; }, &clock_, o);
    sender_->Start();
  }

  std::vector<json> Posts() const {
    std::vector<json> out;
    for (const json& r : server_->Requests()) {
      if (r.contains("method") && r["method"] == "POST") out.push_back(r);
    }
    return out;
  }

  ::sd::testing::TestPki pki_;
  std::optional<ProviderServer> server_;
  ::sd::testing::UvTestLoop loop_;
  FakeQueue queue_;
  ManualClock clock_{1'767'225'600'000};
  std::shared_ptr<const KeyRegistrySnapshot> keys_;
  std::unique_ptr<CallbackSender> sender_;
};

std::string Header(const json& req, const std::string& name) {
  for (const auto& [k, v] : req["headers"].items()) {
    std::string lower = k;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == name) return v.get<std::string>();
  }
  return "";
}

// Checks a recorded request with the daemon's own verifier, under `secret`.
bool Verifies(const json& req, const std::string& secret, int64_t now_ms) {
  HttpServerRequest r;
  for (const char* h : {"webhook-id", "webhook-timestamp", "webhook-signature"}) {
    r.headers.emplace_back(h, Header(req, h));
  }
  r.body = req["body"].get<std::string>();
  WebhookAuth auth;
  auth.secrets = {secret};
  return VerifyWebhook(auth, r, now_ms).ok;
}

TEST_F(CallbackSenderTest, PostsSignedEventsOnlyForKeysWithACallbackAndVerifiedJobs) {
  Keys("/ok");
  queue_.entries = {Outcome("1767225600000-0", "a.v1", "j1"),
                    Outcome("1767225600000-1", "a.v1", ""),   // never decoded: no callback
                    Outcome("1767225600000-2", "b.v1", "j2"),  // key without a callback
                    Outcome("1767225600000-3", "z.v1", "j3")};  // unknown key
  StatusEntry receipt = Outcome("1767225600001-0", "a.v1", "j1");
  receipt.receipt = true;
  receipt.fields = {{"entry", "1-0"},   {"job", "j1"}, {"ref", ""},           {"kid", "a.v1"},
                    {"carrier", "sim"}, {"message_id", "m1"}, {"status", "delivered"},
                    {"carrier_status", "DELIVRD"}, {"err", "000"}, {"ts", "1767225601000"}};
  queue_.entries.push_back(receipt);
  Start();
  ASSERT_TRUE(loop_.RunUntil([&] { return queue_.acked.size() == 5; })) << server_->Log();
  EXPECT_EQ(sender_->counters().delivered, 2u);
  EXPECT_EQ(sender_->counters().skipped, 3u);
  const auto posts = Posts();
  ASSERT_EQ(posts.size(), 2u);
  std::map<std::string, json> by_id;
  for (const json& p : posts) {
    EXPECT_TRUE(Verifies(p, std::string(32, 'k'), clock_.NowMs()));
    EXPECT_FALSE(Verifies(p, std::string(32, 'x'), clock_.NowMs()));
    EXPECT_EQ(Header(p, "content-type"), "application/json");
    by_id[Header(p, "webhook-id")] = json::parse(p["body"].get<std::string>());
  }
  const json& o = by_id.at("msg_o_1767225600000-0");
  EXPECT_EQ(o["type"], "message.submitted");
  EXPECT_EQ(o["timestamp"], "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(o["data"]["job"], "j1");
  EXPECT_EQ(o["data"]["ref"], "r\"1");  // JSON-escaped, not cut
  EXPECT_EQ(o["data"]["segments"], 1);
  const json& r = by_id.at("msg_r_1767225600001-0");
  EXPECT_EQ(r["type"], "message.receipt");
  EXPECT_EQ(r["data"]["status"], "delivered");
  EXPECT_EQ(r["data"]["ts"], 1767225601000);
}

TEST_F(CallbackSenderTest, RetriesWithTheSameWebhookIdUntilDelivered) {
  Keys("/script/503,500,429,200");
  queue_.entries = {Outcome("1767225600000-0", "a.v1", "j1")};
  Start();
  ASSERT_TRUE(loop_.RunUntil([&] { return queue_.acked.size() == 1; })) << server_->Log();
  EXPECT_EQ(sender_->counters().attempts, 4u);
  EXPECT_EQ(sender_->counters().failures, 3u);
  EXPECT_EQ(sender_->counters().delivered, 1u);
  EXPECT_TRUE(queue_.dead.empty());
  const auto posts = Posts();
  ASSERT_EQ(posts.size(), 4u);
  for (const json& p : posts) EXPECT_EQ(Header(p, "webhook-id"), "msg_o_1767225600000-0");
}

TEST_F(CallbackSenderTest, DeadLettersWhatTheUrlKeptRefusingPastRetryFor) {
  Keys("/status/500");
  // Two events of the failing URL: one written long ago, one just now.
  queue_.entries = {Outcome("1767225000000-0", "a.v1", "old"),
                    Outcome("1767225600000-0", "a.v1", "new")};
  CallbackSenderOptions o;
  o.retry_for_ms = 60'000;
  Start(o);
  ASSERT_TRUE(loop_.RunUntil([&] { return queue_.dead.size() == 1; })) << server_->Log();
  EXPECT_EQ(queue_.dead[0], "1767225000000-0");
  EXPECT_NE(queue_.dead_reasons[0].find("HTTP 500"), std::string::npos) << queue_.dead_reasons[0];
  EXPECT_TRUE(queue_.acked.empty());
  // The new one is still retried; once its time is over too, it goes the same way.
  clock_.Advance(61'000);
  ASSERT_TRUE(loop_.RunUntil([&] { return queue_.dead.size() == 2; })) << server_->Log();
  EXPECT_EQ(sender_->held(), 0u);
  EXPECT_EQ(sender_->counters().dead, 2u);
}

TEST_F(CallbackSenderTest, DuringARotationBothSecretsSign) {
  Keys("/ok", "", {std::string(32, 'n'), std::string(24, 'o')});
  queue_.entries = {Outcome("1767225600000-0", "a.v1", "j1")};
  Start();
  ASSERT_TRUE(loop_.RunUntil([&] { return queue_.acked.size() == 1; })) << server_->Log();
  const auto posts = Posts();
  ASSERT_EQ(posts.size(), 1u);
  const std::string sigs = Header(posts[0], "webhook-signature");
  EXPECT_EQ(std::count(sigs.begin(), sigs.end(), ' '), 1) << sigs;
  EXPECT_TRUE(Verifies(posts[0], std::string(32, 'n'), clock_.NowMs()));
  EXPECT_TRUE(Verifies(posts[0], std::string(24, 'o'), clock_.NowMs()));
}

TEST_F(CallbackSenderTest, ASlowUrlDoesNotHoldUpAnother) {
  Keys("/slow/1500", "/ok");
  for (int i = 0; i < 4; ++i) {
    queue_.entries.push_back(Outcome("1767225600000-" + std::to_string(i), "a.v1", "s"));
  }
  for (int i = 0; i < 4; ++i) {
    queue_.entries.push_back(Outcome("1767225600001-" + std::to_string(i), "b.v1", "f"));
  }
  CallbackSenderOptions o;
  o.max_per_target = 1;
  o.max_in_flight = 2;
  Start(o);
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(loop_.RunUntil([&] {
    return std::count_if(queue_.acked.begin(), queue_.acked.end(),
                         [](const std::string& id) { return id.rfind("1767225600001", 0) == 0; }) ==
           4;
  })) << server_->Log();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(1400));
  EXPECT_LE(sender_->in_flight(), 1u);  // only the slow URL's one request
}

// A URL that keeps failing holds at most max_held_per_target events; what is read beyond is
// left pending unacknowledged (parked), and another URL's events still flow.
TEST_F(CallbackSenderTest, AFailingUrlHoldsOnlyItsShare) {
  Keys("/status/500", "/ok");
  for (int i = 0; i < 6; ++i) {
    queue_.entries.push_back(Outcome("1767225600000-" + std::to_string(i), "a.v1", "down"));
  }
  queue_.entries.push_back(Outcome("1767225600001-0", "b.v1", "up"));
  queue_.entries.push_back(Outcome("1767225600001-1", "b.v1", "up"));
  CallbackSenderOptions o;
  o.max_held_per_target = 2;
  Start(o);
  ASSERT_TRUE(loop_.RunUntil([&] { return queue_.acked.size() == 2; })) << server_->Log();
  EXPECT_EQ(queue_.acked, (std::vector<std::string>{"1767225600001-0", "1767225600001-1"}));
  EXPECT_EQ(sender_->counters().parked, 4u);
  EXPECT_EQ(sender_->held(), 2u);  // the failing URL's share, retried
  EXPECT_TRUE(queue_.dead.empty());
}

// Without a key registry nothing can be decided: entries are let go unacknowledged (the
// claim of idle entries brings them back), never acknowledged unsent.
TEST_F(CallbackSenderTest, WithoutARegistryNothingIsAcknowledged) {
  queue_.entries = {Outcome("1767225600000-0", "a.v1", "j1")};
  Start();
  ASSERT_TRUE(loop_.RunUntil([&] { return queue_.entries.empty(); })) << server_->Log();
  loop_.RunUntil([] { return false; }, std::chrono::milliseconds(100));
  EXPECT_TRUE(queue_.acked.empty());
  EXPECT_EQ(sender_->held(), 0u);
  EXPECT_TRUE(Posts().empty());
}

// The vectors of tests/vectors/api.json ("callbacks"), made from the Standard Webhooks
// specification in Python, against the daemon's signer.
TEST(CallbackVectors, SignerMatchesTheIndependentVectors) {
  std::ifstream in(SD_VECTORS_DIR "/api.json");
  const json v = json::parse(in);
  const json& cb = v["callbacks"];
  const std::string key = DecodeWhsec(cb["secret"].get<std::string>());
  const std::string old = DecodeWhsec(cb["old_secret"].get<std::string>());
  ASSERT_EQ(key.size(), 32u);
  WebhookAuth auth;
  const json& one = cb["cases"][0];
  const auto headers = SignWebhook(auth, key, one["body"].get<std::string>(),
                                   one["webhook_id"].get<std::string>(), one["timestamp"]);
  EXPECT_EQ(headers.back().second, one["signature"]);
  const json& both = cb["cases"][1];
  const std::string second = SignWebhook(auth, old, both["body"].get<std::string>(),
                                         both["webhook_id"].get<std::string>(), both["timestamp"])
                                 .back()
                                 .second;
  EXPECT_EQ(headers.back().second + " " + second, both["signature"]);
}

TEST(CallbackEvent, IdsTimesAndWhoGetsIt) {
  EXPECT_EQ(EntryTimeMs("1767225600000-7"), 1767225600000);
  EXPECT_FALSE(EntryTimeMs("x-1").has_value());
  EXPECT_FALSE(EntryTimeMs("").has_value());
  StatusEntry e = Outcome("5-1", "a.v1", "j");
  EXPECT_EQ(CallbackEventId(e), "msg_o_5-1");
  EXPECT_EQ(CallbackKeyId(e), "a.v1");
  e.receipt = true;
  EXPECT_EQ(CallbackEventId(e), "msg_r_5-1");
  e.fields.clear();  // trimmed off the stream
  EXPECT_EQ(CallbackKeyId(e), "");
  // Only documented fields, and bytes that are not UTF-8 never break the JSON.
  StatusEntry odd = Outcome("5-2", "a.v1", "j");
  odd.fields.emplace_back("secret_field", "x");
  odd.fields[6].second = std::string("bad \xff utf8");
  const json body = json::parse(CallbackBody(odd));
  EXPECT_FALSE(body["data"].contains("secret_field"));
  EXPECT_EQ(body["type"], "message.submitted");
}

}  // namespace
}  // namespace sd::http
