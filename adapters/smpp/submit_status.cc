#include "adapters/smpp/submit_status.h"

#include <algorithm>

#include "adapters/smpp/pdu.h"

namespace sd::smpp {

SubmitStatusClass ClassifySubmitStatus(uint32_t st, std::span<const uint32_t> extra_temporary) {
  if (st == status::kOk) return SubmitStatusClass::kAccepted;
  if (st == status::kThrottled || st == status::kMsgQFul) return SubmitStatusClass::kThrottled;
  if (st == status::kSysErr || st == status::kRxTAppn) return SubmitStatusClass::kTemporary;
  if (std::find(extra_temporary.begin(), extra_temporary.end(), st) != extra_temporary.end()) {
    return SubmitStatusClass::kTemporary;
  }
  return SubmitStatusClass::kPermanent;
}

}  // namespace sd::smpp
