#include "core/audit.h"

#include <algorithm>

#include "core/envelope.h"
#include "core/safe_text.h"

namespace sd {

std::string MaskNumber(std::string_view number) {
  std::string out(number.size(), '*');
  if (number.empty()) return out;
  const size_t start = number[0] == '+' ? 1 : 0;
  if (start == 1) out[0] = '+';
  const size_t digits = number.size() - start;
  // Keep up to 4 leading digits after '+' (country + network code) and 2 trailing ones, but
  // never more than half of the digits in all.
  size_t head = std::min<size_t>(4, digits / 2);
  size_t tail = std::min<size_t>(2, digits / 2 - head);
  if (digits < 8) tail = 0;  // too short to be a real number: only the head may show
  auto keep = [&](size_t i) {
    const char c = number[i];
    if (c >= '0' && c <= '9') out[i] = c;
  };
  for (size_t i = 0; i < head; ++i) keep(start + i);
  for (size_t i = 0; i < tail; ++i) keep(number.size() - 1 - i);
  return out;
}

bool IsAuditedReason(Reason r) {
  switch (r) {
    case Reason::kUnknownKey:
    case Reason::kBadSignature:
    case Reason::kRevokedKey:
    case Reason::kKeyNotActive:
    case Reason::kKindNotAllowed:
    case Reason::kSenderNotAllowed:
    case Reason::kCountryNotAllowed:
    case Reason::kOtpTemplateMismatch:
    case Reason::kUrlNotAllowed:
    case Reason::kPremiumNumber:
    case Reason::kHighRiskPrefix:
    case Reason::kBlockedContent:
    case Reason::kShortenerNotAllowed:
    case Reason::kLookalikeDomain:
    case Reason::kRateLimited:
    case Reason::kPumpingSuspected:
    case Reason::kOptedOut:
    case Reason::kQuietHours:
    case Reason::kQuotaExceeded:
      return true;
    default:
      return false;
  }
}

AuditEvent MakeAuditEvent(Reason reason, std::string_view action, std::string_view entry_id,
                          std::string_view job_id, std::string_view key_id,
                          std::string_view destination, std::string_view detail, int64_t ts_ms) {
  AuditEvent e;
  e.reason = reason;
  e.action = std::string(action);
  // Bounded and validated or escaped like the outcome's fields (core/outcome.h).
  e.entry_id = EscapeBytes(entry_id, 128);
  e.job_id = IsValidJobId(job_id) ? std::string(job_id) : std::string();
  e.key_id = std::string(EchoableKeyId(key_id));
  e.destination = MaskNumber(destination.substr(0, 32));
  e.detail = PlainOrEscaped(detail, kMaxAuditDetailBytes);
  e.ts_ms = ts_ms;
  return e;
}

}  // namespace sd
