// Receipts: TLVs preferred, the text format parsed tolerantly, vendor state words mapped.
#include "adapters/smpp/receipt_parser.h"

#include <gtest/gtest.h>

namespace sd::smpp {
namespace {

ShortMessage ReceiptSm(std::string text) {
  ShortMessage m;
  m.esm_class = 0x04;
  m.short_message = std::move(text);
  return m;
}

TEST(ReceiptText, StandardFormat) {
  auto r = ParseReceiptText(
      "id:0123456789 sub:001 dlvrd:001 submit date:2601011200 done date:2601011201 stat:DELIVRD err:000 text:Hello");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, "0123456789");
  EXPECT_EQ(r->stat, "DELIVRD");
  EXPECT_EQ(r->err, "000");
}

TEST(ReceiptText, TolerantVariants) {
  auto r = ParseReceiptText("ID:ab12 STAT:undeliv ERR:005");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, "ab12");
  EXPECT_EQ(r->stat, "undeliv");
  r = ParseReceiptText("stat:EXPIRED  id:  77 sub:001");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, "77");
  EXPECT_EQ(r->stat, "EXPIRED");
  // "stat:" inside the user text must not be taken.
  r = ParseReceiptText("id:9 stat:DELIVRD text:stat:REJECTD id:1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, "9");
  EXPECT_EQ(r->stat, "DELIVRD");
  EXPECT_FALSE(ParseReceiptText("hello there"));
  EXPECT_FALSE(ParseReceiptText(""));
  EXPECT_FALSE(ParseReceiptText("id: stat:DELIVRD"));
  EXPECT_FALSE(ParseReceiptText("xid:5 stat:DELIVRD")) << "keys start at a word boundary";
}

TEST(ReceiptText, VendorStates) {
  EXPECT_EQ(ReceiptStateFromStat("DELIVRD"), ReceiptState::kDelivered);
  EXPECT_EQ(ReceiptStateFromStat("delivered"), ReceiptState::kDelivered);
  EXPECT_EQ(ReceiptStateFromStat("UNDELIV"), ReceiptState::kUndelivered);
  EXPECT_EQ(ReceiptStateFromStat("UNDELIVERABLE"), ReceiptState::kUndelivered);
  EXPECT_EQ(ReceiptStateFromStat("EXPIRED"), ReceiptState::kExpired);
  EXPECT_EQ(ReceiptStateFromStat("REJECTD"), ReceiptState::kRejected);
  EXPECT_EQ(ReceiptStateFromStat("DELETED"), ReceiptState::kDeleted);
  EXPECT_EQ(ReceiptStateFromStat("ACCEPTD"), ReceiptState::kAccepted);
  EXPECT_EQ(ReceiptStateFromStat("ENROUTE"), ReceiptState::kEnroute);
  EXPECT_EQ(ReceiptStateFromStat("WHATEVER"), ReceiptState::kUnknown);
}

TEST(Receipt, TlvsWinOverText) {
  ShortMessage m = ReceiptSm("id:TEXTID stat:UNDELIV err:001");
  m.tlvs.push_back(Tlv{tag::kReceiptedMessageId, std::string("TLVID\0", 6)});
  m.tlvs.push_back(Tlv{tag::kMessageState, std::string(1, '\x02')});
  auto r = ParseReceipt(m, "sim");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->message_id, "TLVID");
  EXPECT_EQ(r->state, ReceiptState::kDelivered);
  EXPECT_EQ(r->carrier, "sim");
  EXPECT_EQ(r->error_code, "001");
}

TEST(Receipt, TextOnly) {
  auto r = ParseReceipt(ReceiptSm("id:42 sub:001 dlvrd:000 stat:UNDELIV err:034 text:x"), "c");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->message_id, "42");
  EXPECT_EQ(r->state, ReceiptState::kUndelivered);
  EXPECT_EQ(r->carrier_status, "UNDELIV");
}

TEST(Receipt, MobileOriginatedIsNotAReceipt) {
  ShortMessage m;
  m.esm_class = 0;
  m.short_message = "id:1 stat:DELIVRD";
  EXPECT_FALSE(ParseReceipt(m, "c"));
  EXPECT_FALSE(ParseReceipt(ReceiptSm("garbage"), "c")) << "receipt flag but nothing to match";
}

}  // namespace
}  // namespace sd::smpp
