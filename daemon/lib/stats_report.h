#pragma once
// The daemon's counters for people and machines: the periodic log lines, the systemd STATUS
// line, and the fields of the <prefix>stats:<consumer> hash (docs/redis.md; `smsdispatch
// stats` prints it). Every counter comes from its struct's ForEach, so all three agree.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "adapters/http/api_endpoint.h"
#include "adapters/http/http_carrier.h"
#include "adapters/http/receipt_endpoint.h"
#include "adapters/redis/block_store.h"
#include "adapters/redis/carrier_control_watcher.h"
#include "adapters/redis/inbound_store.h"
#include "adapters/redis/key_registry.h"
#include "adapters/redis/lease_agent.h"
#include "adapters/redis/optout_watcher.h"
#include "adapters/redis/quota_watcher.h"
#include "adapters/redis/sharded_job_store.h"
#include "adapters/smpp/smpp_carrier.h"
#include "daemon/lib/callback_thread.h"
#include "daemon/lib/dispatcher.h"
#include "daemon/lib/metrics.h"

namespace sd {

// The daemon's own counters (policy reloads).
struct DaemonCounters {
  uint64_t reloads = 0;          // SIGHUP reloads that installed a new policy
  uint64_t reload_failures = 0;  // reloads refused: the old policy stayed
  template <typename F>
  void ForEach(F&& f) const {
    f("reloads", reloads);
    f("reload_failures", reload_failures);
  }
};

struct StatsSources {
  const Dispatcher* dispatcher = nullptr;
  const redis::ShardedJobStore* store = nullptr;
  const std::vector<std::unique_ptr<smpp::SmppCarrier>>* carriers = nullptr;
  const std::vector<std::unique_ptr<http::HttpCarrier>>* http_carriers = nullptr;  // may be null
  const http::ReceiptEndpoint* receipt_endpoint = nullptr;  // [listener]; may be null
  const http::ApiEndpoint* api = nullptr;                   // [api]; may be null
  const CallbackStats* callbacks = nullptr;                 // [callbacks]; may be null
  // The dispatcher's carriers in its order (the config's [[carrier]]s, then the test
  // carrier): names for its per-carrier queues. May be null (no queue gauges).
  const std::vector<std::string>* carrier_names = nullptr;
  const redis::KeyRegistryWatcher* registry = nullptr;  // [keys] registry = "redis"; may be null
  const DaemonCounters* daemon = nullptr;               // may be null
  const redis::BlockStore* blocks = nullptr;            // may be null
  const redis::LeaseAgent* leases = nullptr;            // fleet-wide limits; may be null
  const redis::QuotaWatcher* quotas = nullptr;          // segment quotas; may be null
  const redis::CarrierControlWatcher* carrier_control = nullptr;  // may be null
  const redis::InboundStore* inbound = nullptr;                   // [inbound]; may be null
  const redis::OptOutWatcher* optouts = nullptr;                  // [optouts]; may be null
  int64_t now_ms = 0;  // for what depends on the time (blocks in force)
};

// Every counter, gauge and histogram of every source, once (metrics.h): what /metrics shows
// and the stats hash holds (metrics_collect.cc).
MetricSet CollectMetrics(const StatsSources& s);

// One line for systemd's STATUS: submitted, rejected, in flight, carriers up (an SMPP carrier
// with a sending bind bound; an HTTP carrier always), Redis state.
std::string StatusLine(const StatsSources& s);
// The log lines: dispatcher, Redis, one per carrier, and the rejections by reason seen.
std::vector<std::string> StatsLogLines(const StatsSources& s);
// Field, value, field, value, ... for the stats hash (CollectMetrics' flat names), starting
// with "ts" (`now_ms`): every dispatcher counter (every rejection reason, zeros included),
// "redis.<counter>", "carrier.<name>.<counter>" and "carrier.<name>.binds_bound" (SMPP) or
// "carrier.<name>.held" (HTTP: jobs waiting, in flight or waiting to be resent), and with a
// [listener] "listener.<counter>" (its receipt webhooks and connections), with [api]
// "api.<counter>" (requests, jobs accepted and refused, connections), with [callbacks]
// "callbacks.<counter>" (events, attempts, delivered, failures, dead, lag; held, in_flight;
// the queue's read, claimed, trimmed, acks, errors).
std::vector<std::string> StatsHashFields(const StatsSources& s, int64_t now_ms);

}  // namespace sd
