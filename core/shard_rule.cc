#include "core/shard_rule.h"

#include <array>

namespace sd {

namespace {

constexpr std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}

constexpr std::array<uint32_t, 256> kCrcTable = MakeCrcTable();

uint32_t Update(uint32_t crc, std::string_view data) {
  for (unsigned char b : data) crc = kCrcTable[(crc ^ b) & 0xFFu] ^ (crc >> 8);
  return crc;
}

}  // namespace

uint32_t Crc32(std::string_view data) { return Update(0xFFFFFFFFu, data) ^ 0xFFFFFFFFu; }

uint32_t MessageShard(std::string_view carrier, std::string_view id, uint32_t shards) {
  if (shards <= 1) return 0;
  uint32_t crc = Update(0xFFFFFFFFu, carrier);
  crc = Update(crc, ":");
  crc = Update(crc, id);
  return (crc ^ 0xFFFFFFFFu) % shards;
}

std::string ShardName(std::string_view name, uint32_t shard) {
  const size_t at = name.find(kShardTag);
  std::string out(name);
  if (at == std::string_view::npos || shard == 0) return out;
  out.replace(at, kShardTag.size(), "{" + std::to_string(shard) + "}");
  return out;
}

}  // namespace sd
