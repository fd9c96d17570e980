#include "core/inbound.h"

#include <gtest/gtest.h>

#include "core/sms_text.h"

namespace sd {
namespace {

InboundPart Part(const std::string& from, uint16_t ref, uint8_t total, uint8_t seq) {
  InboundPart p;
  p.carrier = "acme";
  p.from = from;
  p.to = "4930555";
  p.part = MoPart{ref, total, seq};
  p.received_ms = 1'000;
  return p;
}

TEST(Inbound, PartsAreJoinedBeforeDecodingSoASplitCharacterSurvives) {
  // "👍" is one surrogate pair: UCS-2 parts may cut between its halves.
  auto enc = EncodeText("ok \xf0\x9f\x91\x8d", DataCoding::kUcs2);
  ASSERT_TRUE(enc.ok());
  const std::string& b = enc->bytes;  // 0 'o' 0 'k' 0 ' ' D8 3D DC 4D
  InboundPart first = Part("4917012345", 7, 2, 1);
  first.coding = MoCoding::kUcs2;
  const InboundMessage m = AssembleInbound(first, {b.substr(0, 8), b.substr(8)}, {true, true});
  EXPECT_EQ(m.text, "ok \xf0\x9f\x91\x8d");
  EXPECT_FALSE(m.lossy);
  EXPECT_EQ(m.parts, 2);
  EXPECT_EQ(m.missing, 0);
  EXPECT_EQ(m.from, "4917012345");
  EXPECT_EQ(m.received_ms, 1'000);
}

TEST(Inbound, AMissingPartIsCountedAndBinaryIsKeptAsHex) {
  InboundPart first = Part("1", 7, 3, 1);
  const InboundMessage m = AssembleInbound(first, {"STO", "", "P"}, {true, false, true});
  EXPECT_EQ(m.text, "STOP");
  EXPECT_EQ(m.missing, 1);
  first.coding = MoCoding::kBinary;
  const InboundMessage bin = AssembleInbound(first, {std::string("\x00\xff", 2)}, {true});
  EXPECT_EQ(bin.binary_hex, "00ff");
  EXPECT_TRUE(bin.text.empty());
}

TEST(Inbound, PartsOfOneMessageShareAKeyAndNothingElseDoes) {
  EXPECT_EQ(InboundPartsKey(Part("49170", 7, 3, 1)), InboundPartsKey(Part("49170", 7, 3, 3)));
  EXPECT_NE(InboundPartsKey(Part("49170", 7, 3, 1)), InboundPartsKey(Part("49170", 8, 3, 1)));
  EXPECT_NE(InboundPartsKey(Part("49170", 7, 3, 1)), InboundPartsKey(Part("49170", 7, 4, 1)));
  EXPECT_NE(InboundPartsKey(Part("49170", 7, 3, 1)), InboundPartsKey(Part("49171", 7, 3, 1)));
  // The same reference number of an 8-bit header, a 16-bit one and SAR TLVs: three messages.
  InboundPart u8 = Part("49170", 42, 3, 1), u16 = u8, sar = u8;
  u16.part->kind = MoPart::Kind::kUdh16;
  sar.part->kind = MoPart::Kind::kSar;
  EXPECT_NE(InboundPartsKey(u8), InboundPartsKey(u16));
  EXPECT_NE(InboundPartsKey(u8), InboundPartsKey(sar));
  EXPECT_NE(InboundPartsKey(u16), InboundPartsKey(sar));
  // Lengths keep fields apart: ("ab", "c") is not ("a", "bc").
  InboundPart x = Part("ab", 1, 2, 1), y = Part("a", 1, 2, 1);
  x.to = "c";
  y.to = "bc";
  EXPECT_NE(InboundPartsKey(x), InboundPartsKey(y));
}

}  // namespace
}  // namespace sd
