#include "daemon/lib/daemon.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>

#include "adapters/loop/uv_kit.h"
#include "adapters/policy/number_plan_metadata.h"
#include "adapters/untrusted_log.h"
#include "daemon/lib/adapter_options.h"
#include "daemon/lib/policy_loader.h"
#include "daemon/lib/stats_report.h"
#include "daemon/lib/systemd_notify.h"

namespace sd {

std::variant<DaemonSetup, ConfigError> PrepareDaemon(Config config) {
  DaemonSetup setup;
  setup.limit_hash_key = RandomLimitHashKey();
  auto parts = BuildPolicyParts(config, nullptr, setup.limit_hash_key);
  if (auto* err = std::get_if<ConfigError>(&parts)) return *err;
  setup.policy = std::get<PolicyParts>(std::move(parts));
  if (!config.keys_registry.empty()) {
    auto mk = !config.master_key_file.empty() ? LoadMasterKeyFile(config.master_key_file)
              : config.master_key_from_environment
                  ? LoadMasterKeyEnvironment()
                  : LoadMasterKeyCredential(config.master_key_credential);
    if (!mk) {
      return ConfigError{config.path, 0, 0, "key registry master key: " + mk.error().detail};
    }
    setup.master.emplace(std::move(mk).value());
  }
  setup.config = std::move(config);
  return setup;
}

namespace {

// "https://api.example.net" of a URL: what the start-up line names (paths may carry account
// ids, and nothing after the host is needed to tell carriers apart).
std::string UrlOrigin(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t end = scheme == std::string::npos ? url.size() : url.find('/', scheme + 3);
  return url.substr(0, end == std::string::npos ? url.size() : end);
}

}  // namespace

Daemon::Daemon(uv_loop_t* loop, DaemonSetup setup)
    : loop_(loop), config_(std::move(setup.config)), limit_hash_key_(setup.limit_hash_key) {
  store_ = std::make_unique<redis::ShardedJobStore>(loop_, StoreOptionsFrom(config_),
                                                    static_cast<uint32_t>(config_.redis.shards),
                                                    config_.redis.read_shards);
  if (config_.inbound.enabled) {
    inbound_ = std::make_unique<redis::InboundStore>(loop_, StoreOptionsFrom(config_).endpoint,
                                                     InboundOptionsFrom(config_), clock_);
  }
  BuildCarriers();
  setup.policy.mac = &mac_;  // every key's HMAC prepared once per snapshot
  dispatcher_->policy().Store(PolicySnapshot::Make(std::move(setup.policy)));
  // Security decisions go to the audit stream, rate-limit deferrals to the delay queue: both
  // on the store's ordered, retried write path (adapters/redis).
  dispatcher_->SetAuditSink(store_.get());
  dispatcher_->SetDeferQueue(store_.get());
  BuildBlocks();
  BuildQuotas();
  BuildOptOuts();
  BuildCarrierControl();
  if (receipt_endpoint_) {
    receipt_endpoint_->SetAuditSink(store_.get());
    receipt_endpoint_->SetInboundSink(inbound_.get());  // replies posted by HTTP carriers
  }
  if (setup.master) BuildRegistry(*setup.master);
  if (config_.api.enabled) BuildApi();
  if (config_.callbacks.enabled) BuildCallbacks();
  BuildAdmin();
  started_ms_ = clock_.NowMs();
}

void Daemon::BuildApi() {
  redis::ApiStoreOptions so;
  so.key_prefix = config_.redis.key_prefix;
  so.jobs_stream = config_.redis.jobs_stream;
  so.wait_replicas = config_.redis.wait_replicas;
  so.wait_timeout_ms = config_.redis.wait_timeout_ms;
  so.give_up_ms = config_.api.ack_timeout_ms;
  api_store_ =
      std::make_unique<redis::ApiStore>(loop_, StoreOptionsFrom(config_).endpoint, so);
  http::ApiEndpointOptions o;
  o.jobs_stream = config_.redis.jobs_stream;
  o.carrier = config_.carriers.empty() ? "" : config_.carriers.front().name;
  o.signature_window_ms = config_.api.signature_window_ms;
  o.default_validity_s = config_.api.default_validity_s;
  o.max_batch = config_.api.max_batch;
  o.ack_timeout_ms = config_.api.ack_timeout_ms;
  o.trusted_proxies = config_.api.trusted_proxies;
  o.status_retention_ms = config_.api.status_retention_ms;
  o.shards = static_cast<uint32_t>(config_.redis.shards);
  api_ = std::make_unique<http::ApiEndpoint>(loop_, config_.api.server, std::move(o),
                                             dispatcher_->policy(), mac_, clock_,
                                             api_store_.get());
  api_->SetAuditSink(store_.get());
}

// Status callbacks: a thread with its own loop, Redis connection and HTTP client
// (callback_thread.h); sending starts once the first key registry snapshot is in (an event
// read before could not find its key's callback URL).
void Daemon::BuildCallbacks() {
  const redis::RedisStoreOptions store = StoreOptionsFrom(config_);
  redis::StatusQueueOptions q;
  q.outcomes_stream = store.outcomes_stream;
  q.receipts_stream = store.receipts_stream;
  q.consumer = store.consumer;
  q.dead_stream = config_.redis.key_prefix + "callbacks:dead";
  q.claim_idle_ms = config_.callbacks.claim_idle_ms;
  q.claim_interval_ms = std::max<int64_t>(1'000, config_.callbacks.claim_idle_ms / 10);
  // The dispatcher_ pointer is set before the thread starts and outlives it; Load() is atomic.
  callbacks_ = std::make_unique<CallbackThread>(
      store.endpoint, q, config_.callbacks.sender,
      [this] { return dispatcher_->policy().Load()->parts().registry_keys; }, &clock_);
}

Daemon::~Daemon() = default;

void Daemon::BuildRegistry(const MasterKey& master) {
  redis::KeyRegistryWatcherOptions wo;
  wo.names = redis::KeyRegistryNames::ForPrefix(config_.redis.key_prefix);
  registry_ = std::make_unique<redis::KeyRegistryWatcher>(loop_, StoreOptionsFrom(config_).endpoint,
                                                          master, wo);
  registry_->SetOnSnapshot([this](std::shared_ptr<const KeyRegistrySnapshot> keys) {
    OnRegistrySnapshot(std::move(keys));
  });
  usage_ = std::make_unique<redis::UsageStore>(loop_, StoreOptionsFrom(config_).endpoint,
                                               config_.redis.key_prefix);
  registry_->SetOnProblem([](const std::string& why) {
    spdlog::error("key registry: keeping the previous keys: {}", Untrusted(why, kLogMessageMax));
  });
}

template <typename Handle>
void Daemon::InitHandle(Handle* h) {
  h->data = this;
  handles_.push_back(loop::AsHandle(h));
}

bool Daemon::Start(bool handle_signals) {
  if (!StartAdmin()) {
    Finish();
    return false;
  }
  if (receipt_endpoint_) {
    if (receipt_endpoint_->Start() != 0) {
      spdlog::critical("[listener]: {}", receipt_endpoint_->error());
      Finish();
      return false;
    }
    spdlog::info("listening for receipt webhooks on {}:{} ({})", config_.listener.server.host,
                 receipt_endpoint_->port(), config_.listener.plain ? "plain HTTP" : "TLS");
  }
  if (api_) {
    if (api_->Start() != 0) {
      spdlog::critical("[api]: {}", api_->error());
      Finish();
      return false;
    }
    api_store_->Start();
    spdlog::info("producers' API on {}:{} ({})", config_.api.server.host, api_->port(),
                 config_.api.plain ? "plain HTTP" : "TLS");
  }
  blocks_->Start();
  leases_->Start();
  quotas_->Start();
  if (optouts_) optouts_->Start();
  control_->Start();
  if (inbound_) inbound_->Start();
  StartTimers();
  if (handle_signals) StartSignals();
  std::string carrier_list;
  for (const CarrierConfig& cc : config_.carriers) {
    carrier_list += (carrier_list.empty() ? "" : ", ") + cc.name + " at " +
                    (cc.protocol == "http" ? UrlOrigin(cc.http.request.url)
                                           : cc.host + ":" + std::to_string(cc.port));
  }
  const PolicyParts& p = dispatcher_->policy().Load()->parts();
  spdlog::info("smsdispatchd starting: {} key-file keys{}, carriers {}, {} routes, max_inflight {}",
               p.file_keys ? p.file_keys->size() : 0, registry_ ? " + key registry" : "",
               carrier_list, RouteSpecs(config_).size(), config_.daemon.max_inflight);
  const NumberTable::Stats& numbers = LibraryNumberTable().stats();
  spdlog::info("number table from libphonenumber's metadata: {} calling codes, {} regions, {} "
               "states, {} KiB; {} codes left to the library",
               numbers.calling_codes, numbers.regions, numbers.states, numbers.bytes / 1024,
               numbers.codes_left_to_library);
  for (const std::string& why : numbers.left) spdlog::warn("number table: {}", why);
  for (const std::string& w : config_.warnings) spdlog::warn("{}", w);
  dispatcher_->Start();
  if (callbacks_) {
    callbacks_->Start(loop_, [this] {
      callback_groups_ready_ = true;
      StartStore();
    });
  }
  if (registry_) {
    registry_->Start();  // the store starts reading once the first registry snapshot is in
    usage_->Start();
  } else {
    StartStore();
  }
  for (auto& carrier : carriers_) carrier->Start();
  return true;
}

void Daemon::StartTimers() {
  for (uv_timer_t* t : {&tick_, &stats_, &shutdown_deadline_, &watchdog_}) {
    uv_timer_init(loop_, t);
    InitHandle(t);
  }
  uv_timer_start(
      &tick_, [](uv_timer_t* t) { static_cast<Daemon*>(t->data)->OnTick(); }, 100, 100);
  if (const uint64_t usec = WatchdogIntervalUsec(); usec > 0) {
    // WATCHDOG=1 from the loop itself, at half the interval: a stuck loop stops the keep-alives.
    const uint64_t every_ms = std::max<uint64_t>(1, usec / 2000);
    uv_timer_start(
        &watchdog_, [](uv_timer_t*) { NotifyWatchdog(); }, every_ms, every_ms);
  }
  const auto every = static_cast<uint64_t>(config_.daemon.stats_interval_ms);
  uv_timer_start(
      &stats_, [](uv_timer_t* t) { static_cast<Daemon*>(t->data)->LogStats(); }, every, every);
}

void Daemon::StartSignals() {
  for (uv_signal_t* s : {&sigterm_, &sigint_, &sighup_}) {
    uv_signal_init(loop_, s);
    InitHandle(s);
  }
  auto on_stop = [](uv_signal_t* s, int) { static_cast<Daemon*>(s->data)->Shutdown(); };
  uv_signal_start(&sigterm_, on_stop, SIGTERM);
  uv_signal_start(&sigint_, on_stop, SIGINT);
  uv_signal_start(
      &sighup_, [](uv_signal_t* s, int) { static_cast<Daemon*>(s->data)->ReloadPolicy(); }, SIGHUP);
}

void Daemon::OnTick() {
  dispatcher_->Tick();
  CloseIdleCarriers();
  if (!ready_sent_ && store_->connected()) {
    ready_sent_ = true;
    NotifyReady();
    spdlog::info("ready: consuming {} as {}/{}", config_.redis.jobs_stream, config_.redis.group,
                 config_.daemon.consumer);
  }
}

void Daemon::LogStats() {
  std::optional<CallbackStats> callback_stats;
  if (callbacks_) callback_stats = callbacks_->stats();
  const StatsSources sources = Sources(callback_stats ? &*callback_stats : nullptr);
  store_->SampleBacklog();  // for the next report: one XINFO GROUPS per interval
  NotifyStatus(StatusLine(sources));
  if (usage_) usage_->Write(dispatcher_->usage().Drain(), clock_.NowMs());
  for (const std::string& line : StatsLogLines(sources)) spdlog::info("{}", line);
  // Expires after three intervals: a stopped daemon drops out.
  store_->PublishStats(StatsHashFields(sources, clock_.NowMs()),
                       std::max<int64_t>(3 * config_.daemon.stats_interval_ms, 10'000));
}

void Daemon::ReloadPolicy() {
  NotifyReloading();
  auto loaded = LoadConfig(config_.path);
  if (auto* err = std::get_if<ConfigError>(&loaded)) {
    ++counters_.reload_failures;
    spdlog::error("reload: keeping the old policy: {}", err->ToString());
    NotifyReady();
    return;
  }
  const Config& next = std::get<Config>(loaded);
  std::optional<ConfigError> failed;
  if (std::string why = CheckCarrierReload(next); !why.empty()) {
    failed = ConfigError{next.path, 0, 0, std::move(why)};
  } else {
    // Routes may name the file's own carriers: ApplyCarrierReload below gives the dispatcher
    // any it adds, on this same loop turn.
    dispatcher_->policy().Update([&](const PolicySnapshot& cur) {
      auto parts = BuildPolicyParts(next, &cur, limit_hash_key_);
      if (auto* err = std::get_if<ConfigError>(&parts)) {
        failed = *err;
        return cur.parts();  // unchanged (generation still moves on; harmless)
      }
      failed.reset();
      return std::get<PolicyParts>(std::move(parts));  // keeps the registry's keys and the MAC
    });
    if (!failed) {
      ApplyCarrierReload(next);
      if (inbound_) inbound_->SetOptOutRules(InboundOptionsFrom(next).optout_rules);
    }
  }
  if (failed) {
    ++counters_.reload_failures;
    spdlog::error("reload: keeping the old policy: {}", failed->ToString());
  } else {
    ++counters_.reloads;
    const auto installed = dispatcher_->policy().Load();
    const auto& p = installed->parts();
    spdlog::info(
        "reload: policy generation {}: {} key-file keys, content rules {}, {} rate limits, {} "
        "routes",
        installed->generation(), p.file_keys ? p.file_keys->size() : 0, p.content ? "on" : "off",
        p.limits ? p.limits->size() : 0, p.router ? p.router->routes().size() : 0);
  }
  NotifyReady();
}

void Daemon::OnRegistrySnapshot(std::shared_ptr<const KeyRegistrySnapshot> keys) {
  spdlog::info("key registry version {}: {} keys", keys->version(), keys->size());
  dispatcher_->policy().Update([&keys](const PolicySnapshot& cur) {
    PolicyParts next = cur.parts();
    next.registry_keys = keys;
    return next;
  });
  registry_loaded_ = true;
  StartStore();
  if (callbacks_ && !callbacks_started_ && !finishing_) {
    callbacks_started_ = true;
    callbacks_->StartSending();
  }
}

// Once the key registry is in (when there is one) and the callbacks' group exists (with
// [callbacks]): an outcome written before that group would never be called back.
void Daemon::StartStore() {
  if (registry_ && !registry_loaded_) return;
  // A job read before the opt-outs are in could go to a number that wrote STOP.
  if (optouts_ && !optouts_->loaded()) return;
  if (callbacks_ && !callback_groups_ready_) return;
  if (store_started_ || finishing_) return;
  store_started_ = true;
  store_->Start();
}

void Daemon::Shutdown() {
  if (stopping_) return;
  stopping_ = true;
  NotifyStopping();
  spdlog::info("shutting down: no new reads; waiting for {} jobs in flight (at most {} ms)",
               dispatcher_->inflight(), config_.daemon.shutdown_timeout_ms);
  uv_timer_start(
      &shutdown_deadline_,
      [](uv_timer_t* t) {
        auto* d = static_cast<Daemon*>(t->data);
        spdlog::warn("shutdown timeout: {} jobs still in flight stay pending in Redis",
                     d->dispatcher_->inflight());
        d->Finish();
      },
      static_cast<uint64_t>(config_.daemon.shutdown_timeout_ms), 0);
  dispatcher_->Stop([this] { Finish(); });
}

void Daemon::Finish() {
  if (finishing_) return;
  finishing_ = true;
  LogStats();
  if (registry_) registry_->Close([] {});
  if (usage_) usage_->Close([] {});  // after LogStats above wrote the last counts
  CloseApi([this] { CloseCallbacks([this] { CloseListener(); }); });
}

// What a callback holds stays pending on the streams' group: the next start (or another
// daemon, after claim_idle_s) delivers it.
void Daemon::CloseCallbacks(std::function<void()> then) {
  if (!callbacks_) {
    then();
    return;
  }
  callbacks_->Stop(std::move(then));
}

// The API first: a request not answered by now gets no 202, so the producer retries (with its
// Idempotency-Key) at whichever daemon is up; its store closes after the replies it waits for.
void Daemon::CloseApi(std::function<void()> then) {
  if (!api_) {
    then();
    return;
  }
  api_->Close([this, then = std::move(then)]() mutable {
    api_store_->Close(std::move(then));
  });
}

// Then the listener: a receipt that arrives after this is not answered, so the provider sends
// it again to whichever daemon is up.
void Daemon::CloseListener() {
  if (receipt_endpoint_) {
    receipt_endpoint_->Close([this] { CloseCarriers(); });
    return;
  }
  CloseCarriers();
}

// The admin listener last but one: /readyz answers "stopping" (503) through the drain, so
// load balancers and probes see the daemon leave.
void Daemon::CloseStore() {
  auto close_watchers = [this] {
    blocks_->Close([this] {
      CloseOptOuts([this] {
        control_->Close([this] {
          auto close_store = [this] { store_->Close(2000, [this] { CloseHandles(); }); };
          if (inbound_) {
            inbound_->Close(close_store);  // after the carriers: nothing more comes in
          } else {
            close_store();
          }
        });
      });
    });
  };
  // Unspent leased tokens go back to the fleet's buckets first (the dispatcher has stopped).
  auto close_store = [this, close_watchers] {
    leases_->Close([this, close_watchers] { quotas_->Close(close_watchers); });
  };
  if (admin_) {
    admin_->Close(close_store);
    return;
  }
  close_store();
}

void Daemon::CloseHandles() {
  loop::CloseAll(handles_, [this] { handles_closed_ = true; });
}

}  // namespace sd
