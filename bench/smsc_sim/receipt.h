#pragma once
// A delivery receipt the simulator owes an ESME, from the accepted submit to its deliver_sm.
#include <chrono>
#include <cstdint>
#include <string>

#include "bench/smsc_sim/receipt_state.h"

namespace sd::smsc_sim {

struct Receipt {
  std::string system_id;  // goes to a receiver bound with this system_id
  std::string message_id;
  uint8_t source_ton = 0, source_npi = 0;  // the submit's destination...
  std::string source;
  uint8_t dest_ton = 0, dest_npi = 0;  // ...and source, swapped as a handset reply would be
  std::string dest;
  std::string text;  // first characters of the message, when printable
  ReceiptState state = ReceiptState::kDelivered;
  bool sent_before = false;    // a resend after a session dropped it unacknowledged
  bool garbage = false;        // --garbage-receipt-every: sent as unparsable text, no TLVs
  int64_t valid_until_ms = 0;  // wall clock from the submit's validity_period, 0 = none
};

// Wall-clock milliseconds: validity periods and the messages file speak wall time; the loop's
// clock (uv_now) paces everything else.
inline int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace sd::smsc_sim
