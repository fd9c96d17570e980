// `--redis-cluster HOST:PORT,...` (docs/cli.md): the CLI's commands touch the names of one
// deployment (a stream, or keys under a prefix), which on Redis Cluster share one hash tag and
// so one slot (docs/redis.md, "Running on Redis Cluster"). The client asks the seeds in turn
// for CLUSTER SHARDS and connects to that slot's master; a seed that is it is used as is.
#include <sys/time.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "adapters/redis/cluster_slots.h"
#include "daemon/cli/redis_client.h"

namespace sd::cli {
namespace {

constexpr timeval kConnectTimeout{5, 0};

struct Seed {
  std::string host;
  int port = 0;
};

bool ParseSeeds(const std::string& list, std::vector<Seed>* out) {
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = std::min(list.find(',', start), list.size());
    const std::string one = list.substr(start, comma - start);
    const size_t colon = one.rfind(':');
    const std::optional<int64_t> port =
        colon == std::string::npos ? std::nullopt : ParseInt(one.substr(colon + 1));
    if (colon == 0 || colon == std::string::npos || !port || *port < 1 || *port > 65535) {
      return false;
    }
    out->push_back({one.substr(0, colon), static_cast<int>(*port)});
    start = comma + 1;
  }
  return !out->empty();
}

}  // namespace

std::optional<RedisClient> RedisClient::ConnectToCluster(const Args& args, std::string* error,
                                                         bool* usage_error,
                                                         const std::string& slot_name) {
  std::vector<Seed> seeds;
  if (!ParseSeeds(args.Get("redis-cluster"), &seeds)) {
    *error =
        "--redis-cluster must be HOST:PORT[,HOST:PORT...], not '" + args.Get("redis-cluster") + "'";
    return std::nullopt;
  }
  *usage_error = false;
  // The command's names: the one asked for, its stream, else keys under its prefix (all carry
  // the tag).
  const std::string stream = !slot_name.empty() ? slot_name : args.Get("stream", "");
  const uint16_t slot =
      redis::KeySlot(!stream.empty() ? stream : args.Get("key-prefix", "sd:") + "x");
  std::string problems;
  for (const Seed& seed : seeds) {
    const std::string where = seed.host + ":" + std::to_string(seed.port);
    std::optional<RedisClient> client = Open(
        redisConnectWithTimeout(seed.host.c_str(), seed.port, kConnectTimeout), where, args, error);
    if (!client) {
      problems += (problems.empty() ? "" : "; ") + *error;
      continue;
    }
    RedisReplyPtr shards = client->Command({"CLUSTER", "SHARDS"});
    std::string why = shards ? "" : client->error();
    std::optional<redis::SlotMap> map;
    if (shards && shards->type == REDIS_REPLY_ERROR) {
      why = std::string(shards->str, shards->len);
    } else if (shards) {
      map = redis::SlotMap::FromShards(shards.get(), &why, seed.host);
    }
    const redis::ClusterNode* owner = map ? map->MasterOf(slot) : nullptr;
    if (owner == nullptr) {
      problems += (problems.empty() ? "" : "; ") + where + ": " +
                  (map ? "slot " + std::to_string(slot) + " has no master" : why);
      continue;
    }
    if (owner->host == seed.host && owner->port == seed.port) return client;
    const std::string at = owner->host + ":" + std::to_string(owner->port);
    return Open(redisConnectWithTimeout(owner->host.c_str(), owner->port, kConnectTimeout), at,
                args, error);
  }
  *error = "no seed of --redis-cluster named the master of slot " + std::to_string(slot) + ": " +
           problems;
  return std::nullopt;
}

}  // namespace sd::cli
