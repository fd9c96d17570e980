#include "core/mo_text.h"

#include <gtest/gtest.h>

#include "core/sms_text.h"
#include "core/url_extract.h"

namespace sd {
namespace {

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int v : b) s.push_back(static_cast<char>(v));
  return s;
}

TEST(MoText, DataCodingPicksTheAlphabet) {
  EXPECT_EQ(MoCodingOf(0x00, MoCoding::kGsm7), MoCoding::kGsm7);
  EXPECT_EQ(MoCodingOf(0x00, MoCoding::kLatin1), MoCoding::kLatin1) << "the SMSC's default";
  EXPECT_EQ(MoCodingOf(0x01, MoCoding::kGsm7), MoCoding::kAscii);
  EXPECT_EQ(MoCodingOf(0x03, MoCoding::kGsm7), MoCoding::kLatin1);
  EXPECT_EQ(MoCodingOf(0x08, MoCoding::kGsm7), MoCoding::kUcs2);
  EXPECT_EQ(MoCodingOf(0x04, MoCoding::kGsm7), MoCoding::kBinary);
  EXPECT_EQ(MoCodingOf(0xF0, MoCoding::kLatin1), MoCoding::kGsm7) << "GSM group, class 0";
  EXPECT_EQ(MoCodingOf(0xF4, MoCoding::kGsm7), MoCoding::kBinary);
  EXPECT_EQ(MoCodingOf(0x18, MoCoding::kGsm7), MoCoding::kUcs2) << "general group, UCS-2";
  EXPECT_EQ(MoCodingOf(0x06, MoCoding::kGsm7), MoCoding::kBinary) << "Cyrillic: kept as bytes";
  // The other GSM 03.38 groups: automatic deletion, message waiting, compressed.
  EXPECT_EQ(MoCodingOf(0x48, MoCoding::kGsm7), MoCoding::kUcs2) << "auto-deletion, UCS-2";
  EXPECT_EQ(MoCodingOf(0x40, MoCoding::kLatin1), MoCoding::kGsm7) << "auto-deletion, GSM";
  EXPECT_EQ(MoCodingOf(0xC0, MoCoding::kGsm7), MoCoding::kGsm7) << "MWI discard";
  EXPECT_EQ(MoCodingOf(0xD8, MoCoding::kGsm7), MoCoding::kGsm7) << "MWI store";
  EXPECT_EQ(MoCodingOf(0xE0, MoCoding::kGsm7), MoCoding::kUcs2) << "MWI store, UCS-2";
  EXPECT_EQ(MoCodingOf(0x38, MoCoding::kGsm7), MoCoding::kBinary) << "compressed";
  EXPECT_EQ(MoCodingOf(0x90, MoCoding::kGsm7), MoCoding::kBinary) << "reserved group";
  for (MoCoding c :
       {MoCoding::kGsm7, MoCoding::kAscii, MoCoding::kLatin1, MoCoding::kUcs2, MoCoding::kBinary}) {
    EXPECT_EQ(ParseMoCoding(MoCodingName(c)), c);
  }
}

TEST(MoText, GsmSeptetsWithTheExtensionTableDecodeToUtf8) {
  // "STOP" and "Größe €5 {x}", as the encoder writes them: decoding inverts encoding.
  for (const std::string text : {"STOP",
                                 "Gr\xc3\xb6\xc3\x9f"
                                 "e \xe2\x82\xac"
                                 "5 {x} [a|b] ~^\\",
                                 "@\xc2\xa3$\xc2\xa5 \xce\x94\xce\xa9"}) {
    auto enc = EncodeText(text, DataCoding::kGsm7);
    ASSERT_TRUE(enc.ok()) << text;
    const MoText t = DecodeMoText(MoCoding::kGsm7, enc->bytes);
    EXPECT_EQ(t.utf8, text);
    EXPECT_FALSE(t.lossy);
  }
  // An unknown extension code shows as the basic character; a byte above 0x7F, or a
  // dangling escape, is lossy.
  EXPECT_EQ(DecodeMoText(MoCoding::kGsm7, Bytes({0x1B, 0x41})).utf8, "A");
  const MoText bad = DecodeMoText(MoCoding::kGsm7, Bytes({0x41, 0xC8, 0x1B}));
  EXPECT_EQ(bad.utf8, "A\xef\xbf\xbd");
  EXPECT_TRUE(bad.lossy);
}

TEST(MoText, Ucs2JoinsSurrogatePairsAndMarksHalves) {
  for (const std::string text : {"STOP", "\xd0\xa1\xd1\x82\xd0\xbe\xd0\xbf",  // Стоп
                                 "ok \xf0\x9f\x91\x8d"}) {                    // 👍 (a pair)
    auto enc = EncodeText(text, DataCoding::kUcs2);
    ASSERT_TRUE(enc.ok());
    const MoText t = DecodeMoText(MoCoding::kUcs2, enc->bytes);
    EXPECT_EQ(t.utf8, text);
    EXPECT_FALSE(t.lossy);
  }
  const MoText lone = DecodeMoText(MoCoding::kUcs2, Bytes({0xD8, 0x3D, 0x00, 0x41, 0x00}));
  EXPECT_EQ(lone.utf8,
            "\xef\xbf\xbd"
            "A\xef\xbf\xbd")
      << "lone high surrogate, odd byte";
  EXPECT_TRUE(lone.lossy);
}

// What an HTTP provider posts is UTF-8 already: kept as is, a bad byte flagged and replaced.
TEST(MoText, Utf8IsKeptAndBadBytesReplaced) {
  const MoText ok = DecodeMoText(MoCoding::kUtf8, "Caf\xc3\xa9 \xf0\x9f\x91\x8d");
  EXPECT_EQ(ok.utf8, "Caf\xc3\xa9 \xf0\x9f\x91\x8d");
  EXPECT_FALSE(ok.lossy);
  const MoText bad = DecodeMoText(MoCoding::kUtf8, "a\xff\xc3");
  EXPECT_EQ(bad.utf8, "a\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_TRUE(bad.lossy);
  EXPECT_FALSE(DecodeMoText(MoCoding::kUtf8, "\xef\xbf\xbd").lossy) << "a real U+FFFD";
  EXPECT_EQ(ParseMoCoding("utf8"), MoCoding::kUtf8);
}

TEST(MoText, Latin1AsciiAndBinary) {
  EXPECT_EQ(DecodeMoText(MoCoding::kLatin1, Bytes({0x53, 0xE9})).utf8, "S\xc3\xa9");
  const MoText ascii = DecodeMoText(MoCoding::kAscii, Bytes({0x53, 0xE9}));
  EXPECT_EQ(ascii.utf8, "S\xef\xbf\xbd");
  EXPECT_TRUE(ascii.lossy);
  const MoText bin = DecodeMoText(MoCoding::kBinary, Bytes({0x00, 0xFF}));
  EXPECT_TRUE(bin.binary);
  EXPECT_TRUE(bin.utf8.empty());
}

TEST(MoText, UdhConcatenationElementsAreRead) {
  // Udh::body is a view into the payload: each payload outlives its result.
  const std::string m8 = Bytes({0x05, 0x00, 0x03, 0x2A, 0x02, 0x01, 'h', 'i'});
  const Udh u8 = ParseUdh(m8);
  ASSERT_TRUE(u8.ok);
  ASSERT_TRUE(u8.part.has_value());
  EXPECT_EQ(u8.part->ref, 0x2A);
  EXPECT_EQ(u8.part->total, 2);
  EXPECT_EQ(u8.part->seq, 1);
  EXPECT_EQ(u8.body, "hi");
  // 16-bit reference after another element (a port address).
  const std::string m16 =
      Bytes({0x0C, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 0x08, 0x04, 0x12, 0x34, 0x03, 0x03, 'x'});
  const Udh u16 = ParseUdh(m16);
  ASSERT_TRUE(u16.ok);
  ASSERT_TRUE(u16.part.has_value());
  EXPECT_EQ(u16.part->ref, 0x1234);
  EXPECT_EQ(u16.part->seq, 3);
  EXPECT_EQ(u16.body, "x");
  // No concatenation element: one message, its body after the header.
  const std::string mnone = Bytes({0x02, 0x70, 0x00, 'y'});
  const Udh none = ParseUdh(mnone);
  EXPECT_TRUE(none.ok);
  EXPECT_FALSE(none.part.has_value());
  EXPECT_EQ(none.body, "y");
  // Part 0, part 4 of 3 and a one-part "concatenation" are not parts.
  EXPECT_FALSE(ParseUdh(Bytes({0x05, 0x00, 0x03, 1, 3, 0})).part.has_value());
  EXPECT_FALSE(ParseUdh(Bytes({0x05, 0x00, 0x03, 1, 3, 4})).part.has_value());
  EXPECT_FALSE(ParseUdh(Bytes({0x05, 0x00, 0x03, 1, 1, 1})).part.has_value());
  // A header longer than the payload, or an element longer than the header: not trusted.
  const std::string mlonger = Bytes({0x09, 0x00, 0x03, 1, 2, 1});
  const Udh longer = ParseUdh(mlonger);
  EXPECT_FALSE(longer.ok);
  EXPECT_EQ(longer.body.size(), 6u);
  const std::string mpast = Bytes({0x03, 0x00, 0x03, 1, 2, 1});
  const Udh past = ParseUdh(mpast);
  EXPECT_FALSE(past.ok);
  EXPECT_EQ(past.body.size(), 6u);
}

TEST(MoText, EveryByteSequenceDecodesToValidUtf8) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (MoCoding c : {MoCoding::kGsm7, MoCoding::kAscii, MoCoding::kLatin1, MoCoding::kUcs2}) {
    for (size_t cut = 0; cut <= all.size(); cut += 17) {
      EXPECT_TRUE(IsValidUtf8(DecodeMoText(c, all.substr(cut)).utf8)) << MoCodingName(c);
    }
  }
}

}  // namespace
}  // namespace sd
