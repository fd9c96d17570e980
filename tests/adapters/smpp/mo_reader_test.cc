#include "adapters/smpp/mo_reader.h"

#include <gtest/gtest.h>

namespace sd::smpp {
namespace {

ShortMessage Mo(const std::string& text) {
  ShortMessage sm;
  sm.source_addr = "4917012345";
  sm.destination_addr = "4930555";
  sm.short_message = text;
  return sm;
}

TEST(MoReader, AddressesAlphabetAndBytesOfASingleMessage) {
  ShortMessage sm = Mo("STOP");
  const InboundPart p = ReadInbound(sm, "acme", MoCoding::kGsm7, 42);
  EXPECT_EQ(p.carrier, "acme");
  EXPECT_EQ(p.from, "4917012345");
  EXPECT_EQ(p.to, "4930555");
  EXPECT_EQ(p.coding, MoCoding::kGsm7);
  EXPECT_EQ(p.body, "STOP");
  EXPECT_FALSE(p.part.has_value());
  EXPECT_EQ(p.received_ms, 42);
  sm.data_coding = 0x08;
  EXPECT_EQ(ReadInbound(sm, "acme", MoCoding::kGsm7, 0).coding, MoCoding::kUcs2);
  sm.data_coding = 0x00;
  EXPECT_EQ(ReadInbound(sm, "acme", MoCoding::kLatin1, 0).coding, MoCoding::kLatin1)
      << "0x00 is the carrier's default alphabet";
}

TEST(MoReader, APartFromTheUdhOrFromSarTlvs) {
  ShortMessage udh = Mo(std::string("\x05\x00\x03\x2a\x02\x02", 6) + "rest");
  udh.esm_class = 0x40;
  const InboundPart a = ReadInbound(udh, "acme", MoCoding::kGsm7, 0);
  ASSERT_TRUE(a.part.has_value());
  EXPECT_EQ(a.part->ref, 0x2a);
  EXPECT_EQ(a.part->seq, 2);
  EXPECT_EQ(a.body, "rest");
  // Without the esm_class bit the same bytes are text, not a header.
  udh.esm_class = 0;
  EXPECT_FALSE(ReadInbound(udh, "acme", MoCoding::kGsm7, 0).part.has_value());

  ShortMessage sar = Mo("part one");
  sar.tlvs = {{tag::kSarMsgRefNum, std::string("\x01\x02", 2)},
              {tag::kSarTotalSegments, std::string("\x03", 1)},
              {tag::kSarSegmentSeqnum, std::string("\x01", 1)}};
  const InboundPart b = ReadInbound(sar, "acme", MoCoding::kGsm7, 0);
  ASSERT_TRUE(b.part.has_value());
  EXPECT_EQ(b.part->ref, 0x0102);
  EXPECT_EQ(b.part->total, 3);
  EXPECT_EQ(b.part->seq, 1);
  // A SAR TLV of the wrong size, or seq beyond total: one message.
  sar.tlvs[2].value = std::string("\x04", 1);
  EXPECT_FALSE(ReadInbound(sar, "acme", MoCoding::kGsm7, 0).part.has_value());
  sar.tlvs[2].value = std::string("\x00\x01", 2);
  EXPECT_FALSE(ReadInbound(sar, "acme", MoCoding::kGsm7, 0).part.has_value());
}

// esm_class says a header leads but it does not parse: the bytes are kept whole and the
// message is flagged (lossy), never silently read as text. A header without a concatenation
// element (application ports only) leaves the SAR TLVs to say which part it is.
TEST(MoReader, ABrokenHeaderIsFlaggedAndAPortsOnlyHeaderLeavesTheSarTlvs) {
  ShortMessage broken = Mo(std::string("\x09\x00\x03\x01", 4) + "x");
  broken.esm_class = 0x40;
  const InboundPart p = ReadInbound(broken, "acme", MoCoding::kGsm7, 0);
  EXPECT_TRUE(p.bad_header);
  EXPECT_FALSE(p.part.has_value());
  EXPECT_TRUE(AssembleInbound(p, {p.body}, {true}).lossy);

  ShortMessage ports = Mo(std::string("\x06\x05\x04\x0b\x84\x23\xf0", 7) + "body");
  ports.esm_class = 0x40;
  ports.tlvs = {{tag::kSarMsgRefNum, std::string("\x00\x07", 2)},
                {tag::kSarTotalSegments, std::string("\x02", 1)},
                {tag::kSarSegmentSeqnum, std::string("\x01", 1)}};
  const InboundPart q = ReadInbound(ports, "acme", MoCoding::kGsm7, 0);
  EXPECT_FALSE(q.bad_header);
  ASSERT_TRUE(q.part.has_value());
  EXPECT_EQ(q.part->ref, 7);
  EXPECT_EQ(q.part->kind, MoPart::Kind::kSar);
  EXPECT_EQ(q.body, "body");
}

TEST(MoReader, MessagePayloadWhenShortMessageIsEmpty) {
  ShortMessage sm = Mo("");
  sm.tlvs = {{tag::kMessagePayload, std::string(300, 'x')}};
  EXPECT_EQ(ReadInbound(sm, "acme", MoCoding::kGsm7, 0).body.size(), 300u);
}

}  // namespace
}  // namespace sd::smpp
