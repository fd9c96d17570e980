// The small parts the webhook endpoint is built from: form decoding and receipt bodies in both
// formats.
#include <gtest/gtest.h>

#include "adapters/http/form_codec.h"
#include "adapters/http/receipt_webhook.h"

namespace sd::http {
namespace {

TEST(ParseForm, DecodesPlusAndPercentKeepsOrderAndRefusesBadEscapes) {
  const auto f = ParseForm("a=1+2&b=%2B49%20x&a=&c&=v");
  ASSERT_TRUE(f.has_value());
  ASSERT_EQ(f->size(), 5u);
  EXPECT_EQ((*f)[0], (std::pair<std::string, std::string>{"a", "1 2"}));
  EXPECT_EQ((*f)[1].second, "+49 x");
  EXPECT_EQ((*f)[2].second, "");
  EXPECT_EQ((*f)[3], (std::pair<std::string, std::string>{"c", ""}));
  EXPECT_EQ((*f)[4].first, "");
  EXPECT_TRUE(ParseForm("")->empty());
  for (const char* bad : {"a=%", "a=%4", "a=%G1", "%zz=1"}) EXPECT_FALSE(ParseForm(bad)) << bad;
  EXPECT_FALSE(ParseForm("a=1&b=2&c=3", 2));
  EXPECT_EQ(FormEncode("a b+c/ä"), "a+b%2Bc%2F%C3%A4");
}

ReceiptWebhookShape FormShape() {
  ReceiptWebhookShape s;
  s.id_field = "MessageSid";
  s.status_field = "MessageStatus";
  s.error_field = "ErrorCode";
  s.states = {{"delivered", ReceiptState::kDelivered}, {"undelivered", ReceiptState::kUndelivered}};
  return s;
}

TEST(ParseReceiptWebhook, FormBody) {
  auto r = ParseReceiptWebhook(FormShape(), "MessageSid=SM1&MessageStatus=undelivered&ErrorCode=30003");
  ASSERT_TRUE(std::holds_alternative<WebhookReceipt>(r)) << std::get<std::string>(r);
  const auto& w = std::get<WebhookReceipt>(r);
  EXPECT_EQ(w.message_id, "SM1");
  EXPECT_EQ(w.state, ReceiptState::kUndelivered);
  EXPECT_EQ(w.carrier_status, "undelivered");
  EXPECT_EQ(w.error_code, "30003");
  auto unknown = ParseReceiptWebhook(FormShape(), "MessageSid=SM1&MessageStatus=sending");
  EXPECT_EQ(std::get<WebhookReceipt>(unknown).state, ReceiptState::kUnknown);
}

TEST(ParseReceiptWebhook, JsonBodyByPointers) {
  ReceiptWebhookShape s;
  s.format = BodyFormat::kJson;
  s.id_field = "/messageId";
  s.status_field = "/status";
  s.error_field = "/err-code";
  s.states = {{"delivered", ReceiptState::kDelivered}};
  auto r = ParseReceiptWebhook(s, R"({"messageId":"0A0000001234","status":"delivered","err-code":0})");
  ASSERT_TRUE(std::holds_alternative<WebhookReceipt>(r)) << std::get<std::string>(r);
  EXPECT_EQ(std::get<WebhookReceipt>(r).state, ReceiptState::kDelivered);
  EXPECT_EQ(std::get<WebhookReceipt>(r).error_code, "0");
  EXPECT_EQ(std::get<std::string>(ParseReceiptWebhook(s, "[1,2]")), "body is not a JSON object");
  EXPECT_EQ(std::get<std::string>(ParseReceiptWebhook(s, R"({"status":"delivered"})")),
            "no message id at /messageId");
}

TEST(ParseReceiptWebhook, HostileFieldsAreRefusedOrEscapedAndBounded) {
  EXPECT_TRUE(std::holds_alternative<std::string>(
      ParseReceiptWebhook(FormShape(), "MessageSid=a%0Ab&MessageStatus=delivered")));
  EXPECT_TRUE(std::holds_alternative<std::string>(ParseReceiptWebhook(
      FormShape(), "MessageSid=" + std::string(129, 'a') + "&MessageStatus=delivered")));
  EXPECT_TRUE(std::holds_alternative<std::string>(ParseReceiptWebhook(FormShape(), "MessageSid=SM1")));
  auto r = ParseReceiptWebhook(FormShape(), "MessageSid=SM1&MessageStatus=%1B%5B31m" +
                                                std::string(100, 'x'));
  const auto& w = std::get<WebhookReceipt>(r);
  EXPECT_EQ(w.carrier_status.find('\x1b'), std::string::npos);
  EXPECT_LE(w.carrier_status.size(), 32u);
}

// A reply as providers post it: form (From, To, Body) or JSON by pointers. Addresses must be
// plain text of at most 21 bytes; the text is taken as posted (empty is a reply too).
TEST(ParseInboundWebhook, FormAndJsonBodiesAndWhatIsRefused) {
  const InboundWebhookShape form{BodyFormat::kForm, "From", "To", "Body"};
  auto r = ParseInboundWebhook(form, "From=%2B4917000001&To=%2B4930555&Body=Stop+please");
  ASSERT_TRUE(std::holds_alternative<WebhookInbound>(r)) << std::get<std::string>(r);
  EXPECT_EQ(std::get<WebhookInbound>(r).from, "+4917000001");
  EXPECT_EQ(std::get<WebhookInbound>(r).to, "+4930555");
  EXPECT_EQ(std::get<WebhookInbound>(r).text, "Stop please");
  EXPECT_TRUE(
      std::holds_alternative<WebhookInbound>(ParseInboundWebhook(form, "From=1&To=2&Body=")));
  const InboundWebhookShape json{BodyFormat::kJson, "/msisdn", "/to", "/text"};
  r = ParseInboundWebhook(json, R"({"msisdn":"4917000001","to":"4930555","text":"Caf\u00e9"})");
  ASSERT_TRUE(std::holds_alternative<WebhookInbound>(r)) << std::get<std::string>(r);
  EXPECT_EQ(std::get<WebhookInbound>(r).text, "Caf\xc3\xa9");
  for (const char* bad : {"To=2&Body=x", "From=1&Body=x", "From=1&To=2", "From=%0Aevil&To=2&Body=x",
                          "From=1234567890123456789012&To=2&Body=x", "From=%zz&To=2&Body=x"}) {
    EXPECT_TRUE(std::holds_alternative<std::string>(ParseInboundWebhook(form, bad))) << bad;
  }
  EXPECT_TRUE(std::holds_alternative<std::string>(ParseInboundWebhook(json, "[1]")));
  EXPECT_TRUE(std::holds_alternative<std::string>(
      ParseInboundWebhook(form, "From=1&To=2&Body=" + std::string(70'000, 'x'))));
}

}  // namespace
}  // namespace sd::http
