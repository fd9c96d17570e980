#pragma once
// A Redis Cluster client on the daemon's libuv loop, over one RedisConnection per master.
//
// hiredis 0.14 has no cluster support, and Debian 12 packages no async cluster client for
// libuv (hiredis-vip and hiredis-cluster are not packaged), so the little a cluster asks of a
// client is written here, after the cluster specification:
//
//   - the slot map from CLUSTER SHARDS (SlotMap, cluster_slots.h), read from any node that
//     answers (the seeds first), again every refresh_interval_ms, after a MOVED, after a
//     CLUSTERDOWN and whenever a master's connection drops (a failover may follow);
//   - a command goes to the master serving its slot; MOVED repoints that slot at once and
//     resends (the command did not run), ASK sends ASKING then the command to the named node
//     once, without touching the map; both count against max_redirects;
//   - TRYAGAIN, CLUSTERDOWN, LOADING and MASTERDOWN mean the command did not run: it waits with
//     jittered backoff and is sent again until its retry budget is spent;
//   - a connection lost with the command sent means it may or may not have run: a command the
//     caller marked idempotent is sent again once the map is read again (a failover: the
//     replica that took over serves the slot); any other gets a null reply, as RedisConnection
//     gives, and the caller decides.
//
// Nothing is written to the map but what a node said. Replies are the nodes' own (freed by
// hiredis after the callback returns); a null reply means "no answer" (lost, not sent within
// the budget, or the client closing).
#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "adapters/redis/cluster_slots.h"
#include "adapters/redis/redis_connection.h"
#include "core/backoff.h"

namespace sd::redis {

struct ClusterOptions {
  std::vector<std::pair<std::string, int>> seeds;  // host, port: any nodes of the cluster
  // User, password, timeouts and heartbeat for every node connection (host and port are the
  // node's).
  RedisEndpoint node;
  int max_redirects = 5;             // MOVED/ASK hops per command before its error is given
  int64_t retry_budget_ms = 15'000;  // how long a command may wait for the cluster
  int64_t retry_initial_ms = 20;     // backoff of TRYAGAIN/CLUSTERDOWN/failover waits
  int64_t retry_max_ms = 500;
  int64_t refresh_interval_ms = 5'000;  // the map read again even when nothing went wrong
};

class ClusterClient {
 public:
  using ReplyFn = RedisConnection::ReplyFn;
  // kIdempotent: running it twice does what running it once does, so it may be sent again
  // after a lost connection.
  enum class Retry { kNever, kIdempotent };
  struct Counters {
    uint64_t moved = 0, asked = 0, waits = 0, resent_after_loss = 0, lost = 0, refreshes = 0,
             refresh_failures = 0, gave_up = 0;
    uint64_t retired = 0;  // connections closed: their node left the map (not a seed)
  };

  static constexpr uint64_t kTickMs = 250;

  ClusterClient(uv_loop_t* loop, ClusterOptions options, std::string name);
  // Close() must have completed (its `done` ran) before destruction.
  ~ClusterClient();
  ClusterClient(const ClusterClient&) = delete;
  ClusterClient& operator=(const ClusterClient&) = delete;

  // Called on the loop once the first slot map covering every slot has been read.
  void SetOnReady(std::function<void()> fn) { on_ready_ = std::move(fn); }
  void Start();
  // Every waiting command gets a null reply; connections close after their pending replies
  // when `graceful`. `done` runs once every handle is closed.
  void Close(bool graceful, std::function<void()> done);

  bool ready() const { return map_.has_value() && map_->Complete(); }
  const Counters& counters() const { return counters_; }
  // "host:port" of every node a connection is kept to (seeds, and masters of the map).
  std::vector<std::string> node_addresses() const;
  // Why the cluster cannot be used right now, for logs and health output.
  const std::string& last_error() const { return last_error_; }

  // Runs `argv` on the master serving `slot` (KeySlot of its keys; the caller makes sure they
  // share one). `fn` runs exactly once, on the loop, never inside this call (but at once, with
  // a null reply, after Close()).
  void Command(uint16_t slot, std::vector<std::string> argv, Retry retry, ReplyFn fn);

 private:
  struct Request {
    uint16_t slot = 0;
    std::vector<std::string> argv;
    Retry retry = Retry::kNever;
    ReplyFn fn;
    int redirects = 0;
    int waits = 0;
    uint64_t deadline_ms = 0;
    std::string ask_node;  // "host:port" for the next send only (ASK)
  };
  using RequestPtr = std::shared_ptr<Request>;
  struct Node {
    std::string host;
    int port = 0;
    std::unique_ptr<RedisConnection> conn;
    std::deque<RequestPtr> parked;  // sent once the connection is ready
    size_t in_flight = 0;           // sent, reply not yet in
  };
  // A connection to a node that left the map, closing; dropped on a tick once closed.
  struct Retired {
    std::unique_ptr<RedisConnection> conn;
    bool closed = false;
  };

  static std::string Address(const std::string& host, int port);
  Node& NodeAt(const std::string& host, int port);
  void Dispatch(const RequestPtr& req);
  void Send(Node& node, const RequestPtr& req);
  void OnReply(const std::string& address, const RequestPtr& req, redisReply* reply);
  bool OnRedirect(const std::string& address, const RequestPtr& req, const redisReply* reply);
  void Wait(const RequestPtr& req);  // backoff, then Dispatch; or a null reply past the budget
  void Finish(const RequestPtr& req, redisReply* reply);
  void OnNodeReady(const std::string& address);
  void Refresh();
  void RefreshFrom(std::vector<std::string> candidates);
  void OnMap(SlotMap map);
  // Closes the connections to nodes that are neither a seed nor a master of the map and have
  // nothing sent or parked: a failed master whose replica took over would otherwise be
  // reconnected to for as long as the process lives.
  void RetireLeftNodes();
  void ExpireParked();
  void OnTick();
  void OnRetryTimer();
  void ArmRetryTimer();
  void MaybeClosed();

  uv_loop_t* loop_;
  ClusterOptions options_;
  std::string name_;
  std::map<std::string, Node> nodes_;  // by "host:port": seeds and the map's masters
  std::vector<std::unique_ptr<Retired>> retired_;
  std::optional<SlotMap> map_;
  std::deque<RequestPtr> waiting_for_map_;
  std::multimap<uint64_t, RequestPtr> delayed_;  // due time (loop ms) -> request
  bool refreshing_ = false;
  bool refresh_again_ = false;
  bool announced_ready_ = false;
  bool closing_ = false;
  uint64_t last_refresh_ms_ = 0;
  size_t open_ = 0;  // handles and connections not yet closed while closing
  // Ticks every kTickMs: gives up parked requests past their budget, reads the map again
  // while any wait for it (a failover takes the cluster a second or two) and every
  // refresh_interval_ms otherwise.
  uv_timer_t refresh_timer_;
  uv_timer_t retry_timer_;
  std::mt19937_64 rng_;
  Counters counters_;
  std::string last_error_;
  std::function<void()> on_ready_;
  std::function<void()> closed_;
};

}  // namespace sd::redis
