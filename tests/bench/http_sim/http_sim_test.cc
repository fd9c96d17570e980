// http-sim in-process: libcurl (CurlMulti) submits in both shapes, and an HttpServer of the
// test's own takes the signed receipt webhooks and checks them with VerifyWebhook.
#include "bench/http_sim/http_sim.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "adapters/http/form_codec.h"
#include "adapters/http/webhook_auth.h"
#include "tests/support/uv_test_loop.h"

namespace sd::http_sim {
namespace {

class HttpSimTest : public ::testing::Test {
 protected:
  void TearDown() override {
    bool a = false, b = false, c = false;
    sim_->Close([&] { a = true; });
    hooks_->Close([&] { b = true; });
    client_->Close([&] { c = true; });
    EXPECT_TRUE(loop_.RunUntil([&] { return a && b && c; }));
    EXPECT_EQ(loop_.RunToCompletionAndClose(std::chrono::seconds(5)), 0);
  }

  void Start(Options o) {
    hooks_ = std::make_unique<http::HttpServer>(
        loop_.get(), http::HttpServerOptions{},
        [this](http::HttpServerRequest r, http::HttpServer::Respond respond) {
          hooks_seen_.push_back(std::move(r));
          respond(http::HttpServerResponse{});
        });
    ASSERT_EQ(hooks_->Listen(), 0);
    o.username = "AC1";
    o.password = "pw";
    o.receipt_delay_ms = 10;
    sim_ = std::make_unique<HttpSim>(loop_.get(), std::move(o));
    ASSERT_EQ(sim_->Start(), 0) << sim_->error();
    client_ = std::make_unique<http::CurlMulti>(loop_.get(), http::HttpClientOptions{});
  }

  std::string Callback() const {
    return "http://127.0.0.1:" + std::to_string(hooks_->port()) + "/v1/receipts/rest";
  }

  http::HttpRequest Form(const std::string& key = "") {
    http::HttpRequest r;
    r.url = "http://127.0.0.1:" + std::to_string(sim_->port()) + "/Messages.json";
    r.body = "To=%2B4915112345678&Body=hi&StatusCallback=" + http::FormEncode(Callback());
    r.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                 {"Authorization", "Basic QUMxOnB3"}};  // AC1:pw
    if (!key.empty()) r.headers.emplace_back("Idempotency-Key", key);
    r.total_timeout_ms = 1'000;
    return r;
  }

  http::HttpResponse Send(http::HttpRequest r) {
    std::optional<http::HttpResponse> got;
    EXPECT_TRUE(client_->Send(std::move(r), [&](http::HttpResponse x) { got = std::move(x); }));
    EXPECT_TRUE(loop_.RunUntil([&] { return got.has_value(); }));
    return got.value_or(http::HttpResponse{});
  }

  ::sd::testing::UvTestLoop loop_;
  std::unique_ptr<HttpSim> sim_;
  std::unique_ptr<http::HttpServer> hooks_;
  std::unique_ptr<http::CurlMulti> client_;
  std::vector<http::HttpServerRequest> hooks_seen_;
};

TEST_F(HttpSimTest, AFormSubmitIsAcceptedAndItsReceiptPostedSignedTheTwilioWay) {
  Options o;
  o.webhook_secret = "hook-secret";
  Start(o);
  const http::HttpResponse r = Send(Form());
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string sid = nlohmann::json::parse(r.body)["sid"];
  ASSERT_TRUE(loop_.RunUntil([&] { return hooks_seen_.size() == 1; }));
  http::WebhookAuth auth;
  auth.scheme = http::WebhookScheme::kFormHmacSha1;
  auth.secrets = {"hook-secret"};
  auth.signed_url = Callback();
  EXPECT_TRUE(http::VerifyWebhook(auth, hooks_seen_[0], 0).ok);
  EXPECT_EQ(hooks_seen_[0].body, "MessageSid=" + sid + "&MessageStatus=delivered&ErrorCode=0");
  ASSERT_TRUE(loop_.RunUntil([&] { return sim_->counters().webhooks_ok == 1; }));
}

TEST_F(HttpSimTest, AResendWithTheSameIdempotencyKeyGetsTheSameIdAndNoSecondReceipt) {
  Options o;
  o.webhook_secret = "s";
  Start(o);
  const auto first = nlohmann::json::parse(Send(Form("job-1")).body)["sid"];
  const auto again = nlohmann::json::parse(Send(Form("job-1")).body)["sid"];
  EXPECT_EQ(first, again);
  EXPECT_EQ(sim_->counters().duplicates, 1u);
  EXPECT_EQ(sim_->counters().accepted, 1u);
  loop_.RunUntil([] { return false; }, std::chrono::milliseconds(100));
  EXPECT_EQ(hooks_seen_.size(), 1u);
}

TEST_F(HttpSimTest, InjectedThrottlingErrorsHangsAndBadCredentials) {
  Options o;
  o.throttle_every = 2;
  o.retry_after_s = 7;
  o.error_every = 3;
  o.hang_every = 5;
  o.reject_prefix = "+4915112";
  Start(o);
  EXPECT_EQ(Send(Form()).status, 400);  // 1: refused destination
  const http::HttpResponse throttled = Send(Form());  // 2
  EXPECT_EQ(throttled.status, 429);
  EXPECT_EQ(throttled.Header("retry-after"), "7");
  EXPECT_EQ(Send(Form()).status, 500);  // 3
  EXPECT_EQ(Send(Form()).status, 429);  // 4
  EXPECT_EQ(Send(Form()).error, http::TransportError::kTimeout);  // 5: hung
  http::HttpRequest bad = Form();
  bad.headers[1].second = "Basic d3Jvbmc6d3Jvbmc=";
  EXPECT_EQ(Send(bad).status, 401);
  const nlohmann::json stats = nlohmann::json::parse(
      Send([&] {
        http::HttpRequest g;
        g.method = "GET";
        g.url = "http://127.0.0.1:" + std::to_string(sim_->port()) + "/stats";
        return g;
      }())
          .body);
  EXPECT_EQ(stats["throttled"], 2);
  EXPECT_EQ(stats["errors"], 1);
  EXPECT_EQ(stats["hung"], 1);
  EXPECT_EQ(stats["unauthorized"], 1);
  EXPECT_EQ(stats["rejected"], 1);
}

TEST_F(HttpSimTest, AJsonSubmitGetsMessagesAndAStandardWebhooksReceipt) {
  Options o;
  o.webhook_scheme = http::WebhookScheme::kStandardWebhooks;
  o.webhook_secret = "whsec_aGVsbG8gd29ybGQgc2VjcmV0IGtleQ==";
  Start(o);
  http::HttpRequest r;
  r.url = "http://127.0.0.1:" + std::to_string(sim_->port()) + "/sms/json";
  r.headers = {{"Content-Type", "application/json"}};
  r.body = nlohmann::json{{"api_key", "AC1"}, {"api_secret", "pw"}, {"to", "4915112345678"},
                          {"text", "hi"}, {"callback", Callback()}}
               .dump();
  const http::HttpResponse a = Send(r);
  ASSERT_EQ(a.status, 200) << a.body;
  const std::string id = nlohmann::json::parse(a.body)["messages"][0]["message-id"];
  ASSERT_TRUE(loop_.RunUntil([&] { return hooks_seen_.size() == 1; }));
  http::WebhookAuth auth;
  auth.scheme = http::WebhookScheme::kStandardWebhooks;
  auth.secrets = {http::DecodeWhsec(o.webhook_secret)};
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  EXPECT_TRUE(http::VerifyWebhook(auth, hooks_seen_[0], now_ms).ok);
  EXPECT_EQ(nlohmann::json::parse(hooks_seen_[0].body)["messageId"], id);
}

}  // namespace
}  // namespace sd::http_sim
