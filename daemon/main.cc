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
#include <string>

#include "adapters/crypto/openssl_mac.h"
#include "adapters/redis/redis_job_store.h"
#include "adapters/smpp/smpp_carrier.h"
#include "daemon/lib/config.h"
#include "daemon/lib/dispatcher.h"
#include "daemon/lib/key_file.h"
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
  o.claim_idle_ms = c.redis.claim_idle_ms;
  o.claim_interval_ms = c.redis.claim_interval_ms;
  o.max_deliveries = c.redis.max_deliveries;
  o.correlation_ttl_ms = c.redis.correlation_ttl_s * 1000;
  o.outcome_maxlen = c.redis.outcome_maxlen;
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
  o.parts.split = *sd::SplitMethodFromName(c.split);  // the config only lets valid names in
  o.parts.coding = c.data_coding == "ucs2" ? sd::smpp::DataCodingChoice::kUcs2
                                           : sd::smpp::DataCodingChoice::kAuto;
  o.ids = sd::MessageIdNormalizer(*sd::MessageIdFormatFromName(c.submit_id_format),
                                  *sd::MessageIdFormatFromName(c.receipt_id_format));
  o.max_throttled_attempts = static_cast<int>(c.max_throttled_attempts);
  o.max_temporary_attempts = static_cast<int>(c.max_temporary_attempts);
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
  std::unique_ptr<sd::smpp::SmppCarrier> carrier;
  std::unique_ptr<sd::Dispatcher> dispatcher;
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
    sd::NotifyStatus("submitted " + std::to_string(d.submitted) + ", rejected " + std::to_string(d.rejected) +
                     ", in flight " + std::to_string(dispatcher->inflight()) + ", carrier " +
                     (carrier->bound() ? "bound" : "not bound") + ", redis " +
                     (store->connected() ? "connected" : "disconnected"));
    const auto& r = store->counters();
    const auto& c = carrier->counters();
    spdlog::info(
        "stats: entries={} submitted={} rejected={} inflight={} receipts={} retries={} resumed={} "
        "| redis reclaimed={} dead={} unmatched_receipts={} part_receipts={} write_retries={} "
        "| carrier binds={}/{} accepted={} temp_fail={} perm_fail={} partial={} parts={} "
        "part_retries={} throttled={} disconnects={} odd_ids={}",
        d.entries, d.submitted, d.rejected, dispatcher->inflight(), d.receipts, d.temporary_failures,
        d.resumed, r.reclaimed, r.dead_lettered, r.unmatched_receipts, r.part_receipts,
        r.write_retries, carrier->bound_binds(), carrier->binds().size(), c.accepted,
        c.temporary_failures, c.permanent_failures, c.partially_sent, c.parts, c.part_retries,
        c.throttled, c.disconnects, c.odd_message_ids);
  }

  void ReloadKeys() {
    sd::NotifyReloading();
    auto keys = sd::LoadKeyFile(config.keys_file);
    if (auto* err = std::get_if<sd::ConfigError>(&keys)) {
      spdlog::error("reload: keeping the old keys: {}", err->ToString());
    } else {
      auto ring = std::get<std::shared_ptr<const sd::KeyRing>>(keys);
      spdlog::info("reload: {} signing keys loaded", ring->size());
      dispatcher->SetKeys(std::move(ring));
    }
    sd::NotifyReady();
  }

  void Shutdown() {
    if (stopping) return;
    stopping = true;
    sd::NotifyStopping();
    spdlog::info("shutting down: no new reads; waiting for {} jobs in flight (at most {} ms)",
                 dispatcher->inflight(), config.daemon.shutdown_timeout_ms);
    uv_timer_start(&shutdown_deadline, [](uv_timer_t* t) {
      auto* d = static_cast<Daemon*>(t->data);
      spdlog::warn("shutdown timeout: {} jobs still in flight stay pending in Redis", d->dispatcher->inflight());
      d->Finish();
    }, static_cast<uint64_t>(config.daemon.shutdown_timeout_ms), 0);
    dispatcher->Stop([this] { Finish(); });
  }

  void Finish() {
    if (finishing) return;
    finishing = true;
    LogStats();
    carrier->Close([this] {
      store->Close(2000, [this] {
        for (uv_handle_t* h : {reinterpret_cast<uv_handle_t*>(&tick), reinterpret_cast<uv_handle_t*>(&stats),
                               reinterpret_cast<uv_handle_t*>(&watchdog),
                               reinterpret_cast<uv_handle_t*>(&shutdown_deadline),
                               reinterpret_cast<uv_handle_t*>(&sigterm), reinterpret_cast<uv_handle_t*>(&sigint),
                               reinterpret_cast<uv_handle_t*>(&sighup)}) {
          if (!uv_is_closing(h)) uv_close(h, nullptr);
        }
      });
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
  auto keys = sd::LoadKeyFile(d.config.keys_file);
  if (auto* err = std::get_if<sd::ConfigError>(&keys)) {
    fprintf(stderr, "smsdispatchd: %s\n", err->ToString().c_str());
    return kExitConfig;
  }
  auto ring = std::get<std::shared_ptr<const sd::KeyRing>>(keys);
  if (check_only) {
    printf("smsdispatchd: %s is valid (%zu signing keys)\n", config_path.c_str(), ring->size());
    return 0;
  }

  auto logger = spdlog::stderr_color_mt("smsdispatchd");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(d.config.daemon.log_level));
  signal(SIGPIPE, SIG_IGN);  // a peer closing mid-write is an error return, not a kill

  d.loop = uv_default_loop();
  d.store = std::make_unique<sd::redis::RedisJobStore>(d.loop, StoreOptions(d.config));
  d.carrier = std::make_unique<sd::smpp::SmppCarrier>(d.loop, CarrierOptions(d.config.carriers.front()));
  sd::DispatcherOptions dopts;
  dopts.decision.stream = d.config.redis.jobs_stream;
  dopts.decision.max_future_skew_ms = d.config.policy.max_future_skew_s * 1000;
  dopts.decision.max_validity_ms = d.config.policy.max_validity_s * 1000;
  dopts.max_inflight = static_cast<size_t>(d.config.daemon.max_inflight);
  d.dispatcher = std::make_unique<sd::Dispatcher>(*d.store, *d.carrier, d.mac, d.clock, dopts);
  d.dispatcher->SetKeys(ring);

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
  uv_signal_start(&d.sighup, [](uv_signal_t* s, int) { static_cast<Daemon*>(s->data)->ReloadKeys(); }, SIGHUP);
  uv_timer_start(&d.tick, [](uv_timer_t* t) {
    auto* self = static_cast<Daemon*>(t->data);
    self->dispatcher->Tick();
    if (!self->ready_sent && self->store->connected()) {
      self->ready_sent = true;
      sd::NotifyReady();
      spdlog::info("ready: consuming {} as {}/{}", self->config.redis.jobs_stream,
                   self->config.redis.group, self->config.daemon.consumer);
    }
  }, 100, 100);
  if (const uint64_t usec = sd::WatchdogIntervalUsec(); usec > 0) {
    const uint64_t every_ms = std::max<uint64_t>(1, usec / 2000);  // half the interval
    uv_timer_start(&d.watchdog, [](uv_timer_t*) { sd::NotifyWatchdog(); }, every_ms, every_ms);
  }
  uv_timer_start(&d.stats, [](uv_timer_t* t) { static_cast<Daemon*>(t->data)->LogStats(); },
                 static_cast<uint64_t>(d.config.daemon.stats_interval_ms),
                 static_cast<uint64_t>(d.config.daemon.stats_interval_ms));

  spdlog::info("smsdispatchd starting: {} signing keys, carrier {} at {}:{}, max_inflight {}",
               ring->size(), d.config.carriers.front().name, d.config.carriers.front().host,
               d.config.carriers.front().port, d.config.daemon.max_inflight);
  d.dispatcher->Start();
  d.store->Start();
  d.carrier->Start();
  uv_run(d.loop, UV_RUN_DEFAULT);
  // Handles closed by libraries (hiredis' poll handles) finish closing here.
  uv_run(d.loop, UV_RUN_DEFAULT);
  const int rc = uv_loop_close(d.loop);
  if (rc != 0) spdlog::warn("loop closed with handles still open");
  spdlog::info("stopped");
  return 0;
}
