#pragma once
// What an HTTP carrier's answer to one submit means: accepted (with the provider's message
// id), throttled (slow down, send again no sooner than Retry-After), temporary (retry after a
// backoff) or permanent (the job fails with the provider's error). One place decides, like
// adapters/smpp/submit_status.h, so the carrier, docs/http.md and the tests agree.
//
//   transport error, nothing sent (connect, TLS)      temporary
//   transport error, maybe sent (timeout, reset, ...)  temporary; the retry carries the same
//                                                      idempotency key where the preset has one
//   429, 503                                           throttled, Retry-After honoured
//   other 5xx, 408                                     temporary, Retry-After honoured
//   2xx with the message id at `id_pointer`            accepted, unless a per-message status
//                                                      (`status_pointer`) says otherwise
//   2xx without a message id                           permanent "bad_response": the provider
//                                                      may have taken it, so never resent
//   other (3xx, other 4xx)                             permanent, provider's code in the detail
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/http/http_exchange.h"

namespace sd::http {

enum class SubmitClass : uint8_t { kAccepted, kThrottled, kTemporary, kPermanent };
const char* SubmitClassName(SubmitClass c);

// Where a provider's JSON answer keeps what we need (RFC 6901 JSON pointers; "" = absent).
struct ResponseShape {
  std::string id_pointer;          // the message id (string or number), e.g. "/sid"
  std::string status_pointer;      // a per-message status, e.g. "/messages/0/status"
  std::vector<std::string> accepted_statuses;   // status values meaning accepted
  std::vector<std::string> throttled_statuses;  // ... throttled
  std::vector<std::string> temporary_statuses;  // ... temporary (any other: permanent)
  std::string error_code_pointer;  // the provider's error code, e.g. "/code"
  std::string error_text_pointer;  // its message, e.g. "/message"
};

struct SubmitVerdict {
  SubmitClass kind = SubmitClass::kTemporary;
  std::string message_id;  // when accepted; bounded (kMaxMessageIdBytes)
  // When throttled or temporary and the response said when to come back: that many ms from
  // now (Retry-After as delta-seconds or HTTP-date, capped at kMaxRetryAfterMs).
  std::optional<int64_t> retry_after_ms;
  // Whether the request may have reached the provider (a lost response): a retry must then
  // carry the same idempotency key.
  bool maybe_sent = true;
  uint32_t http_status = 0;
  std::string provider_code;  // from error_code_pointer or the per-message status; bounded
  // "http 400 code=21211: The 'To' number is not a valid phone number" and the like: escaped
  // and bounded, never the request (which holds the text and the credentials).
  std::string detail;
};

inline constexpr size_t kMaxMessageIdBytes = 128;
inline constexpr int64_t kMaxRetryAfterMs = 600'000;

SubmitVerdict ClassifySubmitResponse(const HttpResponse& response, const ResponseShape& shape,
                                     int64_t now_ms);

// Retry-After (RFC 9110 10.2.3): delta-seconds, or an HTTP-date (IMF-fixdate and the two
// obsolete forms) turned into ms from `now_ms` (0 when in the past). nullopt when malformed.
std::optional<int64_t> ParseRetryAfter(std::string_view value, int64_t now_ms);

}  // namespace sd::http
