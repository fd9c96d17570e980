// The simulator's multipart check as a unit (bench/smsc_sim/multipart.h): which part of which
// message a submit is, and the reassembler with time passed in (no clock, no sockets).
// PartInfo::text views the submit it came from, so every submit here outlives its part.
#include <gtest/gtest.h>

#include <string>

#include "bench/smsc_sim/multipart.h"

namespace sd::smsc_sim {
namespace {

using smpp::ShortMessage;

ShortMessage Udh(const std::string& udh, const std::string& text) {
  ShortMessage sm;
  sm.esm_class = 0x40;
  sm.short_message = udh + text;
  return sm;
}

TEST(SimMultipartTest, ExtractsEachMethod) {
  const ShortMessage m1 = Udh(std::string("\x05\x00\x03\x2a\x03\x02", 6), "abc");
  PartInfo p = ExtractPart(m1);
  EXPECT_EQ(p.method, PartMethod::kUdh8);
  EXPECT_EQ(p.ref, 0x2a);
  EXPECT_EQ(p.total, 3);
  EXPECT_EQ(p.seq, 2);
  EXPECT_EQ(p.text, "abc");
  EXPECT_TRUE(p.multipart());

  // A 16-bit IE after an unrelated one (IEI 0x24, national language shift).
  const ShortMessage m2 = Udh(std::string("\x09\x24\x01\x01\x08\x04\x12\x34\x02\x01", 10), "x");
  p = ExtractPart(m2);
  EXPECT_EQ(p.method, PartMethod::kUdh16);
  EXPECT_EQ(p.ref, 0x1234);
  EXPECT_EQ(p.total, 2);
  EXPECT_EQ(p.seq, 1);
  EXPECT_EQ(p.text, "x");

  ShortMessage sar;
  sar.short_message = "seg";
  sar.tlvs = {{smpp::tag::kSarMsgRefNum, std::string("\x01\x02", 2)},
              {smpp::tag::kSarTotalSegments, "\x04"},
              {smpp::tag::kSarSegmentSeqnum, "\x03"}};
  p = ExtractPart(sar);
  EXPECT_EQ(p.method, PartMethod::kSar);
  EXPECT_EQ(p.ref, 0x0102);
  EXPECT_EQ(p.total, 4);
  EXPECT_EQ(p.seq, 3);

  ShortMessage payload;
  payload.tlvs = {{smpp::tag::kMessagePayload, "long text"}};
  p = ExtractPart(payload);
  EXPECT_EQ(p.method, PartMethod::kPayload);
  EXPECT_EQ(p.text, "long text");
  EXPECT_FALSE(p.multipart());

  // A UDH without a concatenation IE is a single message without its UDH.
  const ShortMessage m3 = Udh(std::string("\x03\x24\x01\x01", 4), "hi");
  p = ExtractPart(m3);
  EXPECT_EQ(p.method, PartMethod::kSingle);
  EXPECT_EQ(p.text, "hi");
}

TEST(SimMultipartTest, RejectsWhatCannotBeRead) {
  EXPECT_EQ(ExtractPart(Udh("", "")).method, PartMethod::kInvalid);
  EXPECT_EQ(ExtractPart(Udh(std::string("\x09\x00\x03", 3), "")).method, PartMethod::kInvalid);
  EXPECT_EQ(ExtractPart(Udh(std::string("\x03\x00\x05\x01", 4), "")).method,
            PartMethod::kInvalid);  // IE longer than the UDH
  ShortMessage sar;
  sar.tlvs = {{smpp::tag::kSarMsgRefNum, std::string("\x01\x02", 2)}};  // the others missing
  EXPECT_EQ(ExtractPart(sar).method, PartMethod::kInvalid);
  sar.tlvs = {{smpp::tag::kSarMsgRefNum, "\x01"},  // one octet instead of two
              {smpp::tag::kSarTotalSegments, "\x02"},
              {smpp::tag::kSarSegmentSeqnum, "\x01"}};
  EXPECT_EQ(ExtractPart(sar).method, PartMethod::kInvalid);
}

PartInfo P(uint8_t total, uint8_t seq, std::string_view text) {
  PartInfo p;
  p.method = PartMethod::kUdh8;
  p.total = total;
  p.seq = seq;
  p.text = text;
  return p;
}

TEST(SimMultipartTest, ReassemblesInAnyOrderAndNamesEveryError) {
  Reassembler r;
  using O = Reassembler::Outcome;
  EXPECT_EQ(r.Add("a", P(3, 3, "C"), 0, 0).outcome, O::kStored);
  EXPECT_EQ(r.Add("a", P(3, 1, "A"), 0, 1).outcome, O::kStored);
  EXPECT_EQ(r.Add("a", P(3, 1, "A"), 0, 1).outcome, O::kDuplicate);
  EXPECT_EQ(r.Add("a", P(4, 2, "B"), 0, 1).outcome, O::kMismatch);  // total differs
  EXPECT_EQ(r.Add("a", P(3, 2, "B"), 8, 1).outcome, O::kMismatch);  // data_coding differs
  EXPECT_EQ(r.Add("a", P(3, 0, "?"), 0, 1).outcome, O::kBadPart);
  EXPECT_EQ(r.Add("a", P(3, 4, "?"), 0, 1).outcome, O::kBadPart);
  EXPECT_EQ(r.pending(), 1u);
  const auto done = r.Add("a", P(3, 2, "B"), 0, 2);
  EXPECT_EQ(done.outcome, O::kComplete);
  EXPECT_EQ(done.text, "ABC");
  EXPECT_EQ(r.pending(), 0u);
  // The reference may be used again once its message is complete.
  EXPECT_EQ(r.Add("a", P(2, 1, "x"), 0, 3).outcome, O::kStored);
  // A one-part "multipart" is complete at once and never pending.
  const auto one = r.Add("b", P(1, 1, "solo"), 0, 3);
  EXPECT_EQ(one.outcome, O::kComplete);
  EXPECT_EQ(one.text, "solo");
  EXPECT_EQ(r.pending(), 1u);
}

TEST(SimMultipartTest, ExpiresOnlyWhatIsDueAndCountsMissingParts) {
  Reassembler r;
  uint64_t missing = 0;
  ASSERT_EQ(r.Add("old", P(4, 1, "a"), 0, 100).outcome, Reassembler::Outcome::kStored);
  ASSERT_EQ(r.Add("done", P(2, 1, "a"), 0, 150).outcome, Reassembler::Outcome::kStored);
  ASSERT_EQ(r.Add("done", P(2, 2, "b"), 0, 160).outcome, Reassembler::Outcome::kComplete);
  ASSERT_EQ(r.Add("new", P(3, 2, "a"), 0, 500).outcome, Reassembler::Outcome::kStored);
  EXPECT_EQ(r.Expire(1099, 1000, &missing), 0u);  // "old" is due at 1100
  EXPECT_EQ(r.Expire(1100, 1000, &missing), 1u);
  EXPECT_EQ(missing, 3u);
  EXPECT_EQ(r.pending(), 1u);
  EXPECT_EQ(r.Expire(1499, 1000, &missing), 0u);
  EXPECT_EQ(r.Expire(1500, 1000, &missing), 1u);
  EXPECT_EQ(missing, 5u);
  EXPECT_EQ(r.pending(), 0u);
}

TEST(SimMultipartTest, PendingIsBounded) {
  Reassembler r;
  for (size_t i = 0; i < Reassembler::kMaxPending; ++i) {
    ASSERT_EQ(r.Add(std::to_string(i), P(2, 1, ""), 0, 0).outcome, Reassembler::Outcome::kStored);
  }
  EXPECT_EQ(r.Add("one more", P(2, 1, ""), 0, 0).outcome, Reassembler::Outcome::kOverflow);
  // Parts of messages already pending still go in.
  EXPECT_EQ(r.Add("7", P(2, 2, ""), 0, 0).outcome, Reassembler::Outcome::kComplete);
}

}  // namespace
}  // namespace sd::smsc_sim
