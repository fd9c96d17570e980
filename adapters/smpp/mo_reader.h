#pragma once
// A deliver_sm that is not a receipt, read as what a recipient sent (core/inbound.h): its
// addresses, its alphabet (data_coding; 0x00 means the SMSC's default, a carrier setting),
// its bytes (short_message, or message_payload when that is empty) and, for one part of a
// longer message, which part: from the UDH when esm_class says there is one, else from the
// sar_* TLVs.
#include <string>

#include "adapters/smpp/pdu.h"
#include "core/inbound.h"

namespace sd::smpp {

InboundPart ReadInbound(const ShortMessage& sm, const std::string& carrier, MoCoding smsc_default,
                        int64_t received_ms);

}  // namespace sd::smpp
