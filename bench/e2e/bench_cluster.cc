#include "bench/e2e/bench_cluster.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include "bench/e2e/redis_sync.h"
#include "bench/process/free_port.h"
#include "core/shard_rule.h"

namespace sd::bench {
namespace {

// One command's reply, freed by the caller; null on a connection error.
redisReply* Command(Redis& r, const std::vector<std::string>& argv) {
  AppendArgv(r.c, argv);
  void* reply = nullptr;
  if (redisGetReply(r.c, &reply) != REDIS_OK) return nullptr;
  return static_cast<redisReply*>(reply);
}

bool Ok(Redis& r, const std::vector<std::string>& argv) {
  redisReply* reply = Command(r, argv);
  const bool ok = reply != nullptr && reply->type != REDIS_REPLY_ERROR;
  if (!ok) {
    fprintf(stderr, "smsdispatch-bench: %s %s: %s\n", argv[0].c_str(), argv[1].c_str(),
            reply != nullptr ? reply->str : r.c->errstr);
  }
  if (reply != nullptr) freeReplyObject(reply);
  return ok;
}

std::string Info(Redis& r) {
  redisReply* reply = Command(r, {"CLUSTER", "INFO"});
  std::string s = reply != nullptr && reply->type == REDIS_REPLY_STRING
                      ? std::string(reply->str, reply->len)
                      : "";
  if (reply != nullptr) freeReplyObject(reply);
  return s;
}

long long KeySlot(Redis& r, const std::string& key) {
  redisReply* reply = Command(r, {"CLUSTER", "KEYSLOT", key});
  const long long slot =
      reply != nullptr && reply->type == REDIS_REPLY_INTEGER ? reply->integer : -1;
  if (reply != nullptr) freeReplyObject(reply);
  return slot;
}

// Starts the nodes; `bus_ports` gets each one's cluster bus port.
bool StartNodes(Env& e, int m, std::vector<int>* bus_ports) {
  for (int i = 0; i < m; ++i) {
    const std::string dir = e.dir + "/node-" + std::to_string(i);
    std::filesystem::create_directories(dir);
    const int port = process::PickFreeLoopbackPort();
    bus_ports->push_back(process::PickFreeLoopbackPort());
    auto p = std::make_unique<process::Subprocess>();
    if (!p->Start(process::SubprocessOptions{
            {"/usr/bin/redis-server", "--bind", "127.0.0.1", "--port", std::to_string(port),
             "--save", "", "--appendonly", "no", "--dir", dir, "--cluster-enabled", "yes",
             "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000",
             // Its own bus port: the default, port + 10000, may be taken or above 65535.
             "--cluster-port", std::to_string(bus_ports->back())},
            dir + "/redis.log",
            {},
            {}})) {
      fprintf(stderr, "smsdispatch-bench: cannot start redis-server: %s\n", p->error().c_str());
      return false;
    }
    e.nodes.push_back(std::move(p));
    e.node_ports.push_back(port);
  }
  return true;
}

// Master i gets shard i's slot; master 0 every slot no other shard has.
bool AssignSlots(std::vector<Redis>& nodes) {
  const int m = static_cast<int>(nodes.size());
  std::vector<long long> taken;
  for (int i = 1; i < m; ++i) {
    const long long slot = KeySlot(nodes[0], ShardName("sd:{0}:jobs", static_cast<uint32_t>(i)));
    if (slot < 0 ||
        !Ok(nodes[static_cast<size_t>(i)], {"CLUSTER", "ADDSLOTS", std::to_string(slot)}))
      return false;
    taken.push_back(slot);
  }
  std::sort(taken.begin(), taken.end());
  std::vector<std::string> ranges{"CLUSTER", "ADDSLOTSRANGE"};
  long long from = 0;
  for (long long t : taken) {
    if (t > from) ranges.insert(ranges.end(), {std::to_string(from), std::to_string(t - 1)});
    from = t + 1;
  }
  if (from <= 16383) ranges.insert(ranges.end(), {std::to_string(from), "16383"});
  return Ok(nodes[0], ranges);
}

}  // namespace

bool StartCluster(Env& e, const Options& o) {
  const int m = o.cluster;
  std::vector<int> bus;
  if (!StartNodes(e, m, &bus)) return false;
  std::vector<Redis> nodes(static_cast<size_t>(m));
  for (int i = 0; i < m; ++i) {
    if (!ConnectRedis(nodes[static_cast<size_t>(i)], "127.0.0.1",
                      e.node_ports[static_cast<size_t>(i)], "")) {
      fprintf(stderr, "smsdispatch-bench: cluster node %d did not answer\n", i);
      return false;
    }
  }
  for (int i = 1; i < m; ++i) {
    const auto k = static_cast<size_t>(i);
    // The bus port too: it is not port + 10000 here.
    if (!Ok(nodes[0], {"CLUSTER", "MEET", "127.0.0.1", std::to_string(e.node_ports[k]),
                       std::to_string(bus[k])})) {
      return false;
    }
  }
  if (!AssignSlots(nodes)) return false;
  const std::string known = "cluster_known_nodes:" + std::to_string(m);
  for (int tries = 0; tries < 600; ++tries) {
    bool all = true;
    for (Redis& r : nodes) {
      const std::string info = Info(r);
      all = all && info.find("cluster_state:ok") != std::string::npos &&
            info.find(known) != std::string::npos;
    }
    if (all) {
      e.redis_port = e.node_ports[0];
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  fprintf(stderr, "smsdispatch-bench: the cluster did not come up within 30 s (%s/node-*)\n",
          e.dir.c_str());
  return false;
}

std::vector<ShardStreams> RunShards(const Env& e, const Options& o) {
  if (o.cluster == 0)
    return {{"sd:jobs", "sd:outcomes", "sd:receipts", "sd:receipts:unmatched", e.redis_host, 0}};
  std::vector<ShardStreams> shards;
  for (int i = 0; i < o.cluster; ++i) {
    const auto s = static_cast<uint32_t>(i);
    shards.push_back({ShardName("sd:{0}:jobs", s), ShardName("sd:{0}:outcomes", s),
                      ShardName("sd:{0}:receipts", s), ShardName("sd:{0}:receipts:unmatched", s),
                      "127.0.0.1", e.node_ports[s]});
  }
  return shards;
}

}  // namespace sd::bench
