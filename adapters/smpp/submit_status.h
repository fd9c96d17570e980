#pragma once
// What a submit_sm_resp command_status means for the part it answers: accepted, slow down
// and send again, try again later, or give up. One place decides, so the bind, the docs and
// the tests agree (docs/architecture.md, "SMPP statuses").
#include <cstdint>
#include <span>

namespace sd::smpp {

enum class SubmitStatusClass : uint8_t {
  kAccepted,   // ESME_ROK
  kThrottled,  // ESME_RTHROTTLED, ESME_RMSGQFUL: the SMSC is busy; pace down, send again
  kTemporary,  // may succeed later unchanged: retry after a backoff
  kPermanent,  // the same submit fails again: the job is rejected with this status
};

// SMPP 3.4 (section 5.1.3) marks only a few statuses as transient:
//   0x08 ESME_RSYSERR    "System Error": the SMSC failed, not the message;
//   0x64 ESME_RX_T_APPN  "ESME Receiver Temporary App Error": temporary by its own name;
//   0x14 ESME_RMSGQFUL / 0x58 ESME_RTHROTTLED: throttling (kThrottled, paced, not backed off).
// 0x45 ESME_RSUBMITFAIL ("submit_sm or submit_multi failed") is deliberately permanent: the
// spec gives no reason and SMSCs use it for no-route, no-credit and content refusals alike,
// where a retry only repeats the refusal (or duplicates a message the SMSC half-took).
// 0x65 ESME_RX_P_APPN and 0x66 ESME_RX_R_APPN are permanent by name. An operator whose SMSC
// uses other codes for transient trouble lists them in `extra_temporary` (checked first, so
// it may also move 0x45 or a vendor code such as 0x400+ to kTemporary; it never turns ROK or
// the throttling statuses into anything else).
SubmitStatusClass ClassifySubmitStatus(uint32_t command_status,
                                       std::span<const uint32_t> extra_temporary = {});

}  // namespace sd::smpp
