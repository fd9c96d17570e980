// NumberInfoCache on its own: bounded capacity, every field through a slot, and concurrent
// writers and readers that never see a torn entry (also run under ThreadSanitizer).
#include "adapters/policy/number_info_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace sd {
namespace {

TEST(NumberInfoCache, CapacityIsBoundedAndEvictsWithinASet) {
  NumberInfoCache cache(1);  // rounds up to one set per shard
  EXPECT_EQ(cache.capacity(), NumberInfoCache::kShards * NumberInfoCache::kWays);
  NumberInfo info;
  info.valid = true;
  for (int i = 0; i < 1000; ++i) cache.Insert("+4915100" + std::to_string(i), info);
  size_t present = 0;
  for (int i = 0; i < 1000; ++i) present += cache.Find("+4915100" + std::to_string(i)).has_value();
  EXPECT_EQ(present, cache.capacity());
  // Over-long keys are never stored.
  cache.Insert(std::string(NumberInfoCache::kMaxKeyBytes + 1, '1'), info);
  EXPECT_FALSE(cache.Find(std::string(NumberInfoCache::kMaxKeyBytes + 1, '1')).has_value());
}

TEST(NumberInfoCache, EveryFieldSurvivesTheSlotAndWhatDoesNotFitIsNotCached) {
  NumberInfoCache cache(64);
  NumberInfo info;
  info.valid = true;
  info.e164 = "+882123456789012";  // 16 bytes: the longest E.164 form
  info.region = "001";
  info.type = NumberType::kVoip;
  cache.Insert("00882123456789012", info);
  auto hit = cache.Find("00882123456789012");
  ASSERT_TRUE(hit.has_value());
  EXPECT_TRUE(hit->valid);
  EXPECT_EQ(hit->e164, info.e164);
  EXPECT_EQ(hit->region, "001");
  EXPECT_EQ(hit->type, NumberType::kVoip);
  EXPECT_FALSE(cache.Find("0088212345678901").has_value());  // a prefix is another key

  NumberInfo invalid;  // not parseable: empty E.164 and region
  cache.Insert("garbage", invalid);
  hit = cache.Find("garbage");
  ASSERT_TRUE(hit.has_value());
  EXPECT_FALSE(hit->valid);
  EXPECT_EQ(hit->e164, "");
  EXPECT_EQ(hit->region, "");

  NumberInfo too_long = info;
  too_long.e164 = "+88212345678901234";
  cache.Insert("+88212345678901234", too_long);
  EXPECT_FALSE(cache.Find("+88212345678901234").has_value());
}

// Writers evicting each other in a tiny cache while readers look up: a hit always carries the
// entry written for that key, never a mix of two (each entry is derived from its key). Run
// under ThreadSanitizer by scripts/test.sh.
TEST(NumberInfoCache, ConcurrentWritersAndReadersNeverSeeATornEntry) {
  NumberInfoCache cache(1);
  auto entry_for = [](int i) {
    NumberInfo info;
    info.valid = (i % 2) == 0;
    info.e164 = "+49151" + std::to_string(1000000 + i);
    info.region = (i % 3) == 0 ? "DE" : "001";
    info.type = static_cast<NumberType>(i % 5);
    return info;
  };
  constexpr int kKeys = 512;
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0}, hits{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&, w] {
      for (int round = 0; round < 200; ++round) {
        for (int i = w; i < kKeys; i += 2) cache.Insert(entry_for(i).e164, entry_for(i));
      }
    });
  }
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        for (int i = 0; i < kKeys; ++i) {
          const NumberInfo want = entry_for(i);
          auto got = cache.Find(want.e164);
          if (!got) continue;
          hits.fetch_add(1, std::memory_order_relaxed);
          if (got->e164 != want.e164 || got->region != want.region || got->valid != want.valid ||
              got->type != want.type) {
            torn.fetch_add(1);
          }
        }
      }
    });
  }
  threads[0].join();
  threads[1].join();
  stop = true;
  threads[2].join();
  threads[3].join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_GT(hits.load(), 0);
}

// Readers and writers from several threads; run under TSan (-DSD_TSAN=ON) to check the locks.

}  // namespace
}  // namespace sd
