#include "core/number_table.h"

#include <gtest/gtest.h>

namespace sd {
namespace {

NumberPlanDesc D(std::string pattern, std::vector<int> lengths = {}) {
  return NumberPlanDesc{std::move(pattern), std::move(lengths)};
}

// A made-up plan with the library's features: a two-region calling code chosen by leading
// digits, one chosen by type, a national prefix, lengths, every special type.
NumberPlan TestPlan() {
  NumberPlan plan;
  NumberPlanRegion a;  // +9: main region "AA"
  a.id = "AA";
  a.descs[size_t(PlanDesc::kGeneral)] = D("[1-8]\\d{5,7}", {6, 7, 8});
  a.descs[size_t(PlanDesc::kFixedLine)] = D("[2-4]\\d{5,7}");
  a.descs[size_t(PlanDesc::kMobile)] = D("(?:4|5)\\d{7}", {8});
  a.descs[size_t(PlanDesc::kPremiumRate)] = D("6\\d{5}", {6});
  a.descs[size_t(PlanDesc::kTollFree)] = D("6\\d{5,7}");
  a.descs[size_t(PlanDesc::kVoicemail)] = D("7\\d{7}", {-1});  // "no numbers of this kind"
  a.national_prefix_for_parsing = "8";
  NumberPlanRegion b;  // +9: second region "BB", by leading digits
  b.id = "BB";
  b.leading_digits = "7";
  b.descs[size_t(PlanDesc::kGeneral)] = D("7\\d{7}");
  b.descs[size_t(PlanDesc::kMobile)] = D("7\\d{7}");
  plan.calling_codes[9] = {a, b};
  NumberPlanRegion c;  // +35: one region where fixed line and mobile share a pattern
  c.id = "CC";
  c.descs[size_t(PlanDesc::kGeneral)] = D("\\d{6}");
  c.descs[size_t(PlanDesc::kFixedLine)] = D("\\d{6}");
  c.descs[size_t(PlanDesc::kMobile)] = D("\\d{6}");
  c.same_mobile_and_fixed_line_pattern = true;
  plan.calling_codes[35] = {c};
  NumberPlanRegion bad;  // +36: a pattern the compiler does not model
  bad.id = "DD";
  bad.descs[size_t(PlanDesc::kGeneral)] = D("(?=1)\\d{6}");
  plan.calling_codes[36] = {bad};
  plan.calling_codes[37] = {};  // a code without regions
  return plan;
}

TEST(NumberTable, TypesInTheLibrarysOrder) {
  const NumberTable t = NumberTable::Build(TestPlan());
  auto info = t.Classify("+923456789");  // fixed line only (mobile needs 8 digits and 4|5)
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->valid);
  EXPECT_EQ(info->type, NumberType::kFixedLine);
  EXPECT_EQ(info->region, "AA");
  EXPECT_EQ(info->e164, "+923456789");
  EXPECT_EQ(t.Classify("+945678901")->type, NumberType::kFixedLineOrMobile);
  EXPECT_EQ(t.Classify("+955678901")->type, NumberType::kMobile);
  EXPECT_EQ(t.Classify("+9612345")->type, NumberType::kPremiumRate);  // before toll free
  EXPECT_EQ(t.Classify("+96123456")->type, NumberType::kTollFree);    // premium: 6 digits only
  EXPECT_EQ(t.Classify("+35123456")->type, NumberType::kFixedLineOrMobile);
}

TEST(NumberTable, InvalidNumbersKeepTheirRegion) {
  const NumberTable t = NumberTable::Build(TestPlan());
  auto info = t.Classify("+91234567890");  // too long for AA's general description
  ASSERT_TRUE(info);
  EXPECT_FALSE(info->valid);
  EXPECT_EQ(info->type, NumberType::kUnknown);
  EXPECT_EQ(info->region, "ZZ");  // two regions, none claims it
  info = t.Classify("+3512345");  // one region: it is the region even when invalid
  EXPECT_FALSE(info->valid);
  EXPECT_EQ(info->region, "CC");
}

TEST(NumberTable, RegionByLeadingDigits) {
  const NumberTable t = NumberTable::Build(TestPlan());
  auto info = t.Classify("+971234567");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->region, "BB");
  EXPECT_EQ(info->type, NumberType::kMobile);
  // AA's voicemail lists no possible length (-1): never matches, so 7… is not AA's.
  info = t.Classify("+97123456");
  EXPECT_EQ(info->region, "BB");
  EXPECT_FALSE(info->valid);
}

TEST(NumberTable, LeavesToTheLibraryWhatItDoesNotModel) {
  const NumberTable t = NumberTable::Build(TestPlan());
  EXPECT_FALSE(t.Classify("+98123456"));   // starts with AA's national prefix
  EXPECT_FALSE(t.Classify("+36123456"));   // region that did not compile
  EXPECT_FALSE(t.Classify("+37123456"));   // code without regions
  EXPECT_FALSE(t.Classify("+912"));        // national part too short
  EXPECT_FALSE(t.Classify("4912345678"));  // no '+'
  EXPECT_EQ(t.stats().calling_codes, 4u);
  EXPECT_EQ(t.stats().codes_left_to_library, 2u);
  ASSERT_EQ(t.stats().left.size(), 2u);
  EXPECT_NE(t.stats().left[0].find("+36 DD"), std::string::npos) << t.stats().left[0];
}

TEST(NumberTable, UnknownCallingCodeIsUnparseable) {
  const NumberTable t = NumberTable::Build(TestPlan());
  auto info = t.Classify("+51234567");  // no code 5, 51 or 512
  ASSERT_TRUE(info);
  EXPECT_FALSE(info->valid);
  EXPECT_EQ(info->e164, "");
  EXPECT_EQ(info->region, "");
}

}  // namespace
}  // namespace sd
