#pragma once
// What the daemon writes back for producers: one Outcome per job-stream entry and
// Receipts for submitted messages. Field names on Redis are in docs/jobs.md.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/reason.h"

namespace sd {

enum class OutcomeStatus : uint8_t { kSubmitted, kRejected };

struct Outcome {
  std::string entry_id;    // job-stream entry this outcome closes
  std::string job_id;      // may be empty when the job could not be decoded
  std::string key_id;
  std::string client_ref;
  OutcomeStatus status = OutcomeStatus::kRejected;
  Reason reason = Reason::kNone;  // kNone iff submitted
  std::string detail;             // human-readable, never a secret or full text
  std::string carrier;            // carrier name when submitted
  std::string message_id;         // carrier message id when submitted (the first part's)
  // Correlation keys, one per part in order (the carrier's canonical ids); empty means one
  // part matched by message_id. Receipts of all parts aggregate into one job status.
  std::vector<std::string> match_keys;
  int segments = 0;
  int64_t ts_ms = 0;
};

// Bounds of the outcome fields that are not validated but escaped (OutcomeStreamFields).
inline constexpr size_t kMaxOutcomeDetailBytes = 256;
inline constexpr size_t kMaxOutcomeIdBytes = 128;  // entry, carrier, message_id

// The outcome as written to the outcomes stream: the field/value pairs of docs/jobs.md §6, in
// that order. Every value is bounded and either validated or escaped, whoever built the
// outcome: `job`, `kid` and `ref` are echoed when they follow their rule (§2 id, §1 kid, §2
// ref) and are empty otherwise; `entry`, `carrier` and `message_id` are escaped
// (core/safe_text.h EscapeBytes) and `detail` kept when plain text, each cut to its bound.
using OutcomeField = std::pair<std::string_view, std::string>;
std::array<OutcomeField, 11> OutcomeStreamFields(const Outcome& o);

enum class ReceiptState : uint8_t { kDelivered, kUndelivered, kExpired, kRejected, kDeleted, kUnknown, kAccepted, kEnroute };
std::string_view ReceiptStateName(ReceiptState s);

struct Receipt {
  std::string carrier;
  std::string message_id;     // as the carrier reported it
  std::string match_key;      // canonical form to correlate by; empty: message_id as is
  ReceiptState state = ReceiptState::kUnknown;
  std::string carrier_status; // raw stat text, e.g. "DELIVRD"
  std::string error_code;     // raw err field / network error
  // Set only when a deliver_sm flagged as a receipt could not be parsed (message_id is then
  // empty): its short_message (or message_payload) so the store can quarantine it and an
  // operator can see what the SMSC sent instead of it being dropped. At most 254 bytes
  // (short_message's own maximum, and enough to recognise a format) with bytes outside
  // printable ASCII, '\' and '"' written as \xNN (core/log_safe.h), so it is safe in logs,
  // JSON and Redis.
  std::string raw;
  int64_t ts_ms = 0;  // wall clock (ms since the epoch) when the daemon received it
};

}  // namespace sd
