#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "adapters/redis/cluster_slots.h"
#include "core/shard_rule.h"
#include "daemon/lib/config.h"
#include "daemon/lib/config_sections.h"

// [redis] cluster (docs/redis.md, "Running on Redis Cluster"): seed nodes instead of one
// server, and every key name in one slot, so that each script's keys stay on one node.
namespace sd::config_detail {

namespace {

constexpr size_t kMaxSeeds = 64;

// "host:port", the port after the last colon (so "::1:7000" works too).
bool ParseSeed(const std::string& s, std::pair<std::string, int>* out) {
  const size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size()) return false;
  int port = 0;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data() + colon + 1, end, port);
  if (ec != std::errc() || ptr != end || port < 1 || port > 65535) return false;
  *out = {s.substr(0, colon), port};
  return true;
}

}  // namespace

void LoadRedisCluster(Section& s, Config& c) {
  const toml::node* n = s.Node("cluster");
  if (n == nullptr) return;
  for (const std::string& seed : s.StrList("cluster", kMaxSeeds)) {
    std::pair<std::string, int> parsed;
    if (!ParseSeed(seed, &parsed)) {
      s.problems().At(*n, "redis.cluster: '" + seed + "' is not host:port");
      continue;
    }
    c.redis.cluster.push_back(std::move(parsed));
  }
  if (c.redis.cluster.empty() && !s.problems().any()) {
    s.problems().At(*n, "redis.cluster needs at least one host:port");
  }
  for (const char* single : {"host", "port", "unix_socket"}) {
    if (const toml::node* other = s.Node(single)) {
      s.problems().At(*other, std::string("redis.") + single +
                                  " does not go with redis.cluster (the seeds name the nodes)");
    }
  }
}

void LoadReadShards(Section& s, Config& c) {
  const toml::node* n = s.Node("read_shards");
  if (n == nullptr) return;
  const toml::array* a = n->as_array();
  if (a == nullptr || a->empty()) {
    s.problems().At(*n, "redis.read_shards must be a non-empty array of shard numbers");
    return;
  }
  for (const toml::node& e : *a) {
    const std::optional<int64_t> v = e.value<int64_t>();
    if (!v || *v < 0 || *v >= c.redis.shards) {
      s.problems().At(e, "redis.read_shards: each is a shard number from 0 to redis.shards - 1 (" +
                             std::to_string(c.redis.shards - 1) + ")");
      return;
    }
    const auto shard = static_cast<uint32_t>(*v);
    if (std::find(c.redis.read_shards.begin(), c.redis.read_shards.end(), shard) !=
        c.redis.read_shards.end()) {
      s.problems().At(e, "redis.read_shards names shard " + std::to_string(shard) + " twice");
      return;
    }
    c.redis.read_shards.push_back(shard);
  }
}

void CheckClusterSlot(const toml::table& root, Problems& p, Config& c) {
  if (c.redis.cluster.empty()) return;
  const auto& r = c.redis;
  const toml::table* redis = root.get("redis") != nullptr ? root.get("redis")->as_table() : nullptr;
  auto where = [&](const char* section, const char* key) -> const toml::node& {
    const toml::node* t = root.get(section);
    const toml::node* k = t != nullptr && t->is_table() ? t->as_table()->get(key) : nullptr;
    return k != nullptr ? *k : (redis != nullptr ? *static_cast<const toml::node*>(redis) : root);
  };
  // The prefix must carry the tag: keys made from it (sd:{0}:idem:<job>, ...) vary after it.
  const uint16_t slot = redis::KeySlot(r.key_prefix + "a");
  if (redis::KeySlot(r.key_prefix + "b") != slot ||
      redis::KeySlot(r.key_prefix + "job:9") != slot) {
    p.At(where("redis", "key_prefix"),
         "redis.key_prefix '" + r.key_prefix +
             "' has no hash tag: with redis.cluster every key must share one, e.g. "
             "key_prefix = \"sd:{0}:\" and jobs_stream = \"sd:{0}:jobs\"");
    return;
  }
  c.redis.cluster_slot = slot;
  std::vector<std::tuple<const char*, const char*, std::string>> names{
      {"redis", "jobs_stream", r.jobs_stream},
      {"redis", "outcomes_stream", r.outcomes_stream},
      {"redis", "receipts_stream", r.receipts_stream},
      {"redis", "dead_letter_stream", r.dead_letter_stream},
      {"redis", "quarantine_stream", r.quarantine_stream},
      {"redis", "audit_stream", r.audit_stream},
      {"redis", "delayed_set", r.delayed_set}};
  if (c.inbound.enabled) names.emplace_back("inbound", "stream", c.inbound.stream);
  for (const auto& [section, key, value] : names) {
    if (redis::KeySlot(value) == slot) continue;
    p.At(where(section, key),
         std::string(section) + "." + key + " '" + value + "' is not in the slot of key_prefix '" +
             r.key_prefix + "' (" + std::to_string(slot) +
             "): with redis.cluster give every stream the key_prefix's hash tag");
  }
}

void CheckShards(const toml::table& root, Problems& p, const Config& c) {
  const auto& r = c.redis;
  if (r.shards <= 1) return;
  const toml::node* redis = root.get("redis");
  const toml::table* t = redis != nullptr ? redis->as_table() : nullptr;
  const std::pair<const char*, const std::string*> names[] = {
      {"key_prefix", &r.key_prefix},
      {"jobs_stream", &r.jobs_stream},
      {"outcomes_stream", &r.outcomes_stream},
      {"receipts_stream", &r.receipts_stream},
      {"dead_letter_stream", &r.dead_letter_stream},
      {"quarantine_stream", &r.quarantine_stream},
      {"audit_stream", &r.audit_stream},
      {"delayed_set", &r.delayed_set}};
  for (const auto& [key, value] : names) {
    const size_t tag = value->find(kShardTag);
    if (tag != std::string::npos && tag == value->find('{')) continue;
    const toml::node* at = t != nullptr ? t->get(key) : nullptr;
    const toml::node& where = at != nullptr ? *at : (redis != nullptr ? *redis : root);
    p.At(where, std::string("redis.") + key + " '" + *value +
                    "' has no \"{0}\" hash tag: with redis.shards every shard's names are "
                    "made from it (\"sd:{0}:jobs\" is shard 0's, \"sd:{1}:jobs\" shard 1's)");
  }
}

}  // namespace sd::config_detail
