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

// "delivered", "undelivered", "expired", "rejected", "deleted", "accepted", "enroute",
// "unknown" -> the state (config names); false for anything else.
bool ReceiptStateFromName(std::string_view name, ReceiptState* out);

}  // namespace sd::http
