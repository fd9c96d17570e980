#pragma once
// The running daemon: the Redis job store, the carriers, the dispatcher and the key registry on
// one libuv loop, with its timers (tick, stats, watchdog), signals, policy reload and orderly
// shutdown. main.cc parses the command line and runs one on the default loop; tests run one
// in-process on their own loop.
#include <uv.h>

#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "adapters/crypto/openssl_mac.h"
#include "adapters/crypto/sealed_box.h"
#include "adapters/http/admin_endpoint.h"
#include "adapters/http/api_endpoint.h"
#include "adapters/http/receipt_endpoint.h"
#include "adapters/redis/api_store.h"
#include "adapters/redis/carrier_control_watcher.h"
#include "adapters/redis/inbound_store.h"
#include "adapters/redis/key_registry.h"
#include "adapters/redis/lease_agent.h"
#include "adapters/redis/quota_watcher.h"
#include "adapters/redis/sharded_job_store.h"
#include "adapters/redis/usage_store.h"
#include "adapters/smpp/smpp_carrier.h"
#include "adapters/testmode/test_carrier.h"
#include "core/siphash.h"
#include "daemon/lib/callback_thread.h"
#include "daemon/lib/config.h"
#include "daemon/lib/dispatcher.h"
#include "daemon/lib/stats_report.h"
#include "daemon/lib/system_clock.h"

namespace sd {

// What a daemon is built from, checked: the config, its first policy and, with
// [keys] registry = "redis", the registry's master key. `--check-config` stops here.
struct DaemonSetup {
  Config config;
  PolicyParts policy;
  SipKey limit_hash_key;
  std::optional<MasterKey> master;
};
std::variant<DaemonSetup, ConfigError> PrepareDaemon(Config config);

class Daemon {
 public:
  Daemon(uv_loop_t* loop, DaemonSetup setup);
  // The loop must have run until finished() (every handle closed) before destruction.
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Starts the timers, the store (at once, or with a registry once its first snapshot is
  // in), the carriers and the [listener]. With `handle_signals`, SIGTERM/SIGINT shut down and
  // SIGHUP reloads. False when the listener cannot listen (logged): the daemon then closes
  // everything, the loop ends, and the caller exits with an error.
  [[nodiscard]] bool Start(bool handle_signals = true);
  // SIGHUP: re-reads the config file's policy parts ([keys] file, [policy], [content],
  // [[limits]], [[route]], [[pumping]]) and its [[carrier]]s, and installs a new snapshot;
  // rate-limit buckets of unchanged limits keep their state. A carrier added starts binding;
  // one changed takes no new jobs, finishes what it holds, closes and reopens with its new
  // settings; one removed finishes what it holds and closes; unchanged ones stay up
  // (daemon_carriers.cc). Anything wrong keeps the old policy and carriers whole. Other
  // sections need a restart.
  void ReloadPolicy();
  // SIGTERM: no new reads; jobs in flight finish (at most shutdown_timeout_ms), then carriers
  // unbind, the store closes and every handle closes, after which the loop ends.
  void Shutdown();
  void LogStats();

  bool ready() const { return ready_sent_; }
  bool finished() const { return handles_closed_; }
  const Dispatcher& dispatcher() const { return *dispatcher_; }
  const redis::ShardedJobStore& store() const { return *store_; }
  const Config& config() const { return config_; }
  // The admin listener's port (tests: listen on port 0), 0 without [admin].
  int admin_port() const { return admin_ ? admin_->port() : 0; }
  // What /metrics answers (daemon_admin.cc).
  std::string MetricsText() const;

 private:
  // Carriers (daemon_carriers.cc).
  struct CarrierSlot {
    CarrierConfig config;        // what the current carrier runs with
    size_t index = 0;            // in the dispatcher (and dispatch_names_)
    Carrier* carrier = nullptr;  // the current one (in carriers_ or http_carriers_); null once
                                 // a removed carrier is closed
    bool removed = false;        // a reload removed it
    bool closing = false;        // its carrier is being closed (to reopen or remove it)
    std::optional<CarrierConfig> next;  // a reload changed it: reopen with this once closed
  };
  void BuildCarriers();
  DispatchCarrier NewCarrier(const CarrierConfig& cc, Carrier** made);
  CarrierSlot* FindSlot(const std::string& name);
  CarrierMode ModeOf(const CarrierSlot& slot) const;
  void ApplyCarrierModes();
  void BuildCarrierControl();
  void OnCarrierControls(const redis::CarrierControlWatcher::Controls& controls);
  // Whether `next`'s carriers can be applied (empty) or why not.
  std::string CheckCarrierReload(const Config& next) const;
  void ApplyCarrierReload(const Config& next);
  void CloseIdleCarriers();  // of slots a reload changed or removed, once they hold nothing
  void OnOldCarrierClosed(CarrierSlot& slot);
  void Reopen(CarrierSlot& slot);  // its next config, in a new carrier in the same slot
  void StartCarrier(Carrier* carrier);
  void BuildRegistry(const MasterKey& master);
  void BuildApi();
  void CloseApi(std::function<void()> then);
  void BuildCallbacks();
  // [admin] (daemon_admin.cc).
  void BuildAdmin();
  void BuildBlocks();
  // Segment quotas: their watcher, and what becomes of definitions and crossings
  // (daemon_quotas.cc). After BuildBlocks (the lease agent).
  void BuildQuotas();
  void OnQuotaDefinitions(std::vector<QuotaDefinition> defs);
  void OnQuotaCrossing(const redis::QuotaCrossing& c);
  // [optouts]: the watcher that keeps the policy's opt-out set current (daemon_optouts.cc).
  void BuildOptOuts();
  void CloseOptOuts(std::function<void()> done);
  [[nodiscard]] bool StartAdmin();
  http::AdminReadiness Readiness() const;
  StatsSources Sources(const CallbackStats* callback_stats) const;
  void CloseCallbacks(std::function<void()> then);
  void CloseListener();
  void StartTimers();
  void StartSignals();
  void OnTick();
  void OnRegistrySnapshot(std::shared_ptr<const KeyRegistrySnapshot> keys);
  void StartStore();
  void Finish();
  void CloseCarriers();
  void CloseStore();
  void CloseHandles();
  template <typename Handle>
  void InitHandle(Handle* h);

  uv_loop_t* loop_;
  Config config_;
  OpenSslMac mac_;
  SystemClock clock_;
  SipKey limit_hash_key_;
  std::unique_ptr<redis::ShardedJobStore> store_;
  // The current carriers (stats and /metrics read these): SMPP, and protocol = "http".
  std::vector<std::unique_ptr<smpp::SmppCarrier>> carriers_;
  std::vector<std::unique_ptr<http::HttpCarrier>> http_carriers_;
  // Every [[carrier]] this process has run, in the order it first saw them (a name keeps its
  // slot and dispatcher index for the process' life).
  std::vector<CarrierSlot> slots_;
  // Carriers closed after a reload: kept until the daemon goes, as the store may still hold
  // the acknowledgement of a receipt that came in on one of their binds.
  std::vector<std::unique_ptr<Carrier>> retired_;
  int old_carriers_closing_ = 0;
  std::function<void()> old_carriers_closed_;              // the shutdown waits for those closes
  std::unique_ptr<redis::CarrierControlWatcher> control_;  // pause / resume / drain
  redis::CarrierControlWatcher::Controls controls_;
  std::unique_ptr<http::ReceiptEndpoint> receipt_endpoint_;        // [listener]
  std::unique_ptr<testmode::TestCarrier> test_carrier_;            // test keys' jobs only
  std::unique_ptr<redis::ApiStore> api_store_;                      // [api]
  std::unique_ptr<http::ApiEndpoint> api_;                          // [api]
  std::unique_ptr<CallbackThread> callbacks_;                       // [callbacks]
  std::unique_ptr<http::AdminEndpoint> admin_;                      // [admin]
  std::unique_ptr<redis::BlockStore> blocks_;                       // pumping blocks
  std::unique_ptr<redis::LeaseAgent> leases_;                       // fleet-wide limits
  std::unique_ptr<redis::QuotaWatcher> quotas_;                     // segment quotas
  std::unique_ptr<redis::InboundStore> inbound_;                    // [inbound]
  std::unique_ptr<redis::OptOutWatcher> optouts_;                   // [optouts]
  DaemonCounters counters_;
  size_t blocks_active_ = 0;
  int64_t started_ms_ = 0;
  bool callbacks_started_ = false;
  bool callback_groups_ready_ = false;
  bool registry_loaded_ = false;
  // The dispatcher's carriers, by index: the config's at start-up, "test", then any a reload
  // added.
  std::vector<std::string> dispatch_names_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<redis::KeyRegistryWatcher> registry_;  // [keys] registry = "redis"
  std::unique_ptr<redis::UsageStore> usage_;             // with the registry: keys report
  bool store_started_ = false;
  uv_timer_t tick_{}, stats_{}, shutdown_deadline_{}, watchdog_{};
  uv_signal_t sigterm_{}, sigint_{}, sighup_{};
  std::vector<uv_handle_t*> handles_;  // initialised, to close at the end
  bool handles_closed_ = false;
  bool ready_sent_ = false;
  bool stopping_ = false;
  bool finishing_ = false;
};

}  // namespace sd
