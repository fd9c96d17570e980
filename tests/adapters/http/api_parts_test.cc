// The HTTPS API's parts on their own: the request signature against the vectors an
// independent implementation made (tests/vectors/api.json), credentials parsing and
// verification, the JSON bodies, the client address behind trusted proxies, the statuses.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "adapters/crypto/openssl_mac.h"
#include "adapters/http/api_answers.h"
#include "adapters/http/api_auth.h"
#include "adapters/http/api_message.h"
#include "core/hex.h"

namespace sd::http {
namespace {

nlohmann::json Vectors() {
  std::ifstream in(std::string(SD_VECTORS_DIR) + "/api.json");
  return nlohmann::json::parse(in);
}

KeyRecord Key(ApiAuth auth) {
  KeyRecord k;
  k.id = "acme-otp.v1";
  k.secret = *HexDecode(Vectors()["secret_hex"].get<std::string>());
  k.scopes.api_auth = auth;
  return k;
}

HttpServerRequest Request(const nlohmann::json& c) {
  HttpServerRequest r;
  r.method = c["method"];
  r.target = c["target"];
  r.body = c["body"];
  return r;
}

TEST(ApiSignature, MatchesTheIndependentVectors) {
  const nlohmann::json v = Vectors();
  const std::string secret = *HexDecode(v["secret_hex"].get<std::string>());
  ASSERT_GE(v["cases"].size(), 5u);
  for (const auto& c : v["cases"]) {
    const std::string body = c["body"];
    EXPECT_EQ(Sha256Hex(body), c["body_sha256"]) << c["name"];
    EXPECT_EQ(ApiStringToSign(c["method"].get<std::string>(), c["target"].get<std::string>(),
                              c["timestamp_ms"], body),
              c["string_to_sign"])
        << c["name"];
    EXPECT_EQ(ApiSignature(secret, c["method"].get<std::string>(),
                           c["target"].get<std::string>(), c["timestamp_ms"], body),
              c["signature"])
        << c["name"];
  }
}

TEST(ApiAuthVerify, HmacWithinTheWindowUpperCaseHexAndEachFailure) {
  const nlohmann::json c = Vectors()["cases"][0];
  HttpServerRequest r = Request(c);
  const int64_t ts = c["timestamp_ms"];
  std::string sig = c["signature"];
  for (char& ch : sig) ch = static_cast<char>(toupper(ch));
  r.headers = {{"sd-key-id", "acme-otp.v1"},
               {"sd-timestamp", std::to_string(ts)},
               {"sd-signature", sig}};
  ApiCredentials creds;
  ASSERT_TRUE(ParseApiCredentials(r, &creds).ok());
  EXPECT_EQ(creds.scheme, ApiCredentials::Scheme::kHmac);
  EXPECT_TRUE(VerifyApiAuth(Key(ApiAuth::kHmac), creds, r, ts + 299'000, 300'000).ok());
  EXPECT_TRUE(VerifyApiAuth(Key(ApiAuth::kBoth), creds, r, ts - 299'000, 300'000).ok());
  EXPECT_EQ(VerifyApiAuth(Key(ApiAuth::kHmac), creds, r, ts + 301'000, 300'000).reason,
            Reason::kClockSkew);
  EXPECT_EQ(VerifyApiAuth(Key(ApiAuth::kHmac), creds, r, ts - 301'000, 300'000).reason,
            Reason::kClockSkew);
  EXPECT_EQ(VerifyApiAuth(Key(ApiAuth::kBearer), creds, r, ts, 300'000).reason,
            Reason::kAuthSchemeNotAllowed);
  HttpServerRequest changed = r;
  changed.body += " ";
  EXPECT_EQ(VerifyApiAuth(Key(ApiAuth::kHmac), creds, changed, ts, 300'000).reason,
            Reason::kBadSignature);
  changed = r;
  changed.target = "/v1/messages/batch";  // another path: another string to sign
  EXPECT_EQ(VerifyApiAuth(Key(ApiAuth::kHmac), creds, changed, ts, 300'000).reason,
            Reason::kBadSignature);
  KeyRecord other = Key(ApiAuth::kHmac);
  other.secret[0] ^= 1;
  const ApiAuthProblem p = VerifyApiAuth(other, creds, r, ts, 300'000);
  EXPECT_EQ(p.reason, Reason::kBadSignature);
  EXPECT_EQ(p.detail.find(c["signature"].get<std::string>()), std::string::npos);
}

// The daemon verifies with the key prepared by its policy snapshot: every answer the same.
TEST(ApiAuthVerify, ThePreparedKeyAnswersAsTheSecret) {
  const nlohmann::json v = Vectors();
  OpenSslMac mac;
  for (const nlohmann::json& c : v["cases"]) {
    HttpServerRequest r = Request(c);
    const int64_t ts = c["timestamp_ms"];
    r.headers = {{"sd-key-id", "acme-otp.v1"},
                 {"sd-timestamp", std::to_string(ts)},
                 {"sd-signature", c["signature"].get<std::string>()}};
    ApiCredentials creds;
    ASSERT_TRUE(ParseApiCredentials(r, &creds).ok());
    const KeyRecord key = Key(ApiAuth::kHmac);
    const auto prepared = mac.Prepare(key.secret);
    EXPECT_TRUE(VerifyApiAuth(key, creds, r, ts, 300'000, prepared.get()).ok());
    HttpServerRequest changed = r;
    changed.body += " ";
    EXPECT_EQ(VerifyApiAuth(key, creds, changed, ts, 300'000, prepared.get()).reason,
              Reason::kBadSignature);
    KeyRecord other = key;
    other.secret[0] ^= 1;
    EXPECT_EQ(VerifyApiAuth(other, creds, r, ts, 300'000, mac.Prepare(other.secret).get()).reason,
              Reason::kBadSignature);
    EXPECT_EQ(VerifyApiAuth(key, creds, r, ts + 301'000, 300'000, prepared.get()).reason,
              Reason::kClockSkew);
  }
}

TEST(ApiAuthVerify, BearerOnlyWhereAllowedAndNeverEchoed) {
  const nlohmann::json v = Vectors();
  HttpServerRequest r;
  r.headers = {{"authorization", "Bearer acme-otp.v1:" + v["secret_hex"].get<std::string>()}};
  ApiCredentials creds;
  ASSERT_TRUE(ParseApiCredentials(r, &creds).ok());
  EXPECT_EQ(creds.scheme, ApiCredentials::Scheme::kBearer);
  EXPECT_EQ(creds.key_id, "acme-otp.v1");
  EXPECT_TRUE(VerifyApiAuth(Key(ApiAuth::kBearer), creds, r, 0, 300'000).ok());
  EXPECT_TRUE(VerifyApiAuth(Key(ApiAuth::kBoth), creds, r, 0, 300'000).ok());
  EXPECT_EQ(VerifyApiAuth(Key(ApiAuth::kHmac), creds, r, 0, 300'000).reason,
            Reason::kAuthSchemeNotAllowed);
  creds.secret[5] ^= 1;
  const ApiAuthProblem p = VerifyApiAuth(Key(ApiAuth::kBearer), creds, r, 0, 300'000);
  EXPECT_EQ(p.reason, Reason::kBadSignature);
  EXPECT_EQ(p.detail.find(v["secret_hex"].get<std::string>()), std::string::npos);
}

TEST(ApiCredentialsParse, RefusesWhatIsMissingMixedOrMalformed) {
  auto problem = [](std::vector<std::pair<std::string, std::string>> h) {
    HttpServerRequest r;
    r.headers = std::move(h);
    ApiCredentials c;
    return ParseApiCredentials(r, &c);
  };
  const std::string sig(64, 'a');
  EXPECT_EQ(problem({}).reason, Reason::kAuthRequired);
  EXPECT_EQ(problem({{"sd-key-id", "k.v1"}, {"sd-signature", sig}}).reason, Reason::kAuthRequired);
  EXPECT_EQ(problem({{"sd-key-id", "k.v1"}, {"sd-timestamp", "12x"}, {"sd-signature", sig}}).reason,
            Reason::kAuthRequired);
  EXPECT_EQ(problem({{"sd-key-id", "k.v1"}, {"sd-timestamp", "-5"}, {"sd-signature", sig}}).reason,
            Reason::kAuthRequired);
  EXPECT_EQ(
      problem({{"sd-key-id", "k.v1"}, {"sd-timestamp", "1"}, {"sd-signature", sig + "0"}}).reason,
      Reason::kAuthRequired);
  EXPECT_EQ(problem({{"sd-key-id", std::string(65, 'k')}, {"sd-timestamp", "1"},
                     {"sd-signature", sig}})
                .reason,
            Reason::kAuthRequired);
  EXPECT_EQ(problem({{"sd-key-id", "k.v1"}, {"sd-timestamp", "1"}, {"sd-signature", sig},
                     {"authorization", "Bearer k.v1:00"}})
                .reason,
            Reason::kAuthRequired);
  EXPECT_EQ(problem({{"authorization", "Basic abc"}}).reason, Reason::kAuthRequired);
  EXPECT_EQ(problem({{"authorization", "Bearer nocolon"}}).reason, Reason::kAuthRequired);
  EXPECT_EQ(problem({{"authorization", "Bearer k.v1:zz"}}).reason, Reason::kAuthRequired);
  EXPECT_TRUE(problem({{"authorization", "Bearer odd:id:with:colons.v1:00ff"}}).ok());
}

TEST(ApiMessageParse, FieldsTypesAndStrictness) {
  auto m = ParseApiMessage(
      R"({"to":"+4915112345678","from":"ACME","text":"hi","kind":"otp","client_ref":"r-1",)"
      R"("validity_s":600})");
  ASSERT_TRUE(m.ok()) << m.error().detail;
  EXPECT_EQ(m->to, "+4915112345678");
  EXPECT_EQ(m->kind, JobKind::kOtp);
  EXPECT_EQ(m->client_ref, "r-1");
  EXPECT_EQ(m->validity_s, 600);
  auto detail = [](std::string_view body) {
    auto r = ParseApiMessage(body);
    return r.ok() ? std::string("ok") : r.error().detail;
  };
  const std::string base = R"("to":"+4915112345678","from":"ACME","text":"hi")";
  EXPECT_EQ(detail("{" + base + "}"), "missing field 'kind'");
  EXPECT_EQ(detail("{" + base + R"(,"kind":"spam"})"), "kind must be otp, transactional or marketing");
  EXPECT_EQ(detail("{" + base + R"(,"kind":"otp","to2":1})"), "unknown field 'to2'");
  EXPECT_EQ(detail(R"({"to":49151,"from":"ACME","text":"hi","kind":"otp"})"), "to must be a string");
  EXPECT_EQ(detail("{" + base + R"(,"kind":"otp","validity_s":0})"),
            "validity_s must be an integer from 1 to 2592000");
  EXPECT_EQ(detail("{" + base + R"(,"kind":"otp","validity_s":1.5})"),
            "validity_s must be an integer from 1 to 2592000");
  EXPECT_EQ(detail("{" + base + R"(,"kind":"otp","validity_s":60,"expires_at":9})"),
            "give validity_s or expires_at, not both");
  EXPECT_EQ(detail("{" + base + R"(,"kind":"otp","send_at":9})"), "ok");
  EXPECT_EQ(detail("{" + base + R"(,"kind":"otp","send_at":"soon"})"),
            "send_at must be an integer from 1 to 9007199254740992");
  EXPECT_EQ(ParseApiMessage("{" + base + R"(,"kind":"otp","send_at":1767225600000})")->send_at_ms,
            1767225600000);
  EXPECT_EQ(detail("{" + base + R"(,"kind":"otp","x":{"y":1}})"), "JSON nested too deeply");
  EXPECT_EQ(detail(std::string(60'000, '[')), "JSON nested too deeply");
  EXPECT_EQ(detail(R"({"to":)"), "body is not JSON");
  EXPECT_EQ(detail("[1]"), "a message must be a JSON object");
  EXPECT_EQ(detail("{" + base + R"(,"kind":"otp","\u001b[31m":1})"),
            "unknown field '\\x1B[31m'");
}

TEST(ApiMessageParse, BatchShapeLimitAndPerItemErrors) {
  auto b = ParseApiBatch(
      R"({"messages":[{"to":"+1","from":"A","text":"t","kind":"otp"},{"to":"+1"},7]})", 3);
  ASSERT_TRUE(b.ok()) << b.error().detail;
  ASSERT_EQ(b->size(), 3u);
  EXPECT_TRUE((*b)[0].ok());
  EXPECT_EQ((*b)[1].error().detail, "missing field 'from'");
  EXPECT_EQ((*b)[2].error().detail, "a message must be a JSON object");
  auto over = ParseApiBatch(R"({"messages":[{},{},{},{}]})", 3);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().reason, Reason::kTooLarge);
  EXPECT_FALSE(ParseApiBatch(R"({"messages":[]})", 3).ok());
  EXPECT_FALSE(ParseApiBatch(R"({"messages":[],"x":1})", 3).ok());
  EXPECT_FALSE(ParseApiBatch(R"({"messages":[[[{}]]]})", 3).ok());
  EXPECT_FALSE(ParseApiBatch(R"([])", 3).ok());
}

TEST(ApiClientAddressTest, ForwardedForOnlyFromTrustedProxies) {
  const std::vector<Cidr> proxies{*ParseCidr("10.0.0.0/8")};
  HttpServerRequest r;
  r.peer_address = "198.51.100.4";
  r.headers = {{"x-forwarded-for", "203.0.113.5"}};
  EXPECT_EQ(ApiClientAddress(r, proxies), "198.51.100.4");  // not a proxy: the header is ignored
  EXPECT_EQ(ApiClientAddress(r, {}), "198.51.100.4");
  r.peer_address = "10.1.1.1";
  EXPECT_EQ(ApiClientAddress(r, proxies), "203.0.113.5");
  r.headers = {{"x-forwarded-for", "203.0.113.5, 198.51.100.9"}};  // a client-written first hop
  EXPECT_EQ(ApiClientAddress(r, proxies), "198.51.100.9");
  r.headers = {{"x-forwarded-for", "203.0.113.5"}, {"x-forwarded-for", "10.2.2.2 , 10.3.3.3"}};
  EXPECT_EQ(ApiClientAddress(r, proxies), "203.0.113.5");
  r.headers = {{"x-forwarded-for", "10.2.2.2"}};
  EXPECT_EQ(ApiClientAddress(r, proxies), "10.2.2.2");
  r.headers = {{"x-forwarded-for", "garbage"}};
  EXPECT_EQ(ApiClientAddress(r, proxies), "garbage");  // matches no allowlist
  r.headers = {};
  EXPECT_EQ(ApiClientAddress(r, proxies), "10.1.1.1");
}

TEST(ApiAnswersTest, StatusPerReasonAndEscapedDetail) {
  EXPECT_EQ(ApiStatusFor(Reason::kBadSignature), 401);
  EXPECT_EQ(ApiStatusFor(Reason::kReplay), 401);
  EXPECT_EQ(ApiStatusFor(Reason::kIpNotAllowed), 403);
  EXPECT_EQ(ApiStatusFor(Reason::kPumpingSuspected), 403);
  EXPECT_EQ(ApiStatusFor(Reason::kKindNotAllowed), 403);
  EXPECT_EQ(ApiStatusFor(Reason::kInvalidNumber), 400);
  EXPECT_EQ(ApiStatusFor(Reason::kIdempotencyConflict), 409);
  EXPECT_EQ(ApiStatusFor(Reason::kRateLimited), 429);
  EXPECT_EQ(ApiStatusFor(Reason::kUnavailable), 503);
  const HttpServerResponse r = ApiError(Reason::kRateLimited, "limit \x1b[2J", 3);
  EXPECT_EQ(r.status, 429);
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["reason"], "rate_limited");
  EXPECT_EQ(j["detail"], "limit \\x1B[2J");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0], (std::pair<std::string, std::string>{"Retry-After", "3"}));
}

}  // namespace
}  // namespace sd::http
