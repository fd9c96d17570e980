// GSM 03.38 / UCS-2 choice, the extension table, surrogate pairs, segment boundaries.
#include <gtest/gtest.h>

#include "core/sms_text.h"

namespace sd {
namespace {

TEST(SmsText, PlainAsciiIsGsmOneSeptetPerCharacter) {
  auto e = EncodeText("Hello @ 12");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->coding, DataCoding::kGsm7);
  EXPECT_EQ(e->bytes, std::string("Hello \x00 12", 10));  // '@' is septet 0x00
}

TEST(SmsText, GsmBasicTableCharactersMapToTheirSeptets) {
  auto e = EncodeText("£¥èÄÖÑÜ§¿äöñüàΔΩ_$");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->coding, DataCoding::kGsm7);
  EXPECT_EQ(e->bytes, std::string("\x01\x03\x04\x5b\x5c\x5d\x5e\x5f\x60\x7b\x7c\x7d\x7e\x7f\x10\x15\x11\x02", 18));
}

TEST(SmsText, ExtensionTableCharactersTakeTwoSeptets) {
  auto e = EncodeText("{€}");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->coding, DataCoding::kGsm7);
  EXPECT_EQ(e->bytes, std::string("\x1b\x28\x1b\x65\x1b\x29", 6));
}

TEST(SmsText, NonGsmTextIsUcs2BigEndianWithSurrogatePairs) {
  auto e = EncodeText("Aж😀");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->coding, DataCoding::kUcs2);
  EXPECT_EQ(e->bytes, std::string("\x00\x41\x04\x36\xd8\x3d\xde\x00", 8));
}

TEST(SmsText, SegmentBoundaries) {
  EXPECT_EQ(EncodeText(std::string(160, 'a'))->segments, 1);
  EXPECT_EQ(EncodeText(std::string(161, 'a'))->segments, 2);
  EXPECT_EQ(EncodeText(std::string(306, 'a'))->segments, 2);
  EXPECT_EQ(EncodeText(std::string(307, 'a'))->segments, 3);
  // 80 euro signs = 160 septets: still one segment; one more character makes two.
  std::string euros;
  for (int i = 0; i < 80; ++i) euros += "€";
  EXPECT_EQ(EncodeText(euros)->segments, 1);
  EXPECT_EQ(EncodeText(euros + "a")->segments, 2);
  std::string cyr;
  for (int i = 0; i < 70; ++i) cyr += "ж";
  EXPECT_EQ(EncodeText(cyr)->segments, 1);
  EXPECT_EQ(EncodeText(cyr + "ж")->segments, 2);
  EXPECT_EQ(SegmentCount(DataCoding::kUcs2, 134), 2);
  EXPECT_EQ(SegmentCount(DataCoding::kUcs2, 135), 3);
}

// segments comes from the split itself (core/segmenter.h): a pair that would straddle a part
// boundary moves whole into the next part, which can add a part the naive count misses.
TEST(SmsText, SegmentsAgreeWithTheSplitAtPairBoundaries) {
  const std::string a152(152, 'a');
  EXPECT_EQ(EncodeText(a152 + "€" + a152)->segments, 3);  // 306 septets, naive count 2
  EXPECT_EQ(EncodeText(std::string(151, 'a') + "€" + a152)->segments, 2);
  EXPECT_EQ(EncodeText(std::string(158, 'a') + "€")->segments, 1);  // 160 septets
  EXPECT_EQ(EncodeText(std::string(159, 'a') + "€")->segments, 2);
  std::string zhe66;
  for (int i = 0; i < 66; ++i) zhe66 += "ж";
  EXPECT_EQ(EncodeText(zhe66 + "😀" + zhe66)->segments, 3);  // 134 units, naive count 2
  EXPECT_EQ(EncodeText(zhe66 + "ж😀" + zhe66)->segments, 3);  // 135 units: naive agrees
  EXPECT_EQ(EncodeText(zhe66 + "😀" + zhe66.substr(0, 2 * 64))->segments, 2);
}

TEST(SmsText, ForcedCoding) {
  EXPECT_EQ(EncodeText("abc", DataCoding::kUcs2)->coding, DataCoding::kUcs2);
  EXPECT_EQ(EncodeText("ж", DataCoding::kGsm7).error().reason, Reason::kInvalidText);
}

TEST(SmsText, RejectsInvalidUtf8AndEmpty) {
  EXPECT_EQ(EncodeText("").error().reason, Reason::kInvalidText);
  EXPECT_FALSE(EncodeText("\xc0\xaf").ok()) << "overlong";
  EXPECT_FALSE(EncodeText("\xed\xa0\x80").ok()) << "UTF-16 surrogate";
  EXPECT_FALSE(EncodeText("\xf4\x90\x80\x80").ok()) << "above U+10FFFF";
  EXPECT_FALSE(EncodeText("abc\xe2\x82").ok()) << "truncated";
  EXPECT_FALSE(EncodeText("\x80").ok()) << "lone continuation";
  EXPECT_FALSE(EncodeText("ж\xff").ok()) << "invalid after a UCS-2 decision";
}

}  // namespace
}  // namespace sd
