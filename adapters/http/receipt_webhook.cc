#include "adapters/http/receipt_webhook.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <tuple>

#include "adapters/http/form_codec.h"
#include "core/inbound.h"
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

// The values of `fields` in the body (nullopt each where absent), or the problem with the body.
std::variant<std::vector<std::optional<std::string>>, std::string> Extract(
    BodyFormat format, std::string_view body, const std::vector<const std::string*>& fields) {
  std::vector<std::optional<std::string>> out(fields.size());
  if (format == BodyFormat::kJson) {
    const nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object()) return std::string("body is not a JSON object");
    for (size_t i = 0; i < fields.size(); ++i) out[i] = JsonAt(doc, *fields[i]);
    return out;
  }
  const auto form = ParseForm(body);
  if (!form) return std::string("body is not a valid form");
  for (const auto& [k, v] : *form) {
    for (size_t i = 0; i < fields.size(); ++i) {
      if (!out[i] && !fields[i]->empty() && k == *fields[i]) out[i] = v;
    }
  }
  return out;
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
  auto got =
      Extract(shape.format, body, {&shape.id_field, &shape.status_field, &shape.error_field});
  if (auto* problem = std::get_if<std::string>(&got)) return std::move(*problem);
  auto& values = std::get<std::vector<std::optional<std::string>>>(got);
  const std::optional<std::string>& id = values[0];
  const std::optional<std::string>& status = values[1];
  const std::optional<std::string>& error = values[2];
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

std::variant<WebhookInbound, std::string> ParseInboundWebhook(const InboundWebhookShape& shape,
                                                              std::string_view body) {
  auto got = Extract(shape.format, body, {&shape.from_field, &shape.to_field, &shape.text_field});
  if (auto* problem = std::get_if<std::string>(&got)) return std::move(*problem);
  auto& values = std::get<std::vector<std::optional<std::string>>>(got);
  WebhookInbound m;
  for (auto [value, field, out] : {std::tuple{&values[0], &shape.from_field, &m.from},
                                   std::tuple{&values[1], &shape.to_field, &m.to}}) {
    if (!*value || (*value)->empty()) return "no address at " + *field;
    if ((*value)->size() > kMaxInboundAddress || !IsPlainText(**value)) {
      return *field + " is not plain text of at most 21 bytes";
    }
    *out = std::move(**value);
  }
  if (!values[2]) return "no text at " + shape.text_field;  // an empty text is a reply too
  if (values[2]->size() > kMaxInboundBody) return shape.text_field + " is longer than 64 KiB";
  m.text = std::move(*values[2]);
  return m;
}

}  // namespace sd::http
