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
#include "adapters/redis/key_registry.h"
#include "adapters/redis/redis_job_store.h"
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
  // [[limits]], [[route]]) and installs a new snapshot; rate-limit buckets of unchanged limits
  // keep their state. Anything wrong keeps the old snapshot whole, and so does a file naming a
  // carrier the daemon did not start with. Other sections need a restart.
  void ReloadPolicy();
  // SIGTERM: no new reads; jobs in flight finish (at most shutdown_timeout_ms), then carriers
  // unbind, the store closes and every handle closes, after which the loop ends.
  void Shutdown();
  void LogStats();

  bool ready() const { return ready_sent_; }
  bool finished() const { return handles_closed_; }
  const Dispatcher& dispatcher() const { return *dispatcher_; }
  const redis::RedisJobStore& store() const { return *store_; }
  const Config& config() const { return config_; }
  // The admin listener's port (tests: listen on port 0), 0 without [admin].
  int admin_port() const { return admin_ ? admin_->port() : 0; }
  // What /metrics answers (daemon_admin.cc).
  std::string MetricsText() const;

 private:
  void BuildCarriers();
  void BuildRegistry(const MasterKey& master);
  void BuildApi();
  void CloseApi(std::function<void()> then);
  void BuildCallbacks();
  // [admin] (daemon_admin.cc).
  void BuildAdmin();
  void BuildBlocks();
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
  std::unique_ptr<redis::RedisJobStore> store_;
  // [[carrier]] in config order: the order routes' carrier indices refer to. Fixed for the
  // process' life (a reload naming another carrier is refused).
  std::vector<std::unique_ptr<smpp::SmppCarrier>> carriers_;
  std::vector<std::unique_ptr<http::HttpCarrier>> http_carriers_;  // protocol = "http"
  std::unique_ptr<http::ReceiptEndpoint> receipt_endpoint_;        // [listener]
  std::unique_ptr<testmode::TestCarrier> test_carrier_;            // test keys' jobs only
  std::unique_ptr<redis::ApiStore> api_store_;                      // [api]
  std::unique_ptr<http::ApiEndpoint> api_;                          // [api]
  std::unique_ptr<CallbackThread> callbacks_;                       // [callbacks]
  std::unique_ptr<http::AdminEndpoint> admin_;                      // [admin]
  std::unique_ptr<redis::BlockStore> blocks_;                       // pumping blocks
  DaemonCounters counters_;
  size_t blocks_active_ = 0;
  int64_t started_ms_ = 0;
  bool callbacks_started_ = false;
  bool callback_groups_ready_ = false;
  bool registry_loaded_ = false;
  std::vector<std::string> carrier_names_;
  std::vector<std::string> dispatch_names_;  // the dispatcher's carriers: the config's, "test"
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
