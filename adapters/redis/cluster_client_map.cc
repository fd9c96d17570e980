// ClusterClient's slot map: reading it (CLUSTER SHARDS from any node that answers), sending
// what waited for it, and closing (cluster_client.h).
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "adapters/loop/uv_kit.h"
#include "adapters/redis/cluster_client.h"
#include "adapters/untrusted_log.h"

namespace sd::redis {

void ClusterClient::OnTick() {
  ExpireParked();
  std::erase_if(retired_, [](const std::unique_ptr<Retired>& r) { return r->closed; });
  bool stalled = !waiting_for_map_.empty();
  for (const auto& [address, node] : nodes_) stalled = stalled || !node.parked.empty();
  const uint64_t now = uv_now(loop_);
  if (!map_ || stalled || refresh_again_ ||
      now - last_refresh_ms_ >= static_cast<uint64_t>(options_.refresh_interval_ms)) {
    Refresh();
  }
}

void ClusterClient::Refresh() {
  if (closing_) return;
  if (refreshing_) {
    refresh_again_ = true;
    return;
  }
  std::vector<std::string> candidates;
  for (const auto& [address, node] : nodes_) {
    if (node.conn->ready()) candidates.push_back(address);
  }
  if (candidates.empty()) {
    refresh_again_ = true;  // the first node to come up asks (OnNodeReady), or the next tick
    return;
  }
  // Spread over the nodes, so a node that answers wrongly is not asked every time.
  std::shuffle(candidates.begin(), candidates.end(), rng_);
  refreshing_ = true;
  refresh_again_ = false;
  RefreshFrom(std::move(candidates));
}

void ClusterClient::RefreshFrom(std::vector<std::string> candidates) {
  while (!candidates.empty()) {
    const std::string address = std::move(candidates.back());
    candidates.pop_back();
    auto it = nodes_.find(address);
    if (it == nodes_.end() || !it->second.conn->ready()) continue;
    auto on_shards = [this, address, host = it->second.host,
                      candidates](redisReply* reply) mutable {
      std::string error = "connection lost";
      std::optional<SlotMap> map;
      if (reply != nullptr && reply->type == REDIS_REPLY_ERROR) {
        error = std::string(reply->str, reply->len);
      } else if (reply != nullptr) {
        map = SlotMap::FromShards(reply, &error, host);
      }
      if (map) {
        OnMap(std::move(*map));
        return;
      }
      ++counters_.refresh_failures;
      last_error_ = "CLUSTER SHARDS from " + address + ": " + error;
      spdlog::warn("redis cluster {}: {}", name_, Untrusted(last_error_, kLogMessageMax));
      if (closing_) return;
      RefreshFrom(std::move(candidates));
    };
    if (it->second.conn->Command({"CLUSTER", "SHARDS"}, std::move(on_shards))) return;
  }
  refreshing_ = false;
  refresh_again_ = true;  // nobody answered: the next tick tries again
}

void ClusterClient::OnMap(SlotMap map) {
  refreshing_ = false;
  ++counters_.refreshes;
  last_refresh_ms_ = uv_now(loop_);
  map_ = std::move(map);
  if (map_->Complete()) {
    last_error_.clear();
  } else {
    last_error_ = "the cluster's slot map leaves slots without a master";
  }
  for (const ClusterNode* master : map_->Masters()) NodeAt(master->host, master->port);
  // What waited for the map, and what is parked at a node that no longer serves its slot
  // (a failed master whose replica took over), goes where the new map says.
  std::vector<RequestPtr> reroute(waiting_for_map_.begin(), waiting_for_map_.end());
  waiting_for_map_.clear();
  for (auto& [address, node] : nodes_) {
    std::deque<RequestPtr> keep;
    for (RequestPtr& req : node.parked) {
      const ClusterNode* master = map_->MasterOf(req->slot);
      const bool elsewhere = req->ask_node.empty() && master != nullptr &&
                             (master->host != node.host || master->port != node.port);
      (elsewhere ? reroute.emplace_back(std::move(req)) : keep.emplace_back(std::move(req)));
    }
    node.parked.swap(keep);
  }
  for (const RequestPtr& req : reroute) Dispatch(req);
  RetireLeftNodes();
  if (!announced_ready_ && ready()) {
    announced_ready_ = true;
    spdlog::info("redis cluster {}: {} masters serve every slot", name_, map_->Masters().size());
    if (on_ready_) on_ready_();
  }
}

void ClusterClient::RetireLeftNodes() {
  std::set<std::string> keep;
  for (const auto& [host, port] : options_.seeds) keep.insert(Address(host, port));
  for (const ClusterNode* master : map_->Masters())
    keep.insert(Address(master->host, master->port));
  for (auto it = nodes_.begin(); it != nodes_.end();) {
    Node& node = it->second;
    if (keep.count(it->first) != 0 || !node.parked.empty() || node.in_flight > 0) {
      ++it;
      continue;
    }
    spdlog::info("redis cluster {}: {} left the slot map; its connection is closed", name_,
                 Untrusted(it->first, kLogMessageMax));
    ++counters_.retired;
    auto r = std::make_unique<Retired>();
    Retired* raw = r.get();
    r->conn = std::move(node.conn);
    retired_.push_back(std::move(r));
    it = nodes_.erase(it);
    // Nothing is pending on it (a heartbeat PING at most): closed at once. Its handles close on
    // the loop; the object goes on the next tick (never inside its own callback).
    raw->conn->Close(false, [this, raw] {
      raw->closed = true;
      if (closing_) {
        --open_;
        MaybeClosed();
      }
    });
  }
}

std::vector<std::string> ClusterClient::node_addresses() const {
  std::vector<std::string> out;
  for (const auto& [address, node] : nodes_) out.push_back(address);
  return out;
}

void ClusterClient::Close(bool graceful, std::function<void()> done) {
  if (closing_) return;
  closing_ = true;
  closed_ = std::move(done);
  uv_timer_stop(&refresh_timer_);
  uv_timer_stop(&retry_timer_);
  std::vector<RequestPtr> waiting(waiting_for_map_.begin(), waiting_for_map_.end());
  waiting_for_map_.clear();
  for (auto& [due, req] : delayed_) waiting.push_back(std::move(req));
  delayed_.clear();
  for (auto& [address, node] : nodes_) {
    waiting.insert(waiting.end(), node.parked.begin(), node.parked.end());
    node.parked.clear();
  }
  for (const RequestPtr& req : waiting) Finish(req, nullptr);
  open_ = nodes_.size() + 1;
  for (const auto& r : retired_) open_ += r->closed ? 0 : 1;
  for (auto& [address, node] : nodes_) {
    node.conn->Close(graceful, [this] {
      --open_;
      MaybeClosed();
    });
  }
  loop::CloseAll({loop::AsHandle(&refresh_timer_), loop::AsHandle(&retry_timer_)}, [this] {
    --open_;
    MaybeClosed();
  });
}

void ClusterClient::MaybeClosed() {
  if (open_ != 0 || !closed_) return;
  auto done = std::move(closed_);
  closed_ = nullptr;
  done();
}

}  // namespace sd::redis
