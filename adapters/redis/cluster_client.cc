#include "adapters/redis/cluster_client.h"

#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <string_view>

#include "adapters/loop/uv_kit.h"
#include "adapters/untrusted_log.h"

namespace sd::redis {

ClusterClient::ClusterClient(uv_loop_t* loop, ClusterOptions options, std::string name)
    : loop_(loop),
      options_(std::move(options)),
      name_(std::move(name)),
      rng_(std::random_device{}()) {
  uv_timer_init(loop_, &refresh_timer_);
  refresh_timer_.data = this;
  uv_timer_init(loop_, &retry_timer_);
  retry_timer_.data = this;
}

ClusterClient::~ClusterClient() {
  if (!closing_) spdlog::error("redis cluster {}: destroyed without Close()", name_);
}

std::string ClusterClient::Address(const std::string& host, int port) {
  return host + ":" + std::to_string(port);
}

ClusterClient::Node& ClusterClient::NodeAt(const std::string& host, int port) {
  const std::string address = Address(host, port);
  auto [it, added] = nodes_.try_emplace(address);
  Node& node = it->second;
  if (!added) return node;
  node.host = host;
  node.port = port;
  RedisEndpoint endpoint = options_.node;
  endpoint.host = host;
  endpoint.port = port;
  endpoint.unix_socket.clear();
  node.conn = std::make_unique<RedisConnection>(loop_, endpoint, name_ + "@" + address);
  node.conn->SetOnReady([this, address] { OnNodeReady(address); });
  // A master that drops may be failing over: the map is read again (from another node).
  node.conn->SetOnDown([this] { Refresh(); });
  if (!closing_) node.conn->Start();
  return node;
}

void ClusterClient::Start() {
  for (const auto& [host, port] : options_.seeds) NodeAt(host, port);
  uv_timer_start(
      &refresh_timer_, [](uv_timer_t* t) { static_cast<ClusterClient*>(t->data)->OnTick(); },
      kTickMs, kTickMs);
}

void ClusterClient::Command(uint16_t slot, std::vector<std::string> argv, Retry retry, ReplyFn fn) {
  auto req = std::make_shared<Request>();
  req->slot = slot;
  req->argv = std::move(argv);
  req->retry = retry;
  req->fn = std::move(fn);
  req->deadline_ms = uv_now(loop_) + static_cast<uint64_t>(options_.retry_budget_ms);
  if (closing_) {
    Finish(req, nullptr);
    return;
  }
  if (slot >= kClusterSlots) {
    // Never inside the call: the caller's state may not be ready for its callback yet.
    req->deadline_ms = 0;
    delayed_.emplace(uv_now(loop_), req);
    ArmRetryTimer();
    return;
  }
  Dispatch(req);
}

void ClusterClient::Dispatch(const RequestPtr& req) {
  if (closing_ || uv_now(loop_) > req->deadline_ms) {
    ++counters_.gave_up;
    Finish(req, nullptr);
    return;
  }
  if (!req->ask_node.empty()) {
    auto it = nodes_.find(req->ask_node);
    if (it != nodes_.end()) {
      Send(it->second, req);
      return;
    }
    req->ask_node.clear();  // unknown address: let the map decide
  }
  const ClusterNode* master = map_ ? map_->MasterOf(req->slot) : nullptr;
  if (master == nullptr) {
    // No map yet, or a slot no master serves (a failover in progress): the tick reads the
    // map again and OnMap sends it.
    waiting_for_map_.push_back(req);
    return;
  }
  Send(NodeAt(master->host, master->port), req);
}

void ClusterClient::Send(Node& node, const RequestPtr& req) {
  if (!node.conn->ready()) {
    node.parked.push_back(req);
    return;
  }
  const std::string address = Address(node.host, node.port);
  if (!req->ask_node.empty()) {
    // ASKING holds for the next command on this connection only, and the two go out in the
    // same write, so nothing can fall between them.
    req->ask_node.clear();
    node.conn->Command({"ASKING"}, [](redisReply*) {});
  }
  const bool sent = node.conn->Command(req->argv, [this, address, req](redisReply* reply) {
    if (auto it = nodes_.find(address); it != nodes_.end()) --it->second.in_flight;
    OnReply(address, req, reply);
  });
  if (sent) ++node.in_flight;
  if (!sent) node.parked.push_back(req);
}

void ClusterClient::OnReply(const std::string& address, const RequestPtr& req, redisReply* reply) {
  if (reply == nullptr) {
    if (closing_ || req->retry != Retry::kIdempotent) {
      ++counters_.lost;
      Finish(req, nullptr);
      return;
    }
    ++counters_.resent_after_loss;
    Refresh();
    Wait(req);
    return;
  }
  if (reply->type == REDIS_REPLY_ERROR && OnRedirect(address, req, reply)) return;
  Finish(req, reply);
}

// True when the error was the cluster's (the command did not run) and the request goes on.
bool ClusterClient::OnRedirect(const std::string& address, const RequestPtr& req,
                               const redisReply* reply) {
  const ClusterRedirect r = ParseClusterError(std::string_view(reply->str, reply->len));
  using Kind = ClusterRedirect::Kind;
  if (r.kind == Kind::kNone) return false;
  if (r.kind == Kind::kMoved || r.kind == Kind::kAsk) {
    if (++req->redirects > options_.max_redirects) return false;  // the caller sees the error
    // An empty host means "the address you used" (a node that does not know its own).
    std::string host = r.host;
    if (auto it = nodes_.find(address); host.empty() && it != nodes_.end()) host = it->second.host;
    if (host.empty()) return false;
    if (r.kind == Kind::kMoved) {
      ++counters_.moved;
      if (map_) map_->Moved(r.slot, host, r.port);
      Refresh();  // one slot moved usually means more did (a reshard)
    } else {
      ++counters_.asked;
      NodeAt(host, r.port);
      req->ask_node = Address(host, r.port);
    }
    Dispatch(req);
    return true;
  }
  // TRYAGAIN (a multi-key command during a migration), CLUSTERDOWN, LOADING, MASTERDOWN.
  if (r.kind == Kind::kClusterDown || r.kind == Kind::kMasterDown) Refresh();
  ++counters_.waits;
  Wait(req);
  return true;
}

void ClusterClient::Wait(const RequestPtr& req) {
  if (closing_) {
    Finish(req, nullptr);
    return;
  }
  const int64_t delay =
      JitteredBackoffMs(++req->waits, options_.retry_initial_ms, options_.retry_max_ms, rng_);
  delayed_.emplace(uv_now(loop_) + static_cast<uint64_t>(delay), req);
  ArmRetryTimer();
}

void ClusterClient::ArmRetryTimer() {
  if (delayed_.empty() || uv_is_closing(loop::AsHandle(&retry_timer_))) return;
  const uint64_t now = uv_now(loop_);
  const uint64_t due = delayed_.begin()->first;
  uv_timer_start(
      &retry_timer_, [](uv_timer_t* t) { static_cast<ClusterClient*>(t->data)->OnRetryTimer(); },
      due > now ? due - now : 0, 0);
}

void ClusterClient::OnRetryTimer() {
  const uint64_t now = uv_now(loop_);
  std::vector<RequestPtr> due;
  while (!delayed_.empty() && delayed_.begin()->first <= now) {
    due.push_back(std::move(delayed_.begin()->second));
    delayed_.erase(delayed_.begin());
  }
  for (const RequestPtr& req : due) Dispatch(req);
  ArmRetryTimer();
}

void ClusterClient::Finish(const RequestPtr& req, redisReply* reply) {
  if (!req->fn) return;
  auto fn = std::move(req->fn);
  req->fn = nullptr;
  fn(reply);
}

void ClusterClient::OnNodeReady(const std::string& address) {
  auto it = nodes_.find(address);
  if (it == nodes_.end()) return;
  std::deque<RequestPtr> parked;
  parked.swap(it->second.parked);
  for (const RequestPtr& req : parked) Send(it->second, req);
  if (!map_ || refresh_again_) Refresh();
}

// Requests parked at a node that never came up are given up at their deadline (their node
// may be gone for good; the next map sends the others elsewhere).
void ClusterClient::ExpireParked() {
  const uint64_t now = uv_now(loop_);
  std::deque<RequestPtr> expired;
  // Taken out first: a callback may send (and park) more while the rest are handled.
  auto sort = [&](std::deque<RequestPtr>& q) {
    std::deque<RequestPtr> all;
    all.swap(q);
    for (RequestPtr& req : all) {
      (now <= req->deadline_ms && !closing_ ? q : expired).push_back(std::move(req));
    }
  };
  for (auto& [address, node] : nodes_) sort(node.parked);
  sort(waiting_for_map_);
  counters_.gave_up += expired.size();
  for (const RequestPtr& req : expired) Finish(req, nullptr);
}

}  // namespace sd::redis
