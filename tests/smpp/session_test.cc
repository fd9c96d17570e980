// EsmeSession driven by bytes from a scripted peer: a unit test of the state machine alone.
#include "adapters/smpp/session.h"

#include <gtest/gtest.h>

namespace sd::smpp {
namespace {

using Kind = SessionEvent::Kind;

class SessionTest : public ::testing::Test {
 protected:
  SessionTest() {
    cfg_.system_id = "sim";
    cfg_.password = "pw";
    cfg_.window = 3;
    cfg_.response_timeout_ms = 1000;
    cfg_.enquire_link_interval_ms = 5000;
    cfg_.max_missed_enquire_links = 2;
    s_ = std::make_unique<EsmeSession>(cfg_);
  }

  // Decodes everything the session wrote.
  std::vector<Pdu> Sent() {
    std::vector<Pdu> out;
    std::string b = s_->TakeOutput();
    size_t off = 0;
    while (off < b.size()) {
      DecodeResult r = Decode(std::string_view(b).substr(off));
      EXPECT_EQ(r.status, DecodeStatus::kOk);
      if (r.status != DecodeStatus::kOk) break;
      out.push_back(r.pdu);
      off += r.consumed;
    }
    return out;
  }
  void Feed(const Pdu& p, int64_t now = 0) { s_->OnBytes(*Encode(p), now); }
  void Bind() {
    s_->Start(0);
    auto sent = Sent();
    ASSERT_EQ(sent.size(), 1u);
    ASSERT_EQ(sent[0].command(), CommandId::kBindTransceiver);
    EXPECT_EQ(sent[0].bind->system_id, "sim");
    Pdu resp = MakeHeaderOnly(CommandId::kBindTransceiverResp, sent[0].header.sequence_number);
    resp.bind_resp.emplace().system_id = "SMSC";
    Feed(resp);
    auto ev = s_->TakeEvents();
    ASSERT_EQ(ev.size(), 1u);
    ASSERT_EQ(ev[0].kind, Kind::kBound);
  }
  ShortMessage Sm() {
    ShortMessage m;
    m.destination_addr = "4915112345678";
    m.short_message = "hi";
    return m;
  }

  SessionConfig cfg_;
  std::unique_ptr<EsmeSession> s_;
};

TEST_F(SessionTest, BindSucceeds) {
  Bind();
  EXPECT_EQ(s_->state(), SessionState::kBound);
  EXPECT_TRUE(s_->CanSubmit());
}

TEST_F(SessionTest, BindRefusedClosesWithStatus) {
  s_->Start(0);
  auto sent = Sent();
  Feed(MakeHeaderOnly(CommandId::kBindTransceiverResp, sent[0].header.sequence_number, status::kInvPaswd));
  auto ev = s_->TakeEvents();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].kind, Kind::kBindFailed);
  EXPECT_EQ(ev[0].status, status::kInvPaswd);
  EXPECT_EQ(ev[1].kind, Kind::kClosed);
}

TEST_F(SessionTest, BindTimesOut) {
  s_->Start(0);
  s_->OnTimer(999);
  EXPECT_TRUE(s_->TakeEvents().empty());
  s_->OnTimer(1000);
  auto ev = s_->TakeEvents();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, Kind::kClosed);
}

TEST_F(SessionTest, NoSubmitBeforeBind) { EXPECT_FALSE(s_->Submit(Sm(), 0).has_value()); }

TEST_F(SessionTest, WindowIsNeverExceededAndResponsesMatchBySequence) {
  Bind();
  std::vector<uint32_t> seqs;
  for (int i = 0; i < 3; ++i) seqs.push_back(*s_->Submit(Sm(), 0));
  EXPECT_FALSE(s_->CanSubmit());
  EXPECT_FALSE(s_->Submit(Sm(), 0).has_value());
  EXPECT_EQ(Sent().size(), 3u);
  // Answer out of order.
  Pdu resp = MakeHeaderOnly(CommandId::kSubmitSmResp, seqs[2]);
  resp.submit_resp.emplace().message_id = "m3";
  Feed(resp);
  auto ev = s_->TakeEvents();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, Kind::kSubmitDone);
  EXPECT_EQ(ev[0].sequence, seqs[2]);
  EXPECT_EQ(ev[0].message_id, "m3");
  EXPECT_TRUE(s_->CanSubmit());
  // An error status is reported as such; a response to an unknown sequence is ignored.
  Feed(MakeHeaderOnly(CommandId::kSubmitSmResp, seqs[0], status::kThrottled));
  Feed(MakeHeaderOnly(CommandId::kSubmitSmResp, 9999));
  ev = s_->TakeEvents();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].status, status::kThrottled);
}

TEST_F(SessionTest, SubmitResponseTimeout) {
  Bind();
  const uint32_t seq = *s_->Submit(Sm(), 100);
  s_->OnTimer(1099);
  EXPECT_TRUE(s_->TakeEvents().empty());
  s_->OnTimer(1100);
  auto ev = s_->TakeEvents();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, Kind::kSubmitTimedOut);
  EXPECT_EQ(ev[0].sequence, seq);
  EXPECT_EQ(s_->outstanding(), 0u);
  // A late response after the timeout produces no second completion.
  Feed(MakeHeaderOnly(CommandId::kSubmitSmResp, seq));
  EXPECT_TRUE(s_->TakeEvents().empty());
}

TEST_F(SessionTest, AnswersEnquireLinkAndSendsItsOwn) {
  Bind();
  Feed(MakeHeaderOnly(CommandId::kEnquireLink, 42));
  auto sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].command(), CommandId::kEnquireLinkResp);
  EXPECT_EQ(sent[0].header.sequence_number, 42u);
  s_->OnTimer(5000);
  sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].command(), CommandId::kEnquireLink);
  Feed(MakeHeaderOnly(CommandId::kEnquireLinkResp, sent[0].header.sequence_number), 5100);
  s_->OnTimer(9000);
  EXPECT_TRUE(Sent().empty()) << "next enquire_link only after the interval";
}

TEST_F(SessionTest, MissedEnquireLinksDeclareTheLinkDead) {
  Bind();
  s_->OnTimer(5000);  // enquire_link #1
  s_->OnTimer(6000);  // #1 missed
  EXPECT_TRUE(s_->TakeEvents().empty());
  s_->OnTimer(10000);  // #2 sent
  s_->OnTimer(11000);  // #2 missed -> dead
  auto ev = s_->TakeEvents();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, Kind::kClosed);
  EXPECT_NE(ev[0].reason.find("link dead"), std::string::npos);
}

TEST_F(SessionTest, UnknownCommandGetsGenericNack) {
  Bind();
  std::string b = *Encode(MakeHeaderOnly(CommandId::kEnquireLink, 7));
  b[7] = 0x66;
  s_->OnBytes(b, 0);
  auto sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].command(), CommandId::kGenericNack);
  EXPECT_EQ(sent[0].header.command_status, status::kInvCmdId);
  EXPECT_EQ(sent[0].header.sequence_number, 7u);
  EXPECT_EQ(s_->state(), SessionState::kBound);
}

TEST_F(SessionTest, BadCommandLengthNacksAndCloses) {
  Bind();
  s_->OnBytes(std::string("\x00\x00\x00\x02", 4), 0);
  auto sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].command(), CommandId::kGenericNack);
  EXPECT_EQ(sent[0].header.command_status, status::kInvCmdLen);
  EXPECT_EQ(s_->state(), SessionState::kClosed);
}

TEST_F(SessionTest, MalformedDeliverSmGetsAnErrorResponse) {
  Bind();
  std::string b = *Encode(MakeHeaderOnly(CommandId::kEnquireLink, 8));
  b[7] = 0x05;  // deliver_sm with an empty (malformed) body
  s_->OnBytes(b, 0);
  auto sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].command(), CommandId::kDeliverSmResp);
  EXPECT_NE(sent[0].header.command_status, status::kOk);
}

TEST_F(SessionTest, DeliverSmIsAnsweredOnlyWhenAcked) {
  Bind();
  Pdu d;
  d.header.command_id = static_cast<uint32_t>(CommandId::kDeliverSm);
  d.header.sequence_number = 55;
  d.sm.emplace().esm_class = 0x04;
  d.sm->short_message = "id:1 stat:DELIVRD";
  Feed(d);
  auto ev = s_->TakeEvents();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, Kind::kDeliver);
  EXPECT_EQ(ev[0].sm.short_message, "id:1 stat:DELIVRD");
  EXPECT_TRUE(Sent().empty()) << "no deliver_sm_resp before the receipt is durable";
  s_->AckDeliver(55);
  auto sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].command(), CommandId::kDeliverSmResp);
  EXPECT_EQ(sent[0].header.sequence_number, 55u);
}

TEST_F(SessionTest, ByteAtATimeInputWorks) {
  Bind();
  const uint32_t seq = *s_->Submit(Sm(), 0);
  Sent();
  Pdu resp = MakeHeaderOnly(CommandId::kSubmitSmResp, seq);
  resp.submit_resp.emplace().message_id = "abc";
  const std::string b = *Encode(resp) + *Encode(MakeHeaderOnly(CommandId::kEnquireLink, 9));
  for (char c : b) s_->OnBytes(std::string_view(&c, 1), 0);
  auto ev = s_->TakeEvents();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].message_id, "abc");
  EXPECT_EQ(Sent().size(), 1u);  // the enquire_link_resp
}

TEST_F(SessionTest, UnbindFlow) {
  Bind();
  s_->Unbind(0);
  auto sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].command(), CommandId::kUnbind);
  EXPECT_FALSE(s_->CanSubmit());
  Feed(MakeHeaderOnly(CommandId::kUnbindResp, sent[0].header.sequence_number));
  auto ev = s_->TakeEvents();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, Kind::kClosed);
}

TEST_F(SessionTest, PeerUnbindIsAnsweredAndCloses) {
  Bind();
  Feed(MakeHeaderOnly(CommandId::kUnbind, 3));
  auto sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].command(), CommandId::kUnbindResp);
  EXPECT_EQ(s_->state(), SessionState::kClosed);
}

}  // namespace
}  // namespace sd::smpp
