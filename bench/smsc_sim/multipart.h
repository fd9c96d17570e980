#pragma once
// Multipart submits as an SMSC sees them, without sockets: which part of which message a
// submit_sm is (UDH concatenation IE 0x00 / 0x08, the SAR TLVs, or one message_payload), and
// a reassembler that checks the parts of each message arrive once each, agree with each other
// and all arrive. Time is passed in, so it is tested without clocks.
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "adapters/smpp/pdu.h"

namespace sd::smsc_sim {

enum class PartMethod : uint8_t {
  kSingle,   // a whole message in short_message (a UDH without a concatenation IE included)
  kUdh8,     // UDHI + IEI 0x00: 8-bit reference
  kUdh16,    // UDHI + IEI 0x08: 16-bit reference
  kSar,      // sar_msg_ref_num / sar_total_segments / sar_segment_seqnum TLVs
  kPayload,  // a whole message in the message_payload TLV
  kInvalid,  // UDHI with a UDH longer than the message, or an incomplete/ill-sized SAR set
};
std::string_view PartMethodName(PartMethod m);

struct PartInfo {
  PartMethod method = PartMethod::kSingle;
  uint16_t ref = 0;
  uint8_t total = 1;
  uint8_t seq = 1;
  // The user data without the UDH: a view into the submit it came from (no copy per submit).
  std::string_view text;
  bool multipart() const {
    return method == PartMethod::kUdh8 || method == PartMethod::kUdh16 ||
           method == PartMethod::kSar;
  }
};

PartInfo ExtractPart(const smpp::ShortMessage& sm);

class Reassembler {
 public:
  // A bound on messages being assembled at once, checked before a new one is stored.
  static constexpr size_t kMaxPending = 100'000;

  enum class Outcome : uint8_t {
    kStored,     // kept; more parts to come
    kComplete,   // the last part: `text` holds the whole message
    kDuplicate,  // this part number was already received: ignored
    kMismatch,   // the total or data_coding differs from the message's first part: ignored
    kBadPart,    // seq 0, seq > total or total 0: ignored
    kOverflow,   // kMaxPending messages already pending: ignored
  };
  struct Result {
    Outcome outcome = Outcome::kStored;
    std::string text;  // kComplete: the parts' text in order
  };

  // `key` names one message: who sent it to whom under which reference.
  Result Add(const std::string& key, const PartInfo& part, uint8_t data_coding, uint64_t now_ms);
  // Drops messages whose first part is older than `timeout_ms`; returns how many, and adds
  // their missing part count to *missing_parts.
  size_t Expire(uint64_t now_ms, uint64_t timeout_ms, uint64_t* missing_parts);
  size_t pending() const { return pending_.size(); }

 private:
  struct Message {
    uint8_t total = 0;
    uint8_t data_coding = 0;
    uint8_t received = 0;
    uint64_t first_ms = 0;
    std::vector<std::optional<std::string>> parts;  // index seq - 1
    std::list<std::string>::iterator order;         // its place in order_
  };
  std::unordered_map<std::string, Message> pending_;
  // Pending keys in arrival order of their first part, so expiry looks only at the oldest;
  // a completed message leaves it at once, so it never holds more than pending_.
  std::list<std::string> order_;
};

}  // namespace sd::smsc_sim
