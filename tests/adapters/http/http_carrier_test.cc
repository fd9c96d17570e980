// The HTTP carrier against provider_server.py over TLS: each answer class end to end, the
// Retry-After pause across jobs, retries with one idempotency key, the gate before the first
// request and before resends of jobs that never reached the provider, the window, pacing and
// Close. The SubmitGate is a fake (an interface of one method); the rest is real.
#include "adapters/http/http_carrier.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>

#include "core/sms_text.h"
#include "tests/adapters/http/provider_server.h"
#include "tests/support/test_pki.h"
#include "tests/support/uv_test_loop.h"

namespace sd::http {
namespace {

using ::sd::testing::ProviderServer;

// Lets jobs through until told otherwise; counts the questions.
class SwitchGate final : public SubmitGate {
 public:
  GateVerdict Check(const GateQuery&) override {
    ++asked;
    if (open) return {};
    return {Reason::kRevokedKey, "key revoked after the job was admitted"};
  }
  bool open = true;
  int asked = 0;
};

class HttpCarrierTest : public ::testing::Test {
 protected:
  HttpCarrierTest() : server_({pki_.server().cert, pki_.server().key, ""}) {}

  void TearDown() override {
    if (carrier_ == nullptr) return;
    bool closed = false;
    carrier_->Close([&] { closed = true; });
    EXPECT_TRUE(loop_.RunUntil([&] { return closed; }));
    EXPECT_EQ(loop_.RunToCompletionAndClose(std::chrono::seconds(5)), 0) << "a handle is open";
  }

  HttpCarrierOptions Options(const std::string& path) {
    HttpCarrierOptions o;
    o.name = "rest";
    o.request.url = server_.Url(path);
    o.request.fields = {{"To", "{to}"}, {"Body", "{text}"}, {"Ref", "{client_ref}"}};
    o.request.idempotency_header = "Idempotency-Key";
    o.request.total_timeout_ms = 2'000;
    o.response.id_pointer = "/sid";
    o.response.error_code_pointer = "/code";
    o.response.error_text_pointer = "/message";
    o.client.ca_file = pki_.ca();
    o.retry_initial_ms = 20;
    o.retry_max_ms = 50;
    return o;
  }

  HttpCarrier& Start(HttpCarrierOptions options) {
    carrier_ = std::make_unique<HttpCarrier>(loop_.get(), std::move(options));
    carrier_->SetSubmitGate(&gate_);
    return *carrier_;
  }

  static SubmitRequest Job(const std::string& id, const std::string& text = "Your code is 1234") {
    SubmitRequest r;
    r.destination = "+4915112345678";
    r.sender = "ACME";
    r.text_utf8 = text;
    r.text = EncodeText(text).value();
    r.job_id = id;
    r.client_ref = "ref-" + id;
    r.key_id = "k.v1";
    return r;
  }

  // Submits and runs the loop until the result is in.
  SubmitResult Send(SubmitRequest req) {
    std::optional<SubmitResult> got;
    carrier_->Submit(std::move(req), [&](SubmitResult r) { got = std::move(r); });
    EXPECT_TRUE(loop_.RunUntil([&] { return got.has_value(); }));
    return got.value_or(SubmitResult{});
  }

  ::sd::testing::UvTestLoop loop_;
  ::sd::testing::TestPki pki_;
  ProviderServer server_;
  SwitchGate gate_;
  std::unique_ptr<HttpCarrier> carrier_;
};

TEST_F(HttpCarrierTest, AnAcceptedJobCarriesTheProvidersMessageId) {
  ASSERT_TRUE(server_.ok()) << server_.Log();
  Start(Options("/ok"));
  const SubmitResult r = Send(Job("j1", std::string(200, 'a')));
  EXPECT_EQ(r.kind, SubmitResult::Kind::kAccepted) << r.detail;
  EXPECT_EQ(r.message_id, "SM1");
  EXPECT_EQ(r.part_ids, std::vector<std::string>{"SM1"});
  EXPECT_EQ(r.segments, 2) << "one request, but the parts still count";
  const auto requests = server_.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0]["body"], "To=%2B4915112345678&Body=" + std::string(200, 'a') + "&Ref=ref-j1");
  EXPECT_EQ(requests[0]["headers"]["idempotency-key"], "j1");
  EXPECT_EQ(gate_.asked, 1);
  EXPECT_EQ(carrier_->counters().accepted, 1u);
}

TEST_F(HttpCarrierTest, AClientErrorFailsTheJobWithTheProvidersCode) {
  Start(Options("/status/400"));
  const SubmitResult r = Send(Job("j1"));
  EXPECT_EQ(r.kind, SubmitResult::Kind::kPermanentFailure);
  EXPECT_EQ(r.carrier_status, 400u);
  EXPECT_EQ(r.detail, "http 400 code=21211: refused by test");
  EXPECT_EQ(server_.Requests().size(), 1u) << "never resent";
}

TEST_F(HttpCarrierTest, ATemporaryErrorIsResentWithTheSameIdempotencyKey) {
  Start(Options("/script/500,502,200"));
  const SubmitResult r = Send(Job("j1"));
  EXPECT_EQ(r.kind, SubmitResult::Kind::kAccepted) << r.detail;
  const auto requests = server_.Requests();
  ASSERT_EQ(requests.size(), 3u);
  for (const auto& q : requests) EXPECT_EQ(q["headers"]["idempotency-key"], "j1");
  EXPECT_EQ(carrier_->counters().retries, 2u);
}

TEST_F(HttpCarrierTest, TemporaryAttemptsRunOutAsATemporaryFailure) {
  HttpCarrierOptions o = Options("/status/500");
  o.max_temporary_attempts = 3;
  Start(o);
  const SubmitResult r = Send(Job("j1"));
  EXPECT_EQ(r.kind, SubmitResult::Kind::kTemporaryFailure);
  EXPECT_EQ(r.carrier_status, 500u);
  EXPECT_EQ(server_.Requests().size(), 3u);
}

TEST_F(HttpCarrierTest, RetryAfterHoldsBackEveryRequestToTheCarrier) {
  Start(Options("/script/429,200?retry_after=1"));
  std::optional<SubmitResult> first, second;
  carrier_->Submit(Job("j1"), [&](SubmitResult r) { first = std::move(r); });
  ASSERT_TRUE(loop_.RunUntil([&] { return carrier_->paused_until_ms() != 0; }));
  carrier_->Submit(Job("j2"), [&](SubmitResult r) { second = std::move(r); });
  ASSERT_TRUE(loop_.RunUntil([&] { return first && second; }));
  EXPECT_EQ(first->kind, SubmitResult::Kind::kAccepted) << first->detail;
  EXPECT_EQ(second->kind, SubmitResult::Kind::kAccepted) << second->detail;
  // j1: 429 at t0, then 200; j2 (its own key) also meets the script's 429, which pauses the
  // carrier again. So: t0, two requests at >= t0 + 1 s, the last at >= t0 + 2 s.
  std::vector<double> times;
  for (const auto& q : server_.Requests()) times.push_back(q["time"].get<double>());
  ASSERT_EQ(times.size(), 4u);
  std::sort(times.begin(), times.end());
  EXPECT_GE(times[1] - times[0], 0.98);
  EXPECT_GE(times[2] - times[0], 0.98);
  EXPECT_GE(times[3] - times[0], 1.96);
  EXPECT_EQ(carrier_->counters().throttled, 2u);
  EXPECT_EQ(carrier_->counters().retry_after_waits, 2u);
}

TEST_F(HttpCarrierTest, ALostAnswerIsResentWithTheSameKeyAndNotCutShortByTheGate) {
  HttpCarrierOptions o = Options("/script/slow,200");
  o.request.total_timeout_ms = 300;
  Start(o);
  std::optional<SubmitResult> got;
  carrier_->Submit(Job("j1"), [&](SubmitResult r) { got = std::move(r); });
  ASSERT_TRUE(loop_.RunUntil([&] { return server_.Requests().size() == 1; }));
  gate_.open = false;  // revoked while the first request's answer is lost
  ASSERT_TRUE(loop_.RunUntil([&] { return got.has_value(); }));
  EXPECT_EQ(got->kind, SubmitResult::Kind::kAccepted) << got->detail;
  EXPECT_EQ(gate_.asked, 1) << "the provider may have the job: it is finished, not withheld";
  const auto requests = server_.Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1]["headers"]["idempotency-key"], "j1");
  EXPECT_EQ(carrier_->counters().transport_errors, 1u);
}

TEST_F(HttpCarrierTest, TheGateRefusesBeforeTheFirstRequestAndBeforeAResendOfAJobNeverTaken) {
  Start(Options("/script/429,200?retry_after=0"));
  gate_.open = false;
  SubmitResult r = Send(Job("j1"));
  EXPECT_EQ(r.kind, SubmitResult::Kind::kWithheld);
  EXPECT_EQ(r.withheld, Reason::kRevokedKey);
  EXPECT_TRUE(server_.Requests().empty());
  gate_.open = true;
  std::optional<SubmitResult> got;
  carrier_->Submit(Job("j2"), [&](SubmitResult x) { got = std::move(x); });
  ASSERT_TRUE(loop_.RunUntil([&] { return server_.Requests().size() == 1; }));
  gate_.open = false;  // a 429 means the provider did not take it: asked again before the resend
  ASSERT_TRUE(loop_.RunUntil([&] { return got.has_value(); }));
  EXPECT_EQ(got->kind, SubmitResult::Kind::kWithheld);
  EXPECT_EQ(server_.Requests().size(), 1u);
  EXPECT_EQ(carrier_->counters().withheld, 2u);
}

TEST_F(HttpCarrierTest, TheWindowBoundsJobsHeldAndAFullWindowFailsFastOutsideSubmit) {
  HttpCarrierOptions o = Options("/slow/300");
  o.window = 2;
  Start(o);
  int accepted = 0;
  bool refused = false;
  bool inside_submit = false;
  for (int i = 0; i < 2; ++i) {
    carrier_->Submit(Job("j" + std::to_string(i)), [&](SubmitResult r) {
      accepted += r.kind == SubmitResult::Kind::kAccepted ? 1 : 0;
    });
  }
  EXPECT_FALSE(carrier_->Ready());
  inside_submit = true;
  carrier_->Submit(Job("j3"), [&](SubmitResult r) {
    EXPECT_FALSE(inside_submit);
    refused = r.kind == SubmitResult::Kind::kTemporaryFailure && r.detail == "window full";
  });
  inside_submit = false;
  bool ready_again = false;
  carrier_->SetReadyHandler([&] { ready_again = true; });
  ASSERT_TRUE(loop_.RunUntil([&] { return accepted == 2 && refused; }));
  EXPECT_TRUE(ready_again);
  EXPECT_TRUE(carrier_->Ready());
}

TEST_F(HttpCarrierTest, TheTpsCeilingSpacesRequests) {
  HttpCarrierOptions o = Options("/ok");
  o.rate.tps = 20;
  Start(o);
  int done = 0;
  for (int i = 0; i < 10; ++i) {
    carrier_->Submit(Job("j" + std::to_string(i)), [&](SubmitResult) { ++done; });
  }
  ASSERT_TRUE(loop_.RunUntil([&] { return done == 10; }));
  const auto requests = server_.Requests();
  ASSERT_EQ(requests.size(), 10u);
  const double span = requests[9]["time"].get<double>() - requests[0]["time"].get<double>();
  // 9 intervals of 50 ms, less the burst SendRate allows after idling (0.1 s worth).
  EXPECT_GE(span, 0.30);
}

TEST_F(HttpCarrierTest, CloseFailsHeldJobsAsTemporaryAndClosesEverything) {
  Start(Options("/slow/2000"));
  std::vector<SubmitResult> results;
  carrier_->Submit(Job("j1"), [&](SubmitResult r) { results.push_back(std::move(r)); });
  ASSERT_TRUE(loop_.RunUntil([&] { return server_.Requests().size() == 1; }));
  bool closed = false;
  carrier_->Close([&] { closed = true; });
  EXPECT_TRUE(results.empty()) << "nothing completes inside Close";
  ASSERT_TRUE(loop_.RunUntil([&] { return closed; }));
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].kind, SubmitResult::Kind::kTemporaryFailure);
  EXPECT_EQ(results[0].detail, "shutting down");
  EXPECT_EQ(loop_.RunToCompletionAndClose(std::chrono::seconds(5)), 0);
  carrier_.reset();
}

}  // namespace
}  // namespace sd::http
