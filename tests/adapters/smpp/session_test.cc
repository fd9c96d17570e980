// EsmeSession driven by bytes from a scripted peer: a unit test of the state machine alone.
#include "adapters/smpp/session.h"
#include "adapters/smpp/submit_parts.h"

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
  Feed(MakeHeaderOnly(CommandId::kBindTransceiverResp, sent[0].header.sequence_number,
                      status::kInvPaswd));
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
  // A response with another sequence number is not the answer to our unbind.
  Feed(MakeHeaderOnly(CommandId::kUnbindResp, sent[0].header.sequence_number + 1));
  EXPECT_TRUE(s_->TakeEvents().empty());
  Feed(MakeHeaderOnly(CommandId::kUnbindResp, sent[0].header.sequence_number));
  auto ev = s_->TakeEvents();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].kind, Kind::kUnbound);
  EXPECT_EQ(ev[1].kind, Kind::kClosed);
  EXPECT_EQ(s_->state(), SessionState::kClosed);
}

TEST_F(SessionTest, UnbindTimesOutAndClosesWithoutUnbound) {
  Bind();
  s_->Unbind(100, 50);
  s_->OnTimer(149);
  EXPECT_TRUE(s_->TakeEvents().empty());
  s_->OnTimer(150);
  auto ev = s_->TakeEvents();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, Kind::kClosed);
}

TEST_F(SessionTest, UnbindBeforeBoundJustCloses) {
  s_->Start(0);
  Sent();
  s_->Unbind(0);
  EXPECT_TRUE(Sent().empty()) << "unbind is only valid when bound";
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

TEST_F(SessionTest, DeliverSmBeforeBindIsRefused) {
  s_->Start(0);
  Sent();
  Pdu d;
  d.header.command_id = static_cast<uint32_t>(CommandId::kDeliverSm);
  d.header.sequence_number = 12;
  d.sm.emplace().esm_class = 0x04;
  Feed(d);
  EXPECT_TRUE(s_->TakeEvents().empty());
  auto sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].command(), CommandId::kDeliverSmResp);
  EXPECT_EQ(sent[0].header.command_status, status::kInvBndSts);
}

TEST_F(SessionTest, ManyPdusInOneReadAreAllHandled) {
  Bind();
  std::vector<uint32_t> seqs;
  for (int i = 0; i < 3; ++i) seqs.push_back(*s_->Submit(Sm(), 0));
  Sent();
  std::string b;
  for (uint32_t seq : seqs) {
    Pdu resp = MakeHeaderOnly(CommandId::kSubmitSmResp, seq);
    resp.submit_resp.emplace().message_id = "id" + std::to_string(seq);
    b += *Encode(resp);
  }
  b += *Encode(MakeHeaderOnly(CommandId::kEnquireLink, 77));
  // ... and the first half of another PDU, completed by the next read.
  const std::string next = *Encode(MakeHeaderOnly(CommandId::kEnquireLink, 78));
  b += next.substr(0, 10);
  s_->OnBytes(b, 0);
  auto ev = s_->TakeEvents();
  ASSERT_EQ(ev.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(ev[i].kind, Kind::kSubmitDone);
    EXPECT_EQ(ev[i].message_id, "id" + std::to_string(seqs[i]));
  }
  EXPECT_EQ(Sent().size(), 1u);
  s_->OnBytes(next.substr(10), 0);
  auto sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].header.sequence_number, 78u);
}

TEST_F(SessionTest, GenericNackFailsTheMatchingSubmit) {
  Bind();
  const uint32_t seq = *s_->Submit(Sm(), 0);
  Feed(MakeHeaderOnly(CommandId::kGenericNack, seq, status::kInvCmdLen));
  auto ev = s_->TakeEvents();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, Kind::kSubmitDone);
  EXPECT_EQ(ev[0].status, status::kInvCmdLen);
  EXPECT_EQ(s_->outstanding(), 0u);
}

TEST_F(SessionTest, AnyPduResetsMissedEnquireLinks) {
  Bind();
  s_->OnTimer(5000);                                        // enquire_link #1
  s_->OnTimer(6000);                                        // #1 missed (1 of 2)
  Feed(MakeHeaderOnly(CommandId::kEnquireLink, 50), 6500);  // the peer is alive after all
  s_->OnTimer(10000);                                       // #2 sent
  s_->OnTimer(11000);                                       // #2 missed: 1 of 2 again, not dead
  auto ev = s_->TakeEvents();
  EXPECT_TRUE(ev.empty());
  EXPECT_EQ(s_->state(), SessionState::kBound);
}

Pdu BindResp(CommandId id, uint32_t seq) {
  Pdu p = MakeHeaderOnly(id, seq);
  p.bind_resp.emplace().system_id = "SMSC";
  return p;
}

TEST(SessionSequence, WrapsBelowTheTopBit) {
  SessionConfig cfg;
  cfg.initial_sequence = 0x7FFFFFFE;
  EsmeSession s(cfg);
  s.Start(0);
  DecodeResult bind = Decode(s.TakeOutput());
  ASSERT_EQ(bind.status, DecodeStatus::kOk);
  EXPECT_EQ(bind.pdu.header.sequence_number, 0x7FFFFFFEu);
  s.OnBytes(*Encode(BindResp(CommandId::kBindTransceiverResp, 0x7FFFFFFE)), 0);
  ASSERT_EQ(s.state(), SessionState::kBound);
  ShortMessage m;
  m.destination_addr = "1";
  EXPECT_EQ(*s.Submit(m, 0), 0x7FFFFFFFu);
  EXPECT_EQ(*s.Submit(m, 0), 1u) << "0 and the top bit are never used";
}

TEST(SessionBindType, ReceiverBindsAsReceiverAndNeverSubmits) {
  SessionConfig cfg;
  cfg.bind = BindType::kReceiver;
  EsmeSession s(cfg);
  s.Start(0);
  DecodeResult bind = Decode(s.TakeOutput());
  ASSERT_EQ(bind.status, DecodeStatus::kOk);
  EXPECT_EQ(bind.pdu.command(), CommandId::kBindReceiver);
  s.OnBytes(*Encode(BindResp(CommandId::kBindReceiverResp, bind.pdu.header.sequence_number)), 0);
  ASSERT_EQ(s.state(), SessionState::kBound);
  EXPECT_FALSE(s.CanSubmit());
  EXPECT_FALSE(s.Submit(ShortMessage{}, 0).has_value());
}

TEST(SessionBindType, TransmitterBindCarriesCredentials) {
  SessionConfig cfg;
  cfg.bind = BindType::kTransmitter;
  cfg.system_id = "acme";
  cfg.password = "s3cret";
  cfg.system_type = "OTP";
  EsmeSession s(cfg);
  s.Start(0);
  DecodeResult bind = Decode(s.TakeOutput());
  ASSERT_EQ(bind.status, DecodeStatus::kOk);
  EXPECT_EQ(bind.pdu.command(), CommandId::kBindTransmitter);
  ASSERT_TRUE(bind.pdu.bind);
  EXPECT_EQ(bind.pdu.bind->system_id, "acme");
  EXPECT_EQ(bind.pdu.bind->password, "s3cret");
  EXPECT_EQ(bind.pdu.bind->system_type, "OTP");
  EXPECT_EQ(bind.pdu.bind->interface_version, 0x34);
}

SubmitRequest Req(std::string dest, std::string sender, DataCoding coding, std::string bytes) {
  SubmitRequest r;
  r.destination = std::move(dest);
  r.sender = std::move(sender);
  r.text.coding = coding;
  r.text.bytes = std::move(bytes);
  return r;
}

TEST(MakeSubmitSm, AddressesAndCoding) {
  ShortMessage m = MakeSubmitSm(Req("+4915112345678", "ACME", DataCoding::kGsm7, "hi"), 1);
  EXPECT_EQ(m.destination_addr, "4915112345678");
  EXPECT_EQ(m.dest_addr_ton, 1);
  EXPECT_EQ(m.dest_addr_npi, 1);
  EXPECT_EQ(m.source_addr, "ACME");
  EXPECT_EQ(m.source_addr_ton, 5);
  EXPECT_EQ(m.source_addr_npi, 0);
  EXPECT_EQ(m.data_coding, 0x00);
  EXPECT_EQ(m.registered_delivery, 1);
  EXPECT_EQ(m.short_message, "hi");
  EXPECT_TRUE(m.tlvs.empty());

  m = MakeSubmitSm(Req("+4915112345678", "+4930123456", DataCoding::kUcs2, std::string("\0h", 2)),
                   1);
  EXPECT_EQ(m.source_addr, "4930123456");
  EXPECT_EQ(m.source_addr_ton, 1);
  EXPECT_EQ(m.source_addr_npi, 1);
  EXPECT_EQ(m.data_coding, 0x08);
  EXPECT_EQ(m.short_message, std::string("\0h", 2));

  m = MakeSubmitSm(Req("+1", "12345", DataCoding::kGsm7, "x"), 1);
  EXPECT_EQ(m.source_addr_ton, 3) << "a few digits without '+' are a short code";
  EXPECT_EQ(m.source_addr_npi, 0);
  m = MakeSubmitSm(Req("+1", "491511234567", DataCoding::kGsm7, "x"), 1);
  EXPECT_EQ(m.source_addr_ton, 1) << "many digits without '+' are a number";
  EXPECT_EQ(m.source_addr_npi, 1);
  AddressOptions over;
  over.source_ton = 2;
  over.source_npi = 9;
  over.dest_ton = 0;
  over.dest_npi = 0;
  m = MakeSubmitSm(Req("+1", "ACME", DataCoding::kGsm7, "x"), 1, over);
  EXPECT_EQ(m.source_addr_ton, 2) << "configured TON/NPI win over the shape";
  EXPECT_EQ(m.source_addr_npi, 9);
  EXPECT_EQ(m.dest_addr_ton, 0);
  EXPECT_EQ(m.dest_addr_npi, 0);
  m = MakeSubmitSm(Req("+1", "Shop24", DataCoding::kGsm7, "x"), 1);
  EXPECT_EQ(m.source_addr_ton, 5) << "letters and digits are alphanumeric";
  m = MakeSubmitSm(Req("+1", "+", DataCoding::kGsm7, "x"), 1);
  EXPECT_EQ(m.source_addr_ton, 5) << "a lone '+' is no number";

  SubmitRequest no_receipt = Req("+1", "A", DataCoding::kGsm7, "x");
  no_receipt.want_receipt = false;
  EXPECT_EQ(MakeSubmitSm(no_receipt, 1).registered_delivery, 0);
}

TEST(MakeSubmitSm, LongTextGoesToMessagePayload) {
  ShortMessage m = MakeSubmitSm(Req("+1", "A", DataCoding::kGsm7, std::string(254, 'a')), 1);
  EXPECT_EQ(m.short_message.size(), 254u);
  EXPECT_TRUE(m.tlvs.empty());
  m = MakeSubmitSm(Req("+1", "A", DataCoding::kUcs2, std::string(256, 'b')), 1);
  EXPECT_TRUE(m.short_message.empty());
  const Tlv* payload = m.FindTlv(tag::kMessagePayload);
  ASSERT_NE(payload, nullptr);
  EXPECT_EQ(payload->value, std::string(256, 'b'));
  // And it survives the codec.
  Pdu p;
  p.header.command_id = static_cast<uint32_t>(CommandId::kSubmitSm);
  p.header.sequence_number = 1;
  p.sm = m;
  DecodeResult r = Decode(*Encode(p));
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  ASSERT_NE(r.pdu.sm->FindTlv(tag::kMessagePayload), nullptr);
  EXPECT_EQ(r.pdu.sm->FindTlv(tag::kMessagePayload)->value.size(), 256u);
}

TEST_F(SessionTest, SubmitRequestUsesConfiguredRegisteredDelivery) {
  cfg_.registered_delivery = 0x11;
  s_ = std::make_unique<EsmeSession>(cfg_);
  Bind();
  ASSERT_TRUE(s_->Submit(Req("+4915112345678", "ACME", DataCoding::kGsm7, "hi"), 0));
  auto sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  ASSERT_EQ(sent[0].command(), CommandId::kSubmitSm);
  EXPECT_EQ(sent[0].sm->registered_delivery, 0x11);
  EXPECT_EQ(sent[0].sm->destination_addr, "4915112345678");
}

}  // namespace
}  // namespace sd::smpp
