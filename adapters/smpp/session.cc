#include "adapters/smpp/session.h"

#include "adapters/smpp/submit_parts.h"

#include <algorithm>
#include <utility>

namespace sd::smpp {
namespace {

constexpr uint32_t kMaxSequence = 0x7FFFFFFF;

}  // namespace

EsmeSession::EsmeSession(SessionConfig config)
    : config_(std::move(config)),
      next_seq_(config_.initial_sequence == 0 || config_.initial_sequence > kMaxSequence
                    ? 1
                    : config_.initial_sequence) {}

uint32_t EsmeSession::NextSequence() {
  const uint32_t s = next_seq_;
  next_seq_ = next_seq_ >= kMaxSequence ? 1 : next_seq_ + 1;
  return s;
}

void EsmeSession::Send(const Pdu& pdu) {
  std::optional<std::string> bytes = Encode(pdu);
  if (bytes) out_.append(*bytes);
}

void EsmeSession::SendHeaderOnly(CommandId id, uint32_t seq, uint32_t st) {
  Send(MakeHeaderOnly(id, seq, st));
}

void EsmeSession::Close(std::string reason) {
  if (state_ == SessionState::kClosed) return;
  state_ = SessionState::kClosed;
  SessionEvent e{SessionEvent::Kind::kClosed};
  e.reason = std::move(reason);
  events_.push_back(std::move(e));
}

void EsmeSession::Start(int64_t now_ms) {
  Pdu p;
  switch (config_.bind) {
    case BindType::kTransmitter:
      p.header.command_id = static_cast<uint32_t>(CommandId::kBindTransmitter);
      break;
    case BindType::kReceiver:
      p.header.command_id = static_cast<uint32_t>(CommandId::kBindReceiver);
      break;
    case BindType::kTransceiver:
      p.header.command_id = static_cast<uint32_t>(CommandId::kBindTransceiver);
      break;
  }
  bind_seq_ = NextSequence();
  p.header.sequence_number = bind_seq_;
  Bind& b = p.bind.emplace();
  b.system_id = config_.system_id;
  b.password = config_.password;
  b.system_type = config_.system_type;
  Send(p);
  state_ = SessionState::kBinding;
  bind_deadline_ = now_ms + config_.response_timeout_ms;
  last_enquire_sent_ = now_ms;
}

std::optional<uint32_t> EsmeSession::Submit(ShortMessage sm, int64_t now_ms) {
  if (!CanSubmit()) return std::nullopt;
  Pdu p;
  p.header.command_id = static_cast<uint32_t>(CommandId::kSubmitSm);
  p.header.sequence_number = NextSequence();
  p.sm = std::move(sm);
  std::optional<std::string> bytes = Encode(p);
  if (!bytes) return std::nullopt;
  out_.append(*bytes);
  submits_.emplace(p.header.sequence_number, now_ms + config_.response_timeout_ms);
  return p.header.sequence_number;
}

std::optional<uint32_t> EsmeSession::Submit(const SubmitRequest& req, int64_t now_ms) {
  if (!CanSubmit()) return std::nullopt;
  return Submit(MakeSubmitSm(req, config_.registered_delivery), now_ms);
}

void EsmeSession::AckDeliver(uint32_t sequence, uint32_t st) {
  if (state_ == SessionState::kClosed) return;
  SendHeaderOnly(CommandId::kDeliverSmResp, sequence, st);
}

void EsmeSession::Unbind(int64_t now_ms, int64_t timeout_ms) {
  if (state_ == SessionState::kUnbinding || state_ == SessionState::kClosed) return;
  if (state_ != SessionState::kBound) {
    // unbind is only valid once bound (SMPP 3.4 2.9): there is nothing to leave politely.
    Close("closed before bound");
    return;
  }
  unbind_seq_ = NextSequence();
  SendHeaderOnly(CommandId::kUnbind, unbind_seq_);
  state_ = SessionState::kUnbinding;
  unbind_deadline_ = now_ms + (timeout_ms < 0 ? config_.response_timeout_ms : timeout_ms);
}

void EsmeSession::OnBytes(std::string_view bytes, int64_t now_ms) {
  if (state_ == SessionState::kClosed) return;
  std::string_view buf;
  if (in_.empty()) {
    buf = bytes;  // common case: decode straight from the read buffer
  } else {
    in_.append(bytes);
    buf = in_;
  }
  size_t off = 0;
  while (state_ != SessionState::kClosed) {
    DecodeResult r = Decode(buf.substr(off));
    if (r.status == DecodeStatus::kNeedMore) break;
    if (r.status == DecodeStatus::kBadLength) {
      // The framing is lost; nothing after this can be trusted.
      SendHeaderOnly(CommandId::kGenericNack, 0, status::kInvCmdLen);
      Close("bad command_length from peer: " + r.error);
      break;
    }
    off += r.consumed;
    const uint32_t seq = r.pdu.header.sequence_number;
    if (r.status == DecodeStatus::kUnknownCommand) {
      SendHeaderOnly(CommandId::kGenericNack, seq, status::kInvCmdId);
      continue;
    }
    if (r.status == DecodeStatus::kMalformedBody) {
      if (r.pdu.command() == CommandId::kDeliverSm) {
        SendHeaderOnly(CommandId::kDeliverSmResp, seq, status::kInvMsgLen);
      } else {
        SendHeaderOnly(CommandId::kGenericNack, seq, status::kInvCmdLen);
      }
      continue;
    }
    Handle(r.pdu, now_ms);
  }
  if (state_ == SessionState::kClosed) {
    in_.clear();
    return;
  }
  std::string rest(buf.substr(off));
  in_ = std::move(rest);
}

void EsmeSession::Handle(const Pdu& pdu, int64_t now_ms) {
  const uint32_t seq = pdu.header.sequence_number;
  const uint32_t st = pdu.header.command_status;
  // Any PDU from the peer proves the link is alive.
  missed_enquires_ = 0;
  switch (pdu.command()) {
    case CommandId::kBindTransceiverResp:
    case CommandId::kBindTransmitterResp:
    case CommandId::kBindReceiverResp:
      if (state_ != SessionState::kBinding || seq != bind_seq_) return;
      if (st == status::kOk) {
        state_ = SessionState::kBound;
        last_enquire_sent_ = now_ms;
        events_.push_back(SessionEvent{SessionEvent::Kind::kBound});
      } else {
        SessionEvent e{SessionEvent::Kind::kBindFailed};
        e.status = st;
        events_.push_back(std::move(e));
        Close("bind refused");
      }
      return;
    case CommandId::kSubmitSmResp: {
      auto it = submits_.find(seq);
      if (it == submits_.end()) return;  // late response after its timeout: already failed
      submits_.erase(it);
      SessionEvent e{SessionEvent::Kind::kSubmitDone};
      e.sequence = seq;
      e.status = st;
      if (pdu.submit_resp) e.message_id = pdu.submit_resp->message_id;
      events_.push_back(std::move(e));
      return;
    }
    case CommandId::kDeliverSm: {
      if (state_ != SessionState::kBound && state_ != SessionState::kUnbinding) {
        SendHeaderOnly(CommandId::kDeliverSmResp, seq, status::kInvBndSts);
        return;
      }
      SessionEvent e{SessionEvent::Kind::kDeliver};
      e.sequence = seq;
      e.sm = *pdu.sm;
      events_.push_back(std::move(e));
      return;
    }
    case CommandId::kEnquireLink:
      SendHeaderOnly(CommandId::kEnquireLinkResp, seq);
      return;
    case CommandId::kEnquireLinkResp:
      if (seq == enquire_seq_) enquire_seq_ = 0;
      return;
    case CommandId::kUnbind:
      SendHeaderOnly(CommandId::kUnbindResp, seq);
      Close("peer unbound");
      return;
    case CommandId::kUnbindResp:
      if (state_ == SessionState::kUnbinding && seq == unbind_seq_) {
        events_.push_back(SessionEvent{SessionEvent::Kind::kUnbound});
        Close("unbound");
      }
      return;
    case CommandId::kGenericNack: {
      // A nack for one of our submits fails that submit; others are logged by the owner.
      auto it = submits_.find(seq);
      if (it != submits_.end()) {
        submits_.erase(it);
        SessionEvent e{SessionEvent::Kind::kSubmitDone};
        e.sequence = seq;
        e.status = st == status::kOk ? status::kSysErr : st;
        events_.push_back(std::move(e));
      }
      return;
    }
    default:
      // A request an ESME does not serve (e.g. a bind sent to us).
      if ((pdu.header.command_id & 0x80000000u) == 0) {
        SendHeaderOnly(CommandId::kGenericNack, seq, status::kInvCmdId);
      }
      return;
  }
}

void EsmeSession::OnTimer(int64_t now_ms) {
  if (state_ == SessionState::kClosed || state_ == SessionState::kIdle) return;
  if (state_ == SessionState::kBinding && now_ms >= bind_deadline_) {
    Close("bind response timed out");
    return;
  }
  if (state_ == SessionState::kUnbinding && now_ms >= unbind_deadline_) {
    Close("unbind response timed out");
    return;
  }
  for (auto it = submits_.begin(); it != submits_.end();) {
    if (now_ms >= it->second) {
      SessionEvent e{SessionEvent::Kind::kSubmitTimedOut};
      e.sequence = it->first;
      events_.push_back(std::move(e));
      it = submits_.erase(it);
    } else {
      ++it;
    }
  }
  if (state_ != SessionState::kBound) return;
  if (enquire_seq_ != 0 && now_ms >= enquire_deadline_) {
    enquire_seq_ = 0;
    if (++missed_enquires_ >= config_.max_missed_enquire_links) {
      Close("link dead: " + std::to_string(missed_enquires_) + " enquire_link responses missed");
      return;
    }
  }
  if (enquire_seq_ == 0 && now_ms - last_enquire_sent_ >= config_.enquire_link_interval_ms) {
    enquire_seq_ = NextSequence();
    SendHeaderOnly(CommandId::kEnquireLink, enquire_seq_);
    last_enquire_sent_ = now_ms;
    enquire_deadline_ = now_ms + config_.response_timeout_ms;
  }
}

}  // namespace sd::smpp
