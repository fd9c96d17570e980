#pragma once
// Security audit events (core/ports.h AuditSink): which decisions are audited, and how an
// event is built so that it never carries the text, a secret or a whole phone number.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/ports.h"
#include "core/reason.h"

namespace sd {

// "+447700900089" -> "+4477******89": the country and network part stay (they are what an
// investigation of SMS pumping needs), the subscriber part goes. At most the first 5 and the
// last 2 characters are kept, and at least half of the digits are always masked, so a short
// (or malformed) input is never shown whole. Non-digits other than a leading '+' are masked
// too: the input may be anything a producer wrote.
std::string MaskNumber(std::string_view number);

// True for reasons that are security decisions and go to the audit stream: the key and
// signature checks, scope denials, fraud-related number checks, content blocks and rate
// limits. Plain validation (malformed, expired, invalid_text...) is not audited.
bool IsAuditedReason(Reason r);

inline constexpr std::string_view kAuditRejected = "rejected";
inline constexpr std::string_view kAuditDeferred = "deferred";
inline constexpr std::string_view kAuditFlagged = "flagged";
// A pumping rule fired (docs/operations.md): with action alert, or raising a block.
inline constexpr std::string_view kAuditPumpingAlert = "pumping_alert";
inline constexpr std::string_view kAuditPumpingBlock = "pumping_block";
// A segment quota's use crossed 80 % / 100 % (reported once, fleet-wide: docs/limits.md).
inline constexpr std::string_view kAuditQuota80 = "quota_80";
inline constexpr std::string_view kAuditQuota100 = "quota_100";

// Builds one event; `destination` is masked here (callers pass it as the job gave it).
// `detail` names the rule, limit or scope; kept when plain text of at most
// kMaxAuditDetailBytes, else escaped to that size. A job id or kid that breaks its rule
// (docs/jobs.md §1-2) is left out (empty), the entry id escaped: nothing unbounded or raw.
inline constexpr size_t kMaxAuditDetailBytes = 256;
AuditEvent MakeAuditEvent(Reason reason, std::string_view action, std::string_view entry_id,
                          std::string_view job_id, std::string_view key_id,
                          std::string_view destination, std::string_view detail, int64_t ts_ms);

}  // namespace sd
