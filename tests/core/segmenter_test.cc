// Splitting encoded texts into concatenated SMS parts: exact boundaries per coding and method,
// pairs never cut, the count agreeing with the split, the part limit.
#include "core/segmenter.h"

#include <gtest/gtest.h>

#include <random>

namespace sd {
namespace {

EncodedText Gsm(const std::string& septets) { return {DataCoding::kGsm7, septets, 1}; }
EncodedText Gsm(size_t n) { return Gsm(std::string(n, 'a')); }
const std::string kEuro("\x1b\x65", 2);  // GSM extension pair for €

const std::string kZhe("\x04\x36", 2);           // U+0436 'ж', one UTF-16 unit
const std::string kGrin("\xd8\x3d\xde\x00", 4);  // U+1F600, a surrogate pair
std::string Units(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += kZhe;
  return s;
}
EncodedText Ucs2(const std::string& bytes) { return {DataCoding::kUcs2, bytes, 1}; }

std::vector<SmsPart> Split(const EncodedText& t, SplitMethod m, uint16_t ref = 7) {
  auto r = SplitText(t, m, ref);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().detail);
  return r.ok() ? std::move(r).value() : std::vector<SmsPart>{};
}

std::vector<size_t> BodySizes(const std::vector<SmsPart>& parts) {
  std::vector<size_t> s;
  for (const auto& p : parts) s.push_back(p.body.size());
  return s;
}

TEST(Segmenter, GsmSingleAndTwoPartBoundary) {
  auto one = Split(Gsm(160), SplitMethod::kUdh8);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_TRUE(one[0].udh.empty());
  EXPECT_EQ(one[0].body, std::string(160, 'a'));
  EXPECT_EQ(one[0].total, 1);

  auto two = Split(Gsm(161), SplitMethod::kUdh8, 0x2A);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(BodySizes(two), (std::vector<size_t>{153, 8}));
  EXPECT_EQ(two[0].udh, std::string("\x05\x00\x03\x2a\x02\x01", 6));
  EXPECT_EQ(two[1].udh, std::string("\x05\x00\x03\x2a\x02\x02", 6));
  EXPECT_EQ(two[1].seq, 2);
  EXPECT_EQ(two[1].total, 2);
  EXPECT_EQ(two[0].ShortMessage(), two[0].udh + two[0].body);

  EXPECT_EQ(CountParts(DataCoding::kGsm7, std::string(153 * 2, 'a'), SplitMethod::kUdh8), 2);
  EXPECT_EQ(CountParts(DataCoding::kGsm7, std::string(153 * 2 + 1, 'a'), SplitMethod::kUdh8), 3);
  EXPECT_EQ(BodySizes(Split(Gsm(153 * 2 + 1), SplitMethod::kUdh8)),
            (std::vector<size_t>{153, 153, 1}));
}

TEST(Segmenter, Ucs2SingleAndPartBoundaries) {
  EXPECT_EQ(Split(Ucs2(Units(70)), SplitMethod::kUdh8).size(), 1u);
  auto two = Split(Ucs2(Units(71)), SplitMethod::kUdh8);
  EXPECT_EQ(BodySizes(two), (std::vector<size_t>{67 * 2, 4 * 2}));
  EXPECT_EQ(CountParts(DataCoding::kUcs2, Units(67 * 2), SplitMethod::kUdh8), 2);
  EXPECT_EQ(BodySizes(Split(Ucs2(Units(67 * 2 + 1)), SplitMethod::kUdh8)),
            (std::vector<size_t>{134, 134, 2}));
}

TEST(Segmenter, EscapePairAtThePartBoundaryMovesWhole) {
  // 152 septets, then € would occupy septets 153-154: it goes to part two, which is then full.
  const std::string text = std::string(152, 'a') + kEuro + std::string(152, 'a');  // 306 septets
  EXPECT_EQ(SegmentCount(DataCoding::kGsm7, text.size()), 2) << "the naive count";
  EXPECT_EQ(CountParts(DataCoding::kGsm7, text, SplitMethod::kUdh8), 3);
  auto parts = Split(Gsm(text), SplitMethod::kUdh8);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].body, std::string(152, 'a'));
  EXPECT_EQ(parts[1].body.substr(0, 2), kEuro);
  EXPECT_EQ(parts[1].body.size(), 153u);
  EXPECT_EQ(parts[2].body, "a");
  // A pair ending exactly at 153 stays in part one.
  auto fits = Split(Gsm(std::string(151, 'a') + kEuro + std::string(10, 'a')), SplitMethod::kUdh8);
  EXPECT_EQ(BodySizes(fits), (std::vector<size_t>{153, 10}));
  // 160 septets with the pair last is still one SMS.
  EXPECT_EQ(Split(Gsm(std::string(158, 'a') + kEuro), SplitMethod::kUdh8).size(), 1u);
}

TEST(Segmenter, SurrogatePairAtThePartBoundaryMovesWhole) {
  const std::string text = Units(66) + kGrin + Units(66);  // 134 units
  EXPECT_EQ(SegmentCount(DataCoding::kUcs2, text.size() / 2), 2) << "the naive count";
  EXPECT_EQ(CountParts(DataCoding::kUcs2, text, SplitMethod::kUdh8), 3);
  auto parts = Split(Ucs2(text), SplitMethod::kUdh8);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].body, Units(66));
  EXPECT_EQ(parts[1].body.substr(0, 4), kGrin);
  EXPECT_EQ(parts[1].body.size(), 134u);
  EXPECT_EQ(parts[2].body, kZhe);
  // A high surrogate not followed by a low one is a lone unit and may end a part.
  const std::string lone = Units(66) + std::string("\xd8\x3d", 2) + Units(10);
  EXPECT_EQ(BodySizes(Split(Ucs2(lone), SplitMethod::kUdh8)), (std::vector<size_t>{134, 20}));
}

TEST(Segmenter, SixteenBitReferenceHasOneUnitLessPerPart) {
  auto parts = Split(Gsm(161), SplitMethod::kUdh16, 0x1234);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(BodySizes(parts), (std::vector<size_t>{152, 9}));
  EXPECT_EQ(parts[0].udh, std::string("\x06\x08\x04\x12\x34\x02\x01", 7));
  EXPECT_EQ(parts[1].udh, std::string("\x06\x08\x04\x12\x34\x02\x02", 7));
  EXPECT_EQ(parts[0].ref, 0x1234);
  EXPECT_EQ(CountParts(DataCoding::kGsm7, std::string(304, 'a'), SplitMethod::kUdh16), 2);
  EXPECT_EQ(CountParts(DataCoding::kGsm7, std::string(305, 'a'), SplitMethod::kUdh16), 3);
  EXPECT_EQ(CountParts(DataCoding::kGsm7, std::string(305, 'a'), SplitMethod::kUdh8), 2);
  EXPECT_EQ(CountParts(DataCoding::kUcs2, Units(132), SplitMethod::kUdh16), 2);
  EXPECT_EQ(CountParts(DataCoding::kUcs2, Units(133), SplitMethod::kUdh16), 3);
}

TEST(Segmenter, EightBitReferenceUsesTheLowOctet) {
  auto parts = Split(Gsm(200), SplitMethod::kUdh8, 0x1234);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].ref, 0x34);
  EXPECT_EQ(static_cast<uint8_t>(parts[0].udh[3]), 0x34);
}

TEST(Segmenter, SarCarriesFieldsAndNoUdh) {
  auto parts = Split(Gsm(400), SplitMethod::kSar, 0xBEEF);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(BodySizes(parts), (std::vector<size_t>{153, 153, 94}));
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(parts[i].udh.empty());
    EXPECT_EQ(parts[i].seq, i + 1);
    EXPECT_EQ(parts[i].total, 3);
    EXPECT_EQ(parts[i].ref, 0xBEEF);
  }
  EXPECT_EQ(CountParts(DataCoding::kUcs2, Units(135), SplitMethod::kSar), 3);
}

TEST(Segmenter, PayloadIsOnePduWithEverything) {
  const EncodedText t = Gsm(1000);
  EXPECT_EQ(CountParts(t.coding, t.bytes, SplitMethod::kPayload), 1);
  auto parts = Split(t, SplitMethod::kPayload);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_TRUE(parts[0].udh.empty());
  EXPECT_EQ(parts[0].body, t.bytes);
  EXPECT_EQ(parts[0].total, 1);
}

TEST(Segmenter, PartLimitIsCheckedBeforeSplitting) {
  EXPECT_EQ(Split(Gsm(153 * 255), SplitMethod::kUdh8).size(), 255u);
  EXPECT_EQ(CountParts(DataCoding::kGsm7, std::string(153 * 255 + 1, 'a'), SplitMethod::kUdh8),
            256);
  for (SplitMethod m : {SplitMethod::kUdh8, SplitMethod::kSar, SplitMethod::kPayload}) {
    auto r = SplitText(Gsm(153 * 255 + 1), m, 1);
    ASSERT_FALSE(r.ok()) << SplitMethodName(m);
    EXPECT_EQ(r.error().reason, Reason::kTextTooLong);
  }
  EXPECT_FALSE(SplitText(Gsm(152 * 255 + 1), SplitMethod::kUdh16, 1).ok());
  EXPECT_TRUE(SplitText(Gsm(152 * 255), SplitMethod::kUdh16, 1).ok());
  EXPECT_FALSE(SplitText(Ucs2(Units(67 * 255 + 1)), SplitMethod::kUdh8, 1).ok());
}

TEST(Segmenter, RejectsEmptyAndOddUcs2) {
  EXPECT_EQ(SplitText(Gsm(""), SplitMethod::kUdh8, 1).error().reason, Reason::kInvalidText);
  EXPECT_EQ(SplitText(Ucs2(std::string("\x00\x41\x00", 3)), SplitMethod::kUdh8, 1).error().reason,
            Reason::kInvalidText);
}

TEST(Segmenter, MethodNames) {
  for (SplitMethod m :
       {SplitMethod::kUdh8, SplitMethod::kUdh16, SplitMethod::kSar, SplitMethod::kPayload}) {
    EXPECT_EQ(SplitMethodFromName(SplitMethodName(m)), m);
  }
  EXPECT_FALSE(SplitMethodFromName("UDH"));
  EXPECT_FALSE(SplitMethodFromName(""));
}

// Random texts dense in pairs: reassembly gives the bytes back, no part is over capacity or
// ends inside a pair, and CountParts agrees with the split for every method.
TEST(Segmenter, RandomTextsReassembleAndAgreeWithTheCount) {
  std::mt19937 rng(20261125);
  for (int round = 0; round < 400; ++round) {
    const bool gsm = round % 2 == 0;
    const size_t chars = std::uniform_int_distribution<size_t>(1, 700)(rng);
    std::string bytes;
    if (round % 4 < 2) {
      for (size_t i = 0; i < chars; ++i) {
        const bool pair = std::uniform_int_distribution<int>(0, 3)(rng) == 0;
        if (gsm) {
          bytes += pair ? kEuro : "a";
        } else {
          bytes += pair ? kGrin : kZhe;
        }
      }
    } else {
      // Arbitrary units: runs of escapes, lone and reversed surrogates, escape last.
      std::uniform_int_distribution<int> byte(0, 255);
      for (size_t i = 0; i < chars; ++i) {
        const bool odd = byte(rng) < 96;
        if (gsm) {
          bytes += static_cast<char>(odd ? 0x1B : byte(rng) & 0x7F);
        } else {
          bytes += static_cast<char>(odd ? 0xD8 + byte(rng) % 8 : byte(rng));
          bytes += static_cast<char>(byte(rng));
        }
      }
    }
    const EncodedText t{gsm ? DataCoding::kGsm7 : DataCoding::kUcs2, bytes, 1};
    for (SplitMethod m :
         {SplitMethod::kUdh8, SplitMethod::kUdh16, SplitMethod::kSar, SplitMethod::kPayload}) {
      auto parts = Split(t, m);
      ASSERT_EQ(static_cast<int>(parts.size()), CountParts(t.coding, t.bytes, m));
      std::string joined;
      for (size_t i = 0; i < parts.size(); ++i) {
        const SmsPart& p = parts[i];
        EXPECT_EQ(p.seq, static_cast<int>(i) + 1);
        EXPECT_EQ(p.total, static_cast<int>(parts.size()));
        joined += p.body;
        if (parts.size() == 1) continue;
        const size_t cap = m == SplitMethod::kUdh16 ? (gsm ? 152 : 66) : (gsm ? 153 : 67);
        EXPECT_LE(p.body.size(), cap * (gsm ? 1 : 2));
        // No part ends on the first half of a pair (unless the text itself does).
        const bool last = i + 1 == parts.size();
        if (gsm) {
          size_t k = 0;
          while (k < p.body.size()) k += p.body[k] == '\x1b' ? 2 : 1;
          EXPECT_TRUE(k == p.body.size() || (last && k == p.body.size() + 1));
        } else if (!last) {
          const auto hi = [](const std::string& b, size_t at) {
            const auto c = static_cast<uint8_t>(b[at]);
            return c >= 0xD8 && c <= 0xDB;
          };
          const auto lo = [](const std::string& b, size_t at) {
            const auto c = static_cast<uint8_t>(b[at]);
            return c >= 0xDC && c <= 0xDF;
          };
          const std::string& next = parts[i + 1].body;
          EXPECT_FALSE(hi(p.body, p.body.size() - 2) && lo(next, 0));
        }
        EXPECT_EQ(p.udh.empty(), m == SplitMethod::kSar);
      }
      EXPECT_EQ(joined, bytes);
    }
  }
}

}  // namespace
}  // namespace sd
