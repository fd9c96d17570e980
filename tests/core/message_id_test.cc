// Message-id normalisation: the cases real SMSCs produce (hex submit id with a decimal receipt
// id, zero padding, case), fallbacks, limits and config names.
#include "core/message_id.h"

#include <gtest/gtest.h>

namespace sd {
namespace {

std::string Key(std::string_view id, MessageIdFormat f) {
  auto r = NormalizeMessageId(id, f);
  EXPECT_TRUE(r.ok()) << id;
  return r.ok() ? r->key : "<error>";
}

TEST(MessageId, HexSubmitMatchesDecimalReceipt) {
  const MessageIdNormalizer n(MessageIdFormat::kHex, MessageIdFormat::kDecimal);
  // 0x0A1B2C = 662316. (The value 660268 sometimes quoted with this id is 0x0A132C.)
  auto submit = n.ForSubmit("0A1B2C");
  auto receipt = n.ForReceipt("662316");
  ASSERT_TRUE(submit.ok());
  ASSERT_TRUE(receipt.ok());
  EXPECT_EQ(submit->key, "662316");
  EXPECT_EQ(submit->key, receipt->key);
  EXPECT_FALSE(submit->fell_back);
  EXPECT_FALSE(receipt->fell_back);
  EXPECT_NE(n.ForSubmit("0A1B2C")->key, n.ForReceipt("660268")->key);
  EXPECT_EQ(n.ForSubmit("0a132c")->key, n.ForReceipt("660268")->key);
  EXPECT_EQ(n.ForSubmit("0x0A1B2C")->key, "662316");
}

TEST(MessageId, LeadingZerosAndCase) {
  EXPECT_EQ(Key("000123", MessageIdFormat::kDecimal), Key("123", MessageIdFormat::kDecimal));
  EXPECT_EQ(Key("000123", MessageIdFormat::kString), "123");
  EXPECT_EQ(Key("0000", MessageIdFormat::kDecimal), "0");
  EXPECT_EQ(Key("000", MessageIdFormat::kString), "0");
  EXPECT_EQ(Key("0000", MessageIdFormat::kHex), "0");
  EXPECT_EQ(Key("00ff", MessageIdFormat::kHex), "255");
  EXPECT_EQ(Key("00FF", MessageIdFormat::kHex), "255");
  EXPECT_EQ(Key("AbC", MessageIdFormat::kString), Key("abc", MessageIdFormat::kString));
  EXPECT_EQ(Key("AbC", MessageIdFormat::kString), "abc");
  // Zeros are kept inside non-numeric string ids: "00ab" and "ab" may be different messages.
  EXPECT_EQ(Key("00AB", MessageIdFormat::kString), "00ab");
  EXPECT_EQ(Key(std::string_view(" 42\0", 4), MessageIdFormat::kString), "42");
  EXPECT_EQ(Key("\t0042 ", MessageIdFormat::kDecimal), "42");
}

TEST(MessageId, NumbersBeyond64And128Bits) {
  EXPECT_EQ(Key("FFFFFFFFFFFFFFFF", MessageIdFormat::kHex), "18446744073709551615");
  EXPECT_EQ(Key("10000000000000000", MessageIdFormat::kHex), "18446744073709551616");
  EXPECT_EQ(Key(std::string(32, 'f'), MessageIdFormat::kHex),
            "340282366920938463463374607431768211455");
  EXPECT_EQ(Key(std::string(64, 'f'), MessageIdFormat::kHex),
            "115792089237316195423570985008687907853269984665640564039457584007913129639935");
  // A UUID-like 128-bit hex id from the submit side matches its decimal receipt form.
  EXPECT_EQ(Key("0123456789abcdef0123456789ABCDEF", MessageIdFormat::kHex),
            Key("001512366075204170929049582354406559215", MessageIdFormat::kDecimal));
  EXPECT_EQ(Key(std::string(63, '0') + "7", MessageIdFormat::kDecimal), "7");
}

TEST(MessageId, UnparsableIdsFallBackToTheStringFormAndSayso) {
  auto hex = NormalizeMessageId("12G4", MessageIdFormat::kHex);
  ASSERT_TRUE(hex.ok());
  EXPECT_TRUE(hex->fell_back);
  EXPECT_EQ(hex->key, "12g4");
  auto dec = NormalizeMessageId("0A1B", MessageIdFormat::kDecimal);
  ASSERT_TRUE(dec.ok());
  EXPECT_TRUE(dec->fell_back);
  EXPECT_EQ(dec->key, "0a1b");
  EXPECT_TRUE(NormalizeMessageId("0x", MessageIdFormat::kHex)->fell_back);
  EXPECT_TRUE(NormalizeMessageId("-12", MessageIdFormat::kDecimal)->fell_back);
  EXPECT_TRUE(NormalizeMessageId("1 2", MessageIdFormat::kDecimal)->fell_back);
  EXPECT_FALSE(NormalizeMessageId("anything", MessageIdFormat::kString)->fell_back);
}

TEST(MessageId, EmptyAndOverlongAreRejected) {
  for (MessageIdFormat f :
       {MessageIdFormat::kString, MessageIdFormat::kHex, MessageIdFormat::kDecimal}) {
    EXPECT_EQ(NormalizeMessageId("", f).error().reason, Reason::kMalformed);
    EXPECT_EQ(NormalizeMessageId(std::string_view(" \0\t", 3), f).error().reason,
              Reason::kMalformed);
    EXPECT_TRUE(NormalizeMessageId(std::string(64, '1'), f).ok());
    EXPECT_EQ(NormalizeMessageId(std::string(65, '1'), f).error().reason, Reason::kTooLarge);
  }
  // Padding does not count towards the limit; the id itself does.
  EXPECT_TRUE(NormalizeMessageId(" " + std::string(64, 'a') + " ", MessageIdFormat::kString).ok());
}

TEST(MessageId, FormatNamesFromConfig) {
  for (MessageIdFormat f :
       {MessageIdFormat::kString, MessageIdFormat::kHex, MessageIdFormat::kDecimal}) {
    EXPECT_EQ(MessageIdFormatFromName(MessageIdFormatName(f)), f);
  }
  EXPECT_FALSE(MessageIdFormatFromName("HEX"));
  auto n = MessageIdNormalizer::FromNames("hex", "decimal");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->submit_format(), MessageIdFormat::kHex);
  EXPECT_EQ(n->receipt_format(), MessageIdFormat::kDecimal);
  auto d = MessageIdNormalizer::FromNames("", "");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->submit_format(), MessageIdFormat::kString);
  auto bad = MessageIdNormalizer::FromNames("string", "octal");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().detail.find("octal"), std::string::npos);
}

TEST(MessageId, DefaultNormalizerIsStringOnBothSides) {
  const MessageIdNormalizer n;
  EXPECT_EQ(n.ForSubmit("ABC-001")->key, n.ForReceipt("abc-001")->key);
  EXPECT_EQ(n.ForSubmit("000123")->key, n.ForReceipt("123")->key);
}

}  // namespace
}  // namespace sd
