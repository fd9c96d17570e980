#pragma once
// Machine-readable rejection reasons. The string forms are part of the producer contract
// (docs/jobs.md): never rename one, only add.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace sd {

enum class Reason : uint8_t {
  kNone = 0,
  kMalformed,           // entry or job bytes are not a valid envelope / msgpack job map
  kTooLarge,            // job bytes or a field exceed a documented limit
  kUnsupportedVersion,  // envelope version tag unknown
  kUnknownKey,          // key id not in the key ring
  kBadSignature,        // MAC does not verify
  kClockSkew,           // created_at too far in the future
  kExpired,             // expires_at passed (before submit)
  kInvalidNumber,       // destination not E.164
  kInvalidSender,       // sender empty/too long/bad characters
  kInvalidText,         // text not UTF-8, empty, or not encodable
  kTextTooLong,         // more segments than allowed
  kReplay,              // a different stream entry already used this job id
  kCarrierRejected,     // permanent error from the carrier (detail carries the status)
  kCarrierUnavailable,  // could not be submitted before expiry
  kDeadLetter,          // delivered too many times without an outcome
  // Keys and scopes (docs/keys.md).
  kRevokedKey,           // the key was revoked (applies to jobs already queued)
  kKeyNotActive,         // outside the key's not-before / not-after window
  kKindNotAllowed,       // the key's scope does not allow this job kind
  kSenderNotAllowed,     // sender id not in the key's allowed senders
  kCountryNotAllowed,    // destination country outside the key's scope
  kOtpTemplateMismatch,  // OTP text does not match the key's template
  kUrlNotAllowed,        // a URL where the key's URL policy forbids it
  // Number validation (libphonenumber).
  kNotMobile,       // destination is valid but not a mobile number
  kPremiumNumber,   // premium-rate / shared-cost destination
  kHighRiskPrefix,  // destination prefix on the configured high-risk list
  // Content scanning.
  kBlockedContent,       // a content rule with action reject matched
  kShortenerNotAllowed,  // URL on a link shortener the policy forbids
  kLookalikeDomain,      // URL host: not a valid IDN, imitates a protected domain, mixed scripts
  // Rate limits.
  kRateLimited,  // a rate limit with action reject was exceeded
  // Routing (docs/policy.md, "Routes").
  kNoRoute,  // no [[route]] matches the destination and kind
  // Callers of the daemon's HTTP endpoints (webhooks; audit events, never a job's outcome).
  kIpNotAllowed,  // the TCP peer's address is outside the configured allowlist
  // The producers' HTTPS API (docs/api.md): answers to a request, never a job's outcome.
  kAuthRequired,          // no credentials, or credentials that do not parse
  kAuthSchemeNotAllowed,  // bearer on a key that allows only the HMAC signature (or back)
  kIdempotencyConflict,   // Idempotency-Key reused with a different body
  kUnavailable,           // the job could not be made durable in time: retry (same key)
  kClientCertRequired,    // the key is bound to a client certificate the request did not present
  // SMS-pumping defence (docs/operations.md): a block raised on the destination's prefix (or
  // on the key for that prefix) by a pumping rule or an operator.
  kPumpingSuspected,
  // The recipient opted out (STOP) of messages from the job's sender or its group
  // (docs/inbound.md, "Opt-outs").
  kOptedOut,
  // The recipient's local time is in quiet hours for the job's kind, and they end only after
  // the job expires (docs/policy.md, "Quiet hours"). Before that the job is deferred.
  kQuietHours,
  // A segment quota of the job's key or its tenant (per UTC day or month) is used up
  // (docs/limits.md, "Quotas").
  kQuotaExceeded,
  // With [redis] shards: the entry is on a shard's stream its job id does not belong to
  // (docs/jobs.md, "Shards"). Its replay protection lives in its own shard, so it is refused.
  kWrongShard,
};
inline constexpr size_t kReasonCount = static_cast<size_t>(Reason::kWrongShard) + 1;

std::string_view ReasonName(Reason r);
std::optional<Reason> ReasonFromName(std::string_view name);

}  // namespace sd
