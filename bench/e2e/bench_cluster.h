#pragma once
// --cluster M: a Redis Cluster of the run's own, M masters on free loopback ports, with shard
// i's hash tag ("{i}", core/shard_rule.h) served by master i, so each shard has a core of its
// own; and the names of each shard's streams, which the producer and the watcher use.
#include <string>
#include <vector>

#include "bench/e2e/bench_env.h"
#include "bench/e2e/bench_options.h"

namespace sd::bench {

// Starts the nodes, joins them (CLUSTER MEET), gives master i the slot of shard i (master 0
// every other slot too) and waits until every node says cluster_state:ok. e.node_ports[i] is
// then shard i's master; e.redis_port is master 0 (shard 0 and the fleet-wide keys).
bool StartCluster(Env& e, const Options& o);

// One shard's streams, as the daemon names them: "sd:jobs", ... with one Redis; with --cluster,
// the tagged names of shard `shard` ("sd:{2}:jobs", ...).
struct ShardStreams {
  std::string jobs, outcomes, receipts, unmatched;
  std::string host;
  int port = 0;  // 0: the run's one server (Env's socket or port)
};
std::vector<ShardStreams> RunShards(const Env& e, const Options& o);

// The stream every job is signed for: shard 0's jobs stream.
inline std::string SignedStream(const Options& o) {
  return o.cluster > 0 ? "sd:{0}:jobs" : "sd:jobs";
}

}  // namespace sd::bench
