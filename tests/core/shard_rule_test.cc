#include "core/shard_rule.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

namespace sd {
namespace {

TEST(ShardRuleTest, Crc32IsZlibs) {
  EXPECT_EQ(Crc32(""), 0u);
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);  // the standard check value
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 80, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    const auto z = crc32(0L, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size()));
    ASSERT_EQ(Crc32(s), static_cast<uint32_t>(z)) << "length " << s.size();
  }
}

TEST(ShardRuleTest, JobShardIsCrcModuloShards) {
  EXPECT_EQ(JobShard("anything", 0), 0u);
  EXPECT_EQ(JobShard("anything", 1), 0u);
  EXPECT_EQ(JobShard("123456789", 3), 0xCBF43926u % 3);
  EXPECT_EQ(JobShard("123456789", 7), 0xCBF43926u % 7);
  // Ids spread evenly: 30,000 sequential ids over 3 shards, each within 3 % of a third.
  std::vector<int> per(3);
  for (int i = 0; i < 30000; ++i) ++per[JobShard("job-" + std::to_string(i), 3)];
  for (int n : per) EXPECT_NEAR(n, 10000, 300);
}

// tests/vectors/shards.json, made with Python's zlib: what producers in any language check.
TEST(ShardRuleTest, TheVectorsOfTheProducersRule) {
  std::ifstream in(std::string(SD_VECTORS_DIR) + "/shards.json");
  ASSERT_TRUE(in) << "tests/vectors/shards.json";
  const nlohmann::json doc = nlohmann::json::parse(in);
  ASSERT_GE(doc["cases"].size(), 50u);
  for (const auto& c : doc["cases"]) {
    const std::string id = c["id"];
    EXPECT_EQ(Crc32(id), c["crc32"].get<uint32_t>()) << id;
    const auto shards = c["shards"].get<uint32_t>();
    EXPECT_EQ(JobShard(id, shards), c["shard"].get<uint32_t>()) << id << " of " << shards;
    EXPECT_EQ(ShardName(doc["signed_for"].get<std::string>(), JobShard(id, shards)),
              c["stream"].get<std::string>());
  }
}

TEST(ShardRuleTest, MessageShardHashesCarrierAndId) {
  EXPECT_EQ(MessageShard("c1", "abc", 1), 0u);
  EXPECT_EQ(MessageShard("c1", "abc", 5), Crc32("c1:abc") % 5);
  EXPECT_EQ(MessageShard("", "", 5), Crc32(":") % 5);
}

TEST(ShardRuleTest, ShardNameReplacesTheFirstTag) {
  EXPECT_EQ(ShardName("sd:{0}:jobs", 0), "sd:{0}:jobs");
  EXPECT_EQ(ShardName("sd:{0}:jobs", 2), "sd:{2}:jobs");
  EXPECT_EQ(ShardName("{0}", 13), "{13}");
  EXPECT_EQ(ShardName("sd:{0}:{0}", 1), "sd:{1}:{0}");
  EXPECT_EQ(ShardName("sd:jobs", 3), "sd:jobs");
}

}  // namespace
}  // namespace sd
