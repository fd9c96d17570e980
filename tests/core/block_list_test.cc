#include "core/block_list.h"

#include <gtest/gtest.h>

namespace sd {
namespace {

TEST(BlockList, AllKeysOrOneFamilyOnAPrefixUntilItsEnd) {
  BlockList list({Block{"+3712", "", 2'000, 1'000, "otp", "burst"},
                  Block{"+4915", "acme", 2'000, 1'000, "operator", "looked odd"}});
  EXPECT_NE(list.Find("anyone", "+37120000000", 1'500), nullptr);
  EXPECT_EQ(list.Find("anyone", "+37120000000", 2'000), nullptr) << "ended";
  EXPECT_NE(list.Find("acme", "+4915112345678", 1'500), nullptr);
  EXPECT_EQ(list.Find("other", "+4915112345678", 1'500), nullptr) << "only acme's";
  EXPECT_EQ(list.Find("acme", "+4916112345678", 1'500), nullptr);
  EXPECT_EQ(list.ActiveCount(1'500), 2u);
  auto replaced = list.With(Block{"+3712", "", 9'000, 1'600, "operator", "longer"});
  EXPECT_EQ(replaced->blocks().size(), 2u);
  EXPECT_EQ(replaced->Find("x", "+37121", 5'000)->note, "longer");
}

TEST(BlockList, RecordsRoundTripAndBadOnesAreRefused) {
  const Block b{"+3712", "acme", 2'000, 1'000, "otp", "rule 'otp': 12 messages | odd"};
  auto back = ParseBlock(BlockField(b), BlockValue(b));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->prefix, "+3712");
  EXPECT_EQ(back->key_family, "acme");
  EXPECT_EQ(back->until_ms, 2'000);
  EXPECT_EQ(back->created_ms, 1'000);
  EXPECT_EQ(back->rule, "otp");
  EXPECT_EQ(back->note, b.note);
  EXPECT_EQ(BlockField(Block{"+44", ""}), "|+44");
  EXPECT_FALSE(ParseBlock("|44", "1|2|r|n").has_value());
  EXPECT_FALSE(ParseBlock("|+44", "x|2|r|n").has_value());
  EXPECT_FALSE(ParseBlock("|+44", "1|2|r").has_value());
  EXPECT_FALSE(ParseBlock("nobar", "1|2|r|n").has_value());
}

}  // namespace
}  // namespace sd
