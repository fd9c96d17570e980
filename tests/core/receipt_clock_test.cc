#include "core/receipt_clock.h"

#include <gtest/gtest.h>

namespace sd {
namespace {

TEST(ReceiptClock, AReceiptFindsItsSubmitOnceAndPerCarrier) {
  ReceiptClock c;
  c.Submitted("a", "m1", 100);
  c.Submitted("b", "m1", 200);
  EXPECT_EQ(c.Receipt("a", "m1"), 100);
  EXPECT_EQ(c.Receipt("a", "m1"), std::nullopt) << "taken";
  EXPECT_EQ(c.Receipt("b", "m1"), 200);
  EXPECT_EQ(c.Receipt("c", "m1"), std::nullopt);
}

TEST(ReceiptClock, TheOldestAreForgottenPastTheBound) {
  ReceiptClock c(3);
  for (int i = 0; i < 5; ++i) c.Submitted("a", "m" + std::to_string(i), i);
  EXPECT_EQ(c.size(), 3u);
  EXPECT_EQ(c.Receipt("a", "m0"), std::nullopt);
  EXPECT_EQ(c.Receipt("a", "m1"), std::nullopt);
  EXPECT_EQ(c.Receipt("a", "m4"), 4);
  // Taken keys left in the order do not let it grow without bound.
  for (int i = 5; i < 100; ++i) {
    c.Submitted("a", "m" + std::to_string(i), i);
    EXPECT_EQ(c.Receipt("a", "m" + std::to_string(i)), i);
  }
  EXPECT_LE(c.size(), 3u);
}

}  // namespace
}  // namespace sd
