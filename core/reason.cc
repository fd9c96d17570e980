#include "core/reason.h"

#include <array>

namespace sd {
namespace {
// Index = enum value. These strings are the producer contract: add, never rename.
constexpr std::array<std::string_view, kReasonCount> kNames = {
    "",
    "malformed",
    "too_large",
    "unsupported_version",
    "unknown_key",
    "bad_signature",
    "clock_skew",
    "expired",
    "invalid_number",
    "invalid_sender",
    "invalid_text",
    "text_too_long",
    "replay",
    "carrier_rejected",
    "carrier_unavailable",
    "dead_letter",
    "revoked_key",
    "key_not_active",
    "kind_not_allowed",
    "sender_not_allowed",
    "country_not_allowed",
    "otp_template_mismatch",
    "url_not_allowed",
    "not_mobile",
    "premium_number",
    "high_risk_prefix",
    "blocked_content",
    "shortener_not_allowed",
    "lookalike_domain",
    "rate_limited",
    "no_route",
    "ip_not_allowed",
    "auth_required",
    "auth_scheme_not_allowed",
    "idempotency_conflict",
    "unavailable",
    "client_cert_required",
    "pumping_suspected",
    "opted_out",
    "quiet_hours",
    "quota_exceeded",
    "wrong_shard",
};
static_assert(kNames.size() == kReasonCount);
}  // namespace

std::string_view ReasonName(Reason r) {
  const auto i = static_cast<size_t>(r);
  return i < kNames.size() ? kNames[i] : "unknown";
}

std::optional<Reason> ReasonFromName(std::string_view name) {
  if (name == "none") return Reason::kNone;
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<Reason>(i);
  }
  return std::nullopt;
}

}  // namespace sd
