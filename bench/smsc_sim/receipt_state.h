#pragma once
// Final states a receipt can report: the SMPP 3.4 message_state value (5.2.28) and the
// Appendix B text name ("stat:") that vendors print for it.
#include <cstdint>
#include <optional>
#include <string_view>

namespace sd::smsc_sim {

enum class ReceiptState : uint8_t {
  kEnroute = 1,
  kDelivered = 2,
  kExpired = 3,
  kDeleted = 4,
  kUndeliverable = 5,
  kAccepted = 6,
  kUnknown = 7,
  kRejected = 8,
};

// ENROUTE DELIVRD EXPIRED DELETED UNDELIV ACCEPTD UNKNOWN REJECTD
std::optional<ReceiptState> ParseReceiptState(std::string_view text_name);
std::string_view ReceiptStateText(ReceiptState s);
// Whether the state means the handset got the message (dlvrd:001, err:000).
inline bool IsDelivered(ReceiptState s) { return s == ReceiptState::kDelivered; }
// Whether the receipt reports a failure (err:001): not delivered and not still pending.
inline bool IsFailure(ReceiptState s) {
  return s != ReceiptState::kDelivered && s != ReceiptState::kEnroute &&
         s != ReceiptState::kAccepted;
}

}  // namespace sd::smsc_sim
