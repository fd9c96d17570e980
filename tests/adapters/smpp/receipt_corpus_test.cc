// Replays every receipt seed of the fuzz corpus (tests/fuzz/corpus/receipt, written by
// tests/fuzz/make_receipt_corpus.py, plus any crashers the fuzzer found) through the parser
// in the normal build: the fuzzer's properties must hold for each file, and the named vendor
// formats must parse to the fields they carry.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include "tests/fuzz/receipt_properties.h"

namespace sd::smpp {
namespace {

namespace fs = std::filesystem;

struct Expected {
  std::optional<std::string> id;  // nullopt: not a receipt text
  ReceiptState state = ReceiptState::kUnknown;
  std::string err;
};

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(ReceiptCorpus, EveryFileSatisfiesTheFuzzerProperties) {
  const fs::path dir = fs::path(SD_CORPUS_DIR) / "receipt";
  ASSERT_TRUE(fs::exists(dir)) << dir;
  using S = ReceiptState;
  const std::map<std::string, Expected> expected{
      {"standard_delivrd", {"0123456789", S::kDelivered, "000"}},
      {"standard_undeliv", {"77001", S::kUndelivered, "005"}},
      {"accepted", {"77002", S::kAccepted, "000"}},
      {"rejected", {"77003", S::kRejected, "0B1"}},
      {"expired", {"77004", S::kExpired, "000"}},
      {"deleted", {"77005", S::kDeleted, "000"}},
      {"unknown", {"77006", S::kUnknown, "000"}},
      {"enroute", {"77007", S::kEnroute, "000"}},
      {"long_words", {"77008", S::kDelivered, "000"}},
      {"lowercase_keys", {"abc123", S::kDelivered, "000"}},
      {"uppercase_keys", {"ABC124", S::kDelivered, "000"}},
      {"hex_id", {"0A1B2C3D4E", S::kDelivered, "000"}},
      {"padded_id", {"0000000000000123", S::kDelivered, "000"}},
      {"date_12_digits", {"77009", S::kDelivered, "000"}},
      {"extra_spaces", {"77010", S::kDelivered, "000"}},
      {"reordered", {"77011", S::kUndelivered, "001"}},
      {"missing_stat", {"77012", S::kUnknown, "000"}},
      {"missing_err", {"77013", S::kDelivered, ""}},
      {"id_only", {"77014", S::kUnknown, ""}},
      {"no_id", {std::nullopt}},
      {"empty_id", {std::nullopt}},
      {"stat_in_text", {"77015", S::kDelivered, "000"}},
      {"text_before_fields", {std::nullopt}},
      {"truncated_id", {std::nullopt}},
      {"empty", {std::nullopt}},
      {"key_without_space", {"77019", S::kDelivered, ""}},
      {"tabs", {"77020", S::kDelivered, "000"}},
      {"newlines", {"77024", S::kUndelivered, "034"}},
      {"mixed_case_stat", {"77023", S::kDelivered, "000"}},
      {"vendor_done_date_seconds", {"1A2B3C", S::kDelivered, "0"}},
  };
  size_t files = 0;
  size_t named = 0;
  for (const auto& f : fs::directory_iterator(dir)) {
    const std::string name = f.path().filename().string();
    const std::string data = ReadFile(f.path());
    EXPECT_EQ(fuzz::CheckReceiptText(data), "") << name;
    ++files;
    auto it = expected.find(name);
    if (it == expected.end()) continue;
    ++named;
    ShortMessage sm;
    sm.esm_class = 0x04;
    sm.short_message = data;
    const std::optional<Receipt> r = ParseReceipt(sm, "c1");
    ASSERT_EQ(r.has_value(), it->second.id.has_value()) << name;
    if (!r) continue;
    EXPECT_EQ(r->message_id, *it->second.id) << name;
    EXPECT_EQ(r->state, it->second.state) << name;
    EXPECT_EQ(r->error_code, it->second.err) << name;
  }
  EXPECT_GE(files, 40u);
  EXPECT_EQ(named, expected.size()) << "a named seed is missing from " << dir;
}

// A parsed receipt id reaches the normalizer as is: a zero-padded decimal receipt id joins the
// hex id the same SMSC returned in submit_sm_resp.
TEST(ReceiptCorpus, HexSubmitIdMatchesADecimalReceiptId) {
  const MessageIdNormalizer n(MessageIdFormat::kHex, MessageIdFormat::kDecimal);
  auto r = ParseReceiptText("id:0703346104654 stat:DELIVRD err:000");
  ASSERT_TRUE(r);
  EXPECT_EQ(n.ForSubmit("A3C2B1D94E")->key, n.ForReceipt(r->id)->key);
}

}  // namespace
}  // namespace sd::smpp
