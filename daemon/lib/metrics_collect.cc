// CollectMetrics: every source's counters into one MetricSet (metrics.h). The Prometheus
// family of a struct's counter is "<family prefix><name>_total" and its hash field
// "<flat prefix><name>"; the few exceptions (labels, units, aggregates) are spelled out here.
// Every family named must be in the catalog (metrics_catalog.cc); a test checks it.
#include <string>
#include <string_view>

#include "daemon/lib/stats_report.h"

namespace sd {
namespace {

// Adds each counter of `counters` (a struct with ForEach) as a counter.
template <typename Counters>
void AddCounters(MetricSet& m, const Counters& counters, std::string_view family_prefix,
                 const std::string& labels, const std::string& flat_prefix) {
  counters.ForEach([&](std::string_view name, uint64_t value) {
    m.Add(std::string(family_prefix) + std::string(name) + "_total", labels,
          static_cast<int64_t>(value), flat_prefix + std::string(name));
  });
}

void AddDispatcher(MetricSet& m, const StatsSources& s) {
  const Dispatcher& d = *s.dispatcher;
  m.Add("smsdispatch_jobs_in_flight", "", static_cast<int64_t>(d.inflight()), "inflight");
  d.stats().ForEach([&](std::string_view name, uint64_t value) {
    const auto v = static_cast<int64_t>(value);
    if (name == "rejected") {
      m.Add("", "", v, "rejected");  // the sum of the per-reason family below
    } else if (name.substr(0, 9) == "rejected.") {
      m.Add("smsdispatch_jobs_rejected_total", LabelPair("reason", name.substr(9)), v,
            std::string(name));
    } else {
      m.Add("smsdispatch_jobs_" + std::string(name) + "_total", "", v, std::string(name));
    }
  });
  m.Add("smsdispatch_jobs_retrying", "", static_cast<int64_t>(d.retrying()), "retrying");
  if (s.carrier_names != nullptr) {
    for (size_t c = 0; c < s.carrier_names->size(); ++c) {
      const std::string& name = (*s.carrier_names)[c];
      m.Add("smsdispatch_carrier_queued_jobs", LabelPair("carrier", name),
            static_cast<int64_t>(d.queued(c)), "carrier." + name + ".queued");
      m.Add("smsdispatch_carrier_at_carrier_jobs", LabelPair("carrier", name),
            static_cast<int64_t>(d.at_carrier(c)), "carrier." + name + ".at_carrier");
      // The stats hash holds only the current state ("carrier.<name>.state_paused" = 1), for
      // `smsdispatch carriers list`.
      for (CarrierMode mode : {CarrierMode::kActive, CarrierMode::kPaused, CarrierMode::kDraining,
                               CarrierMode::kReopening, CarrierMode::kRemoved}) {
        const bool current = d.carrier_mode(c) == mode;
        const std::string state(CarrierModeName(mode));
        m.Add("smsdispatch_carrier_state",
              LabelPair("carrier", name) + "," + LabelPair("state", state), current ? 1 : 0,
              current ? "carrier." + name + ".state_" + state : "");
      }
      const auto& by_state = d.receipts_by_state(c);
      for (size_t st = 0; st < by_state.size(); ++st) {
        const std::string state(ReceiptStateName(static_cast<ReceiptState>(st)));
        m.Add("smsdispatch_receipts_total",
              LabelPair("carrier", name) + "," + LabelPair("state", state),
              static_cast<int64_t>(by_state[st]), "receipts." + name + "." + state);
      }
    }
  }
  const auto policy = d.policy().Load();
  m.Add("smsdispatch_policy_generation", "", static_cast<int64_t>(policy->generation()),
        "policy_generation");
  if (const auto& limits = policy->parts().limits; limits != nullptr) {
    for (const LimitStats& l : limits->Stats()) {
      const std::string labels = LabelPair("limit", l.name) + ",";
      const std::string flat = "limit." + l.name + ".";
      const std::pair<std::string_view, uint64_t> decisions[] = {
          {"admitted", l.admitted},     {"rejected", l.rejected},
          {"deferred", l.deferred},     {"refunded", l.refunded},
          {"table_full", l.table_full}, {"cost_over_burst", l.cost_over_burst}};
      for (const auto& [what, n] : decisions) {
        m.Add("smsdispatch_limit_decisions_total", labels + LabelPair("decision", what),
              static_cast<int64_t>(n), flat + std::string(what));
      }
      if (!l.global) continue;
      const std::pair<std::string_view, uint64_t> leases[] = {
          {"requested", l.lease_requested},
          {"granted_units", l.lease_granted_units},
          {"denied", l.lease_denied},
          {"failed", l.lease_failed},
          {"returned_units", l.lease_returned_units},
          {"awaited", l.lease_awaited}};
      for (const auto& [what, n] : leases) {
        m.Add("smsdispatch_limit_leases_total", labels + LabelPair("event", what),
              static_cast<int64_t>(n), flat + "lease_" + std::string(what));
      }
    }
  }
  m.AddHistogram("smsdispatch_enqueue_to_submit_seconds", "", d.timings().enqueue_to_submit);
  m.AddHistogram("smsdispatch_decision_seconds", "", d.timings().decision);
  m.AddHistogram("smsdispatch_submit_to_receipt_seconds", "", d.timings().submit_to_receipt);
}

void AddStore(MetricSet& m, const redis::ShardedJobStore& store) {
  AddCounters(m, store.counters(), "smsdispatch_redis_", "", "redis.");
  m.Add("smsdispatch_redis_connected", "", store.connected() ? 1 : 0, "redis.connected");
  m.Add("smsdispatch_redis_read_credit", "", static_cast<int64_t>(store.credit()), "redis.credit");
  m.Add("smsdispatch_redis_queued_writes", "", static_cast<int64_t>(store.queued_writes()),
        "redis.queued_writes");
  const redis::RedisJobStore::Backlog b = store.backlog();
  if (b.lag >= 0) m.Add("smsdispatch_jobs_stream_lag", "", b.lag, "redis.stream_lag");
  if (b.pending >= 0)
    m.Add("smsdispatch_jobs_stream_pending", "", b.pending, "redis.stream_pending");
  m.AddHistogram("smsdispatch_redis_write_round_trip_seconds", "", store.write_round_trips());
  // Each shard's own ([redis] shards; one shard "0" without): a stuck shard shows here while
  // the sums above still move.
  for (uint32_t i = 0; i < store.shards(); ++i) {
    const redis::RedisJobStore& shard = store.shard(i);
    const std::string labels = LabelPair("shard", std::to_string(i));
    const std::string flat = "redis.shard" + std::to_string(i) + ".";
    m.Add("smsdispatch_redis_shard_connected", labels, shard.connected() ? 1 : 0,
          flat + "connected");
    const redis::RedisJobStore::Backlog sb = shard.backlog();
    if (sb.lag >= 0) m.Add("smsdispatch_redis_shard_stream_lag", labels, sb.lag, flat + "lag");
    if (sb.pending >= 0) {
      m.Add("smsdispatch_redis_shard_stream_pending", labels, sb.pending, flat + "pending");
    }
  }
}

void AddSmppCarrier(MetricSet& m, const smpp::SmppCarrier& carrier) {
  const std::string labels = LabelPair("carrier", carrier.name());
  const std::string flat = "carrier." + carrier.name() + ".";
  m.Add("smsdispatch_smpp_binds_up", labels, static_cast<int64_t>(carrier.bound_binds()),
        flat + "binds_bound");
  m.Add("smsdispatch_smpp_binds_configured", labels, static_cast<int64_t>(carrier.binds().size()),
        flat + "binds_configured");
  AddCounters(m, carrier.counters(), "smsdispatch_smpp_", labels, flat);
  for (size_t i = 0; i < carrier.binds().size(); ++i) {
    const smpp::SmppBind& bind = *carrier.binds()[i];
    const std::string bl = labels + "," + LabelPair("bind", std::to_string(i));
    const smpp::SmppBindCounters& c = bind.counters();
    m.Add("smsdispatch_smpp_bind_up", bl, bind.bound() ? 1 : 0, "");
    m.Add("smsdispatch_smpp_bind_load", bl, static_cast<int64_t>(bind.load()), "");
    const std::pair<std::string_view, uint64_t> per_bind[] = {
        {"submits", c.submits},
        {"accepted", c.accepted},
        {"throttled", c.throttled},
        {"temporary_failures", c.temporary_failures},
        {"permanent_failures", c.permanent_failures},
        {"timeouts", c.timeouts},
        {"disconnects", c.disconnects}};
    for (const auto& [name, n] : per_bind) {
      m.Add("smsdispatch_smpp_bind_" + std::string(name) + "_total", bl, static_cast<int64_t>(n),
            "");
    }
  }
}

void AddHttpParts(MetricSet& m, const StatsSources& s) {
  if (s.http_carriers != nullptr) {
    for (const auto& carrier : *s.http_carriers) {
      const std::string labels = LabelPair("carrier", carrier->name());
      const std::string flat = "carrier." + carrier->name() + ".";
      m.Add("smsdispatch_http_carrier_held_jobs", labels, static_cast<int64_t>(carrier->held()),
            flat + "held");
      AddCounters(m, carrier->counters(), "smsdispatch_http_carrier_", labels, flat);
    }
  }
  if (s.api != nullptr) {
    AddCounters(m, s.api->counters(), "smsdispatch_api_", "", "api.");
    AddCounters(m, s.api->server_counters(), "smsdispatch_api_http_", "", "api.http_");
  }
  if (s.receipt_endpoint != nullptr) {
    AddCounters(m, s.receipt_endpoint->counters(), "smsdispatch_listener_", "", "listener.");
    AddCounters(m, s.receipt_endpoint->server_counters(), "smsdispatch_listener_http_", "",
                "listener.");
  }
  if (s.callbacks != nullptr) {
    const CallbackStats& cb = *s.callbacks;
    m.Add("smsdispatch_callbacks_held", "", static_cast<int64_t>(cb.held), "callbacks.held");
    m.Add("smsdispatch_callbacks_in_flight", "", static_cast<int64_t>(cb.in_flight),
          "callbacks.in_flight");
    cb.sender.ForEach([&](std::string_view name, uint64_t value) {
      const auto v = static_cast<int64_t>(value);
      const std::string flat = "callbacks." + std::string(name);
      if (name == "lag_ms_sum") {
        m.Add("smsdispatch_callbacks_delivery_lag_seconds_total", "", v, flat, 1e-3);
      } else if (name == "lag_ms_max") {
        m.Add("smsdispatch_callbacks_delivery_lag_max_seconds", "", v, flat, 1e-3);
      } else {
        m.Add("smsdispatch_callbacks_" + std::string(name) + "_total", "", v, flat);
      }
    });
    AddCounters(m, cb.queue, "smsdispatch_callbacks_queue_", "", "callbacks.queue_");
  }
}

void AddRegistryAndDaemon(MetricSet& m, const StatsSources& s) {
  if (s.registry != nullptr) {
    const redis::KeyRegistryWatcher& r = *s.registry;
    const std::pair<std::string_view, uint64_t> counters[] = {{"loads", r.loads()},
                                                              {"failed_loads", r.failed_loads()},
                                                              {"messages", r.messages()},
                                                              {"polls", r.polls()},
                                                              {"rollbacks", r.rollbacks()}};
    for (const auto& [name, n] : counters) {
      m.Add("smsdispatch_key_registry_" + std::string(name) + "_total", "", static_cast<int64_t>(n),
            "registry." + std::string(name));
    }
    m.Add("smsdispatch_key_registry_revoked_keys", "", static_cast<int64_t>(r.revocations_seen()),
          "registry.revoked_keys");
    if (r.snapshot() != nullptr) {
      m.Add("smsdispatch_key_registry_version", "", static_cast<int64_t>(r.snapshot()->version()),
            "registry.version");
      m.Add("smsdispatch_key_registry_keys", "", static_cast<int64_t>(r.snapshot()->size()),
            "registry.keys");
    }
  }
  if (s.daemon != nullptr) {
    m.Add("smsdispatch_reloads_total", LabelPair("result", "ok"),
          static_cast<int64_t>(s.daemon->reloads), "daemon.reloads");
    m.Add("smsdispatch_reloads_total", LabelPair("result", "failed"),
          static_cast<int64_t>(s.daemon->reload_failures), "daemon.reload_failures");
  }
}

// The [[pumping]] rules' detections and the blocks in force (docs/operations.md).
void AddPumping(MetricSet& m, const StatsSources& s, const PolicySnapshot& policy) {
  if (const PumpingDetector* d = policy.parts().pumping.get(); d != nullptr) {
    for (const PumpingRuleStats& r : d->Stats()) {
      const std::string labels = LabelPair("rule", r.name);
      const std::string flat = "pumping." + r.name + ".";
      m.Add("smsdispatch_pumping_alerts_total", labels, static_cast<int64_t>(r.alerts),
            flat + "alerts");
      m.Add("smsdispatch_pumping_blocks_raised_total", labels, static_cast<int64_t>(r.blocks),
            flat + "blocks");
      m.Add("smsdispatch_pumping_untracked_total", labels, static_cast<int64_t>(r.untracked),
            flat + "untracked");
      m.Add("smsdispatch_pumping_tracked_subjects", labels, static_cast<int64_t>(r.tracked),
            flat + "tracked");
    }
  }
  if (s.blocks != nullptr) {
    const auto& list = policy.parts().blocks;
    const int64_t now = s.now_ms;
    m.Add("smsdispatch_blocks_active", "",
          list != nullptr ? static_cast<int64_t>(list->ActiveCount(now)) : 0, "blocks.active");
    AddCounters(m, s.blocks->counters(), "smsdispatch_blocks_", "", "blocks.");
  }
  if (s.quotas != nullptr) {
    AddCounters(m, s.quotas->counters(), "smsdispatch_quotas_", "", "quotas.");
    const auto& q = policy.parts().quotas;
    m.Add("smsdispatch_quotas_defined", "",
          q != nullptr ? static_cast<int64_t>(q->definitions().size()) : 0, "quotas.defined");
    if (q != nullptr) {
      const LeaseCounters& lc = q->book().counters();
      const std::pair<std::string_view, uint64_t> leases[] = {
          {"requested", lc.requested.load()},
          {"granted_units", lc.granted_units.load()},
          {"denied", lc.denied.load()},
          {"failed", lc.failed.load()},
          {"returned_units", lc.returned_units.load()},
          {"awaited", lc.awaited.load()}};
      for (const auto& [what, n] : leases) {
        m.Add("smsdispatch_quota_leases_total", LabelPair("event", what), static_cast<int64_t>(n),
              "quotas.lease_" + std::string(what));
      }
    }
  }
  if (s.leases != nullptr) {
    AddCounters(m, s.leases->counters(), "smsdispatch_leases_", "", "leases.");
    m.Add("smsdispatch_leases_connected", "", s.leases->connected() ? 1 : 0, "leases.connected");
  }
  if (s.inbound != nullptr) {
    AddCounters(m, s.inbound->counters(), "smsdispatch_inbound_", "", "inbound.");
    m.Add("smsdispatch_inbound_queued_parts", "", static_cast<int64_t>(s.inbound->queued()),
          "inbound.queued");
  }
  if (s.optouts != nullptr) {
    const auto& set = policy.parts().optouts;
    m.Add("smsdispatch_optouts_entries", "", set != nullptr ? static_cast<int64_t>(set->size()) : 0,
          "optouts.entries");
    AddCounters(m, s.optouts->counters(), "smsdispatch_optouts_", "", "optouts.");
  }
  if (s.carrier_control != nullptr) {
    AddCounters(m, s.carrier_control->counters(), "smsdispatch_carrier_control_", "",
                "carrier_control.");
  }
}

}  // namespace

MetricSet CollectMetrics(const StatsSources& s) {
  MetricSet m;
  AddDispatcher(m, s);
  AddStore(m, *s.store);
  for (const auto& carrier : *s.carriers) AddSmppCarrier(m, *carrier);
  AddHttpParts(m, s);
  AddRegistryAndDaemon(m, s);
  AddPumping(m, s, *s.dispatcher->policy().Load());
  return m;
}

}  // namespace sd
