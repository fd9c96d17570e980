#pragma once
// The ESME side of one SMPP 3.4 connection as an explicit state machine without sockets
// (STYLE habit 5): bytes, timer ticks and submits go in; bytes to write and events come out.
// Only smpp_carrier.cc knows about libuv.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "adapters/smpp/pdu.h"
#include "core/ports.h"

namespace sd::smpp {

enum class BindType : uint8_t { kTransmitter, kReceiver, kTransceiver };

struct SessionConfig {
  std::string system_id;
  std::string password;
  std::string system_type;
  BindType bind = BindType::kTransceiver;
  size_t window = 64;                    // outstanding submit_sm without a response
  int64_t response_timeout_ms = 10'000;  // for bind, submit_sm and enquire_link
  int64_t enquire_link_interval_ms = 30'000;
  int max_missed_enquire_links = 3;  // then the link is declared dead
  // registered_delivery for submits that want a receipt (1: receipt on final state).
  uint8_t registered_delivery = 1;
  // First sequence number used; tests start near the top to exercise the wrap.
  uint32_t initial_sequence = 1;
};

// Largest short_message (SMPP 3.4 4.4.1: sm_length is one octet, 254 at most); longer
// texts travel in the message_payload TLV.
inline constexpr size_t kMaxShortMessage = 254;

struct SessionEvent {
  // kUnbound (our unbind was answered) is always followed by kClosed.
  enum class Kind : uint8_t {
    kBound,
    kBindFailed,
    kSubmitDone,
    kSubmitTimedOut,
    kDeliver,
    kUnbound,
    kClosed,
  };
  Kind kind;
  uint32_t sequence = 0;
  uint32_t status = 0;     // command_status for kBindFailed / kSubmitDone
  std::string message_id;  // kSubmitDone
  ShortMessage sm;         // kDeliver
  std::string reason;      // kClosed
};

enum class SessionState : uint8_t { kIdle, kBinding, kBound, kUnbinding, kClosed };

class EsmeSession {
 public:
  explicit EsmeSession(SessionConfig config);

  // The TCP (or TLS) connection is up: sends the bind.
  void Start(int64_t now_ms);
  void OnBytes(std::string_view bytes, int64_t now_ms);
  void OnTimer(int64_t now_ms);
  // Queues a submit_sm; nullopt when not bound (or bound as receiver), the window is full or
  // a field exceeds its SMPP maximum (check CanSubmit() first to tell them apart).
  std::optional<uint32_t> Submit(ShortMessage sm, int64_t now_ms);
  std::optional<uint32_t> Submit(const SubmitRequest& req, int64_t now_ms);
  // Answers a deliver_sm. The carrier calls this only after the receipt is durable.
  void AckDeliver(uint32_t sequence, uint32_t status = status::kOk);
  // Sends unbind; kUnbound + kClosed on unbind_resp, kClosed alone after `timeout_ms`
  // (the response timeout when negative). Before the bind completes it just closes.
  void Unbind(int64_t now_ms, int64_t timeout_ms = -1);

  SessionState state() const { return state_; }
  bool CanSubmit() const {
    return state_ == SessionState::kBound && config_.bind != BindType::kReceiver &&
           submits_.size() < config_.window;
  }
  size_t outstanding() const { return submits_.size(); }

  std::string TakeOutput() { return std::exchange(out_, {}); }
  bool HasOutput() const { return !out_.empty(); }
  std::vector<SessionEvent> TakeEvents() { return std::exchange(events_, {}); }

 private:
  void Handle(const Pdu& pdu, int64_t now_ms);
  void Send(const Pdu& pdu);
  void SendHeaderOnly(CommandId id, uint32_t seq, uint32_t st = status::kOk);
  uint32_t NextSequence();
  void Close(std::string reason);

  SessionConfig config_;
  SessionState state_ = SessionState::kIdle;
  std::string in_;   // bytes received and not yet decoded (at most one partial PDU)
  std::string out_;  // encoded PDUs waiting for the socket
  std::vector<SessionEvent> events_;
  uint32_t next_seq_;  // 1..0x7FFFFFFF (SMPP 3.4 3.2: the top bit is never set), wraps
  uint32_t bind_seq_ = 0;
  int64_t bind_deadline_ = 0;
  std::unordered_map<uint32_t, int64_t> submits_;  // outstanding submit seq -> response deadline
  int64_t last_enquire_sent_ = 0;  // or the bind time: the interval counts from there
  uint32_t enquire_seq_ = 0;       // outstanding enquire_link, 0 if none
  int64_t enquire_deadline_ = 0;
  int missed_enquires_ = 0;  // consecutive enquire_links that timed out
  uint32_t unbind_seq_ = 0;
  int64_t unbind_deadline_ = 0;
};

}  // namespace sd::smpp
