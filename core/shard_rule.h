#pragma once
// Sharded deployments ([redis] shards = N, docs/redis.md "Shards"): which shard a job belongs
// to, which shard keeps the pointer for a carrier's message id, and the names of a shard's
// streams and keys. Producers must use the same rule (docs/jobs.md "Shards"), so it is one any
// language has in its standard library: CRC-32 as zlib computes it (Python zlib.crc32, Go
// hash/crc32.ChecksumIEEE, Java java.util.zip.CRC32, Node zlib.crc32, PHP crc32).
#include <cstdint>
#include <string>
#include <string_view>

namespace sd {

// Shards a deployment may have: the config refuses more (each is a stream every daemon reads,
// with two connections).
inline constexpr uint32_t kMaxShards = 64;

// CRC-32 (IEEE 802.3, reflected, as zlib's crc32(0, data, len)). Hand-written because core links
// nothing but the standard library; tests/core/shard_rule_test.cc checks it against zlib.
uint32_t Crc32(std::string_view data);

// The shard of a job: CRC-32 of its id (the job map's `id`, as UTF-8 bytes) modulo `shards`.
// 0 when shards <= 1. A job read from another shard's stream is refused (wrong_shard): its
// replay protection lives in its own shard.
inline uint32_t JobShard(std::string_view job_id, uint32_t shards) {
  return shards <= 1 ? 0 : Crc32(job_id) % shards;
}

// The shard whose pointer record says where a carrier's message id was committed: CRC-32 of
// "<carrier>:<id>" modulo `shards`. Only daemons use it.
uint32_t MessageShard(std::string_view carrier, std::string_view id, uint32_t shards);

// The hash tag every sharded name carries: shard 0's names are the configured ones.
inline constexpr std::string_view kShardTag = "{0}";

// `name` with its first "{0}" replaced by "{<shard>}" ("sd:{0}:jobs" -> "sd:{2}:jobs"). Names
// without the tag come back unchanged (the config refuses them with shards > 1).
std::string ShardName(std::string_view name, uint32_t shard);

}  // namespace sd
