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
      "id:0123456789 sub:001 dlvrd:001 submit date:2601011200 done date:2601011201 stat:DELIVRD "
      "err:000 text:Hello");
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

TEST(ReceiptText, VendorLayouts) {
  struct Case {
    const char* text;
    const char* id;
    const char* stat;
    const char* err;
  };
  const Case cases[] = {
      // Kannel-style, uppercase keys, text before stat missing.
      {"id:1A2B3C sub:001 dlvrd:001 submit date:2601011200 done date:2601011201 stat:DELIVRD "
       "err:000 Text:",
       "1A2B3C", "DELIVRD", "000"},
      // Keys reordered, doubled spaces, no sub/dlvrd.
      {"stat:REJECTD   err:0B  id:abc-def", "abc-def", "REJECTD", "0B"},
      // Long words for states, mixed case keys.
      {"Id:99 Sub:1 Dlvrd:0 Submit Date:2601011200 Done Date:2601011201 Stat:UNDELIVERABLE Err:5",
       "99", "UNDELIVERABLE", "5"},
      // No err field at all.
      {"id:7 stat:EXPIRED", "7", "EXPIRED", ""},
      // No stat field: still a receipt (state unknown), the id is what matters.
      {"id:8 err:000", "8", "", "000"},
      // Trailing spaces and a text containing keys.
      {"id:5 stat:DELETED err:000 text:id:6 stat:DELIVRD   ", "5", "DELETED", "000"},
      // Leading spaces.
      {"   id:44 stat:ACCEPTD", "44", "ACCEPTD", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    auto r = ParseReceiptText(c.text);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->id, c.id);
    EXPECT_EQ(r->stat, c.stat);
    EXPECT_EQ(r->err, c.err);
  }
}

TEST(ReceiptText, GarbageIsNotAReceipt) {
  const std::string garbage[] = {
      "id:",
      ":::::",
      "id id id",
      "text:id:5 stat:DELIVRD",  // everything is inside the free text
      std::string("\0\xff\x01id", 5),
      std::string(5000, 'x'),
  };
  for (const std::string& g : garbage) EXPECT_FALSE(ParseReceiptText(g)) << g.substr(0, 40);
  // Binary junk around a real field still yields just that field, never a crash.
  auto r = ParseReceiptText(std::string("\x01\x02 id:ok \xff stat:\x7f", 17));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, "ok");
}

// Some SMSCs separate fields with tabs or CRLF; before, the id swallowed the rest of the text,
// held a ':' and the receipt was dropped as having no id.
TEST(ReceiptText, TabsAndLineBreaksSeparateFields) {
  auto r = ParseReceiptText("id:77020\tstat:DELIVRD\terr:000");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, "77020");
  EXPECT_EQ(r->stat, "DELIVRD");
  EXPECT_EQ(r->err, "000");
  r = ParseReceiptText("id:5\r\nstat:UNDELIV\r\nerr:034\r\ntext:stat:DELIVRD");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, "5");
  EXPECT_EQ(r->stat, "UNDELIV");
  EXPECT_EQ(r->err, "034");
  EXPECT_FALSE(ParseReceiptText("text:\tid:5"));
}

TEST(Receipt, EveryMessageStateTlv) {
  const std::pair<uint8_t, ReceiptState> states[] = {
      {1, ReceiptState::kEnroute}, {2, ReceiptState::kDelivered},   {3, ReceiptState::kExpired},
      {4, ReceiptState::kDeleted}, {5, ReceiptState::kUndelivered}, {6, ReceiptState::kAccepted},
      {7, ReceiptState::kUnknown}, {8, ReceiptState::kRejected},    {9, ReceiptState::kUnknown},
  };
  for (const auto& [value, state] : states) {
    ShortMessage m;
    m.esm_class = 0x04;
    m.tlvs.push_back(Tlv{tag::kReceiptedMessageId, "X"});  // no NUL: tolerated too
    m.tlvs.push_back(Tlv{tag::kMessageState, std::string(1, static_cast<char>(value))});
    auto r = ParseReceipt(m, "c");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->message_id, "X");
    EXPECT_EQ(r->state, state) << int{value};
  }
}

TEST(Receipt, NetworkErrorCodeAndBadStateLength) {
  ShortMessage m = ReceiptSm("id:1 stat:UNDELIV err:001");
  m.tlvs.push_back(Tlv{tag::kMessageState, std::string("\x02\x02", 2)});  // wrong length
  m.tlvs.push_back(Tlv{tag::kNetworkErrorCode, std::string("\x03\x01\x02", 3)});
  auto r = ParseReceipt(m, "c");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, ReceiptState::kUndelivered) << "a malformed TLV falls back to the text";
  EXPECT_EQ(r->error_code, "3:258");
}

TEST(Receipt, ReceiptFlagAmongOtherEsmClassBits) {
  ShortMessage m = ReceiptSm("id:5 stat:DELIVRD");
  m.esm_class = 0x44;  // UDHI + delivery receipt
  auto r = ParseReceipt(m, "c");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->message_id, "5");
  // A receipted_message_id alone marks a receipt even without the esm_class bits.
  ShortMessage t;
  t.tlvs.push_back(Tlv{tag::kReceiptedMessageId, std::string("abc\0", 4)});
  r = ParseReceipt(t, "c");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->message_id, "abc");
  EXPECT_EQ(r->state, ReceiptState::kUnknown);
}

}  // namespace
}  // namespace sd::smpp

namespace sd::smpp {
namespace {

TEST(RawReceiptText, PrintableKeptOthersAndBackslashEscaped) {
  EXPECT_EQ(RawReceiptText("stat:?? ok"), "stat:?? ok");
  EXPECT_EQ(RawReceiptText(std::string("\x02\xff\\a\x7f\0z", 7)), "\\x02\\xFF\\x5Ca\\x7F\\x00z");
  EXPECT_EQ(RawReceiptText(""), "");
}

TEST(RawReceiptText, BoundedWithoutCuttingAnEscape) {
  const std::string plain = RawReceiptText(std::string(1000, 'a'));
  EXPECT_EQ(plain, std::string(kMaxRawReceipt, 'a'));
  // 253 plain bytes leave room for one more byte, not for a 4-byte escape.
  const std::string mixed = RawReceiptText(std::string(253, 'a') + "\x01" + "b");
  EXPECT_EQ(mixed, std::string(253, 'a'));
  const std::string escapes = RawReceiptText(std::string(100, '\x01'));
  EXPECT_EQ(escapes.size(), 252u);  // 63 whole escapes
  EXPECT_LE(RawReceiptText(std::string(300, '\x80')).size(), kMaxRawReceipt);
}

TEST(Receipt, FlaggedButUnparsableIsNotParsedButStillFlagged) {
  ShortMessage sm;
  sm.esm_class = 0x04;
  sm.short_message = "\x02garbled";
  EXPECT_FALSE(ParseReceipt(sm, "c").has_value());
  EXPECT_TRUE(FlaggedAsReceipt(sm));
  sm.esm_class = 0x00;
  EXPECT_FALSE(FlaggedAsReceipt(sm));
  // SME acknowledgements and intermediate notifications are about our message too: never
  // taken for a recipient's words.
  for (uint8_t esm : {0x08, 0x10, 0x20, 0x48}) {
    sm.esm_class = esm;
    EXPECT_TRUE(FlaggedAsReceipt(sm)) << int{esm};
  }
  sm.esm_class = 0x40;  // a UDH, no message type: an MO
  EXPECT_FALSE(FlaggedAsReceipt(sm));
}

}  // namespace
}  // namespace sd::smpp
