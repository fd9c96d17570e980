// The classification of a provider's answer to a submit: every row of the table in
// submit_response.h, the presets' shapes, and Retry-After in both its forms.
#include "adapters/http/submit_response.h"

#include <gtest/gtest.h>

namespace sd::http {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;  // 2023-11-14T22:13:20Z

HttpResponse Answer(long status, std::string body,  // NOLINT(google-runtime-int)
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

// The form-POST Messages shape: {"sid": ...} or {"code": ..., "message": ...}.
ResponseShape SidShape() {
  ResponseShape s;
  s.id_pointer = "/sid";
  s.error_code_pointer = "/code";
  s.error_text_pointer = "/message";
  return s;
}

// The JSON shape with a per-message status: {"messages": [{"message-id", "status"}]}.
ResponseShape MessagesShape() {
  ResponseShape s;
  s.id_pointer = "/messages/0/message-id";
  s.status_pointer = "/messages/0/status";
  s.accepted_statuses = {"0"};
  s.throttled_statuses = {"1"};
  s.temporary_statuses = {"5"};
  s.error_text_pointer = "/messages/0/error-text";
  return s;
}

TEST(ClassifySubmitResponse, TwoHundredWithAnIdIsAccepted) {
  SubmitVerdict v = ClassifySubmitResponse(Answer(201, R"({"sid":"SM123"})"), SidShape(), kNow);
  EXPECT_EQ(v.kind, SubmitClass::kAccepted);
  EXPECT_EQ(v.message_id, "SM123");
  v = ClassifySubmitResponse(Answer(200, R"({"sid":4711})"), SidShape(), kNow);
  EXPECT_EQ(v.kind, SubmitClass::kAccepted);
  EXPECT_EQ(v.message_id, "4711") << "numeric ids are taken as their decimal text";
}

TEST(ClassifySubmitResponse, TwoHundredWithoutAUsableIdIsPermanentNeverResent) {
  for (const char* body : {"", "not json", R"({"other":1})", R"({"sid":""})", R"({"sid":null})",
                           R"({"sid":{"x":1}})", R"({"sid":"a\nb"})"}) {
    const SubmitVerdict v = ClassifySubmitResponse(Answer(200, body), SidShape(), kNow);
    EXPECT_EQ(v.kind, SubmitClass::kPermanent) << body;
    EXPECT_EQ(v.provider_code, "bad_response") << body;
    EXPECT_TRUE(v.maybe_sent);
  }
  const std::string long_id(kMaxMessageIdBytes + 1, 'a');
  EXPECT_EQ(ClassifySubmitResponse(Answer(200, "{\"sid\":\"" + long_id + "\"}"), SidShape(), kNow)
                .kind,
            SubmitClass::kPermanent);
}

TEST(ClassifySubmitResponse, TooManyRequestsAndUnavailableAreThrottledWithRetryAfter) {
  for (long status : {429L, 503L}) {  // NOLINT(google-runtime-int)
    const SubmitVerdict v = ClassifySubmitResponse(
        Answer(status, "{}", {{"retry-after", "3"}}), SidShape(), kNow);
    EXPECT_EQ(v.kind, SubmitClass::kThrottled) << status;
    EXPECT_EQ(v.retry_after_ms, 3000) << status;
  }
  const SubmitVerdict none = ClassifySubmitResponse(Answer(429, "{}"), SidShape(), kNow);
  EXPECT_EQ(none.retry_after_ms, std::nullopt);
}

TEST(ClassifySubmitResponse, OtherServerErrorsAndRequestTimeoutAreTemporary) {
  for (long status : {500L, 502L, 504L, 599L, 408L}) {  // NOLINT(google-runtime-int)
    const SubmitVerdict v = ClassifySubmitResponse(Answer(status, "oops"), SidShape(), kNow);
    EXPECT_EQ(v.kind, SubmitClass::kTemporary) << status;
    EXPECT_TRUE(v.maybe_sent);
  }
  const SubmitVerdict v = ClassifySubmitResponse(
      Answer(500, "{}", {{"retry-after", "Tue, 14 Nov 2023 22:13:30 GMT"}}), SidShape(), kNow);
  EXPECT_EQ(v.retry_after_ms, 10'000);
}

TEST(ClassifySubmitResponse, ClientErrorsArePermanentWithTheProvidersCodeAndMessage) {
  const SubmitVerdict v = ClassifySubmitResponse(
      Answer(400, R"({"code":21211,"message":"The 'To' number is not valid"})"), SidShape(), kNow);
  EXPECT_EQ(v.kind, SubmitClass::kPermanent);
  EXPECT_EQ(v.http_status, 400u);
  EXPECT_EQ(v.provider_code, "21211");
  EXPECT_EQ(v.detail, "http 400 code=21211: The 'To' number is not valid");
  EXPECT_EQ(ClassifySubmitResponse(Answer(401, ""), SidShape(), kNow).detail, "http 401");
}

TEST(ClassifySubmitResponse, RedirectsArePermanentAndNothingWasSent) {
  const SubmitVerdict v = ClassifySubmitResponse(Answer(301, ""), SidShape(), kNow);
  EXPECT_EQ(v.kind, SubmitClass::kPermanent);
  EXPECT_FALSE(v.maybe_sent);
}

TEST(ClassifySubmitResponse, ProviderTextInTheDetailIsEscapedAndBounded) {
  const std::string hostile = std::string(R"({"code":"\u001b[31m","message":")") +
                              std::string(5000, 'z') + "\"}";
  const SubmitVerdict v = ClassifySubmitResponse(Answer(400, hostile), SidShape(), kNow);
  EXPECT_EQ(v.detail.find('\x1b'), std::string::npos);
  EXPECT_LE(v.detail.size(), 200u);
  EXPECT_LE(v.provider_code.size(), 64u);
}

TEST(ClassifySubmitResponse, PerMessageStatusDecidesInsideATwoHundred) {
  const auto body = [](const char* status) {
    return std::string(R"({"message-count":"1","messages":[{"message-id":"0A00","status":")") +
           status + R"(","error-text":"Throttled"}]})";
  };
  EXPECT_EQ(ClassifySubmitResponse(Answer(200, body("0")), MessagesShape(), kNow).kind,
            SubmitClass::kAccepted);
  EXPECT_EQ(ClassifySubmitResponse(Answer(200, body("0")), MessagesShape(), kNow).message_id,
            "0A00");
  EXPECT_EQ(ClassifySubmitResponse(Answer(200, body("1")), MessagesShape(), kNow).kind,
            SubmitClass::kThrottled);
  EXPECT_EQ(ClassifySubmitResponse(Answer(200, body("5")), MessagesShape(), kNow).kind,
            SubmitClass::kTemporary);
  const SubmitVerdict refused = ClassifySubmitResponse(Answer(200, body("6")), MessagesShape(), kNow);
  EXPECT_EQ(refused.kind, SubmitClass::kPermanent);
  EXPECT_EQ(refused.provider_code, "6");
  EXPECT_EQ(ClassifySubmitResponse(Answer(200, R"({"messages":[]})"), MessagesShape(), kNow).kind,
            SubmitClass::kPermanent);
}

TEST(ClassifySubmitResponse, TransportErrorsAreTemporaryAndSayWhetherTheRequestLeft) {
  for (TransportError e : {TransportError::kConnect, TransportError::kTls}) {
    HttpResponse r;
    r.error = e;
    r.error_text = "refused";
    const SubmitVerdict v = ClassifySubmitResponse(r, SidShape(), kNow);
    EXPECT_EQ(v.kind, SubmitClass::kTemporary);
    EXPECT_FALSE(v.maybe_sent) << TransportErrorName(e);
  }
  for (TransportError e : {TransportError::kTimeout, TransportError::kSend,
                           TransportError::kReceive, TransportError::kTooLarge,
                           TransportError::kOther}) {
    HttpResponse r;
    r.error = e;
    const SubmitVerdict v = ClassifySubmitResponse(r, SidShape(), kNow);
    EXPECT_EQ(v.kind, SubmitClass::kTemporary);
    EXPECT_TRUE(v.maybe_sent) << TransportErrorName(e);
  }
}

TEST(ParseRetryAfter, DeltaSecondsAndTheThreeDateForms) {
  EXPECT_EQ(ParseRetryAfter("0", kNow), 0);
  EXPECT_EQ(ParseRetryAfter(" 120 ", kNow), 120'000);
  EXPECT_EQ(ParseRetryAfter("99999999999", kNow), kMaxRetryAfterMs);
  EXPECT_EQ(ParseRetryAfter("Tue, 14 Nov 2023 22:13:25 GMT", kNow), 5'000);  // IMF-fixdate
  EXPECT_EQ(ParseRetryAfter("Tuesday, 14-Nov-23 22:13:25 GMT", kNow), 5'000);  // RFC 850
  EXPECT_EQ(ParseRetryAfter("Tue Nov 14 22:13:25 2023", kNow), 5'000);  // asctime
  EXPECT_EQ(ParseRetryAfter("Tue, 14 Nov 2023 22:00:00 GMT", kNow), 0) << "in the past";
  EXPECT_EQ(ParseRetryAfter("Wed, 15 Nov 2023 22:13:20 GMT", kNow), kMaxRetryAfterMs);
}

TEST(ParseRetryAfter, MalformedValuesAreRefused) {
  for (const char* bad : {"", "-1", "1.5", "5 minutes", "soon", "0x10", "12abc"}) {
    EXPECT_EQ(ParseRetryAfter(bad, kNow), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace sd::http
