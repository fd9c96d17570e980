#pragma once
// The submit_sm PDUs for one request: the text re-encoded if the carrier wants a fixed
// data_coding, then split into parts by the carrier's concatenation method.
#include <cstdint>
#include <string>
#include <vector>

#include "adapters/smpp/pdu.h"
#include "core/ports.h"
#include "core/result.h"
#include "core/segmenter.h"

namespace sd::smpp {

enum class DataCodingChoice : uint8_t {
  kAuto,  // GSM 03.38 when the text allows it, else UCS-2 (what the decision chose)
  kUcs2,  // always UCS-2: for SMSCs that mangle the GSM default alphabet
};

struct PartsOptions {
  DataCodingChoice coding = DataCodingChoice::kAuto;
  // How a text longer than one SMS is marked as concatenated (core/segmenter.h): UDH with an
  // 8-bit reference is what every handset and SMSC understands; the others per carrier.
  SplitMethod split = SplitMethod::kUdh8;
};

// The submit_sm body for one request: sender TON/NPI from its form (digits, optionally with
// '+': international/E.164; anything else: alphanumeric 5/0), destination without '+' as
// international/E.164, data_coding from the encoding, short_message or message_payload.
ShortMessage MakeSubmitSm(const SubmitRequest& req, uint8_t registered_delivery);

// Every PDU of the request in part order: one per part for UDH (esm_class UDHI) and SAR
// (sar_* TLVs), one with message_payload for kPayload or when the text fits one SMS.
// `ref` is the concatenation reference (kUdh8 uses its low octet). Fails (kInvalidText)
// when the text cannot be encoded as the carrier requires, kTextTooLong beyond 255 parts.
Result<std::vector<ShortMessage>> BuildParts(const SubmitRequest& req, const PartsOptions& opts,
                                             uint8_t registered_delivery, uint16_t ref);

}  // namespace sd::smpp
