// RandomPool (adapters/crypto/random.h): ids drawn from a buffered CSPRNG are as long as asked,
// never repeat across refills, and requests larger than the buffer still work.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "adapters/crypto/random.h"

namespace sd {

TEST(RandomPoolTest, DistinctIdsAcrossManyRefills) {
  RandomPool pool;
  std::set<std::string> seen;
  for (int i = 0; i < 5'000; ++i) {  // 60,000 bytes: about fifteen refills
    const std::string id = pool.Take(12);
    ASSERT_EQ(id.size(), 12u);
    EXPECT_TRUE(seen.insert(id).second) << "repeated at " << i;
  }
}

TEST(RandomPoolTest, TakesLargerThanTheBufferAndOddSizes) {
  RandomPool pool;
  EXPECT_EQ(pool.Take(10'000).size(), 10'000u);
  EXPECT_EQ(pool.Take(0).size(), 0u);
  for (size_t n = 1; n < 100; n += 7) EXPECT_EQ(pool.Take(n).size(), n);
  // Two pools never hand out the same bytes.
  RandomPool other;
  EXPECT_NE(pool.Take(32), other.Take(32));
}

}  // namespace sd
