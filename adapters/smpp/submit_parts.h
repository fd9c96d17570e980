#pragma once
// The submit_sm PDUs for one request: the text re-encoded if the carrier wants a fixed
// data_coding, then split into parts by the carrier's concatenation method.
#include <cstdint>
#include <string>
#include <vector>

#include "adapters/smpp/pdu.h"
#include "adapters/smpp/validity_period.h"
#include "core/ports.h"
#include "core/result.h"
#include "core/segmenter.h"

namespace sd::smpp {

enum class DataCodingChoice : uint8_t {
  kAuto,  // GSM 03.38 when the text allows it, else UCS-2 (what the decision chose)
  kUcs2,  // always UCS-2: for SMSCs that mangle the GSM default alphabet
};

// TON/NPI of the addresses (SMPP 3.4 5.2.5 / 5.2.6). A source TON/NPI of -1 means "by the
// sender's shape": alphanumeric 5/0, a short code (at most kMaxShortCodeDigits digits, no '+')
// 3/0, any other number (E.164) 1/1.
struct AddressOptions {
  int source_ton = -1;
  int source_npi = -1;
  uint8_t dest_ton = 1;  // international
  uint8_t dest_npi = 1;  // ISDN / E.164
};
inline constexpr size_t kMaxShortCodeDigits = 8;

struct PartsOptions {
  DataCodingChoice coding = DataCodingChoice::kAuto;
  // How a text longer than one SMS is marked as concatenated (core/segmenter.h): UDH with an
  // 8-bit reference is what every handset and SMSC understands; the others per carrier.
  SplitMethod split = SplitMethod::kUdh8;
  // How the job's expiry reaches the SMSC as validity_period (validity_period.h).
  ValidityMode validity = ValidityMode::kAbsolute;
  AddressOptions addresses;
};

// The submit_sm body for one request: sender TON/NPI per `addr` (by default from its shape, see
// AddressOptions), destination without '+' with addr's TON/NPI, data_coding from the encoding,
// short_message or message_payload.
ShortMessage MakeSubmitSm(const SubmitRequest& req, uint8_t registered_delivery,
                          const AddressOptions& addr = {});

// Every PDU of the request in part order: one per part for UDH (esm_class UDHI) and SAR
// (sar_* TLVs), one with message_payload for kPayload or when the text fits one SMS.
// `ref` is the concatenation reference (kUdh8 uses its low octet). Fails (kInvalidText)
// when the text cannot be encoded as the carrier requires, kTextTooLong beyond 255 parts.
// Every part carries the validity_period for req.expires_ms in opts.validity, built at `now_ms`
// (wall clock, ms since the epoch: what a relative validity counts from).
Result<std::vector<ShortMessage>> BuildParts(const SubmitRequest& req, const PartsOptions& opts,
                                             uint8_t registered_delivery, uint16_t ref,
                                             int64_t now_ms);

}  // namespace sd::smpp
