#include "adapters/http/submit_response.h"

#include <curl/curl.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/safe_text.h"

namespace sd::http {
namespace {

constexpr size_t kMaxDetailBytes = 200;
constexpr size_t kMaxCodeBytes = 64;

// The value at `pointer` as text (strings as they are, numbers and booleans printed), or
// nullopt when the pointer is empty, malformed or names nothing scalar.
std::optional<std::string> At(const nlohmann::json& doc, const std::string& pointer) {
  if (pointer.empty() || doc.is_discarded()) return std::nullopt;
  try {
    const nlohmann::json::json_pointer p(pointer);
    if (!doc.contains(p)) return std::nullopt;
    const nlohmann::json& v = doc.at(p);
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number_integer() || v.is_number_unsigned() || v.is_boolean()) return v.dump();
    return std::nullopt;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;  // a malformed pointer, or an index into something not an array
  }
}

bool Listed(const std::vector<std::string>& values, const std::string& v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

// "http 400 code=21211: <provider's message>", escaped and bounded.
std::string Detail(uint32_t status, const std::string& code, const std::string& text) {
  std::string d = "http " + std::to_string(status);
  if (!code.empty()) d += " code=" + code;
  if (!text.empty()) d += ": " + text;
  return PlainOrEscaped(d, kMaxDetailBytes);
}

SubmitVerdict FromTransport(const HttpResponse& r) {
  SubmitVerdict v;
  v.kind = SubmitClass::kTemporary;
  v.maybe_sent = r.error != TransportError::kConnect && r.error != TransportError::kTls;
  v.detail = PlainOrEscaped(std::string(TransportErrorName(r.error)) + ": " + r.error_text,
                            kMaxDetailBytes);
  return v;
}

}  // namespace

const char* SubmitClassName(SubmitClass c) {
  switch (c) {
    case SubmitClass::kAccepted:
      return "accepted";
    case SubmitClass::kThrottled:
      return "throttled";
    case SubmitClass::kTemporary:
      return "temporary";
    case SubmitClass::kPermanent:
      break;
  }
  return "permanent";
}

std::optional<int64_t> ParseRetryAfter(std::string_view value, int64_t now_ms) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty() || value.size() > 64) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9) return kMaxRetryAfterMs;  // far beyond the cap anyway
    int64_t seconds = 0;
    for (char c : value) seconds = seconds * 10 + (c - '0');
    return std::min(seconds * 1000, kMaxRetryAfterMs);
  }
  // An HTTP-date must name a weekday ("Sun, 06 Nov 1994 08:49:37 GMT" and the obsolete RFC 850
  // and asctime forms all start with one); curl_getdate alone would also take "5 minutes".
  if (value.size() < 3 || std::isalpha(static_cast<unsigned char>(value[0])) == 0) {
    return std::nullopt;
  }
  const std::string text(value);
  const time_t when = curl_getdate(text.c_str(), nullptr);
  if (when < 0) return std::nullopt;
  const int64_t delta = static_cast<int64_t>(when) * 1000 - now_ms;
  return std::clamp<int64_t>(delta, 0, kMaxRetryAfterMs);
}

SubmitVerdict ClassifySubmitResponse(const HttpResponse& r, const ResponseShape& shape,
                                     int64_t now_ms) {
  if (r.error != TransportError::kNone) return FromTransport(r);
  SubmitVerdict v;
  v.http_status = static_cast<uint32_t>(r.status);
  const nlohmann::json doc = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  v.provider_code = PlainOrEscaped(At(doc, shape.error_code_pointer).value_or(""), kMaxCodeBytes);
  const std::string text = At(doc, shape.error_text_pointer).value_or("");
  const uint32_t s = v.http_status;
  if (s == 429 || s == 503 || s == 408 || (s >= 500 && s <= 599)) {
    v.kind = s == 429 || s == 503 ? SubmitClass::kThrottled : SubmitClass::kTemporary;
    if (r.HasHeader("retry-after")) v.retry_after_ms = ParseRetryAfter(r.Header("retry-after"), now_ms);
    v.detail = Detail(s, v.provider_code, text);
    return v;
  }
  if (s < 200 || s > 299) {
    v.kind = SubmitClass::kPermanent;
    v.maybe_sent = s >= 300 && s <= 399 ? false : v.maybe_sent;
    v.detail = Detail(s, v.provider_code, text);
    return v;
  }
  // 2xx: the provider took the request. A per-message status may still refuse the message.
  if (!shape.status_pointer.empty()) {
    const std::string status = At(doc, shape.status_pointer).value_or("");
    if (!Listed(shape.accepted_statuses, status)) {
      v.kind = Listed(shape.throttled_statuses, status)   ? SubmitClass::kThrottled
               : Listed(shape.temporary_statuses, status) ? SubmitClass::kTemporary
                                                          : SubmitClass::kPermanent;
      if (v.provider_code.empty()) v.provider_code = PlainOrEscaped(status, kMaxCodeBytes);
      v.detail = Detail(s, v.provider_code, text.empty() ? "message status " + status : text);
      return v;
    }
  }
  const std::string id = At(doc, shape.id_pointer).value_or("");
  if (id.empty() || id.size() > kMaxMessageIdBytes || !IsPlainText(id)) {
    v.kind = SubmitClass::kPermanent;
    v.provider_code = "bad_response";
    v.detail = Detail(s, "bad_response", "no usable message id at " + shape.id_pointer);
    return v;
  }
  v.kind = SubmitClass::kAccepted;
  v.message_id = id;
  return v;
}

}  // namespace sd::http
