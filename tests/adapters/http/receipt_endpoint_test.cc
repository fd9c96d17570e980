// The receipt webhook endpoint over TLS with libcurl as the provider: each refusal with its
// status and audit event and nothing handed on, a stored receipt answered only once durable,
// a replayed Standard Webhooks id answered without a second write, and a store too slow to
// answer in time. The receipt handler stands in for the Dispatcher (store durability is the
// test's `ack`); the AuditSink is a recording fake; the rest is real.
#include "adapters/http/receipt_endpoint.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <optional>

#include "adapters/http/curl_multi.h"
#include "tests/support/test_pki.h"
#include "tests/support/uv_test_loop.h"

namespace sd::http {
namespace {

class RecordingAudit final : public AuditSink {
 public:
  void Emit(AuditEvent e) override { events.push_back(std::move(e)); }
  std::vector<AuditEvent> events;
};

std::string Base64HmacSha256(const std::string& key, const std::string& data) {
  unsigned char mac[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  std::string out(44, '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), mac, 32);
  return out;
}

constexpr int64_t kNow = 1'700'000'000'000;

class ReceiptEndpointTest : public ::testing::Test {
 protected:
  ReceiptEndpointTest() : clock_(kNow) {
    HttpCarrierOptions co;
    co.name = "rest";
    carrier_ = std::make_unique<HttpCarrier>(loop_.get(), co);
    carrier_->SetReceiptHandler([this](Receipt r, std::function<void()> ack) {
      receipts_.push_back(std::move(r));
      acks_.push_back(std::move(ack));
    });
  }

  void TearDown() override {
    bool a = false, b = false, c = true;
    endpoint_->Close([&] { a = true; });
    carrier_->Close([&] { b = true; });
    if (client_) {
      c = false;
      client_->Close([&] { c = true; });
    }
    EXPECT_TRUE(loop_.RunUntil([&] { return a && b && c; }));
    EXPECT_EQ(loop_.RunToCompletionAndClose(std::chrono::seconds(5)), 0);
  }

  // Standard Webhooks with key "k-std", JSON bodies {"id": ..., "status": ...}.
  void Start(std::vector<std::string> allow = {}, int64_t ack_timeout_ms = 5'000) {
    net::TlsConfig tc;
    tc.role = net::TlsRole::kServer;
    tc.cert_file = pki_.server().cert;
    tc.key_file = pki_.server().key;
    HttpServerOptions so;
    so.tls = net::TlsContext::Create(tc).value();
    so.max_body_bytes = 4096;
    endpoint_ = std::make_unique<ReceiptEndpoint>(loop_.get(), so, ack_timeout_ms, clock_);
    endpoint_->SetAuditSink(&audit_);
    ReceiptWebhookConfig wc;
    wc.auth.scheme = WebhookScheme::kStandardWebhooks;
    wc.auth.secrets = {"k-old", "k-std"};
    for (const std::string& a : allow) wc.allow_ips.push_back(*ParseCidr(a));
    wc.shape.format = BodyFormat::kJson;
    wc.shape.id_field = "/id";
    wc.shape.status_field = "/status";
    wc.shape.states = {{"delivered", ReceiptState::kDelivered}};
    endpoint_->AddCarrier(carrier_.get(), wc);
    ASSERT_EQ(endpoint_->Start(), 0) << endpoint_->error();
  }

  HttpRequest Signed(const std::string& body, const std::string& id = "msg_1",
                     int64_t ts_s = kNow / 1000, const std::string& path = "/v1/receipts/rest") {
    HttpRequest r;
    r.url = "https://localhost:" + std::to_string(endpoint_->port()) + path;
    r.body = body;
    const std::string ts = std::to_string(ts_s);
    r.headers = {{"Content-Type", "application/json"},
                 {"webhook-id", id},
                 {"webhook-timestamp", ts},
                 {"webhook-signature", "v1," + Base64HmacSha256("k-std", id + "." + ts + "." + body)}};
    return r;
  }

  // Sends and returns the answer, acknowledging receipts as they come when `ack` is set.
  HttpResponse Send(HttpRequest r, bool ack = true) {
    if (!client_) {
      HttpClientOptions co;
      co.ca_file = pki_.ca();
      client_ = std::make_unique<CurlMulti>(loop_.get(), co);
    }
    std::optional<HttpResponse> got;
    EXPECT_TRUE(client_->Send(std::move(r), [&](HttpResponse x) { got = std::move(x); }));
    EXPECT_TRUE(loop_.RunUntil([&] {
      if (ack) {
        for (auto& a : acks_) {
          if (a) std::exchange(a, nullptr)();
        }
      }
      return got.has_value();
    }));
    return got.value_or(HttpResponse{});
  }

  ::sd::testing::UvTestLoop loop_;
  ::sd::testing::TestPki pki_;
  ManualClock clock_;
  RecordingAudit audit_;
  std::unique_ptr<HttpCarrier> carrier_;
  std::unique_ptr<ReceiptEndpoint> endpoint_;
  std::unique_ptr<CurlMulti> client_;
  std::vector<Receipt> receipts_;
  std::vector<std::function<void()>> acks_;
};

constexpr const char* kBody = R"({"id":"SM42","status":"delivered"})";

TEST_F(ReceiptEndpointTest, ASignedReceiptIsHandedOnAndAnswered200OnlyOnceDurable) {
  Start();
  std::optional<HttpResponse> got;
  client_ = nullptr;
  HttpClientOptions co;
  co.ca_file = pki_.ca();
  client_ = std::make_unique<CurlMulti>(loop_.get(), co);
  ASSERT_TRUE(client_->Send(Signed(kBody), [&](HttpResponse x) { got = std::move(x); }));
  ASSERT_TRUE(loop_.RunUntil([&] { return acks_.size() == 1; }));
  loop_.RunUntil([] { return false; }, std::chrono::milliseconds(150));
  EXPECT_FALSE(got.has_value()) << "no answer before the receipt is durable";
  acks_[0]();
  ASSERT_TRUE(loop_.RunUntil([&] { return got.has_value(); }));
  EXPECT_EQ(got->status, 200);
  ASSERT_EQ(receipts_.size(), 1u);
  EXPECT_EQ(receipts_[0].carrier, "rest");
  EXPECT_EQ(receipts_[0].message_id, "SM42");
  EXPECT_EQ(receipts_[0].state, ReceiptState::kDelivered);
  EXPECT_EQ(receipts_[0].carrier_status, "delivered");
  EXPECT_EQ(endpoint_->counters().stored, 1u);
  EXPECT_TRUE(audit_.events.empty());
}

TEST_F(ReceiptEndpointTest, AReplayedWebhookIdIsAnsweredWithoutASecondWrite) {
  Start();
  EXPECT_EQ(Send(Signed(kBody)).status, 200);
  const HttpResponse again = Send(Signed(kBody));
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, R"({"status":"duplicate"})");
  EXPECT_EQ(receipts_.size(), 1u);
  EXPECT_EQ(Send(Signed(kBody, "msg_2")).status, 200) << "another id is another receipt";
  EXPECT_EQ(receipts_.size(), 2u);
}

TEST_F(ReceiptEndpointTest, BadSignaturesStaleTimestampsAndForeignAddressesAreRefusedAndAudited) {
  Start();
  HttpRequest tampered = Signed(kBody);
  tampered.body = R"({"id":"SM43","status":"delivered"})";
  EXPECT_EQ(Send(tampered).status, 401);
  EXPECT_EQ(Send(Signed(kBody, "msg_9", kNow / 1000 - 301)).status, 401);
  HttpRequest unsigned_request = Signed(kBody);
  unsigned_request.headers.resize(1);
  EXPECT_EQ(Send(unsigned_request).status, 401);
  EXPECT_TRUE(receipts_.empty());
  ASSERT_EQ(audit_.events.size(), 3u);
  EXPECT_EQ(audit_.events[0].reason, Reason::kBadSignature);
  EXPECT_EQ(audit_.events[0].detail,
            "receipt webhook for carrier rest from 127.0.0.1: bad signature");
  EXPECT_EQ(audit_.events[1].detail,
            "receipt webhook for carrier rest from 127.0.0.1: stale timestamp");
  EXPECT_EQ(audit_.events[0].detail.find("SM43"), std::string::npos) << "never the body";
}

TEST_F(ReceiptEndpointTest, AnAddressOutsideTheAllowlistIsRefusedBeforeTheSignature) {
  Start({"10.0.0.0/8", "2001:db8::/32"});
  EXPECT_EQ(Send(Signed(kBody)).status, 403);
  EXPECT_TRUE(receipts_.empty());
  ASSERT_EQ(audit_.events.size(), 1u);
  EXPECT_EQ(audit_.events[0].reason, Reason::kIpNotAllowed);
}

TEST_F(ReceiptEndpointTest, UnknownCarriersOtherMethodsAndMalformedBodiesGet4xx) {
  Start();
  EXPECT_EQ(Send(Signed(kBody, "msg_1", kNow / 1000, "/v1/receipts/other")).status, 404);
  EXPECT_EQ(Send(Signed(kBody, "msg_1", kNow / 1000, "/elsewhere")).status, 404);
  HttpRequest put = Signed(kBody);
  put.method = "PUT";
  EXPECT_EQ(Send(put).status, 405);
  EXPECT_EQ(Send(Signed(R"({"status":"delivered"})")).status, 400);
  EXPECT_EQ(Send(Signed("not json")).status, 400);
  EXPECT_EQ(Send(Signed(std::string(5000, 'x'))).status, 413);
  EXPECT_TRUE(receipts_.empty());
}

TEST_F(ReceiptEndpointTest, AStoreTooSlowToAnswerGets503SoTheProviderSendsAgain) {
  Start({}, /*ack_timeout_ms=*/300);
  const HttpResponse r = Send(Signed(kBody), /*ack=*/false);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.Header("retry-after"), "5");
  EXPECT_EQ(endpoint_->counters().ack_timeouts, 1u);
  acks_[0]();  // durable after all: harmless, and the id now counts as stored
  EXPECT_EQ(Send(Signed(kBody)).body, R"({"status":"duplicate"})");
}

// Replies on /v1/inbound/<carrier>: the same signature and allowlist, a reply part handed to
// the inbound sink, 200 only once durable; a carrier without an inbound shape has no such path.
class RecordingInbound final : public InboundSink {
 public:
  void Put(InboundPart part, std::function<void()> durable) override {
    parts.push_back(std::move(part));
    durables.push_back(std::move(durable));
  }
  std::vector<InboundPart> parts;
  std::vector<std::function<void()>> durables;
};

TEST_F(ReceiptEndpointTest, RepliesGoToTheInboundSinkAndAre200OnlyOnceDurable) {
  Start();
  RecordingInbound sink;
  const std::string reply = R"({"msisdn":"4917000001","to":"4930555","text":"STOP"})";
  EXPECT_EQ(Send(Signed(reply, "in_1", kNow / 1000, "/v1/inbound/rest")).status, 404)
      << "no inbound shape: no path";
  ReceiptWebhookConfig wc;
  wc.auth.scheme = WebhookScheme::kStandardWebhooks;
  wc.auth.secrets = {"k-std"};
  wc.inbound = {BodyFormat::kJson, "/msisdn", "/to", "/text"};
  endpoint_->AddCarrier(carrier_.get(), wc);
  endpoint_->SetInboundSink(&sink);
  std::optional<HttpResponse> got;
  ASSERT_TRUE(client_->Send(Signed(reply, "in_2", kNow / 1000, "/v1/inbound/rest"),
                            [&](HttpResponse x) { got = std::move(x); }));
  ASSERT_TRUE(loop_.RunUntil([&] { return sink.parts.size() == 1; }));
  loop_.RunUntil([] { return false; }, std::chrono::milliseconds(100));
  EXPECT_FALSE(got.has_value()) << "answered before the reply was durable";
  EXPECT_EQ(sink.parts[0].carrier, "rest");
  EXPECT_EQ(sink.parts[0].from, "4917000001");
  EXPECT_EQ(sink.parts[0].coding, MoCoding::kUtf8);
  EXPECT_EQ(sink.parts[0].body, "STOP");
  sink.durables[0]();
  ASSERT_TRUE(loop_.RunUntil([&] { return got.has_value(); }));
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(endpoint_->counters().inbound_stored, 1u);
  HttpRequest forged = Signed(reply, "in_3", kNow / 1000, "/v1/inbound/rest");
  forged.body = R"({"msisdn":"4917000666","to":"4930555","text":"START"})";
  EXPECT_EQ(Send(forged).status, 401);
  EXPECT_EQ(Send(Signed(R"({"to":"4930555","text":"x"})", "in_4", kNow / 1000, "/v1/inbound/rest"))
                .status,
            400);
  EXPECT_EQ(sink.parts.size(), 1u);
  ASSERT_FALSE(audit_.events.empty());
  EXPECT_NE(audit_.events.back().detail.find("inbound webhook"), std::string::npos);
}

}  // namespace
}  // namespace sd::http
