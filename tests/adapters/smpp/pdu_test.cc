// The SMPP 3.4 codec: round trips, hand-written byte dumps from the spec, incremental
// decoding, and hostile framing.
#include "adapters/smpp/pdu.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <vector>

namespace sd::smpp {
namespace {

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int v : b) s.push_back(static_cast<char>(v));
  return s;
}

Pdu SubmitSm(uint32_t seq) {
  Pdu p;
  p.header.command_id = static_cast<uint32_t>(CommandId::kSubmitSm);
  p.header.sequence_number = seq;
  ShortMessage& m = p.sm.emplace();
  m.source_addr_ton = 5;
  m.source_addr = "ACME";
  m.dest_addr_ton = 1;
  m.dest_addr_npi = 1;
  m.destination_addr = "4915112345678";
  m.registered_delivery = 1;
  m.data_coding = 8;
  m.short_message = std::string("\x04\x36\xd8\x3d\xde\x00", 6);
  m.tlvs.push_back(Tlv{tag::kSarMsgRefNum, std::string("\x00\x07", 2)});
  return p;
}

TEST(Pdu, EnquireLinkMatchesTheSpecBytes) {
  const auto bytes = Encode(MakeHeaderOnly(CommandId::kEnquireLink, 1));
  ASSERT_TRUE(bytes);
  EXPECT_EQ(*bytes, Bytes({0, 0, 0, 0x10, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 1}));
  DecodeResult r = Decode(*bytes);
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.consumed, 16u);
  EXPECT_EQ(r.pdu.command(), CommandId::kEnquireLink);
  EXPECT_EQ(r.pdu.header.sequence_number, 1u);
}

TEST(Pdu, BindTransceiverMatchesHandWrittenBytes) {
  Pdu p;
  p.header.command_id = static_cast<uint32_t>(CommandId::kBindTransceiver);
  p.header.sequence_number = 2;
  p.bind.emplace();
  p.bind->system_id = "ab";
  p.bind->password = "pw";
  const auto bytes = Encode(p);
  ASSERT_TRUE(bytes);
  // header(16) + "ab\0" + "pw\0" + "\0" (system_type) + 0x34 + ton + npi + "\0" (range)
  EXPECT_EQ(*bytes, Bytes({0, 0, 0,   0x1b, 0, 0,   0,   9, 0, 0,    0, 0, 0, 0,
                           0, 2, 'a', 'b',  0, 'p', 'w', 0, 0, 0x34, 0, 0, 0}));
  DecodeResult r = Decode(*bytes);
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.pdu.bind->system_id, "ab");
  EXPECT_EQ(r.pdu.bind->password, "pw");
  EXPECT_EQ(r.pdu.bind->interface_version, 0x34);
}

TEST(Pdu, SubmitSmRoundTripsWithTlvs) {
  const Pdu p = SubmitSm(77);
  const auto bytes = Encode(p);
  ASSERT_TRUE(bytes);
  DecodeResult r = Decode(*bytes);
  ASSERT_EQ(r.status, DecodeStatus::kOk) << r.error;
  const ShortMessage& m = *r.pdu.sm;
  EXPECT_EQ(m.source_addr, "ACME");
  EXPECT_EQ(m.source_addr_ton, 5);
  EXPECT_EQ(m.destination_addr, "4915112345678");
  EXPECT_EQ(m.data_coding, 8);
  EXPECT_EQ(m.registered_delivery, 1);
  EXPECT_EQ(m.short_message, p.sm->short_message);
  ASSERT_NE(m.FindTlv(tag::kSarMsgRefNum), nullptr);
  EXPECT_EQ(m.FindTlv(tag::kSarMsgRefNum)->value, std::string("\x00\x07", 2));
  EXPECT_EQ(m.FindTlv(tag::kMessagePayload), nullptr);
  EXPECT_EQ(*Encode(r.pdu), *bytes);
}

TEST(Pdu, ResponsesRoundTrip) {
  Pdu resp = MakeHeaderOnly(CommandId::kSubmitSmResp, 9);
  resp.submit_resp.emplace().message_id = "0a1b2c";
  DecodeResult r = Decode(*Encode(resp));
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.pdu.submit_resp->message_id, "0a1b2c");
  // Error responses may have no body at all.
  const auto err = Encode(MakeHeaderOnly(CommandId::kSubmitSmResp, 9, status::kThrottled));
  ASSERT_EQ(err->size(), 16u);
  r = Decode(*err);
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.pdu.header.command_status, status::kThrottled);
  // deliver_sm_resp carries an empty message_id.
  const auto dresp = Encode(MakeHeaderOnly(CommandId::kDeliverSmResp, 3));
  EXPECT_EQ(dresp->size(), 17u);
  EXPECT_EQ(Decode(*dresp).status, DecodeStatus::kOk);
  Pdu bresp = MakeHeaderOnly(CommandId::kBindTransceiverResp, 1);
  bresp.bind_resp.emplace().system_id = "SMSC";
  r = Decode(*Encode(bresp));
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.pdu.bind_resp->system_id, "SMSC");
}

TEST(Pdu, ByteAtATimeAndManyPerBufferDecodeIdentically) {
  std::string stream;
  for (uint32_t i = 1; i <= 5; ++i) stream += *Encode(SubmitSm(i));
  stream += *Encode(MakeHeaderOnly(CommandId::kEnquireLink, 6));
  // All at once.
  std::vector<uint32_t> seqs_bulk;
  size_t off = 0;
  while (true) {
    DecodeResult r = Decode(std::string_view(stream).substr(off));
    if (r.status != DecodeStatus::kOk) break;
    seqs_bulk.push_back(r.pdu.header.sequence_number);
    off += r.consumed;
  }
  EXPECT_EQ(off, stream.size());
  // One byte at a time.
  std::vector<uint32_t> seqs_drip;
  std::string buf;
  for (char c : stream) {
    buf.push_back(c);
    DecodeResult r = Decode(buf);
    if (r.status == DecodeStatus::kNeedMore) {
      EXPECT_EQ(r.consumed, 0u);
      continue;
    }
    ASSERT_EQ(r.status, DecodeStatus::kOk);
    seqs_drip.push_back(r.pdu.header.sequence_number);
    buf.erase(0, r.consumed);
  }
  EXPECT_EQ(seqs_bulk, (std::vector<uint32_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(seqs_drip, seqs_bulk);
}

TEST(Pdu, HostileCommandLengthsAreRejectedBeforeBuffering) {
  for (uint32_t len : {0u, 2u, 15u, 65537u, 0xFFFFFFFFu}) {
    std::string b = Bytes({static_cast<int>(len >> 24), static_cast<int>((len >> 16) & 0xff),
                           static_cast<int>((len >> 8) & 0xff), static_cast<int>(len & 0xff)});
    DecodeResult r = Decode(b);  // only the 4 length bytes: must not wait for more
    EXPECT_EQ(r.status, DecodeStatus::kBadLength) << len;
  }
  EXPECT_EQ(Decode(Bytes({0, 0, 0})).status, DecodeStatus::kNeedMore);
}

TEST(Pdu, UnknownCommandIsConsumedForGenericNack) {
  std::string b = *Encode(MakeHeaderOnly(CommandId::kEnquireLink, 4));
  b[7] = 0x77;  // command_id 0x00000077
  DecodeResult r = Decode(b + *Encode(MakeHeaderOnly(CommandId::kEnquireLink, 5)));
  EXPECT_EQ(r.status, DecodeStatus::kUnknownCommand);
  EXPECT_EQ(r.consumed, 16u);
  EXPECT_EQ(r.pdu.header.sequence_number, 4u);
}

TEST(Pdu, MalformedBodiesAreNamedAndConsumed) {
  const std::string good = *Encode(SubmitSm(1));
  // Truncated TLV: drop the last byte of the TLV value but fix command_length.
  std::string t = good.substr(0, good.size() - 1);
  t[3] = static_cast<char>(t.size());
  DecodeResult r = Decode(t);
  EXPECT_EQ(r.status, DecodeStatus::kMalformedBody);
  EXPECT_EQ(r.consumed, t.size());
  // TLV length pointing past the end.
  std::string past = good;
  past[past.size() - 3] = 0x7f;
  EXPECT_EQ(Decode(past).status, DecodeStatus::kMalformedBody);
  // A C-string with no NUL inside its maximum (system_id of 20 chars).
  Pdu bind;
  bind.header.command_id = static_cast<uint32_t>(CommandId::kBindTransmitter);
  std::string body = std::string(20, 'x') + std::string(1, '\0') + std::string("\0\0\x34\0\0\0", 6);
  std::string raw =
      Bytes({0, 0, 0, static_cast<int>(16 + body.size()), 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1}) +
      body;
  EXPECT_EQ(Decode(raw).status, DecodeStatus::kMalformedBody);
  // short_message length beyond the PDU.
  std::string sm = good;
  const size_t sm_len_pos = good.find(std::string("\x04\x36", 2)) - 1;
  sm[sm_len_pos] = static_cast<char>(200);
  EXPECT_EQ(Decode(sm).status, DecodeStatus::kMalformedBody);
  // Trailing garbage after a complete bind body.
  Pdu good_bind = MakeHeaderOnly(CommandId::kBindTransceiver, 1);
  good_bind.bind.emplace().system_id = "sim";
  std::string trailing = *Encode(good_bind) + "z";
  trailing[3] = static_cast<char>(trailing.size());
  EXPECT_EQ(Decode(trailing).status, DecodeStatus::kMalformedBody);
  // Trailing garbage after enquire_link's empty body.
  std::string el = *Encode(MakeHeaderOnly(CommandId::kEnquireLink, 1)) + "x";
  el[3] = 17;
  EXPECT_EQ(Decode(el).status, DecodeStatus::kMalformedBody);
}

TEST(Pdu, EncodeRefusesOversizeFields) {
  Pdu p = SubmitSm(1);
  p.sm->destination_addr = std::string(21, '1');  // max 20 + NUL
  EXPECT_FALSE(Encode(p).has_value());
  p = SubmitSm(1);
  p.sm->short_message = std::string(255, 'a');
  EXPECT_FALSE(Encode(p).has_value());
}

// Every command id we know, with every body field and TLV set, survives Encode -> Decode.
TEST(Pdu, EveryCommandRoundTripsWithTlvs) {
  const std::vector<Tlv> tlvs{Tlv{tag::kScInterfaceVersion, std::string("\x34", 1)},
                              Tlv{0x1401, std::string("\x00\x01\x00", 3)},  // vendor tag
                              Tlv{tag::kMessagePayload, std::string()}};    // empty value
  for (CommandId id :
       {CommandId::kBindReceiver, CommandId::kBindTransmitter, CommandId::kBindTransceiver}) {
    Pdu p = MakeHeaderOnly(id, 0x7FFFFFFF);
    Bind& b = p.bind.emplace();
    b.system_id = std::string(15, 's');
    b.password = std::string(8, 'p');
    b.system_type = std::string(12, 't');
    b.interface_version = 0x33;
    b.addr_ton = 1;
    b.addr_npi = 1;
    b.address_range = std::string(40, '4');
    const auto bytes = Encode(p);
    ASSERT_TRUE(bytes) << static_cast<uint32_t>(id);
    DecodeResult r = Decode(*bytes);
    ASSERT_EQ(r.status, DecodeStatus::kOk) << r.error;
    EXPECT_EQ(r.pdu.command(), id);
    EXPECT_EQ(r.pdu.header.sequence_number, 0x7FFFFFFFu);
    EXPECT_EQ(r.pdu.bind->system_id, b.system_id);
    EXPECT_EQ(r.pdu.bind->password, b.password);
    EXPECT_EQ(r.pdu.bind->system_type, b.system_type);
    EXPECT_EQ(r.pdu.bind->interface_version, 0x33);
    EXPECT_EQ(r.pdu.bind->addr_ton, 1);
    EXPECT_EQ(r.pdu.bind->addr_npi, 1);
    EXPECT_EQ(r.pdu.bind->address_range, b.address_range);
    EXPECT_EQ(*Encode(r.pdu), *bytes);
  }
  for (CommandId id : {CommandId::kBindReceiverResp, CommandId::kBindTransmitterResp,
                       CommandId::kBindTransceiverResp}) {
    Pdu p = MakeHeaderOnly(id, 3);
    p.bind_resp.emplace().system_id = "SMSC";
    p.bind_resp->tlvs = tlvs;
    DecodeResult r = Decode(*Encode(p));
    ASSERT_EQ(r.status, DecodeStatus::kOk) << r.error;
    EXPECT_EQ(r.pdu.bind_resp->system_id, "SMSC");
    ASSERT_EQ(r.pdu.bind_resp->tlvs.size(), 3u);
    EXPECT_EQ(r.pdu.bind_resp->tlvs[1].tag, 0x1401);
    EXPECT_EQ(r.pdu.bind_resp->tlvs[1].value, tlvs[1].value);
    EXPECT_TRUE(r.pdu.bind_resp->tlvs[2].value.empty());
  }
  for (CommandId id : {CommandId::kSubmitSm, CommandId::kDeliverSm}) {
    Pdu p = SubmitSm(11);
    p.header.command_id = static_cast<uint32_t>(id);
    ShortMessage& m = *p.sm;
    m.service_type = "WAP";
    m.source_addr_npi = 9;
    m.esm_class = 0x40;
    m.protocol_id = 0x7f;
    m.priority_flag = 3;
    m.schedule_delivery_time = "260101120000000+";
    m.validity_period = "000001000000000R";
    m.replace_if_present_flag = 1;
    m.sm_default_msg_id = 2;
    m.short_message = std::string(254, '\xff');
    m.tlvs = tlvs;
    const auto bytes = Encode(p);
    ASSERT_TRUE(bytes);
    DecodeResult r = Decode(*bytes);
    ASSERT_EQ(r.status, DecodeStatus::kOk) << r.error;
    EXPECT_EQ(r.pdu.command(), id);
    const ShortMessage& d = *r.pdu.sm;
    EXPECT_EQ(d.service_type, "WAP");
    EXPECT_EQ(d.source_addr_npi, 9);
    EXPECT_EQ(d.esm_class, 0x40);
    EXPECT_EQ(d.protocol_id, 0x7f);
    EXPECT_EQ(d.priority_flag, 3);
    EXPECT_EQ(d.schedule_delivery_time, m.schedule_delivery_time);
    EXPECT_EQ(d.validity_period, m.validity_period);
    EXPECT_EQ(d.replace_if_present_flag, 1);
    EXPECT_EQ(d.sm_default_msg_id, 2);
    EXPECT_EQ(d.short_message, m.short_message);
    ASSERT_EQ(d.tlvs.size(), 3u);
    EXPECT_EQ(d.FindTlv(0x1401)->value, tlvs[1].value);
    EXPECT_EQ(*Encode(r.pdu), *bytes);
  }
  for (CommandId id : {CommandId::kSubmitSmResp, CommandId::kDeliverSmResp}) {
    Pdu p = MakeHeaderOnly(id, 12);
    p.submit_resp.emplace().message_id = std::string(64, 'f');
    DecodeResult r = Decode(*Encode(p));
    ASSERT_EQ(r.status, DecodeStatus::kOk) << r.error;
    EXPECT_EQ(r.pdu.command(), id);
    EXPECT_EQ(r.pdu.submit_resp->message_id, std::string(64, 'f'));
  }
  for (CommandId id : {CommandId::kGenericNack, CommandId::kEnquireLink,
                       CommandId::kEnquireLinkResp, CommandId::kUnbind, CommandId::kUnbindResp}) {
    const auto bytes = Encode(MakeHeaderOnly(id, 13, status::kSysErr));
    ASSERT_TRUE(bytes);
    EXPECT_EQ(bytes->size(), kHeaderSize);
    DecodeResult r = Decode(*bytes);
    ASSERT_EQ(r.status, DecodeStatus::kOk);
    EXPECT_EQ(r.pdu.command(), id);
    EXPECT_EQ(r.pdu.header.command_status, status::kSysErr);
    EXPECT_EQ(r.pdu.header.sequence_number, 13u);
    EXPECT_FALSE(r.pdu.bind || r.pdu.bind_resp || r.pdu.sm || r.pdu.submit_resp);
  }
}

// submit_sm laid out by hand from SMPP 3.4 section 4.4.1, field by field.
TEST(Pdu, SubmitSmMatchesHandWrittenBytes) {
  const std::string dump = Bytes({
      0x00, 0x00, 0x00, 0x35,           // command_length 53
      0x00, 0x00, 0x00, 0x04,           // submit_sm
      0x00, 0x00, 0x00, 0x00,           // command_status
      0x00, 0x00, 0x00, 0x2a,           // sequence_number 42
      0x00,                             // service_type ""
      0x05, 0x00, 'A',  'C',  0x00,     // source ton 5 (alphanumeric), npi 0, "AC"
      0x01, 0x01, '4',  '9',  '1',  0,  // dest ton 1, npi 1, "491"
      0x00, 0x00, 0x00,                 // esm_class, protocol_id, priority_flag
      0x00, 0x00,                       // schedule_delivery_time, validity_period
      0x01, 0x00, 0x00, 0x00,           // registered_delivery 1, replace, data_coding, default id
      0x02, 'h',  'i',                  // sm_length 2, "hi"
      0x02, 0x0c, 0x00, 0x02, 0x00, 0x07,       // sar_msg_ref_num = 7
      0x04, 0x24, 0x00, 0x03, 'a',  'b',  'c',  // message_payload "abc"
  });
  ASSERT_EQ(dump.size(), 53u);
  Pdu p = MakeHeaderOnly(CommandId::kSubmitSm, 42);
  ShortMessage& m = p.sm.emplace();
  m.source_addr_ton = 5;
  m.source_addr = "AC";
  m.dest_addr_ton = 1;
  m.dest_addr_npi = 1;
  m.destination_addr = "491";
  m.registered_delivery = 1;
  m.short_message = "hi";
  m.tlvs = {Tlv{tag::kSarMsgRefNum, std::string("\x00\x07", 2)}, Tlv{tag::kMessagePayload, "abc"}};
  EXPECT_EQ(*Encode(p), dump);
  DecodeResult r = Decode(dump);
  ASSERT_EQ(r.status, DecodeStatus::kOk) << r.error;
  EXPECT_EQ(r.consumed, 53u);
  EXPECT_EQ(r.pdu.sm->destination_addr, "491");
  EXPECT_EQ(r.pdu.sm->FindTlv(tag::kMessagePayload)->value, "abc");
}

// Responses from the spec: submit_sm_resp with a message_id, an error generic_nack, and a
// deliver_sm_resp whose message_id is unused (a lone NUL).
TEST(Pdu, ResponsesMatchHandWrittenBytes) {
  const std::string submit_resp =
      Bytes({0, 0, 0, 0x13, 0x80, 0, 0, 0x04, 0, 0, 0, 0, 0, 0, 0, 0x2a, 'a', '1', 0});
  DecodeResult r = Decode(submit_resp);
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.pdu.command(), CommandId::kSubmitSmResp);
  EXPECT_EQ(r.pdu.submit_resp->message_id, "a1");
  EXPECT_EQ(*Encode(r.pdu), submit_resp);

  const std::string nack = Bytes({0, 0, 0, 0x10, 0x80, 0, 0, 0, 0, 0, 0, 0x03, 0, 0, 0, 0x09});
  EXPECT_EQ(*Encode(MakeHeaderOnly(CommandId::kGenericNack, 9, status::kInvCmdId)), nack);
  r = Decode(nack);
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.pdu.header.command_status, status::kInvCmdId);

  const std::string dresp = Bytes({0, 0, 0, 0x11, 0x80, 0, 0, 0x05, 0, 0, 0, 0, 0, 0, 0, 0x03, 0});
  EXPECT_EQ(*Encode(MakeHeaderOnly(CommandId::kDeliverSmResp, 3)), dresp);
}

TEST(Pdu, ErrorResponsesMayHaveEmptyBodiesOkResponsesMayNot) {
  const std::string bind_err =
      Bytes({0, 0, 0, 0x10, 0x80, 0, 0, 0x09, 0, 0, 0, 0x0e, 0, 0, 0, 1});  // ESME_RINVPASWD
  DecodeResult r = Decode(bind_err);
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.pdu.header.command_status, status::kInvPaswd);
  std::string bind_ok = bind_err;
  bind_ok[11] = 0;
  EXPECT_EQ(Decode(bind_ok).status, DecodeStatus::kMalformedBody);  // system_id is mandatory
  // An OK submit_sm_resp with bytes after its message_id is malformed.
  std::string resp =
      Bytes({0, 0, 0, 0x14, 0x80, 0, 0, 0x04, 0, 0, 0, 0, 0, 0, 0, 1, 'a', 0, 'z', 0});
  EXPECT_EQ(Decode(resp).status, DecodeStatus::kMalformedBody);
}

TEST(Pdu, CStringsNeedTheirNulInsideThePduAndWithinTheirMaximum) {
  // bind_transmitter whose address_range runs to the end of the PDU without a NUL.
  const std::string body = std::string("sim\0pw\0\0\x34\0\0", 11) + "12345";
  const std::string raw =
      Bytes({0, 0, 0, static_cast<int>(16 + body.size()), 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1}) +
      body;
  DecodeResult r = Decode(raw);
  EXPECT_EQ(r.status, DecodeStatus::kMalformedBody);
  EXPECT_EQ(r.consumed, raw.size());
  // The NUL exists in the next PDU in the buffer: it must not be borrowed from there.
  r = Decode(raw + *Encode(MakeHeaderOnly(CommandId::kEnquireLink, 2)));
  EXPECT_EQ(r.status, DecodeStatus::kMalformedBody);
  EXPECT_EQ(r.consumed, raw.size());
  // service_type of 6 characters + NUL exceeds its maximum of 6 including the NUL.
  std::string sm = *Encode(SubmitSm(1));
  sm.insert(16, "CMTXXX");
  sm[3] = static_cast<char>(sm.size());
  EXPECT_EQ(Decode(sm).status, DecodeStatus::kMalformedBody);
  // A TLV whose 4-byte header is cut short.
  std::string cut = *Encode(SubmitSm(1)) + std::string("\x04\x24", 2);
  cut[3] = static_cast<char>(cut.size());
  EXPECT_EQ(Decode(cut).status, DecodeStatus::kMalformedBody);
}

TEST(Pdu, TheLargestLegalPduDecodes) {
  Pdu p = SubmitSm(1);
  p.sm->tlvs.clear();
  const size_t base = Encode(p)->size();
  p.sm->tlvs.push_back(Tlv{tag::kMessagePayload, std::string(kMaxPduSize - base - 4, 'x')});
  const auto bytes = Encode(p);
  ASSERT_TRUE(bytes);
  ASSERT_EQ(bytes->size(), kMaxPduSize);
  EXPECT_EQ(Decode(bytes->substr(0, 4)).status, DecodeStatus::kNeedMore);
  EXPECT_EQ(Decode(*bytes).status, DecodeStatus::kOk);
  // One byte more is refused by Encode and by Decode.
  p.sm->tlvs[0].value.push_back('x');
  EXPECT_FALSE(Encode(p).has_value());
}

TEST(Pdu, EncodeRefusesWhatCannotBeSent) {
  Pdu p = SubmitSm(1);
  p.sm->source_addr = std::string("a\0b", 3);  // a C-string cannot hold a NUL
  EXPECT_FALSE(Encode(p).has_value());
  p = SubmitSm(1);
  p.sm->tlvs.push_back(Tlv{tag::kMessagePayload, std::string(0x10000, 'x')});  // > u16 length
  EXPECT_FALSE(Encode(p).has_value());
  p = SubmitSm(1);
  p.sm.reset();  // submit_sm without its body
  EXPECT_FALSE(Encode(p).has_value());
  Pdu b = MakeHeaderOnly(CommandId::kBindTransmitter, 1);
  b.bind.emplace().password = "123456789";  // max 8 + NUL
  EXPECT_FALSE(Encode(b).has_value());
}

TEST(Pdu, DecodeStatusNamesAreDistinct) {
  std::set<std::string_view> names;
  for (DecodeStatus s : {DecodeStatus::kOk, DecodeStatus::kNeedMore, DecodeStatus::kBadLength,
                         DecodeStatus::kUnknownCommand, DecodeStatus::kMalformedBody}) {
    names.insert(DecodeStatusName(s));
  }
  EXPECT_EQ(names.size(), 5u);
  EXPECT_EQ(DecodeStatusName(DecodeStatus::kBadLength), "bad_length");
}

TEST(Pdu, CorpusReplays) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(SD_CORPUS_DIR) / "pdu";
  ASSERT_TRUE(fs::exists(dir)) << dir;
  // What the first PDU of each named seed must decode to (tests/fuzz/make_pdu_corpus.py).
  const std::map<std::string, DecodeStatus> expected{
      {"enquire_link", DecodeStatus::kOk},
      {"bind_resp_error_empty", DecodeStatus::kOk},
      {"submit_sm_ucs2_payload", DecodeStatus::kOk},
      {"deliver_sm_receipt", DecodeStatus::kOk},
      {"max_size_pdu", DecodeStatus::kOk},
      {"len_0", DecodeStatus::kBadLength},
      {"len_2", DecodeStatus::kBadLength},
      {"len_15", DecodeStatus::kBadLength},
      {"len_ffffffff", DecodeStatus::kBadLength},
      {"truncated_tlv", DecodeStatus::kMalformedBody},
      {"tlv_header_cut", DecodeStatus::kMalformedBody},
      {"cstring_no_nul", DecodeStatus::kMalformedBody},
      {"sm_length_past_end", DecodeStatus::kMalformedBody},
      {"trailing_garbage", DecodeStatus::kMalformedBody},
      {"oversize_service_type", DecodeStatus::kMalformedBody},
      {"unknown_command", DecodeStatus::kUnknownCommand},
      {"short_header", DecodeStatus::kNeedMore},
  };
  int files = 0;
  size_t checked = 0;
  for (const auto& f : fs::directory_iterator(dir)) {
    std::ifstream in(f.path(), std::ios::binary);
    const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (auto it = expected.find(f.path().filename().string()); it != expected.end()) {
      EXPECT_EQ(Decode(data).status, it->second) << f.path();
      ++checked;
    }
    size_t off = 0;
    while (off < data.size()) {
      DecodeResult r = Decode(std::string_view(data).substr(off));
      ASSERT_LE(r.consumed, data.size() - off);
      if (r.status == DecodeStatus::kNeedMore || r.status == DecodeStatus::kBadLength) break;
      if (r.status == DecodeStatus::kOk) {
        const auto again = Encode(r.pdu);
        if (again) {
          EXPECT_EQ(Decode(*again).status, DecodeStatus::kOk) << f.path();
        }
      }
      off += r.consumed;
    }
    ++files;
  }
  EXPECT_GE(files, 15);
  EXPECT_EQ(checked, expected.size()) << "a named seed is missing";
}

}  // namespace
}  // namespace sd::smpp
