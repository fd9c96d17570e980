// The SMPP 3.4 codec: round trips, hand-written byte dumps from the spec, incremental
// decoding, and hostile framing.
#include "adapters/smpp/pdu.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

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
  EXPECT_EQ(*bytes, Bytes({0, 0, 0, 0x1b, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 2, 'a', 'b', 0, 'p', 'w', 0, 0, 0x34,
                           0, 0, 0}));
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
  std::string raw = Bytes({0, 0, 0, static_cast<int>(16 + body.size()), 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1}) + body;
  EXPECT_EQ(Decode(raw).status, DecodeStatus::kMalformedBody);
  // short_message length beyond the PDU.
  std::string sm = good;
  const size_t sm_len_pos = good.find(std::string("\x04\x36", 2)) - 1;
  sm[sm_len_pos] = static_cast<char>(200);
  EXPECT_EQ(Decode(sm).status, DecodeStatus::kMalformedBody);
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

TEST(Pdu, CorpusReplays) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(SD_CORPUS_DIR) / "pdu";
  ASSERT_TRUE(fs::exists(dir)) << dir;
  int files = 0;
  for (const auto& f : fs::directory_iterator(dir)) {
    std::ifstream in(f.path(), std::ios::binary);
    const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
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
}

}  // namespace
}  // namespace sd::smpp
