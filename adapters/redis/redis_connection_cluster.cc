// RedisConnection on Redis Cluster (RedisEndpoint::cluster_seeds, docs/redis.md "Running on
// Redis Cluster"). Every key a connection's user touches carries one hash tag, so one node, the
// master of that tag's slot, serves all of it: the connection finds that node and stays on it
// until the cluster says otherwise. Finding it costs one CLUSTER SHARDS per (re)connect, after
// AUTH and before the connection is ready, so no command reaches a node that does not serve the
// slot except across a change (a failover, a resharding), when the node answers MOVED or
// READONLY: the connection then closes after its pending replies and connects where the map
// says. The callers see the error reply and retry, as after any error.
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include "adapters/redis/cluster_slots.h"
#include "adapters/redis/redis_connection.h"
#include "adapters/redis/redis_reply.h"
#include "adapters/untrusted_log.h"

namespace sd::redis {

void RedisConnection::PickClusterTarget() {
  if (!target_host_.empty()) return;  // where the map or a MOVED pointed
  const auto& seeds = endpoint_.cluster_seeds;
  const auto& [host, port] = seeds[next_seed_ % seeds.size()];
  ++next_seed_;
  target_host_ = host;
  target_port_ = port;
}

void RedisConnection::CheckSlotOwner(std::function<void()> ready) {
  const uint16_t slot = static_cast<uint16_t>(endpoint_.cluster_slot);
  SendRaw({"CLUSTER", "SHARDS"}, [this, slot, ready = std::move(ready)](redisReply* r) {
    if (r == nullptr) return;  // lost meanwhile: OnDisconnected reconnects
    std::string error;
    std::optional<SlotMap> map;
    if (r->type == REDIS_REPLY_ERROR) {
      error = ReplyString(r);
    } else {
      map = SlotMap::FromShards(r, &error, target_host_);
    }
    const ClusterNode* owner = map ? map->MasterOf(slot) : nullptr;
    if (owner != nullptr && owner->host == target_host_ && owner->port == target_port_) {
      ready();
      return;
    }
    const std::string here = target_host_ + ":" + std::to_string(target_port_);
    if (owner != nullptr) {
      spdlog::info("redis {}: slot {} is served by {}:{}, not {}", name_, slot, owner->host,
                   owner->port, here);
      target_host_ = owner->host;
      target_port_ = owner->port;
      backoff_.Reset();  // straight there
    } else {
      last_error_ =
          "CLUSTER SHARDS from " + here + ": " +
          (map ? "slot " + std::to_string(slot) + " has no master (failing over?)" : error);
      spdlog::warn("redis {}: {}", name_, Untrusted(last_error_, kLogMessageMax));
      target_host_.clear();  // ask the next seed, after the backoff
    }
    if (ac_ != nullptr) redisAsyncDisconnect(ac_);
  });
}

void RedisConnection::NoteErrorReply(const redisReply* r) {
  if (!cluster() || ac_ == nullptr) return;
  const std::string_view text(r->str, r->len);
  const ClusterRedirect redirect = ParseClusterError(text);
  const bool readonly = text.substr(0, 8) == "READONLY";
  if (redirect.kind != ClusterRedirect::Kind::kMoved && !readonly) return;
  if (redirect.kind == ClusterRedirect::Kind::kMoved && redirect.slot == endpoint_.cluster_slot &&
      !redirect.host.empty()) {
    target_host_ = redirect.host;
    target_port_ = redirect.port;
  } else {
    target_host_.clear();  // a demoted master, or a surprise: read the map from a seed again
  }
  spdlog::info("redis {}: {}; reconnecting to the slot's master", name_,
               Untrusted(text, kLogMessageMax));
  backoff_.Reset();
  // Refuses new commands at once and disconnects once the pending replies are in.
  redisAsyncDisconnect(ac_);
}

}  // namespace sd::redis
