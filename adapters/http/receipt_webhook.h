#pragma once
// A provider's delivery-receipt webhook body, read into the fields of a receipt: which field
// holds the message id, the status word and the error code (form names, or JSON pointers),
// and what each status word means. A body that is not what the shape says is refused (400),
// never guessed at.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "adapters/http/request_template.h"
#include "core/outcome.h"

namespace sd::http {

struct ReceiptWebhookShape {
  BodyFormat format = BodyFormat::kForm;
  std::string id_field;      // e.g. "MessageSid", or "/messageId" for JSON
  std::string status_field;  // e.g. "MessageStatus"
  std::string error_field;   // optional, e.g. "ErrorCode"
  // Provider status word -> state; words not listed are kUnknown (kept, with the raw word).
  std::vector<std::pair<std::string, ReceiptState>> states;
};

struct WebhookReceipt {
  std::string message_id;      // plain text, at most 128 bytes
  std::string carrier_status;  // the provider's word, escaped, at most 32 bytes
  std::string error_code;      // escaped, at most 32 bytes
  ReceiptState state = ReceiptState::kUnknown;
};

// The receipt, or the problem ("no message id at /messageId", "body is not JSON", ...).
std::variant<WebhookReceipt, std::string> ParseReceiptWebhook(const ReceiptWebhookShape& shape,
                                                              std::string_view body);

// A provider's inbound-message webhook (a recipient's reply, POST /v1/inbound/<carrier>,
// docs/inbound.md): where the sender, the number written to and the text are. Empty fields:
// the carrier takes no inbound webhooks.
struct InboundWebhookShape {
  BodyFormat format = BodyFormat::kForm;
  std::string from_field;  // e.g. "From", or "/msisdn" for JSON
  std::string to_field;    // e.g. "To"
  std::string text_field;  // e.g. "Body"
  bool enabled() const { return !from_field.empty() && !to_field.empty() && !text_field.empty(); }
};

struct WebhookInbound {
  std::string from;  // plain text, at most 21 bytes (an SMPP address's bound)
  std::string to;
  std::string text;  // as posted (UTF-8 is checked when it is decoded), at most 64 KiB
};

// The reply, or the problem ("no sender at From", "body is not a valid form", ...).
std::variant<WebhookInbound, std::string> ParseInboundWebhook(const InboundWebhookShape& shape,
                                                              std::string_view body);

// "delivered", "undelivered", "expired", "rejected", "deleted", "accepted", "enroute",
// "unknown" -> the state (config names); false for anything else.
bool ReceiptStateFromName(std::string_view name, ReceiptState* out);

}  // namespace sd::http
