#pragma once
// The pure parts of a Redis Cluster client (ClusterClient, cluster_client.h): which slot a key
// hashes to, the slot map read from CLUSTER SHARDS, and the cluster's redirect and retry errors.
// No I/O, so every case is tested on hand-built replies too.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct redisReply;

namespace sd::redis {

constexpr uint16_t kClusterSlots = 16384;

// The slot Redis Cluster serves `key` from: CRC16 (XMODEM) of its hash tag (the bytes between
// the first '{' and the first '}' after it, when there are any) or else of the whole key, mod
// 16384. Keys with the same tag share a slot, which is how a script's keys stay on one node.
uint16_t KeySlot(std::string_view key);

struct ClusterNode {
  std::string id;
  std::string host;
  int port = 0;
  bool master = false;
  bool online = true;  // health "online" (a failed or loading node is still listed)
};

class SlotMap {
 public:
  // Parses a Redis 7 CLUSTER SHARDS reply as hiredis 0.14 returns it (RESP2: each shard and
  // each node a flat array of name/value pairs). A node's address is its "endpoint", or its
  // "ip" when the endpoint is empty or "?". Nullopt, with `error` saying why, on any shape that
  // is not that (wrong types, odd pairs, a slot past 16383, start > end, overlapping ranges, a
  // shard serving slots with no master). Slots no shard serves are allowed (Complete() says).
  // A node that does not know its own address yet (a lone node never met by another lists
  // neither endpoint nor ip) gets `asked_host`, the host the reply came from, as Redis itself
  // means by a MOVED without a host.
  static std::optional<SlotMap> FromShards(const redisReply* reply, std::string* error,
                                           std::string_view asked_host = {});

  // The master serving `slot`, or null when none does.
  const ClusterNode* MasterOf(uint16_t slot) const;
  // Every master serving at least one slot, once each.
  std::vector<const ClusterNode*> Masters() const;
  const std::vector<ClusterNode>& nodes() const { return nodes_; }
  bool Complete() const;
  // What a MOVED reply teaches before the next full read: `slot` is served by host:port
  // (added as a master if the map does not know it).
  void Moved(uint16_t slot, const std::string& host, int port);

 private:
  static constexpr uint16_t kNone = 0xffff;
  SlotMap();
  std::vector<ClusterNode> nodes_;
  std::vector<uint16_t> owner_;  // per slot: index into nodes_, or kNone
};

// The errors by which a cluster node says "not here" or "not now". For every kind but kNone the
// command did not run.
struct ClusterRedirect {
  enum class Kind { kNone, kMoved, kAsk, kTryAgain, kClusterDown, kLoading, kMasterDown };
  Kind kind = Kind::kNone;
  uint16_t slot = 0;  // kMoved, kAsk
  std::string host;   // kMoved, kAsk; empty when the node does not know its own address
  int port = 0;
};

// "MOVED 3999 127.0.0.1:6381", "ASK 3999 ::1:6381" (the port follows the last colon),
// "MOVED 3999 :6381", "TRYAGAIN …", "CLUSTERDOWN …", "LOADING …", "MASTERDOWN …". Anything else,
// or a malformed redirect, is kNone: an ordinary error for the caller.
ClusterRedirect ParseClusterError(std::string_view error);

}  // namespace sd::redis
