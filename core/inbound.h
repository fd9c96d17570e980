#pragma once
// Messages recipients send us (mobile-originated, MO): one part as a carrier hands it on, and
// the whole message once its parts are together. The bytes stay as sent until the message is
// whole, because a UCS-2 character may be split between two parts; the text is decoded once,
// from the joined bytes (core/mo_text.h).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/mo_text.h"

namespace sd {

// Bounds on what is kept of one message: SMPP addresses are at most 20 characters, a message
// at most 255 parts of at most 254 bytes (message_payload may carry up to 64 KiB in one).
inline constexpr size_t kMaxInboundAddress = 21;
inline constexpr size_t kMaxInboundBody = 65'536;

struct InboundPart {
  std::string carrier;
  std::string from;  // who wrote (source_addr)
  std::string to;    // the number or sender id they wrote to (destination_addr)
  MoCoding coding = MoCoding::kGsm7;
  std::string body;            // the message bytes after any UDH, as sent
  std::optional<MoPart> part;  // one part of a longer message (UDH or SAR)
  int64_t received_ms = 0;
  // esm_class said a UDH leads the message but it did not parse: the bytes are kept whole
  // and the message is flagged lossy (never silently read as text).
  bool bad_header = false;
};

struct InboundMessage {
  std::string carrier;
  std::string from;
  std::string to;
  MoCoding coding = MoCoding::kGsm7;
  std::string text;         // UTF-8 (empty for binary)
  std::string binary_hex;   // binary data_codings: the bytes, in hex
  bool lossy = false;       // some bytes did not decode (U+FFFD in text)
  int parts = 1;            // how many the message had
  int missing = 0;          // parts that never came (the message was completed by timeout)
  int64_t received_ms = 0;  // when its first part arrived
};

// The message of `first`'s parts, `bodies[i]` being part i+1's bytes (empty: missing; a part
// that was empty on the wire counts as present via `present`).
InboundMessage AssembleInbound(const InboundPart& first, const std::vector<std::string>& bodies,
                               const std::vector<bool>& present);

// Where a part is kept for its siblings and a whole message: the correlation of parts of one
// message (carrier, sender, recipient, reference, count), the same from every bind and every
// daemon that receives one of them.
std::string InboundPartsKey(const InboundPart& p);

}  // namespace sd
