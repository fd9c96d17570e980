// smsdispatchd: wires the Redis job store, the SMPP carrier and the dispatcher on one libuv
// loop, handles signals and systemd notification. All logic lives in the layers below.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <uv.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "adapters/crypto/openssl_mac.h"
#include "adapters/crypto/sealed_box.h"
#include "adapters/redis/key_registry.h"
#include "adapters/redis/redis_job_store.h"
#include "adapters/smpp/smpp_carrier.h"
#include "adapters/untrusted_log.h"
#include "daemon/lib/config.h"
#include "daemon/lib/dispatcher.h"
#include "daemon/lib/key_file.h"
#include "daemon/lib/policy_loader.h"
#include "daemon/lib/system_clock.h"
#include "daemon/lib/systemd_notify.h"

namespace {

constexpr int kExitConfig = 78;  // EX_CONFIG: systemd's RestartPreventExitStatus names it

void Usage(FILE* out) {
  fprintf(out,
          "usage: smsdispatchd --config FILE [--check-config]\n"
          "  --config FILE    TOML configuration (docs/configuration.md)\n"
          "  --check-config   validate the configuration and key file, then exit\n"
          "  --version        print the version\n");
}

sd::redis::RedisStoreOptions StoreOptions(const sd::Config& c) {
  sd::redis::RedisStoreOptions o;
  o.endpoint.host = c.redis.host;
  o.endpoint.port = c.redis.port;
  o.endpoint.unix_socket = c.redis.unix_socket;
  o.endpoint.user = c.redis.user;
  o.endpoint.password = c.redis.password;
  o.jobs_stream = c.redis.jobs_stream;
  o.group = c.redis.group;
  o.consumer = c.daemon.consumer;
  o.outcomes_stream = c.redis.outcomes_stream;
  o.receipts_stream = c.redis.receipts_stream;
  o.dead_letter_stream = c.redis.dead_letter_stream;
  o.quarantine_stream = c.redis.quarantine_stream;
  o.key_prefix = c.redis.key_prefix;
  o.batch = static_cast<size_t>(c.redis.batch);
  o.block_ms = c.redis.block_ms;
  o.read_linger_ms = c.redis.read_linger_ms;
  o.write_linger_ms = c.redis.write_linger_ms;
  o.claim_idle_ms = c.redis.claim_idle_ms;
  o.claim_interval_ms = c.redis.claim_interval_ms;
  o.max_deliveries = c.redis.max_deliveries;
  o.correlation_ttl_ms = c.redis.correlation_ttl_s * 1000;
  o.unmatched_receipt_wait_ms = c.redis.unmatched_receipt_wait_ms;
  o.outcome_maxlen = c.redis.outcome_maxlen;
  o.audit_stream = c.redis.audit_stream;
  o.audit_maxlen = c.redis.audit_maxlen;
  o.audit_queue_max = static_cast<size_t>(c.redis.audit_queue_max);
  o.audit_burst_per_minute = c.redis.audit_burst_per_minute;
  o.delayed_set = c.redis.delayed_set;
  o.defer_move_interval_ms = c.redis.defer_move_interval_ms;
  o.defer_move_batch = c.redis.defer_move_batch;
  return o;
}

sd::smpp::SmppCarrierOptions CarrierOptions(const sd::CarrierConfig& c) {
  sd::smpp::SmppCarrierOptions o;
  o.name = c.name;
  o.host = c.host;
  o.port = c.port;
  o.session.system_id = c.system_id;
  o.session.password = c.password;
  o.session.system_type = c.system_type;
  o.session.bind = c.bind == "transmitter" ? sd::smpp::BindType::kTransmitter
                   : c.bind == "receiver"  ? sd::smpp::BindType::kReceiver
                                           : sd::smpp::BindType::kTransceiver;
  o.session.window = static_cast<size_t>(c.window);
  o.session.response_timeout_ms = c.response_timeout_ms;
  o.session.enquire_link_interval_ms = c.enquire_link_interval_ms;
  o.session.max_missed_enquire_links = static_cast<int>(c.max_missed_enquire_links);
  o.reconnect_initial_ms = c.reconnect_initial_ms;
  o.reconnect_max_ms = c.reconnect_max_ms;
  o.transmit_binds = static_cast<int>(c.binds);
  o.receiver_binds = static_cast<int>(c.receiver_binds);
  o.rate.tps = static_cast<double>(c.tps);
  o.rate.min_tps = static_cast<double>(c.min_tps);
  o.rate.adjust_interval_ms = c.adjust_interval_ms;
  o.rate.increase_tps = static_cast<double>(c.increase_tps);
  o.rate.refusal_margin = static_cast<double>(c.refusal_margin_percent) / 100;
  o.rate.throttle_pause_ms = c.throttle_pause_ms;
  o.rate.max_throttle_pause_ms = c.max_throttle_pause_ms;
  o.parts.validity = c.validity == "off"        ? sd::smpp::ValidityMode::kOff
                     : c.validity == "relative" ? sd::smpp::ValidityMode::kRelative
                                                : sd::smpp::ValidityMode::kAbsolute;
  o.parts.addresses.source_ton = static_cast<int>(c.source_ton);
  o.parts.addresses.source_npi = static_cast<int>(c.source_npi);
  o.parts.addresses.dest_ton = static_cast<uint8_t>(c.dest_ton);
  o.parts.addresses.dest_npi = static_cast<uint8_t>(c.dest_npi);
  o.parts.split = *sd::SplitMethodFromName(c.split);  // the config only lets valid names in
  o.parts.coding = c.data_coding == "ucs2" ? sd::smpp::DataCodingChoice::kUcs2
                                           : sd::smpp::DataCodingChoice::kAuto;
  o.ids = sd::MessageIdNormalizer(*sd::MessageIdFormatFromName(c.submit_id_format),
                                  *sd::MessageIdFormatFromName(c.receipt_id_format));
  o.max_throttled_attempts = static_cast<int>(c.max_throttled_attempts);
  o.max_temporary_attempts = static_cast<int>(c.max_temporary_attempts);
  o.extra_temporary_statuses = c.temporary_statuses;
  o.tls = c.tls;
  o.tls_server_name = c.tls_server_name;
  return o;
}

// Everything the running daemon owns; lives on main's stack for the loop's lifetime.
struct Daemon {
  uv_loop_t* loop;
  sd::Config config;
  sd::OpenSslMac mac;
  sd::SystemClock clock;
  std::unique_ptr<sd::redis::RedisJobStore> store;
  // [[carrier]] in config order: the order routes' carrier indices refer to. Fixed for the
  // process' life (a reload naming another carrier is refused).
  std::vector<std::unique_ptr<sd::smpp::SmppCarrier>> carriers;
  std::vector<std::string> carrier_names;
  std::unique_ptr<sd::Dispatcher> dispatcher;
  // Policy (keys, scopes, number and content checks, rate limits): see ReloadPolicy.
  sd::SipKey limit_hash_key;
  std::unique_ptr<sd::redis::KeyRegistryWatcher> registry;  // [keys] registry = "redis"
  bool store_started = false;  // with a registry: only once the first snapshot is in
  uv_timer_t tick;
  uv_timer_t stats;
  uv_timer_t shutdown_deadline;
  uv_timer_t watchdog;  // WATCHDOG=1 from the loop itself: a stuck loop stops the keep-alives
  uv_signal_t sigterm;
  uv_signal_t sigint;
  uv_signal_t sighup;
  bool ready_sent = false;
  bool stopping = false;
  bool finishing = false;

  void LogStats() {
    const auto& d = dispatcher->stats();
    size_t bound = 0;
    for (const auto& carrier : carriers) bound += carrier->bound() ? 1 : 0;
    sd::NotifyStatus("submitted " + std::to_string(d.submitted) + ", rejected " +
                     std::to_string(d.rejected) + ", in flight " +
                     std::to_string(dispatcher->inflight()) + ", carriers bound " +
                     std::to_string(bound) + "/" + std::to_string(carriers.size()) + ", redis " +
                     (store->connected() ? "connected" : "disconnected"));
    const auto& r = store->counters();
    spdlog::info(
        "stats: entries={} submitted={} rejected={} deferred={} flagged={} audit={} inflight={} "
        "receipts={} retries={} resumed={} failovers={} revoked_before_submit={} "
        "withheld_at_carrier={} "
        "| redis reclaimed={} dead={} unmatched_receipts={} part_receipts={} write_retries={} "
        "audit_dropped={} deferred={} defer_moved={}",
        d.entries, d.submitted, d.rejected, d.deferred, d.flagged, d.audit_events,
        dispatcher->inflight(), d.receipts, d.temporary_failures, d.resumed, d.failovers,
        d.revoked_before_submit, d.withheld_at_carrier, r.reclaimed, r.dead_lettered,
        r.unmatched_receipts, r.part_receipts, r.write_retries, r.audit_dropped, r.deferred,
        r.defer_moved);
    for (const auto& carrier : carriers) {
      const auto& c = carrier->counters();
      spdlog::info(
          "stats: carrier {} binds={}/{} accepted={} temp_fail={} perm_fail={} partial={} "
          "parts={} part_retries={} temp_retries={} throttled={} disconnects={} odd_ids={}",
          carrier->name(), carrier->bound_binds(), carrier->binds().size(), c.accepted,
          c.temporary_failures, c.permanent_failures, c.partially_sent, c.parts, c.part_retries,
          c.temporary_retries,
          c.throttled, c.disconnects, c.odd_message_ids);
    }
    std::string by_reason;  // only the reasons seen, e.g. "revoked_key=3 rate_limited=12"
    for (size_t i = 1; i < std::size(d.rejected_by_reason); ++i) {
      if (d.rejected_by_reason[i] == 0) continue;
      by_reason += (by_reason.empty() ? "" : " ") +
                   std::string(sd::ReasonName(static_cast<sd::Reason>(i))) + "=" +
                   std::to_string(d.rejected_by_reason[i]);
    }
    if (!by_reason.empty()) spdlog::info("stats: rejected by reason: {}", by_reason);
    PublishStats(d, r);
  }

  // The same counters, machine-readable, as the hash <prefix>stats:<consumer> (docs/redis.md;
  // `smsdispatch stats` prints them): every reason has its field, zero included, so a
  // dashboard sees a fixed set. Expires after three intervals: a stopped daemon drops out.
  void PublishStats(const sd::DispatcherStats& d, const sd::redis::RedisStoreCounters& r) {
    std::vector<std::string> f;
    auto put = [&f](std::string name, uint64_t v) {
      f.push_back(std::move(name));
      f.push_back(std::to_string(v));
    };
    f.push_back("ts");
    f.push_back(std::to_string(clock.NowMs()));
    put("entries", d.entries);
    put("admitted", d.admitted);
    put("submitted", d.submitted);
    put("rejected", d.rejected);
    put("deferred", d.deferred);
    put("flagged", d.flagged);
    put("inflight", dispatcher->inflight());
    put("receipts", d.receipts);
    put("temporary_failures", d.temporary_failures);
    put("failovers", d.failovers);
    put("revoked_before_submit", d.revoked_before_submit);
    put("withheld_at_carrier", d.withheld_at_carrier);
    put("audit_events", d.audit_events);
    for (size_t i = 1; i < std::size(d.rejected_by_reason); ++i) {
      const std::string_view name = sd::ReasonName(static_cast<sd::Reason>(i));
      if (name.empty() || name == "unknown") continue;
      put("rejected." + std::string(name), d.rejected_by_reason[i]);
    }
    put("redis.reclaimed", r.reclaimed);
    put("redis.dead_lettered", r.dead_lettered);
    put("redis.unmatched_receipts", r.unmatched_receipts);
    put("redis.unparsable_receipts", r.unparsable_receipts);
    put("redis.duplicate_receipts", r.duplicate_receipts);
    put("redis.write_retries", r.write_retries);
    put("redis.reconnects", r.reconnects);
    put("redis.audit_dropped", r.audit_dropped);
    put("redis.script_calls", r.script_calls);
    put("redis.job_reads", r.job_reads);
    for (const auto& carrier : carriers) {
      const auto& c = carrier->counters();
      const std::string p = "carrier." + carrier->name() + ".";
      put(p + "binds_bound", carrier->bound_binds());
      put(p + "accepted", c.accepted);
      put(p + "temporary_failures", c.temporary_failures);
      put(p + "permanent_failures", c.permanent_failures);
      put(p + "throttled", c.throttled);
      put(p + "temporary_retries", c.temporary_retries);
      put(p + "disconnects", c.disconnects);
    }
    store->PublishStats(std::move(f),
                        std::max<int64_t>(3 * config.daemon.stats_interval_ms, 10'000));
  }

  // SIGHUP: re-reads the config file's policy parts ([keys] file, [policy], [content],
  // [[limits]], [[route]]) and builds a new snapshot; rate-limit buckets of unchanged limits
  // keep their state. Anything wrong keeps the old snapshot whole, and so does a file naming
  // a carrier the daemon did not start with. Other sections need a restart.
  void ReloadPolicy() {
    sd::NotifyReloading();
    auto loaded = sd::LoadConfig(config.path);
    if (auto* err = std::get_if<sd::ConfigError>(&loaded)) {
      spdlog::error("reload: keeping the old policy: {}", err->ToString());
      sd::NotifyReady();
      return;
    }
    const sd::Config& next = std::get<sd::Config>(loaded);
    std::optional<sd::ConfigError> failed;
    auto installed = dispatcher->policy().Update([&](const sd::PolicySnapshot& cur) {
      auto parts = sd::BuildPolicyParts(next, &cur, limit_hash_key, &carrier_names);
      if (auto* err = std::get_if<sd::ConfigError>(&parts)) {
        failed = *err;
        return cur.parts();  // unchanged (generation still moves on; harmless)
      }
      failed.reset();
      return std::get<sd::PolicyParts>(std::move(parts));
    });
    if (failed) {
      spdlog::error("reload: keeping the old policy: {}", failed->ToString());
    } else {
      const auto& p = installed->parts();
      spdlog::info(
          "reload: policy generation {}: {} key-file keys, content rules {}, {} rate limits, {} "
          "routes",
          installed->generation(), p.file_keys ? p.file_keys->size() : 0, p.content ? "on" : "off",
          p.limits ? p.limits->size() : 0, p.router ? p.router->routes().size() : 0);
    }
    sd::NotifyReady();
  }

  // Registry snapshots replace the registry part of the policy, whatever else is live.
  void OnRegistrySnapshot(std::shared_ptr<const sd::KeyRegistrySnapshot> keys) {
    spdlog::info("key registry version {}: {} keys", keys->version(), keys->size());
    dispatcher->policy().Update([&keys](const sd::PolicySnapshot& cur) {
      sd::PolicyParts next = cur.parts();
      next.registry_keys = keys;
      return next;
    });
    StartStore();
  }

  void StartStore() {
    if (store_started) return;
    store_started = true;
    store->Start();
  }

  void Shutdown() {
    if (stopping) return;
    stopping = true;
    sd::NotifyStopping();
    spdlog::info("shutting down: no new reads; waiting for {} jobs in flight (at most {} ms)",
                 dispatcher->inflight(), config.daemon.shutdown_timeout_ms);
    uv_timer_start(
        &shutdown_deadline,
        [](uv_timer_t* t) {
          auto* d = static_cast<Daemon*>(t->data);
          spdlog::warn("shutdown timeout: {} jobs still in flight stay pending in Redis",
                       d->dispatcher->inflight());
          d->Finish();
        },
        static_cast<uint64_t>(config.daemon.shutdown_timeout_ms), 0);
    dispatcher->Stop([this] { Finish(); });
  }

  void Finish() {
    if (finishing) return;
    finishing = true;
    LogStats();
    if (registry) registry->Close([] {});
    CloseCarriers();
  }

  // Every carrier unbinds at once (each bounded by its own unbind wait), then the store
  // closes, then the handles.
  void CloseCarriers() {
    auto left = std::make_shared<size_t>(carriers.size());
    for (auto& carrier : carriers) {
      carrier->Close([this, left] {
        if (--*left == 0) CloseStore();
      });
    }
  }

  void CloseStore() {
    store->Close(2000, [this] {
      for (uv_handle_t* h :
           {reinterpret_cast<uv_handle_t*>(&tick), reinterpret_cast<uv_handle_t*>(&stats),
            reinterpret_cast<uv_handle_t*>(&watchdog),
            reinterpret_cast<uv_handle_t*>(&shutdown_deadline),
            reinterpret_cast<uv_handle_t*>(&sigterm), reinterpret_cast<uv_handle_t*>(&sigint),
            reinterpret_cast<uv_handle_t*>(&sighup)}) {
        if (!uv_is_closing(h)) uv_close(h, nullptr);
      }
    });
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--config") && i + 1 < argc) {
      config_path = argv[++i];
    } else if (!strcmp(argv[i], "--check-config")) {
      check_only = true;
    } else if (!strcmp(argv[i], "--version")) {
      printf("smsdispatchd 0.1.0\n");
      return 0;
    } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      Usage(stdout);
      return 0;
    } else {
      fprintf(stderr, "smsdispatchd: unknown argument '%s'\n", argv[i]);
      Usage(stderr);
      return 2;
    }
  }
  if (config_path.empty()) {
    Usage(stderr);
    return 2;
  }
  auto loaded = sd::LoadConfig(config_path);
  if (auto* err = std::get_if<sd::ConfigError>(&loaded)) {
    fprintf(stderr, "smsdispatchd: %s\n", err->ToString().c_str());
    return kExitConfig;
  }
  Daemon d;
  d.config = std::move(std::get<sd::Config>(loaded));
  d.limit_hash_key = sd::RandomLimitHashKey();
  auto parts = sd::BuildPolicyParts(d.config, nullptr, d.limit_hash_key);
  if (auto* err = std::get_if<sd::ConfigError>(&parts)) {
    fprintf(stderr, "smsdispatchd: %s\n", err->ToString().c_str());
    return kExitConfig;
  }
  std::optional<sd::MasterKey> master;
  if (!d.config.keys_registry.empty()) {
    auto mk = !d.config.master_key_file.empty()
                  ? sd::LoadMasterKeyFile(d.config.master_key_file)
              : d.config.master_key_from_environment
                  ? sd::LoadMasterKeyEnvironment()
                  : sd::LoadMasterKeyCredential(d.config.master_key_credential);
    if (!mk) {
      fprintf(stderr, "smsdispatchd: key registry master key: %s\n", mk.error().detail.c_str());
      return kExitConfig;
    }
    master.emplace(std::move(mk).value());
  }
  const size_t file_keys = std::get<sd::PolicyParts>(parts).file_keys
                               ? std::get<sd::PolicyParts>(parts).file_keys->size()
                               : 0;
  if (check_only) {
    for (const std::string& w : d.config.warnings)
      fprintf(stderr, "smsdispatchd: warning: %s\n", w.c_str());
    printf("smsdispatchd: %s is valid (%zu signing keys%s)\n", config_path.c_str(), file_keys,
           master ? ", key registry master key loaded" : "");
    return 0;
  }

  auto logger = spdlog::stderr_color_mt("smsdispatchd");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(d.config.daemon.log_level));
  signal(SIGPIPE, SIG_IGN);  // a peer closing mid-write is an error return, not a kill

  d.loop = uv_default_loop();
  d.store = std::make_unique<sd::redis::RedisJobStore>(d.loop, StoreOptions(d.config));
  std::vector<sd::DispatchCarrier> dispatch_carriers;
  for (const sd::CarrierConfig& cc : d.config.carriers) {
    d.carriers.push_back(std::make_unique<sd::smpp::SmppCarrier>(d.loop, CarrierOptions(cc)));
    d.carrier_names.push_back(cc.name);
    sd::smpp::SmppCarrier* carrier = d.carriers.back().get();
    // Up: a sending bind is bound. Not up: its jobs fail over to the route's next carrier.
    // max_unsettled (default window x binds): the kill -9 duplicate bound (docs/architecture.md).
    dispatch_carriers.push_back(sd::DispatchCarrier{carrier, [carrier] { return carrier->bound(); },
                                                    static_cast<size_t>(cc.max_unsettled)});
  }
  sd::DispatcherOptions dopts;
  dopts.decision.stream = d.config.redis.jobs_stream;
  dopts.decision.max_future_skew_ms = d.config.policy.max_future_skew_s * 1000;
  dopts.decision.max_validity_ms = d.config.policy.max_validity_s * 1000;
  dopts.max_inflight = static_cast<size_t>(d.config.daemon.max_inflight);
  d.dispatcher = std::make_unique<sd::Dispatcher>(*d.store, std::move(dispatch_carriers), d.mac,
                                                  d.clock, dopts);
  std::get<sd::PolicyParts>(parts).mac = &d.mac;  // every key's HMAC prepared once per snapshot
  d.dispatcher->policy().Store(
      sd::PolicySnapshot::Make(std::get<sd::PolicyParts>(std::move(parts))));
  // Security decisions go to the audit stream, rate-limit deferrals to the delay queue: both on
  // the store's ordered, retried write path (adapters/redis).
  d.dispatcher->SetAuditSink(d.store.get());
  d.dispatcher->SetDeferQueue(d.store.get());
  if (master) {
    sd::redis::KeyRegistryWatcherOptions wo;
    wo.names = sd::redis::KeyRegistryNames::ForPrefix(d.config.redis.key_prefix);
    d.registry = std::make_unique<sd::redis::KeyRegistryWatcher>(
        d.loop, StoreOptions(d.config).endpoint, *master, wo);
    d.registry->SetOnSnapshot([&d](std::shared_ptr<const sd::KeyRegistrySnapshot> keys) {
      d.OnRegistrySnapshot(std::move(keys));
    });
    d.registry->SetOnProblem([](const std::string& why) {
      spdlog::error("key registry: keeping the previous keys: {}",
                    sd::Untrusted(why, sd::kLogMessageMax));
    });
  }

  for (uv_timer_t* t : {&d.tick, &d.stats, &d.shutdown_deadline, &d.watchdog}) {
    uv_timer_init(d.loop, t);
    t->data = &d;
  }
  for (uv_signal_t* s : {&d.sigterm, &d.sigint, &d.sighup}) {
    uv_signal_init(d.loop, s);
    s->data = &d;
  }
  auto on_stop = [](uv_signal_t* s, int) { static_cast<Daemon*>(s->data)->Shutdown(); };
  uv_signal_start(&d.sigterm, on_stop, SIGTERM);
  uv_signal_start(&d.sigint, on_stop, SIGINT);
  uv_signal_start(
      &d.sighup, [](uv_signal_t* s, int) { static_cast<Daemon*>(s->data)->ReloadPolicy(); },
      SIGHUP);
  uv_timer_start(
      &d.tick,
      [](uv_timer_t* t) {
        auto* self = static_cast<Daemon*>(t->data);
        self->dispatcher->Tick();
        if (!self->ready_sent && self->store->connected()) {
          self->ready_sent = true;
          sd::NotifyReady();
          spdlog::info("ready: consuming {} as {}/{}", self->config.redis.jobs_stream,
                       self->config.redis.group, self->config.daemon.consumer);
        }
      },
      100, 100);
  if (const uint64_t usec = sd::WatchdogIntervalUsec(); usec > 0) {
    const uint64_t every_ms = std::max<uint64_t>(1, usec / 2000);  // half the interval
    uv_timer_start(
        &d.watchdog, [](uv_timer_t*) { sd::NotifyWatchdog(); }, every_ms, every_ms);
  }
  uv_timer_start(
      &d.stats, [](uv_timer_t* t) { static_cast<Daemon*>(t->data)->LogStats(); },
      static_cast<uint64_t>(d.config.daemon.stats_interval_ms),
      static_cast<uint64_t>(d.config.daemon.stats_interval_ms));

  std::string carrier_list;
  for (const sd::CarrierConfig& cc : d.config.carriers) {
    carrier_list += (carrier_list.empty() ? "" : ", ") + cc.name + " at " + cc.host + ":" +
                    std::to_string(cc.port);
  }
  spdlog::info("smsdispatchd starting: {} key-file keys{}, carriers {}, {} routes, max_inflight {}",
               file_keys, d.registry ? " + key registry" : "", carrier_list,
               sd::RouteSpecs(d.config).size(), d.config.daemon.max_inflight);
  for (const std::string& w : d.config.warnings) spdlog::warn("{}", w);
  d.dispatcher->Start();
  if (d.registry) {
    d.registry->Start();  // the store starts reading once the first registry snapshot is in
  } else {
    d.StartStore();
  }
  for (auto& carrier : d.carriers) carrier->Start();
  uv_run(d.loop, UV_RUN_DEFAULT);
  // Handles closed by libraries (hiredis' poll handles) finish closing here.
  uv_run(d.loop, UV_RUN_DEFAULT);
  const int rc = uv_loop_close(d.loop);
  if (rc != 0) spdlog::warn("loop closed with handles still open");
  spdlog::info("stopped");
  return 0;
}
