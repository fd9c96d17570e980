#pragma once
// What the daemon writes back for producers: one Outcome per job-stream entry and
// Receipts for submitted messages. Field names on Redis are in docs/jobs.md.
#include <cstdint>
#include <string>
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

enum class ReceiptState : uint8_t { kDelivered, kUndelivered, kExpired, kRejected, kDeleted, kUnknown, kAccepted, kEnroute };
std::string_view ReceiptStateName(ReceiptState s);

struct Receipt {
  std::string carrier;
  std::string message_id;     // as the carrier reported it
  std::string match_key;      // canonical form to correlate by; empty: message_id as is
  ReceiptState state = ReceiptState::kUnknown;
  std::string carrier_status; // raw stat text, e.g. "DELIVRD"
  std::string error_code;     // raw err field / network error
  int64_t ts_ms = 0;
};

}  // namespace sd
