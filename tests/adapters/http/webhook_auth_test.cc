// Webhook signatures against vectors computed independently (Python's hmac; the Standard
// Webhooks and Twilio vectors are the ones their documentation publishes), plus every way a
// request can fail the check.
#include "adapters/http/webhook_auth.h"

#include <gtest/gtest.h>

namespace sd::http {
namespace {

constexpr int64_t kStdNow = 1'614'265'330'000;

HttpServerRequest Standard(const std::string& sig, const std::string& ts = "1614265330") {
  HttpServerRequest r;
  r.headers = {{"webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"},
               {"webhook-timestamp", ts},
               {"webhook-signature", sig}};
  r.body = R"({"test": 2432232314})";
  return r;
}

WebhookAuth StandardAuth() {
  WebhookAuth a;
  a.scheme = WebhookScheme::kStandardWebhooks;
  a.secrets = {DecodeWhsec("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")};
  return a;
}

constexpr const char* kStdSig = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

TEST(StandardWebhooks, ThePublishedVectorVerifiesAndNamesItsId) {
  const WebhookCheck c = VerifyWebhook(StandardAuth(), Standard(kStdSig), kStdNow);
  EXPECT_TRUE(c.ok) << c.problem;
  EXPECT_EQ(c.webhook_id, "msg_p5jXN8AQM9LWM0D4loKWxJek");
}

TEST(StandardWebhooks, AnyListedSignatureAndAnyConfiguredSecretWillDo) {
  WebhookAuth a = StandardAuth();
  a.secrets.insert(a.secrets.begin(), "the-old-secret");  // rotation: both configured
  EXPECT_TRUE(VerifyWebhook(a, Standard(std::string("v1,bm90IGl0 ") + kStdSig), kStdNow).ok);
}

TEST(StandardWebhooks, TamperingStaleTimestampsAndMissingHeadersAreRefused) {
  HttpServerRequest body_changed = Standard(kStdSig);
  body_changed.body = R"({"test": 2432232315})";
  EXPECT_EQ(VerifyWebhook(StandardAuth(), body_changed, kStdNow).problem, "bad signature");
  EXPECT_EQ(VerifyWebhook(StandardAuth(), Standard(kStdSig), kStdNow + 301'000).problem,
            "stale timestamp");
  EXPECT_EQ(VerifyWebhook(StandardAuth(), Standard(kStdSig), kStdNow - 301'000).problem,
            "stale timestamp");
  EXPECT_EQ(VerifyWebhook(StandardAuth(), Standard(kStdSig, "16142653x0"), kStdNow).problem,
            "malformed timestamp");
  EXPECT_EQ(VerifyWebhook(StandardAuth(), Standard(""), kStdNow).problem,
            "missing signature headers");
  EXPECT_EQ(VerifyWebhook(StandardAuth(), Standard("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE"),
                          kStdNow)
                .problem,
            "bad signature");
  WebhookAuth none = StandardAuth();
  none.secrets.clear();
  EXPECT_FALSE(VerifyWebhook(none, Standard(kStdSig), kStdNow).ok);
}

TEST(FormHmacSha1, TheTwilioDocumentationVectorVerifies) {
  WebhookAuth a;
  a.scheme = WebhookScheme::kFormHmacSha1;
  a.secrets = {"12345"};
  a.signed_url = "https://mycompany.com/myapp.php?foo=1&bar=2";
  HttpServerRequest r;
  r.headers = {{"x-twilio-signature", "0/KCTR6DLpKmkAf8muzZqo1nDgQ="}};
  // Any order on the wire: the parameters are sorted by name before signing.
  r.body = "To=%2B18005551212&Digits=1234&CallSid=CA1234567890ABCDE&Caller=%2B12349013030&"
           "From=%2B12349013030";
  EXPECT_TRUE(VerifyWebhook(a, r, 0).ok);
  r.body += "&Extra=1";
  EXPECT_EQ(VerifyWebhook(a, r, 0).problem, "bad signature");
  r.body = "To=%ZZ";
  EXPECT_EQ(VerifyWebhook(a, r, 0).problem, "malformed form body");
  r.headers.clear();
  EXPECT_EQ(VerifyWebhook(a, r, 0).problem, "missing signature header");
}

TEST(BodyHmacSha256, HexWithOrWithoutPrefixInAnyCase) {
  WebhookAuth a;
  a.scheme = WebhookScheme::kBodyHmacSha256;
  a.secrets = {"body-secret"};
  a.header = "x-acme-signature";
  HttpServerRequest r;
  r.body = R"({"id":"m1","status":"delivered"})";
  const std::string hex = "986e6dbae8065f8cc94063152cd39ae5d7f27726fadfebc1e3d6a3241fed9b17";
  for (const std::string& v : {hex, "sha256=" + hex, std::string("986E6DBAE8065F8CC94063152CD39AE5D7F27726FADFEBC1E3D6A3241FED9B17")}) {
    r.headers = {{"x-acme-signature", v}};
    EXPECT_TRUE(VerifyWebhook(a, r, 0).ok) << v;
  }
  r.headers = {{"x-signature", hex}};
  EXPECT_EQ(VerifyWebhook(a, r, 0).problem, "missing signature header") << "the configured name";
}

TEST(SignWebhook, ReproducesThePublishedVectorsAndVerifiesInEachScheme) {
  const auto std_headers = SignWebhook(StandardAuth(), StandardAuth().secrets[0],
                                       R"({"test": 2432232314})", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                                       1614265330);
  ASSERT_EQ(std_headers.size(), 3u);
  EXPECT_EQ(std_headers[2].second, kStdSig);
  WebhookAuth form;
  form.scheme = WebhookScheme::kFormHmacSha1;
  form.secrets = {"12345"};
  form.signed_url = "https://mycompany.com/myapp.php?foo=1&bar=2";
  const auto f = SignWebhook(form, "12345",
                             "CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234&"
                             "From=%2B12349013030&To=%2B18005551212",
                             "", 0);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0], (std::pair<std::string, std::string>{"x-twilio-signature",
                                                       "0/KCTR6DLpKmkAf8muzZqo1nDgQ="}));
  WebhookAuth body;
  body.scheme = WebhookScheme::kBodyHmacSha256;
  body.secrets = {"k"};
  HttpServerRequest r;
  r.body = "{}";
  for (auto& h : SignWebhook(body, "k", r.body, "", 0)) r.headers.push_back(h);
  EXPECT_TRUE(VerifyWebhook(body, r, 0).ok);
}

TEST(DecodeWhsec, Base64WithAndWithoutPrefix) {
  EXPECT_EQ(DecodeWhsec("whsec_aGVsbG8="), "hello");
  EXPECT_EQ(DecodeWhsec("aGVsbG8h"), "hello!");
  EXPECT_EQ(DecodeWhsec("whsec_aGk="), "hi");
  EXPECT_EQ(DecodeWhsec("whsec_aGk"), "");
  EXPECT_EQ(DecodeWhsec("whsec_"), "");
}

}  // namespace
}  // namespace sd::http
