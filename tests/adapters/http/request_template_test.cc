// Building one provider request from a job: body formats and escaping, placeholders, the three
// credential schemes (vectors computed independently: RFC 7617's example, Python's hmac) and
// the idempotency header.
#include "adapters/http/request_template.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace sd::http {
namespace {

JobValues Job() {
  JobValues j;
  j.to = "+4915112345678";
  j.from = "ACME";
  j.text = "Hi there";
  j.client_ref = "order-7";
  j.job_id = "job-42";
  return j;
}

std::string HeaderOf(const HttpRequest& r, const std::string& name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return "<absent>";
}

RequestTemplate Form() {
  RequestTemplate t;
  t.url = "https://api.example.net/Messages.json";
  t.fields = {{"To", "{to}"}, {"Body", "{text}"}};
  return t;
}

TEST(RequestTemplate, FormBodyIsUrlEncodedWithPlusForSpace) {
  RequestTemplate t = Form();
  t.fields.push_back({"Note", "ä&=%/{{x}"});
  const HttpRequest r = Build(t, Job(), 0);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://api.example.net/Messages.json");
  EXPECT_EQ(r.body, "To=%2B4915112345678&Body=Hi+there&Note=%C3%A4%26%3D%25%2F%7Bx%7D");
  EXPECT_EQ(HeaderOf(r, "Content-Type"), "application/x-www-form-urlencoded");
}

TEST(RequestTemplate, JsonBodyCarriesEveryPlaceholderEscaped) {
  RequestTemplate t;
  t.url = "https://rest.example.net/sms/json";
  t.body_format = BodyFormat::kJson;
  t.callback_url = "https://gw.example.org/v1/receipts/acme";
  t.fields = {{"to", "{to}"},           {"from", "{from}"},         {"text", "{text}"},
              {"type", "{encoding}"},   {"client-ref", "{client_ref}"},
              {"ref", "{job_id}/{segments}"}, {"callback", "{callback_url}"}};
  JobValues job = Job();
  job.text = "line1\n\"quoted\" €";
  job.ucs2 = true;
  job.segments = 2;
  const HttpRequest r = Build(t, job, 0);
  EXPECT_EQ(HeaderOf(r, "Content-Type"), "application/json");
  const nlohmann::json body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["to"], "+4915112345678");
  EXPECT_EQ(body["from"], "ACME");
  EXPECT_EQ(body["text"], "line1\n\"quoted\" €");
  EXPECT_EQ(body["type"], "unicode");
  EXPECT_EQ(body["client-ref"], "order-7");
  EXPECT_EQ(body["ref"], "job-42/2");
  EXPECT_EQ(body["callback"], "https://gw.example.org/v1/receipts/acme");
  job.ucs2 = false;
  EXPECT_EQ(nlohmann::json::parse(Build(t, job, 0).body)["type"], "text");
}

TEST(RequestTemplate, BasicAuthFollowsRfc7617) {
  RequestTemplate t = Form();
  t.auth = AuthScheme::kBasic;
  t.username = "Aladdin";
  t.secret = "open sesame";
  EXPECT_EQ(HeaderOf(Build(t, Job(), 0), "Authorization"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
}

TEST(RequestTemplate, BearerAuth) {
  RequestTemplate t = Form();
  t.auth = AuthScheme::kBearer;
  t.secret = "tok-123";
  EXPECT_EQ(HeaderOf(Build(t, Job(), 0), "Authorization"), "Bearer tok-123");
}

TEST(RequestTemplate, HmacHeaderSignsTimestampAndBody) {
  RequestTemplate t = Form();
  t.auth = AuthScheme::kHmac;
  t.secret = "whsec-test";
  t.hmac_header = "X-Acme-Signature";
  const HttpRequest r = Build(t, Job(), 1'700'000'000);
  EXPECT_EQ(HeaderOf(r, "X-Acme-Signature"),
            "t=1700000000,v1=98bc44ad7e5262135f7d160afff899879f624d0d616b2e6e5d095e78dd093ba0");
  EXPECT_EQ(HeaderOf(r, "Authorization"), "<absent>");
}

TEST(RequestTemplate, IdempotencyHeaderCarriesTheJobIdWhenTheProviderHasOne) {
  RequestTemplate t = Form();
  EXPECT_EQ(HeaderOf(Build(t, Job(), 0), "Idempotency-Key"), "<absent>");
  t.idempotency_header = "Idempotency-Key";
  EXPECT_EQ(HeaderOf(Build(t, Job(), 0), "Idempotency-Key"), "job-42");
}

TEST(RequestTemplate, StaticHeadersMethodAndTimeoutsAreKept) {
  RequestTemplate t = Form();
  t.method = "PUT";
  t.headers = {{"X-Account", "a-1"}};
  t.total_timeout_ms = 1234;
  const HttpRequest r = Build(t, Job(), 0);
  EXPECT_EQ(r.method, "PUT");
  EXPECT_EQ(HeaderOf(r, "X-Account"), "a-1");
  EXPECT_EQ(r.total_timeout_ms, 1234);
}

TEST(RequestTemplate, ValidateNamesTheFieldAndTheUnknownPlaceholder) {
  RequestTemplate t = Form();
  EXPECT_EQ(Validate(t), "");
  t.fields.push_back({"Body2", "{txt}"});
  EXPECT_EQ(Validate(t), "field \"Body2\": unknown placeholder {txt}");
  t = Form();
  t.url = "https://x.example/{account";
  EXPECT_EQ(Validate(t), "url: unknown placeholder {{account}");
  t = Form();
  t.fields = {{"Literal", "{{not a placeholder}"}};
  EXPECT_EQ(Validate(t), "");
}

}  // namespace
}  // namespace sd::http
