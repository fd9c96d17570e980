#include "core/outcome.h"

#include "core/envelope.h"
#include "core/safe_text.h"

namespace sd {

std::array<OutcomeField, 11> OutcomeStreamFields(const Outcome& o) {
  const bool submitted = o.status == OutcomeStatus::kSubmitted;
  // The job id and ref were validated when the job was decoded; checked again here because
  // this is the one place every outcome passes, whichever path built it.
  const bool ref_ok =
      o.client_ref.size() <= JobLimits::kMaxClientRefBytes && IsPlainText(o.client_ref);
  return {{
      {"entry", EscapeBytes(o.entry_id, kMaxOutcomeIdBytes)},
      {"job", IsValidJobId(o.job_id) ? o.job_id : std::string()},
      {"kid", std::string(EchoableKeyId(o.key_id))},
      {"ref", ref_ok ? o.client_ref : std::string()},
      {"status", submitted ? "submitted" : "rejected"},
      {"reason", submitted ? std::string() : std::string(ReasonName(o.reason))},
      {"detail", PlainOrEscaped(o.detail, kMaxOutcomeDetailBytes)},
      {"carrier", EscapeBytes(o.carrier, kMaxOutcomeIdBytes)},
      {"message_id", EscapeBytes(o.message_id, kMaxOutcomeIdBytes)},
      {"segments", std::to_string(o.segments)},
      {"ts", std::to_string(o.ts_ms)},
  }};
}

std::string_view ReceiptStateName(ReceiptState s) {
  switch (s) {
    case ReceiptState::kDelivered: return "delivered";
    case ReceiptState::kUndelivered: return "undelivered";
    case ReceiptState::kExpired: return "expired";
    case ReceiptState::kRejected: return "rejected";
    case ReceiptState::kDeleted: return "deleted";
    case ReceiptState::kUnknown: return "unknown";
    case ReceiptState::kAccepted: return "accepted";
    case ReceiptState::kEnroute: return "enroute";
  }
  return "unknown";
}

}  // namespace sd
