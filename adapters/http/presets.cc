#include "adapters/http/presets.h"

namespace sd::http {
namespace {

Preset MessagesForm() {
  Preset p;
  p.request.method = "POST";
  p.request.body_format = BodyFormat::kForm;
  p.request.fields = {{"To", "{to}"},
                      {"From", "{from}"},
                      {"Body", "{text}"},
                      {"StatusCallback", "{callback_url}"}};
  p.request.auth = AuthScheme::kBasic;
  p.response.id_pointer = "/sid";
  p.response.error_code_pointer = "/code";
  p.response.error_text_pointer = "/message";
  p.receipts.format = BodyFormat::kForm;
  p.receipts.id_field = "MessageSid";
  p.receipts.status_field = "MessageStatus";
  p.receipts.error_field = "ErrorCode";
  p.inbound.format = BodyFormat::kForm;  // a reply: From, To, Body
  p.inbound.from_field = "From";
  p.inbound.to_field = "To";
  p.inbound.text_field = "Body";
  p.receipts.states = {{"queued", ReceiptState::kAccepted},      {"accepted", ReceiptState::kAccepted},
                       {"scheduled", ReceiptState::kAccepted},   {"sending", ReceiptState::kEnroute},
                       {"sent", ReceiptState::kEnroute},         {"delivered", ReceiptState::kDelivered},
                       {"read", ReceiptState::kDelivered},       {"undelivered", ReceiptState::kUndelivered},
                       {"failed", ReceiptState::kRejected},      {"canceled", ReceiptState::kDeleted}};
  p.webhook_scheme = WebhookScheme::kFormHmacSha1;
  p.webhook_header = "x-twilio-signature";
  return p;
}

Preset MessagesJson() {
  Preset p;
  p.request.method = "POST";
  p.request.body_format = BodyFormat::kJson;
  p.request.fields = {{"api_key", "{username}"},   {"api_secret", "{secret}"},
                      {"from", "{from}"},          {"to", "{to_digits}"},
                      {"text", "{text}"},          {"type", "{encoding}"},
                      {"client-ref", "{client_ref}"}, {"callback", "{callback_url}"}};
  p.request.auth = AuthScheme::kNone;
  p.request.encoding_gsm7 = "text";
  p.request.encoding_ucs2 = "unicode";
  p.response.id_pointer = "/messages/0/message-id";
  p.response.status_pointer = "/messages/0/status";
  p.response.accepted_statuses = {"0"};
  p.response.throttled_statuses = {"1"};
  p.response.temporary_statuses = {"5"};
  p.response.error_text_pointer = "/messages/0/error-text";
  p.receipts.format = BodyFormat::kJson;
  p.receipts.id_field = "/messageId";
  p.receipts.status_field = "/status";
  p.receipts.error_field = "/err-code";
  p.inbound.format = BodyFormat::kJson;  // a reply: msisdn (the sender), to, text
  p.inbound.from_field = "/msisdn";
  p.inbound.to_field = "/to";
  p.inbound.text_field = "/text";
  p.receipts.states = {{"delivered", ReceiptState::kDelivered}, {"expired", ReceiptState::kExpired},
                       {"failed", ReceiptState::kUndelivered},  {"rejected", ReceiptState::kRejected},
                       {"accepted", ReceiptState::kAccepted},   {"buffered", ReceiptState::kEnroute},
                       {"unknown", ReceiptState::kUnknown}};
  p.webhook_scheme = WebhookScheme::kBodyHmacSha256;
  return p;
}

}  // namespace

std::optional<Preset> PresetNamed(std::string_view name) {
  if (name == "messages-form") return MessagesForm();
  if (name == "messages-json") return MessagesJson();
  if (name == "custom") return Preset{};
  return std::nullopt;
}

std::vector<std::string_view> PresetNames() { return {"messages-form", "messages-json", "custom"}; }

}  // namespace sd::http
