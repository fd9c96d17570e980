// The HTTPS API endpoint over TLS with libcurl as the producer: a signed request decided and
// handed to the sink as a job that verifies under the key's secret, each refusal with its
// status, reason and audit event and nothing handed on, the allowlist behind a trusted proxy,
// each answer of the store (idempotent, conflict, replay, failure, no answer in time), batches
// and a 429 from the limiter. The sink is a recording fake of the Redis store (its own tests
// and the end-to-end tests use the real one); the rest is real.
#include "adapters/http/api_endpoint.h"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "adapters/crypto/openssl_mac.h"
#include "adapters/http/api_auth.h"
#include "adapters/http/curl_multi.h"
#include "core/envelope.h"
#include "core/hex.h"
#include "tests/support/test_pki.h"
#include "tests/support/uv_test_loop.h"

namespace sd::http {
namespace {

constexpr int64_t kNow = 1'767'225'600'000;
const std::string kSecret(32, 's');

class RecordingAudit final : public AuditSink {
 public:
  void Emit(AuditEvent e) override { events.push_back(std::move(e)); }
  std::vector<AuditEvent> events;
};

// Answers every write with `answer` (kWritten by default), or holds it when `hold` is set.
class FakeSink final : public ApiJobSink {
 public:
  void Write(ApiWrite w, std::function<void(ApiWriteResult)> done) override {
    writes.push_back(w);
    if (hold) {
      held.push_back(std::move(done));
      return;
    }
    done(answer);
  }
  void Status(const std::string& job_id,
              std::function<void(bool, bool, ApiStatus)> done) override {
    auto it = statuses.find(job_id);
    done(readable, it != statuses.end(), it == statuses.end() ? ApiStatus{} : it->second);
  }
  std::vector<ApiWrite> writes;
  std::map<std::string, ApiStatus> statuses;
  bool readable = true;
  ApiWriteResult answer{ApiWriteResult::Kind::kWritten, "", "", ""};
  bool hold = false;
  std::vector<std::function<void(ApiWriteResult)>> held;
};

KeyRecord MakeKey(const std::string& id, ApiAuth auth, std::vector<std::string> allow = {}) {
  KeyRecord k;
  k.id = id;
  k.secret = kSecret;
  k.scopes.api_auth = auth;
  k.scopes.allow_ips = std::move(allow);
  return k;
}

class ApiEndpointTest : public ::testing::Test {
 protected:
  ApiEndpointTest() : clock_(kNow) {
    KeyRecord revoked = MakeKey("gone.v1", ApiAuth::kHmac);
    revoked.revoked = true;
    revoked.revoked_at_ms = 1;
    KeyRecord otp_only = MakeKey("otp.v1", ApiAuth::kHmac);
    otp_only.scopes.kinds = KindBit(JobKind::kOtp);
    KeyRecord slow = MakeKey("slow.v1", ApiAuth::kHmac);
    slow.scopes.rate_per_s = 1;
    slow.scopes.burst = 1;
    auto keys = KeyRegistrySnapshot::Build(
        1, {MakeKey("acme.v1", ApiAuth::kHmac), MakeKey("simple.v1", ApiAuth::kBearer),
            MakeKey("office.v1", ApiAuth::kHmac, {"203.0.113.0/24"}), revoked, otp_only, slow});
    PolicyParts parts;
    parts.registry_keys = std::move(keys).value();
    parts.decision.stream = "sd:jobs";  // what the dispatcher verifies against
    parts.mac = &mac_;
    policy_.Store(PolicySnapshot::Make(std::move(parts)));
  }

  void TearDown() override {
    bool a = false, c = true;
    endpoint_->Close([&] { a = true; });
    if (client_) {
      c = false;
      client_->Close([&] { c = true; });
    }
    EXPECT_TRUE(loop_.RunUntil([&] { return a && c; }));
    EXPECT_EQ(loop_.RunToCompletionAndClose(std::chrono::seconds(5)), 0);
  }

  void Start(ApiEndpointOptions o = {}) {
    net::TlsConfig tc;
    tc.role = net::TlsRole::kServer;
    tc.cert_file = pki_.server().cert;
    tc.key_file = pki_.server().key;
    HttpServerOptions so;
    so.tls = net::TlsContext::Create(tc).value();
    endpoint_ = std::make_unique<ApiEndpoint>(loop_.get(), so, std::move(o), policy_, mac_,
                                              clock_, &sink_);
    endpoint_->SetAuditSink(&audit_);
    ASSERT_EQ(endpoint_->Start(), 0) << endpoint_->error();
  }

  HttpRequest Signed(const std::string& body, const std::string& kid = "acme.v1",
                     const std::string& path = "/v1/messages", int64_t ts = kNow,
                     const std::string& method = "POST") {
    HttpRequest r;
    r.method = method;
    r.url = "https://localhost:" + std::to_string(endpoint_->port()) + path;
    r.body = body;
    r.headers = {{"Content-Type", "application/json"},
                 {"SD-Key-Id", kid},
                 {"SD-Timestamp", std::to_string(ts)},
                 {"SD-Signature", ApiSignature(kSecret, method, path, ts, body)}};
    return r;
  }

  HttpResponse Send(HttpRequest r) {
    if (!client_) {
      HttpClientOptions co;
      co.ca_file = pki_.ca();
      client_ = std::make_unique<CurlMulti>(loop_.get(), co);
    }
    std::optional<HttpResponse> got;
    EXPECT_TRUE(client_->Send(std::move(r), [&](HttpResponse x) { got = std::move(x); }));
    EXPECT_TRUE(loop_.RunUntil([&] { return got.has_value(); }));
    return got.value_or(HttpResponse{});
  }

  static std::string Reason(const HttpResponse& r) {
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    return j.is_object() ? j.value("reason", "") : "";
  }

  static std::string Header(const HttpResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return "";
  }

  ::sd::testing::UvTestLoop loop_;
  ::sd::testing::TestPki pki_;
  ManualClock clock_;
  OpenSslMac mac_;
  PolicySlot policy_;
  RecordingAudit audit_;
  FakeSink sink_;
  std::unique_ptr<ApiEndpoint> endpoint_;
  std::unique_ptr<CurlMulti> client_;
};

constexpr const char* kMessage =
    R"({"to":"+4915112345678","from":"ACME","text":"hello","kind":"transactional","client_ref":"o-1"})";

TEST_F(ApiEndpointTest, ASignedRequestBecomesAJobSignedWithTheKeysOwnSecret) {
  Start();
  const HttpResponse r = Send(Signed(kMessage));
  ASSERT_EQ(r.status, 202) << r.body;
  const auto answer = nlohmann::json::parse(r.body);
  EXPECT_EQ(answer["status"], "accepted");
  const std::string id = answer["id"];
  EXPECT_EQ(id.rfind("api-", 0), 0u);
  EXPECT_EQ(r.body, R"({"status":"accepted","id":")" + id + R"("})");  // as api.md shows it
  ASSERT_EQ(sink_.writes.size(), 1u);
  const ApiWrite& w = sink_.writes[0];
  EXPECT_EQ(w.family, "acme");
  EXPECT_EQ(w.body_hash, "");  // kept only under an Idempotency-Key
  EXPECT_EQ(w.response, "");
  EXPECT_EQ(w.replay_token,
            ApiSignature(kSecret, "POST", "/v1/messages", kNow, kMessage).substr(0, 32));
  EXPECT_EQ(w.replay_ttl_ms, 300'000 + 1'000);  // until the timestamp leaves the window
  EXPECT_TRUE(w.idempotency_key.empty());
  EXPECT_TRUE(w.record);
  ASSERT_EQ(w.jobs.size(), 1u);
  EXPECT_EQ(w.jobs[0].key_id, "acme.v1");
  EXPECT_TRUE(VerifyJobSignature(mac_, kSecret, "acme.v1", "sd:jobs", w.jobs[0].job,
                                 w.jobs[0].sig));
  auto job = DecodeJob(w.jobs[0].job);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->id, id);
  EXPECT_EQ(job->destination, "+4915112345678");
  EXPECT_EQ(job->client_ref, "o-1");
  EXPECT_EQ(job->created_ms, kNow);
  EXPECT_EQ(job->expires_ms, kNow + 3'600'000);
  EXPECT_EQ(w.jobs[0].job_id, id);
  EXPECT_EQ(w.jobs[0].created_ms, kNow);
  EXPECT_EQ(w.jobs[0].status_ttl_ms, 3'600'000 + 3'600'000);  // an hour past its expiry
  EXPECT_EQ(endpoint_->counters().accepted, 1u);
  EXPECT_TRUE(audit_.events.empty());
}

// A signed request's job ids follow from its signature and each job's place in the request, so
// a replay names the same first id (whose status record refuses it in the store); another
// signature, another id. Bearer requests get random ids.
TEST_F(ApiEndpointTest, SignedRequestsNameTheirJobsAfterTheSignature) {
  Start();
  const std::string sig = ApiSignature(kSecret, "POST", "/v1/messages", kNow, kMessage);
  ASSERT_EQ(Send(Signed(kMessage)).status, 202);
  ASSERT_EQ(Send(Signed(kMessage)).status, 202);  // the fake store does not refuse replays
  ASSERT_EQ(Send(Signed(kMessage, "acme.v1", "/v1/messages", kNow + 1)).status, 202);
  const std::string batch = R"({"messages":[)" + std::string(kMessage) + "," + kMessage + "]}";
  ASSERT_EQ(Send(Signed(batch, "acme.v1", "/v1/messages/batch")).status, 200);
  ASSERT_EQ(sink_.writes.size(), 4u);
  const std::string first = sink_.writes[0].jobs[0].job_id;
  EXPECT_EQ(first, "api-" + Sha256Hex("sd-api-job\n" + sig + "\n0\n0").substr(0, 24));
  EXPECT_EQ(sink_.writes[1].jobs[0].job_id, first);
  EXPECT_NE(sink_.writes[2].jobs[0].job_id, first);
  ASSERT_EQ(sink_.writes[3].jobs.size(), 2u);
  EXPECT_NE(sink_.writes[3].jobs[0].job_id, sink_.writes[3].jobs[1].job_id);
  HttpRequest bearer = Signed(kMessage);
  bearer.headers = {{"Content-Type", "application/json"},
                    {"Authorization", "Bearer simple.v1:" + HexEncode(kSecret)}};
  ASSERT_EQ(Send(bearer).status, 202);
  ASSERT_EQ(Send(bearer).status, 202);
  ASSERT_EQ(sink_.writes.size(), 6u);
  EXPECT_TRUE(sink_.writes[4].replay_token.empty());
  EXPECT_NE(sink_.writes[4].jobs[0].job_id, sink_.writes[5].jobs[0].job_id);
}

// send_at: the job carries it, signed; its validity runs from it; accepted (202) though its
// time has not come (the limits are charged when it is due); at or after expires_at, 400.
TEST_F(ApiEndpointTest, AScheduledMessageIsAcceptedWithSendAtInTheSignedJob) {
  Start();
  const std::string body = R"({"to":"+4915112345678","from":"ACME","text":"later","kind":"otp",)"
                           R"("validity_s":600,"send_at":)" +
                           std::to_string(kNow + 60'000) + "}";
  const HttpResponse r = Send(Signed(body));
  ASSERT_EQ(r.status, 202) << r.body;
  ASSERT_EQ(sink_.writes.size(), 1u);
  auto job = DecodeJob(sink_.writes[0].jobs[0].job);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->send_at_ms, kNow + 60'000);
  EXPECT_EQ(job->expires_ms, kNow + 60'000 + 600'000);
  const std::string late = R"({"to":"+4915112345678","from":"ACME","text":"x","kind":"otp",)"
                           R"("expires_at":)" +
                           std::to_string(kNow + 1'000) + R"(,"send_at":)" +
                           std::to_string(kNow + 2'000) + "}";
  EXPECT_EQ(Send(Signed(late)).status, 400);
  EXPECT_EQ(sink_.writes.size(), 1u);
}

TEST_F(ApiEndpointTest, EachAuthenticationFailureAnswersItsReasonAndHandsNothingOn) {
  Start();
  struct Case {
    const char* what;
    HttpRequest request;
    long status;
    std::string reason;
  };
  std::vector<Case> cases;
  HttpRequest none = Signed(kMessage);
  none.headers = {{"Content-Type", "application/json"}};
  cases.push_back({"no credentials", none, 401, "auth_required"});
  HttpRequest bad = Signed(kMessage);
  bad.headers[3].second[0] = bad.headers[3].second[0] == '0' ? '1' : '0';
  cases.push_back({"bad signature", bad, 401, "bad_signature"});
  cases.push_back({"stale", Signed(kMessage, "acme.v1", "/v1/messages", kNow - 301'000), 401,
                   "clock_skew"});
  cases.push_back({"future", Signed(kMessage, "acme.v1", "/v1/messages", kNow + 301'000), 401,
                   "clock_skew"});
  cases.push_back({"unknown key", Signed(kMessage, "nobody.v1"), 401, "unknown_key"});
  cases.push_back({"revoked key", Signed(kMessage, "gone.v1"), 401, "revoked_key"});
  cases.push_back({"hmac on a bearer key", Signed(kMessage, "simple.v1"), 401,
                   "auth_scheme_not_allowed"});
  HttpRequest bearer = Signed(kMessage);
  bearer.headers = {{"Authorization", "Bearer acme.v1:" + std::string(64, '7')}};
  cases.push_back({"bearer on an hmac key", bearer, 401, "auth_scheme_not_allowed"});
  cases.push_back({"address outside allow_ips", Signed(kMessage, "office.v1"), 403,
                   "ip_not_allowed"});
  for (Case& c : cases) {
    const HttpResponse r = Send(std::move(c.request));
    EXPECT_EQ(r.status, c.status) << c.what << ": " << r.body;
    EXPECT_EQ(Reason(r), c.reason) << c.what;
  }
  EXPECT_TRUE(sink_.writes.empty());
  ASSERT_EQ(audit_.events.size(), cases.size());
  EXPECT_EQ(audit_.events.back().reason, Reason::kIpNotAllowed);
  EXPECT_EQ(audit_.events.back().key_id, "office.v1");
  EXPECT_NE(audit_.events.back().detail.find("127.0.0.1"), std::string::npos);
  // A bearer key with its secret passes.
  HttpRequest ok = Signed(kMessage);
  ok.headers = {{"Authorization", "Bearer simple.v1:" + HexEncode(kSecret)}};
  EXPECT_EQ(Send(std::move(ok)).status, 202);
}

TEST_F(ApiEndpointTest, AllowIpsReadTheForwardedForOnlyOfATrustedProxy) {
  ApiEndpointOptions o;
  o.trusted_proxies = {*ParseCidr("127.0.0.1")};
  Start(o);
  auto from = [&](const std::string& xff) {
    HttpRequest r = Signed(kMessage, "office.v1");
    if (!xff.empty()) r.headers.emplace_back("X-Forwarded-For", xff);
    return Send(std::move(r)).status;
  };
  EXPECT_EQ(from(""), 403);                            // the proxy itself is not allowed
  EXPECT_EQ(from("203.0.113.5"), 202);                 // the client the proxy names
  EXPECT_EQ(from("203.0.113.5, 198.51.100.9"), 403);  // the last hop before the proxy counts
  EXPECT_EQ(from("198.51.100.9, 203.0.113.5"), 202);
  EXPECT_EQ(sink_.writes.size(), 2u);
}

TEST_F(ApiEndpointTest, TheStoresAnswersIdempotentConflictReplayAndFailure) {
  Start();
  HttpRequest first = Signed(kMessage);
  first.headers.emplace_back("Idempotency-Key", "order-8812");
  const HttpResponse r1 = Send(first);
  ASSERT_EQ(r1.status, 202);
  EXPECT_EQ(sink_.writes[0].idempotency_key, Sha256Hex("order-8812"));
  EXPECT_EQ(sink_.writes[0].body_hash, Sha256Hex(kMessage));
  EXPECT_EQ(sink_.writes[0].response, "202" + r1.body);
  // The store has seen the key with this body: the first answer again.
  sink_.answer = {ApiWriteResult::Kind::kIdempotent, Sha256Hex(kMessage), "202" + r1.body, ""};
  const HttpResponse again = Send(first);
  EXPECT_EQ(again.status, 202);
  EXPECT_EQ(again.body, r1.body);
  EXPECT_EQ(Header(again, "idempotent-replayed"), "true");
  // ... with another body.
  sink_.answer.stored_body_hash = Sha256Hex("something else");
  const HttpResponse conflict = Send(first);
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(Reason(conflict), "idempotency_conflict");
  sink_.answer = {ApiWriteResult::Kind::kReplay, "", "", ""};
  const HttpResponse replay = Send(Signed(kMessage));
  EXPECT_EQ(replay.status, 401);
  EXPECT_EQ(Reason(replay), "replay");
  EXPECT_EQ(audit_.events.back().reason, Reason::kReplay);
  sink_.answer = {ApiWriteResult::Kind::kFailed, "", "", "Redis not connected"};
  const HttpResponse failed = Send(Signed(kMessage));
  EXPECT_EQ(failed.status, 503);
  EXPECT_EQ(Reason(failed), "unavailable");
  EXPECT_EQ(Header(failed, "retry-after"), "1");
  HttpRequest bad_key = Signed(kMessage);
  bad_key.headers.emplace_back("Idempotency-Key", std::string(256, 'k'));
  EXPECT_EQ(Send(bad_key).status, 400);
}

TEST_F(ApiEndpointTest, NoAnswerFromTheStoreInTimeIs503) {
  ApiEndpointOptions o;
  o.ack_timeout_ms = 300;
  Start(o);
  sink_.hold = true;
  const HttpResponse r = Send(Signed(kMessage));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(Reason(r), "unavailable");
  ASSERT_EQ(sink_.held.size(), 1u);
  sink_.held[0](ApiWriteResult{ApiWriteResult::Kind::kWritten, "", "", ""});  // late: ignored
  EXPECT_EQ(endpoint_->counters().unavailable, 1u);
}

TEST_F(ApiEndpointTest, PolicyRefusalsBatchesAndTheLimitersRetryAfter) {
  ApiEndpointOptions o;
  o.max_batch = 3;
  Start(o);
  const HttpResponse bad_number = Send(Signed(
      R"({"to":"4915112345678","from":"ACME","text":"hello","kind":"transactional"})"));
  EXPECT_EQ(bad_number.status, 400);
  EXPECT_EQ(Reason(bad_number), "invalid_number");
  const HttpResponse kind = Send(Signed(kMessage, "otp.v1"));
  EXPECT_EQ(kind.status, 403);
  EXPECT_EQ(Reason(kind), "kind_not_allowed");
  EXPECT_TRUE(sink_.writes.empty());
  const std::string batch =
      R"({"messages":[)" + std::string(kMessage) +
      R"(,{"to":"+49","from":"ACME","text":"x","kind":"otp"},{"to":"+4915112345679"}]})";
  const HttpResponse b = Send(Signed(batch, "acme.v1", "/v1/messages/batch"));
  ASSERT_EQ(b.status, 200) << b.body;
  const auto j = nlohmann::json::parse(b.body);
  EXPECT_EQ(j["accepted"], 1);
  EXPECT_EQ(j["rejected"], 2);
  EXPECT_EQ(j["results"][0]["status"], 202);
  EXPECT_EQ(j["results"][1]["reason"], "invalid_number");
  EXPECT_EQ(j["results"][2]["reason"], "malformed");
  ASSERT_EQ(sink_.writes.size(), 1u);
  EXPECT_EQ(sink_.writes[0].jobs.size(), 1u);
  const std::string four = R"({"messages":[{},{},{},{}]})";
  EXPECT_EQ(Send(Signed(four, "acme.v1", "/v1/messages/batch")).status, 413);
  // The key's bucket (1/s, burst 1) charged by the dispatcher: the API answers 429 with when.
  ASSERT_EQ(Send(Signed(kMessage, "slow.v1")).status, 202);  // looked at, not charged
  StreamEntry e;
  e.version = "sd1";
  e.key_id = "slow.v1";
  e.job = sink_.writes.back().jobs[0].job;
  e.sig = sink_.writes.back().jobs[0].sig;
  ASSERT_TRUE(Decide(e, *policy_.Load(), mac_, clock_).result.ok());  // the dispatcher's charge
  const HttpResponse limited = Send(Signed(kMessage, "slow.v1"));
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(Reason(limited), "rate_limited");
  EXPECT_EQ(Header(limited, "retry-after"), "1");
}

// GET /v1/messages/<id>: the status record to the key family that made the job, to nobody else.
TEST_F(ApiEndpointTest, StatusOnlyForTheFamilyThatSentIt) {
  Start();
  sink_.statuses["api-1"] = {{"fam", "acme"},         {"kid", "acme.v1"},     {"entry", "1-0"},
                             {"created", "1767225600000"}, {"status", "submitted"},
                             {"reason", ""},          {"carrier", "sim"},     {"segments", "1"},
                             {"message_id", "m\x1b"}, {"receipt_status", "delivered"},
                             {"receipt_ts", "1767225601000"}, {"receipt_err", "000"}};
  auto get = [&](const std::string& kid, const std::string& id) {
    return Send(Signed("", kid, "/v1/messages/" + id, kNow, "GET"));
  };
  const HttpResponse mine = get("acme.v1", "api-1");
  ASSERT_EQ(mine.status, 200) << mine.body;
  const auto j = nlohmann::json::parse(mine.body);
  EXPECT_EQ(j["id"], "api-1");
  EXPECT_EQ(j["status"], "submitted");
  EXPECT_EQ(j["created"], 1767225600000);
  EXPECT_EQ(j["segments"], 1);
  EXPECT_EQ(j["carrier"], "sim");
  EXPECT_FALSE(j.contains("reason"));
  EXPECT_FALSE(j.contains("fam"));
  EXPECT_FALSE(j.contains("entry"));
  EXPECT_EQ(j["receipt"]["status"], "delivered");
  EXPECT_EQ(j["receipt"]["ts"], 1767225601000);
  EXPECT_EQ(j["receipt"]["err"], "000");
  EXPECT_EQ(get("otp.v1", "api-1").status, 404);   // another family: as if it did not exist
  EXPECT_EQ(get("acme.v1", "api-2").status, 404);
  EXPECT_EQ(get("acme.v1", "bad%20id").status, 404);
  HttpRequest unsigned_get = Signed("", "acme.v1", "/v1/messages/api-1", kNow, "GET");
  unsigned_get.headers.resize(1);
  EXPECT_EQ(Send(unsigned_get).status, 401);
  sink_.readable = false;
  EXPECT_EQ(get("acme.v1", "api-1").status, 503);
  EXPECT_EQ(endpoint_->counters().status_reads, 5u);
}

}  // namespace
}  // namespace sd::http
