#include "core/outcome.h"

namespace sd {

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
