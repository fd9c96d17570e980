#include "core/carrier_control.h"

#include <gtest/gtest.h>

namespace sd {
namespace {

TEST(CarrierControl, RecordsRoundTripAndBadOnesAreRefused) {
  const CarrierControlRecord r{CarrierControl::kDraining, 1'700'000'000'123, "alice",
                               "maintenance | window 2"};
  const auto back = ParseCarrierControlValue(CarrierControlValue(r));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->state, CarrierControl::kDraining);
  EXPECT_EQ(back->since_ms, 1'700'000'000'123);
  EXPECT_EQ(back->by, "alice");
  EXPECT_EQ(back->note, "maintenance | window 2") << "the note keeps its '|'";
  EXPECT_EQ(ParseCarrierControlValue("paused|5||")->state, CarrierControl::kPaused);
  EXPECT_FALSE(ParseCarrierControlValue("stopped|5|a|n").has_value()) << "unknown state";
  EXPECT_FALSE(ParseCarrierControlValue("paused|x|a|n").has_value()) << "bad time";
  EXPECT_FALSE(ParseCarrierControlValue("paused|5|a").has_value()) << "too few fields";
  EXPECT_FALSE(ParseCarrierControlValue("").has_value());
  EXPECT_FALSE(ParseCarrierControlValue("paused|5|a|" + std::string(201, 'n')).has_value())
      << "a note longer than the CLI allows";
}

TEST(CarrierControl, NamesAndWordsAgree) {
  for (CarrierControl c :
       {CarrierControl::kActive, CarrierControl::kPaused, CarrierControl::kDraining}) {
    EXPECT_EQ(ParseCarrierControl(CarrierControlName(c)), c);
  }
  EXPECT_FALSE(ParseCarrierControl("Paused").has_value());
}

}  // namespace
}  // namespace sd
