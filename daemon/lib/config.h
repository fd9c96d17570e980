#pragma once
// smsdispatchd's configuration: a TOML file (docs/configuration.md). Loading validates every
// key; the first problem stops start-up with "file:line:column: problem".
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "adapters/config/config_file.h"
#include "adapters/config/file_error.h"
#include "adapters/http/callback_sender.h"
#include "adapters/http/http_carrier.h"
#include "adapters/http/http_server.h"
#include "adapters/http/receipt_endpoint.h"
#include "adapters/net/tls_context.h"
#include "core/cidr.h"
#include "core/optout.h"
#include "core/pumping.h"
#include "core/quiet_hours.h"
#include "core/quota_costs.h"
#include "core/rate_limits.h"
#include "core/router.h"

namespace sd {

// A problem with the configuration, the key file or a secret file, located for the operator.
using ConfigError = FileError;

struct CarrierConfig {
  std::string name;  // unique among the [[carrier]]s; routes and outcomes name it
  int line = 0;      // where its [[carrier]] starts (for start-up warnings)
  // Of the table and every file and environment variable it names: a reload reopens the
  // carrier when this moved (config_carriers.cc CarrierFingerprint).
  uint64_t fingerprint = 0;
  std::string protocol = "smpp";
  std::string host;
  int port = 0;
  std::string system_id;
  std::string password;  // from password_file or password_env, never inline
  std::string system_type;
  std::string bind = "transceiver";  // transmitter | receiver | transceiver
  int64_t window = 64;
  int64_t response_timeout_ms = 10'000;
  int64_t enquire_link_interval_ms = 30'000;
  int64_t max_missed_enquire_links = 3;
  int64_t reconnect_initial_ms = 100;
  int64_t reconnect_max_ms = 10'000;
  int64_t binds = 1;           // connections of type `bind` that send
  int64_t receiver_binds = 0;  // extra bind_receiver connections for receipts
  // Jobs submitted and not yet settled (outcome durable), the kill -9 duplicate bound
  // (DispatchCarrier::max_unsettled); 0 = none of its own. Unset: window x binds.
  int64_t max_unsettled = 0;
  int64_t tps = 0;  // per-bind submit_sm/s ceiling; 0 = only the SMSC's throttling
  // Adaptive pacing (core/send_rate.h, SendRateConfig).
  int64_t min_tps = 1;
  int64_t adjust_interval_ms = 1'000;
  int64_t increase_tps = 20;
  int64_t refusal_margin_percent = 5;
  int64_t throttle_pause_ms = 250;
  int64_t max_throttle_pause_ms = 5'000;
  // submit_sm fields: the job's expiry as validity_period, and the addresses' TON/NPI
  // (source -1 = by the sender's shape; adapters/smpp/submit_parts.h AddressOptions).
  std::string validity = "absolute";  // off | absolute | relative
  int64_t source_ton = -1;
  int64_t source_npi = -1;
  int64_t dest_ton = 1;
  int64_t dest_npi = 1;
  std::string split = "udh8";                // udh8 | udh16 | sar | payload
  std::string data_coding = "auto";          // auto | ucs2
  std::string submit_id_format = "string";   // string | hex | decimal
  std::string receipt_id_format = "string";  // string | hex | decimal
  // What data_coding 0 means in messages recipients send: the SMSC's default alphabet.
  std::string mo_alphabet = "gsm7";  // gsm7 | latin1 | ascii
  int64_t max_throttled_attempts = 20;
  int64_t max_temporary_attempts = 3;
  std::vector<uint32_t> temporary_statuses;  // SmppCarrierOptions::extra_temporary_statuses
  // [carrier.tls]: present means every bind speaks TLS only. Built (every file read and
  // checked) while the configuration loads, so a bad file stops start-up at its line.
  std::shared_ptr<const net::TlsContext> tls;
  std::string tls_server_name;
  // protocol = "http" (docs/http.md): the request, response shape, client and pacing settings,
  // ready for adapters/http; of the keys above only name, window and max_unsettled apply.
  http::HttpCarrierOptions http;
  // [carrier.webhook] (HTTP carriers): receipts posted to the listener's
  // /v1/receipts/<name>; needs [listener].
  bool webhook = false;
  int webhook_line = 0;
  http::ReceiptWebhookConfig webhook_config;
};

struct Config {
  std::string path;  // the file this came from
  struct {
    std::string log_level = "info";  // trace | debug | info | warn | error
    std::string log_format = "text";  // text | json (daemon/lib/json_log_formatter.h)
    int64_t shutdown_timeout_ms = 10'000;
    int64_t max_inflight = 1024;  // the whole in-flight window across carriers
    int64_t stats_interval_ms = 10'000;
    std::string consumer;  // default: the host name
  } daemon;
  struct {
    std::string host = "127.0.0.1";
    int port = 6379;
    std::string unix_socket;  // resolved; non-empty means "use this instead of TCP"
    std::string user;
    std::string password;  // read from password_file, never inline
    std::string jobs_stream = "sd:jobs";
    std::string group = "smsdispatch";
    std::string outcomes_stream = "sd:outcomes";
    std::string receipts_stream = "sd:receipts";
    std::string dead_letter_stream = "sd:dead";
    std::string quarantine_stream = "sd:receipts:unmatched";
    std::string key_prefix = "sd:";
    int64_t batch = 256;
    int64_t block_ms = 1000;
    int64_t read_linger_ms = 0;   // RedisStoreOptions::read_linger_ms
    int64_t write_linger_ms = 0;  // RedisStoreOptions::write_linger_ms
    bool plain_writes = false;    // RedisStoreOptions::plain_writes
    // Redis Cluster seed nodes ("host:port"); empty: the one server of host/port or unix_socket.
    // Every key and stream name must then share one hash tag (checked at load).
    std::vector<std::pair<std::string, int>> cluster;
    int cluster_slot = -1;        // the slot they share (set by the loader)
    // Job shards (docs/redis.md "Shards"): shard i's streams and keys are the names above with
    // their "{0}" tag replaced by "{i}" (core/shard_rule.h). 1 = today's one set of names.
    int64_t shards = 1;
    // The shards this daemon reads jobs from (empty: all). It still writes to every shard
    // (receipts, pointers), so each shard must be read by some daemon of the fleet.
    std::vector<uint32_t> read_shards;
    int64_t wait_replicas = 0;    // RedisStoreOptions::wait_replicas (and the API's 202)
    int64_t wait_timeout_ms = 1000;  // RedisStoreOptions::wait_timeout_ms
    int64_t claim_idle_ms = 60'000;
    int64_t claim_interval_ms = 5'000;
    int64_t max_deliveries = 5;
    int64_t correlation_ttl_s = 259'200;
    int64_t unmatched_receipt_wait_ms = 5'000;
    int64_t outcome_maxlen = 1'000'000;
    std::string audit_stream = "sd:audit";
    int64_t audit_maxlen = 1'000'000;
    int64_t audit_queue_max = 10'000;
    int64_t audit_burst_per_minute = 100;
    std::string delayed_set = "sd:delayed";
    int64_t defer_move_interval_ms = 100;
    int64_t defer_move_batch = 100;
  } redis;
  std::string keys_file;  // resolved against the config file's directory; "" = no key file
  // [keys] registry = "redis": signing keys from the sealed registry in Redis (docs/keys.md),
  // opened with the master key from master_key_file, $SMSDISPATCH_MASTER_KEY_FILE,
  // $SMSDISPATCH_MASTER_KEY, or the systemd credential master_key_credential (in that order
  // of precedence).
  std::string keys_registry;                 // "" | "redis"
  std::string master_key_file;               // resolved; "" = not set here
  std::string master_key_credential;         // default "sd-master" when the registry is used
  bool master_key_from_environment = false;  // $SMSDISPATCH_MASTER_KEY holds the key itself
  struct {
    int64_t max_future_skew_s = 300;
    int64_t max_validity_s = 86'400;
    int64_t max_segments = 10;  // the daemon's ceiling; a key's scope can only lower it
    bool number_check = true;   // libphonenumber checks (premium, not mobile, country)
    bool mobile_required = true;
    std::vector<std::string> high_risk_prefixes;  // "+882", ...
    int64_t number_cache_entries = 65'536;
  } policy;
  struct {
    std::string rules_file;  // resolved; "" = no content rules (URL key policies still apply)
  } content;
  // [[limits]] in charge order (docs/limits.md); the hash key is drawn at start-up.
  std::vector<LimitConfig> limits;
  // [[pumping]] (docs/operations.md, "SMS-pumping defence"): detection rules, in file order.
  // Reloadable; a rule whose name, scope, prefix_digits and window_s stay keeps what it learnt.
  std::vector<PumpingRule> pumping;
  // [[carrier]] in file order. Not reloadable: SIGHUP refuses a file naming another carrier.
  std::vector<CarrierConfig> carriers;
  // [[route]] in file order (docs/configuration.md "[[route]]"). Empty only with a single
  // carrier: every job then goes to it (an implicit default route).
  struct Route {
    RouteSpec spec;
    int line = 0;  // where the [[route]] starts, for errors found after loading
    int column = 0;
  };
  std::vector<Route> routes;
  // [listener] (docs/http.md): the daemon's HTTP(S) listener for providers' webhooks. Nothing
  // listens unless the section is there.
  struct {
    bool enabled = false;
    bool plain = false;  // plain HTTP: only on a loopback address, and only when said so
    http::HttpServerOptions server;  // host, port, TLS context and limits
    int64_t receipt_ack_timeout_ms = 10'000;
  } listener;
  // [api] (docs/api.md): the producers' HTTPS API, a listener of its own. Needs the key
  // registry (the keys that may call it, with their auth scheme and allow_ips).
  struct {
    bool enabled = false;
    bool plain = false;  // as [listener]: loopback only, and only when said so
    http::HttpServerOptions server;
    int64_t ack_timeout_ms = 10'000;
    int64_t signature_window_ms = 300'000;
    int64_t default_validity_s = 3'600;
    size_t max_batch = 100;
    int64_t status_retention_ms = 3'600'000;  // status records past the job's expiry; 0 = none
    std::vector<Cidr> trusted_proxies;
  } api;
  // [callbacks] (docs/api.md, "Status callbacks"): keys' outcome and receipt events POSTed to
  // their callback URLs from the streams' own consumer group. Needs the key registry.
  struct {
    bool enabled = false;
    http::CallbackSenderOptions sender;
    int64_t claim_idle_ms = 300'000;  // another daemon's pending event idle this long is taken
  } callbacks;
  // [admin] (docs/operations.md): GET /metrics, /healthz and /readyz for operators, on a
  // listener of its own. Loopback plain HTTP by default; elsewhere TLS and a bearer token.
  struct {
    bool enabled = false;
    bool plain = true;
    http::HttpServerOptions server;
    std::string bearer_token;  // from bearer_token_file; "" = /metrics open (loopback only)
  } admin;
  // [inbound] (docs/inbound.md): messages recipients send, kept on a stream.
  struct {
    bool enabled = true;
    std::string stream = "sd:inbound";
    int64_t maxlen = 1'000'000;
    int64_t part_timeout_ms = 60'000;    // a long message's parts not all in: written as is
    int64_t dedupe_window_ms = 600'000;  // a one-part message seen again within: a redelivery
    size_t max_queued = 10'000;          // parts waiting for Redis; beyond, left to the SMSC
  } inbound;
  // [optouts] (docs/inbound.md): keyword replies (STOP, START), sender groups, and the kinds
  // an opt-out refuses.
  OptOutConfig optouts;
  // [[quiet_hours]] (docs/policy.md): kinds held in the recipient's local night.
  std::vector<QuietRule> quiet_hours;
  // [[quota_cost]] (docs/limits.md, "Budgets"): units per segment by country and carrier.
  std::vector<QuotaCost> quota_costs;
  // Things that are allowed but probably wrong, "file:line: ..." (logged at start-up and by
  // --check-config), e.g. a carrier that can never deliver a receipt.
  std::vector<std::string> warnings;
};

// The routes as the router takes them: the [[route]]s, or the implicit default route to the
// only carrier.
std::vector<RouteSpec> RouteSpecs(const Config& c);

// Size limits of the files we read. Each is far above any real file of its kind, so hitting
// one means the path names the wrong file; checked before the content is read.
inline constexpr size_t kMaxConfigFileBytes = 1 << 20;
inline constexpr size_t kMaxKeyFileBytes = 1 << 20;  // thousands of keys

std::variant<Config, ConfigError> LoadConfig(const std::string& path);

// ReadPrivateFile and ReadSecretFile (adapters/config/config_file.h) read the key file and the
// password files.

}  // namespace sd
