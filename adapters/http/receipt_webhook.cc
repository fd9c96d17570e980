#include "adapters/http/receipt_webhook.h"

#include <nlohmann/json.hpp>
#include <optional>

#include "adapters/http/form_codec.h"
#include "core/safe_text.h"

namespace sd::http {
namespace {

constexpr size_t kMaxId = 128;
constexpr size_t kMaxWord = 32;

// Scalar at a JSON pointer as text, or nullopt.
std::optional<std::string> JsonAt(const nlohmann::json& doc, const std::string& pointer) {
  if (pointer.empty()) return std::nullopt;
  try {
    const nlohmann::json::json_pointer p(pointer);
    if (!doc.contains(p)) return std::nullopt;
    const nlohmann::json& v = doc.at(p);
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
    return std::nullopt;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

}  // namespace

bool ReceiptStateFromName(std::string_view name, ReceiptState* out) {
  static const std::pair<std::string_view, ReceiptState> kNames[] = {
      {"delivered", ReceiptState::kDelivered}, {"undelivered", ReceiptState::kUndelivered},
      {"expired", ReceiptState::kExpired},     {"rejected", ReceiptState::kRejected},
      {"deleted", ReceiptState::kDeleted},     {"accepted", ReceiptState::kAccepted},
      {"enroute", ReceiptState::kEnroute},     {"unknown", ReceiptState::kUnknown}};
  for (const auto& [n, s] : kNames) {
    if (n == name) {
      *out = s;
      return true;
    }
  }
  return false;
}

std::variant<WebhookReceipt, std::string> ParseReceiptWebhook(const ReceiptWebhookShape& shape,
                                                              std::string_view body) {
  std::optional<std::string> id, status, error;
  if (shape.format == BodyFormat::kJson) {
    const nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object()) return std::string("body is not a JSON object");
    id = JsonAt(doc, shape.id_field);
    status = JsonAt(doc, shape.status_field);
    error = JsonAt(doc, shape.error_field);
  } else {
    const auto form = ParseForm(body);
    if (!form) return std::string("body is not a valid form");
    for (const auto& [k, v] : *form) {
      if (!id && k == shape.id_field) id = v;
      if (!status && k == shape.status_field) status = v;
      if (!error && !shape.error_field.empty() && k == shape.error_field) error = v;
    }
  }
  if (!id || id->empty()) return "no message id at " + shape.id_field;
  if (id->size() > kMaxId || !IsPlainText(*id)) return "message id is not plain text of at most 128 bytes";
  if (!status || status->empty()) return "no status at " + shape.status_field;
  WebhookReceipt r;
  r.message_id = *id;
  r.carrier_status = PlainOrEscaped(*status, kMaxWord);
  r.error_code = PlainOrEscaped(error.value_or(""), kMaxWord);
  for (const auto& [word, state] : shape.states) {
    if (word == *status) r.state = state;
  }
  return r;
}

}  // namespace sd::http
