#pragma once
// A real Redis Cluster for tests: masters and replicas as RedisServer children on loopback,
// joined by `redis-cli --cluster create`, and the operations cluster tests need done the way an
// operator does them: a slot migrated live (whole, or left half-way so clients meet ASK) and a
// master killed until its replica takes over.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/redis_server.h"

namespace sd::testing {

struct RedisClusterOptions {
  int masters = 3;
  int replicas_per_master = 1;
  // How long until a silent master is failed over; low, so a failover test takes seconds.
  int node_timeout_ms = 1000;
  std::vector<std::string> extra_args;  // for every node
};

class RedisCluster {
 public:
  explicit RedisCluster(RedisClusterOptions options = {});
  ~RedisCluster();
  RedisCluster(const RedisCluster&) = delete;
  RedisCluster& operator=(const RedisCluster&) = delete;

  // Starts every node, creates the cluster and waits until every node says cluster_state:ok,
  // all agree on every slot's master and every replica's link is up. False with error().
  [[nodiscard]] bool Start(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  const std::string& error() const { return error_; }

  size_t size() const { return nodes_.size(); }
  RedisServer& node(size_t i) { return *nodes_[i]; }
  // Live nodes that are masters serving slots now, as the first live node sees it.
  std::vector<size_t> Masters();
  // The live master serving `slot`, as the first live node sees it (size() if none).
  size_t MasterOfSlot(uint16_t slot);
  std::string NodeId(size_t i);

  // Moves `slot` with its keys to master `to` (IMPORTING/MIGRATING, MIGRATE, SETSLOT NODE on
  // every master) and waits until every live node agrees.
  [[nodiscard]] bool MigrateSlot(uint16_t slot, size_t to);
  // The first half: the slot marked importing/migrating and only `keys` moved, so the source
  // answers ASK for them. FinishMigration moves the rest and hands the slot over.
  [[nodiscard]] bool BeginMigration(uint16_t slot, size_t to, const std::vector<std::string>& keys);
  [[nodiscard]] bool FinishMigration(uint16_t slot, size_t to);

  // SIGKILLs `master` and waits until one of its replicas is master and every live node says
  // cluster_state:ok. The promoted node's index, or nullopt with error().
  std::optional<size_t> KillMasterAndWaitForFailover(size_t master,
                                                     std::chrono::milliseconds timeout);

  // Every node as seeds: the daemon's `[redis] cluster = [...]` line, and the CLI's
  // --redis-cluster list ("host:port,host:port").
  std::string SeedsConfig();
  std::string SeedsArgument();

 private:
  bool Create(std::chrono::steady_clock::time_point deadline);
  bool WaitUntil(const char* what, std::chrono::steady_clock::time_point deadline,
                 bool (RedisCluster::*check)());
  bool AllAgreeAndOk();
  bool ReplicasLinked();
  // "host:port" of node i, and the node listening on a port (size() if none).
  std::string Address(size_t i);
  size_t IndexOfPort(long long port);
  bool MoveKeys(uint16_t slot, size_t from, size_t to, const std::vector<std::string>& keys);
  bool Assign(uint16_t slot, size_t to);
  bool Fail(std::string what);  // sets error_; false

  RedisClusterOptions options_;
  std::vector<std::unique_ptr<RedisServer>> nodes_;
  std::vector<bool> dead_;
  std::string error_;
};

}  // namespace sd::testing
