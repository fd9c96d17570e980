// The daemon's admin listener (docs/operations.md): /metrics from CollectMetrics over the
// daemon's sources, /readyz from the same facts as sd_notify's READY and STATUS.
#include <spdlog/spdlog.h>

#include <map>

#include "daemon/lib/adapter_options.h"
#include "daemon/lib/daemon.h"
#include "daemon/lib/stats_report.h"

namespace sd {

StatsSources Daemon::Sources(const CallbackStats* callback_stats) const {
  StatsSources s{dispatcher_.get(),       store_.get(), &carriers_,    &http_carriers_,
                 receipt_endpoint_.get(), api_.get(),   callback_stats};
  s.carrier_names = &dispatch_names_;
  s.registry = registry_.get();
  s.daemon = &counters_;
  s.blocks = blocks_.get();
  s.leases = leases_.get();
  s.quotas = quotas_.get();
  s.carrier_control = control_.get();
  s.inbound = inbound_.get();
  s.optouts = optouts_.get();
  s.now_ms = clock_.NowMs();
  return s;
}

// Pumping blocks from Redis into the policy, and the dispatcher's raised blocks to Redis.
void Daemon::BuildBlocks() {
  blocks_ = std::make_unique<redis::BlockStore>(loop_, StoreOptionsFrom(config_).endpoint,
                                                config_.redis.key_prefix, clock_);
  blocks_->SetOnBlocks([this](std::shared_ptr<const BlockList> list) {
    const size_t active = list->ActiveCount(clock_.NowMs());
    if (active != blocks_active_) {
      spdlog::info("blocks: {} pumping block(s) in force", active);
      blocks_active_ = active;
    }
    dispatcher_->SetBlocks(std::move(list));
  });
  dispatcher_->SetBlockSink(blocks_.get());
  // Fleet-wide limits lease their tokens here (always built: a reload may add one).
  redis::LeaseAgentOptions lo;
  lo.key_prefix = config_.redis.key_prefix;
  lo.wait_replicas = config_.redis.wait_replicas;
  lo.wait_timeout_ms = config_.redis.wait_timeout_ms;
  leases_ = std::make_unique<redis::LeaseAgent>(
      loop_, StoreOptionsFrom(config_).endpoint, std::move(lo), clock_,
      [this] { return dispatcher_->policy().Load()->parts().limits; },
      [this] { dispatcher_->LeasesAnswered(); });
  dispatcher_->SetLeaseKick([this] { leases_->Kick(); });
}

void Daemon::BuildAdmin() {
  if (!config_.admin.enabled) return;
  http::AdminEndpointOptions o;
  o.server = config_.admin.server;
  o.bearer_token = config_.admin.bearer_token;
  admin_ = std::make_unique<http::AdminEndpoint>(
      loop_, std::move(o), [this] { return MetricsText(); }, [this] { return Readiness(); });
}

std::string Daemon::MetricsText() const {
  std::optional<CallbackStats> callback_stats;
  if (callbacks_) callback_stats = callbacks_->stats();
  MetricSet m = CollectMetrics(Sources(callback_stats ? &*callback_stats : nullptr));
  if (admin_) {
    admin_->counters().ForEach([&](std::string_view name, uint64_t value) {
      m.Add("smsdispatch_admin_" + std::string(name) + "_total", "", static_cast<int64_t>(value),
            "");
    });
  }
  m.Add("smsdispatch_up", "", 1, "");
  m.Add("smsdispatch_ready", "", Readiness().ready ? 1 : 0, "");
  m.Add("smsdispatch_start_time_seconds", "", started_ms_ / 1000, "");
  return m.Exposition();
}

// Ready: Redis connected, the policy (and key registry) loaded, reading started, not
// stopping, and every route with at least one carrier that can send now.
http::AdminReadiness Daemon::Readiness() const {
  http::AdminReadiness r;
  if (stopping_) r.problems.emplace_back("stopping");
  if (!store_->connected()) r.problems.emplace_back("redis: not connected");
  if (registry_ && !registry_loaded_) r.problems.emplace_back("key registry: not loaded yet");
  if (optouts_ && !optouts_->loaded()) r.problems.emplace_back("opt-outs: not loaded yet");
  if (!store_started_) r.problems.emplace_back("not reading jobs yet");
  // Can take new jobs now: bound (an HTTP carrier answers per job, docs/http.md), and neither
  // paused, draining, reopening nor removed.
  std::map<std::string, bool> up;
  for (const CarrierSlot& slot : slots_) {
    up[slot.config.name] = dispatcher_->Routable(slot.index);
  }
  const auto policy = dispatcher_->policy().Load();
  const Router* router = policy->parts().router.get();
  if (router == nullptr) {
    bool any = false;
    for (const auto& [name, is_up] : up) any = any || is_up;
    if (!any) r.problems.emplace_back("no carrier can send");
  } else {
    for (size_t i = 0; i < router->routes().size(); ++i) {
      bool any = false;
      for (const std::string& name : router->routes()[i].carriers) any = any || up[name];
      if (!any) r.problems.emplace_back("route " + std::to_string(i + 1) + ": no carrier can send");
    }
  }
  r.ready = r.problems.empty();
  return r;
}

bool Daemon::StartAdmin() {
  if (!admin_) return true;
  if (admin_->Start() != 0) {
    spdlog::critical("[admin]: {}", admin_->error());
    return false;
  }
  spdlog::info("admin listener (/metrics, /healthz, /readyz) on {}:{} ({}{})",
               config_.admin.server.host, admin_->port(),
               config_.admin.plain ? "plain HTTP" : "TLS",
               config_.admin.bearer_token.empty() ? "" : ", bearer token");
  return true;
}

}  // namespace sd
