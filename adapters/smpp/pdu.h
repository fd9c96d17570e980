#pragma once
// SMPP 3.4 PDUs as plain data, and a pure incremental codec (STYLE habit 4):
// bytes in -> {pdu, consumed} / need-more / named error. No sockets here.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sd::smpp {

enum class CommandId : uint32_t {
  kGenericNack = 0x80000000,
  kBindReceiver = 0x00000001,
  kBindReceiverResp = 0x80000001,
  kBindTransmitter = 0x00000002,
  kBindTransmitterResp = 0x80000002,
  kSubmitSm = 0x00000004,
  kSubmitSmResp = 0x80000004,
  kDeliverSm = 0x00000005,
  kDeliverSmResp = 0x80000005,
  kUnbind = 0x00000006,
  kUnbindResp = 0x80000006,
  kBindTransceiver = 0x00000009,
  kBindTransceiverResp = 0x80000009,
  kEnquireLink = 0x00000015,
  kEnquireLinkResp = 0x80000015,
};

// command_status values we name (SMPP 3.4 section 5.1.3).
namespace status {
inline constexpr uint32_t kOk = 0x00000000;
inline constexpr uint32_t kInvMsgLen = 0x00000001;
inline constexpr uint32_t kInvCmdLen = 0x00000002;
inline constexpr uint32_t kInvCmdId = 0x00000003;
inline constexpr uint32_t kInvBndSts = 0x00000004;
inline constexpr uint32_t kAlyBnd = 0x00000005;
inline constexpr uint32_t kSysErr = 0x00000008;
inline constexpr uint32_t kInvSrcAdr = 0x0000000A;
inline constexpr uint32_t kInvDstAdr = 0x0000000B;
inline constexpr uint32_t kBindFail = 0x0000000D;
inline constexpr uint32_t kInvPaswd = 0x0000000E;
inline constexpr uint32_t kInvSysId = 0x0000000F;
inline constexpr uint32_t kMsgQFul = 0x00000014;
inline constexpr uint32_t kSubmitFail = 0x00000045;
inline constexpr uint32_t kThrottled = 0x00000058;
inline constexpr uint32_t kInvExpiry = 0x00000062;  // invalid validity_period
inline constexpr uint32_t kRxTAppn = 0x00000064;  // ESME receiver temporary app error
inline constexpr uint32_t kRxPAppn = 0x00000065;  // ESME receiver permanent app error
inline constexpr uint32_t kRxRAppn = 0x00000066;  // ESME receiver reject message error
inline constexpr uint32_t kInvOptParStream = 0x000000C0;
inline constexpr uint32_t kUnknownErr = 0x000000FF;
}  // namespace status

namespace tag {
inline constexpr uint16_t kSarMsgRefNum = 0x020C;
inline constexpr uint16_t kSarTotalSegments = 0x020E;
inline constexpr uint16_t kSarSegmentSeqnum = 0x020F;
inline constexpr uint16_t kMessagePayload = 0x0424;
inline constexpr uint16_t kReceiptedMessageId = 0x001E;
inline constexpr uint16_t kMessageState = 0x0427;
inline constexpr uint16_t kNetworkErrorCode = 0x0423;
inline constexpr uint16_t kScInterfaceVersion = 0x0210;
}  // namespace tag

struct Tlv {
  uint16_t tag = 0;
  std::string value;  // raw bytes
};

struct Header {
  uint32_t command_length = 0;
  uint32_t command_id = 0;
  uint32_t command_status = 0;
  uint32_t sequence_number = 0;
};

// bind_transmitter / bind_receiver / bind_transceiver
struct Bind {
  std::string system_id;    // C-Octet String, max 16 incl. NUL
  std::string password;     // max 9
  std::string system_type;  // max 13
  uint8_t interface_version = 0x34;
  uint8_t addr_ton = 0;
  uint8_t addr_npi = 0;
  std::string address_range;  // max 41
};

struct BindResp {
  std::string system_id;  // max 16
  std::vector<Tlv> tlvs;
};

// submit_sm and deliver_sm share one body layout (SMPP 3.4 4.4.1 / 4.6.1).
struct ShortMessage {
  std::string service_type;  // max 6
  uint8_t source_addr_ton = 0;
  uint8_t source_addr_npi = 0;
  std::string source_addr;  // max 21
  uint8_t dest_addr_ton = 0;
  uint8_t dest_addr_npi = 0;
  std::string destination_addr;  // max 21
  uint8_t esm_class = 0;
  uint8_t protocol_id = 0;
  uint8_t priority_flag = 0;
  std::string schedule_delivery_time;  // 0 or 17 chars incl NUL
  std::string validity_period;         // 0 or 17
  uint8_t registered_delivery = 0;
  uint8_t replace_if_present_flag = 0;
  uint8_t data_coding = 0;
  uint8_t sm_default_msg_id = 0;
  std::string short_message;  // Octet String, max 254 bytes (length-prefixed)
  std::vector<Tlv> tlvs;

  const Tlv* FindTlv(uint16_t t) const;
};

struct SubmitSmResp {
  std::string message_id;  // max 65; empty body allowed on error responses
};

// A decoded PDU: header plus the body for the command ids we understand. Bodies of other
// commands (and empty-bodied ones like enquire_link) leave every optional unset.
struct Pdu {
  Header header;
  std::optional<Bind> bind;
  std::optional<BindResp> bind_resp;
  std::optional<ShortMessage> sm;           // submit_sm, deliver_sm
  std::optional<SubmitSmResp> submit_resp;  // submit_sm_resp, deliver_sm_resp

  CommandId command() const { return static_cast<CommandId>(header.command_id); }
};

// Limits (STYLE habit 3): checked on the header before any body is buffered.
inline constexpr uint32_t kHeaderSize = 16;
inline constexpr uint32_t kMaxPduSize = 64 * 1024;  // generous above the largest legal PDU

enum class DecodeStatus : uint8_t {
  kOk,              // *pdu filled, *consumed = command_length
  kNeedMore,        // not a whole PDU yet; nothing consumed
  kBadLength,       // command_length < 16 or > kMaxPduSize: the stream cannot be resynced
  kUnknownCommand,  // whole PDU consumed, header valid, command id unknown -> generic_nack
  kMalformedBody,   // whole PDU consumed, body does not parse -> error response
};
std::string_view DecodeStatusName(DecodeStatus s);

struct DecodeResult {
  DecodeStatus status = DecodeStatus::kNeedMore;
  size_t consumed = 0;  // bytes to drop from the front of the buffer
  Pdu pdu;              // valid when kOk; header valid for kUnknownCommand/kMalformedBody
  std::string error;    // detail for errors
};

// Decodes at most one PDU from the front of `buf`.
DecodeResult Decode(std::string_view buf);

// Encodes a PDU, computing command_length. The body written is chosen by the command id.
// Returns std::nullopt if a field exceeds its SMPP maximum length.
std::optional<std::string> Encode(const Pdu& pdu);

// Convenience constructors for common PDUs.
Pdu MakeHeaderOnly(CommandId id, uint32_t sequence, uint32_t status = status::kOk);

}  // namespace sd::smpp
