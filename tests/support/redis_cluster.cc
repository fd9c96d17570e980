#include "redis_cluster.h"

#include <map>
#include <thread>

#include "subprocess.h"
#include "temp_dir.h"

namespace sd::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::string Text(const ReplyPtr& r) {
  if (!r || r->str == nullptr) return {};
  return std::string(r->str, r->len);
}

// The master port of every slot in a CLUSTER SLOTS reply (0 where none); empty on error.
std::vector<long long> SlotOwners(const ReplyPtr& r) {
  if (!r || r->type != REDIS_REPLY_ARRAY) return {};
  std::vector<long long> owner(16384, 0);
  for (size_t i = 0; i < r->elements; ++i) {
    const redisReply* range = r->element[i];
    if (range->type != REDIS_REPLY_ARRAY || range->elements < 3) return {};
    const redisReply* master = range->element[2];
    if (master->type != REDIS_REPLY_ARRAY || master->elements < 2) return {};
    for (long long s = range->element[0]->integer; s <= range->element[1]->integer; ++s) {
      if (s >= 0 && s < 16384) owner[s] = master->element[1]->integer;
    }
  }
  return owner;
}

}  // namespace

RedisCluster::RedisCluster(RedisClusterOptions options) : options_(std::move(options)) {}

RedisCluster::~RedisCluster() = default;

bool RedisCluster::Fail(std::string what) {
  error_ = std::move(what);
  return false;
}

std::string RedisCluster::Address(size_t i) {
  return nodes_[i]->host() + ":" + std::to_string(nodes_[i]->port());
}

std::string RedisCluster::SeedsConfig() {
  std::string seeds;
  for (size_t i = 0; i < nodes_.size(); ++i) seeds += (i ? ", \"" : "\"") + Address(i) + "\"";
  return "cluster = [" + seeds + "]";
}

std::string RedisCluster::SeedsArgument() {
  std::string seeds;
  for (size_t i = 0; i < nodes_.size(); ++i) seeds += (i ? "," : "") + Address(i);
  return seeds;
}

size_t RedisCluster::IndexOfPort(long long port) {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i]->port() == port) return i;
  }
  return nodes_.size();
}

bool RedisCluster::Start(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  const int total = options_.masters * (1 + options_.replicas_per_master);
  for (int i = 0; i < total; ++i) {
    RedisServerOptions o;
    // The bus port is chosen too: the default (port + 10000) may be taken on a shared machine.
    o.extra_args = {"--cluster-enabled",      "yes",
                    "--cluster-node-timeout", std::to_string(options_.node_timeout_ms),
                    "--cluster-port",         std::to_string(PickFreeLoopbackPort())};
    o.extra_args.insert(o.extra_args.end(), options_.extra_args.begin(), options_.extra_args.end());
    nodes_.push_back(std::make_unique<RedisServer>(o));
    dead_.push_back(false);
    if (!nodes_.back()->Start()) {
      return Fail("node " + std::to_string(i) + ": " + nodes_.back()->error());
    }
  }
  if (!Create(deadline)) return false;
  return WaitUntil("every node agreeing on every slot", deadline, &RedisCluster::AllAgreeAndOk) &&
         WaitUntil("every replica linked", deadline, &RedisCluster::ReplicasLinked);
}

bool RedisCluster::Create(Clock::time_point deadline) {
  TempDir dir("sd-cluster-create");
  std::vector<std::string> argv{"/usr/bin/redis-cli", "--cluster", "create"};
  for (size_t i = 0; i < nodes_.size(); ++i) argv.push_back(Address(i));
  argv.insert(argv.end(), {"--cluster-replicas", std::to_string(options_.replicas_per_master),
                           "--cluster-yes"});
  Subprocess cli;
  const std::string log = dir.File("create.log");
  if (!cli.Start(SubprocessOptions{argv, log, dir.path(), {}})) {
    return Fail("redis-cli --cluster create: " + cli.error());
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  const std::optional<int> status = cli.Wait(left);
  if (status != 0) {
    return Fail("redis-cli --cluster create failed: " + ReadTextFile(log));
  }
  return true;
}

bool RedisCluster::WaitUntil(const char* what, Clock::time_point deadline,
                             bool (RedisCluster::*check)()) {
  while (Clock::now() < deadline) {
    if ((this->*check)()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Fail(std::string("timed out waiting for ") + what + "; last error: " + error_);
}

bool RedisCluster::AllAgreeAndOk() {
  std::vector<long long> first;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (dead_[i]) continue;
    if (Text(nodes_[i]->Command({"CLUSTER", "INFO"})).find("cluster_state:ok") ==
        std::string::npos) {
      error_ = "node " + std::to_string(i) + " is not cluster_state:ok";
      return false;
    }
    std::vector<long long> owners = SlotOwners(nodes_[i]->Command({"CLUSTER", "SLOTS"}));
    for (long long port : owners) {
      const size_t at = IndexOfPort(port);
      if (at == nodes_.size() || dead_[at]) {
        error_ = "node " + std::to_string(i) + " has a slot without a live master";
        return false;
      }
    }
    if (owners.empty()) return false;
    if (first.empty()) {
      first = std::move(owners);
      continue;
    }
    if (owners != first) {
      error_ = "node " + std::to_string(i) + " disagrees about slot owners";
      return false;
    }
  }
  return true;
}

bool RedisCluster::ReplicasLinked() {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (dead_[i]) continue;
    const std::string info = Text(nodes_[i]->Command({"INFO", "replication"}));
    if (info.find("role:slave") != std::string::npos &&
        info.find("master_link_status:up") == std::string::npos) {
      error_ = "replica " + std::to_string(i) + " is not linked";
      return false;
    }
  }
  return true;
}

std::vector<size_t> RedisCluster::Masters() {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (dead_[i]) continue;
    std::vector<size_t> out;
    for (long long port : SlotOwners(nodes_[i]->Command({"CLUSTER", "SLOTS"}))) {
      const size_t at = IndexOfPort(port);
      bool seen = false;
      for (size_t m : out) seen = seen || m == at;
      if (!seen && at < nodes_.size()) out.push_back(at);
    }
    return out;
  }
  return {};
}

size_t RedisCluster::MasterOfSlot(uint16_t slot) {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (dead_[i]) continue;
    const std::vector<long long> owners = SlotOwners(nodes_[i]->Command({"CLUSTER", "SLOTS"}));
    return owners.empty() ? nodes_.size() : IndexOfPort(owners[slot]);
  }
  return nodes_.size();
}

std::string RedisCluster::NodeId(size_t i) { return Text(nodes_[i]->Command({"CLUSTER", "MYID"})); }

bool RedisCluster::MoveKeys(uint16_t slot, size_t from, size_t to,
                            const std::vector<std::string>& keys) {
  if (keys.empty()) return true;
  std::vector<std::string> argv{
      "MIGRATE", nodes_[to]->host(), std::to_string(nodes_[to]->port()), "", "0", "5000", "KEYS"};
  argv.insert(argv.end(), keys.begin(), keys.end());
  ReplyPtr r = nodes_[from]->Command(argv);
  if (!r || r->type == REDIS_REPLY_ERROR) {
    return Fail("MIGRATE of slot " + std::to_string(slot) + ": " + Text(r));
  }
  return true;
}

bool RedisCluster::BeginMigration(uint16_t slot, size_t to, const std::vector<std::string>& keys) {
  const size_t from = MasterOfSlot(slot);
  if (from >= nodes_.size() || from == to) return Fail("no migration: same or no owner");
  const std::string s = std::to_string(slot);
  ReplyPtr a = nodes_[to]->Command({"CLUSTER", "SETSLOT", s, "IMPORTING", NodeId(from)});
  ReplyPtr b = nodes_[from]->Command({"CLUSTER", "SETSLOT", s, "MIGRATING", NodeId(to)});
  if (!a || a->type == REDIS_REPLY_ERROR || !b || b->type == REDIS_REPLY_ERROR) {
    return Fail("SETSLOT IMPORTING/MIGRATING: " + Text(a) + " / " + Text(b));
  }
  return MoveKeys(slot, from, to, keys);
}

bool RedisCluster::FinishMigration(uint16_t slot, size_t to) {
  const size_t from = MasterOfSlot(slot);
  if (from >= nodes_.size()) return Fail("slot has no owner");
  const std::string s = std::to_string(slot);
  for (;;) {
    ReplyPtr r = nodes_[from]->Command({"CLUSTER", "GETKEYSINSLOT", s, "100"});
    if (!r || r->type != REDIS_REPLY_ARRAY) return Fail("GETKEYSINSLOT failed");
    if (r->elements == 0) break;
    std::vector<std::string> keys;
    for (size_t i = 0; i < r->elements; ++i)
      keys.emplace_back(r->element[i]->str, r->element[i]->len);
    if (!MoveKeys(slot, from, to, keys)) return false;
  }
  return Assign(slot, to);
}

bool RedisCluster::MigrateSlot(uint16_t slot, size_t to) {
  return BeginMigration(slot, to, {}) && FinishMigration(slot, to);
}

// SETSLOT NODE on the new owner first, then the old, then every other master, as the cluster
// specification orders it, and then until every live node's view agrees.
bool RedisCluster::Assign(uint16_t slot, size_t to) {
  const size_t from = MasterOfSlot(slot);
  const std::string id = NodeId(to), s = std::to_string(slot);
  std::vector<size_t> order{to};
  if (from < nodes_.size() && from != to) order.push_back(from);
  for (size_t m : Masters()) {
    if (m != to && m != from) order.push_back(m);
  }
  for (size_t m : order) {
    ReplyPtr r = nodes_[m]->Command({"CLUSTER", "SETSLOT", s, "NODE", id});
    if (!r || r->type == REDIS_REPLY_ERROR) {
      return Fail("SETSLOT NODE on node " + std::to_string(m) + ": " + Text(r));
    }
  }
  return WaitUntil("the new slot owner to be agreed", Clock::now() + std::chrono::seconds(20),
                   &RedisCluster::AllAgreeAndOk);
}

std::optional<size_t> RedisCluster::KillMasterAndWaitForFailover(
    size_t master, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  const std::string port_line = "master_port:" + std::to_string(nodes_[master]->port()) + "\r";
  std::vector<size_t> replicas;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (!dead_[i] &&
        Text(nodes_[i]->Command({"INFO", "replication"})).find(port_line) != std::string::npos) {
      replicas.push_back(i);
    }
  }
  if (replicas.empty()) {
    Fail("node " + std::to_string(master) + " has no replica");
    return std::nullopt;
  }
  nodes_[master]->Kill();
  dead_[master] = true;
  while (Clock::now() < deadline) {
    for (size_t r : replicas) {
      if (Text(nodes_[r]->Command({"INFO", "replication"})).find("role:master") !=
              std::string::npos &&
          AllAgreeAndOk()) {
        return r;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  Fail("no replica of node " + std::to_string(master) + " took over: " + error_);
  return std::nullopt;
}

}  // namespace sd::testing
