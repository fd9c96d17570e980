#include "daemon/lib/config.h"

#include <toml++/toml.h>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <utility>

#include "adapters/redis/redis_job_store.h"
#include "core/addresses.h"
#include "core/shard_rule.h"
#include "daemon/lib/config_sections.h"

namespace sd {
namespace config_detail {

std::string Resolve(const std::filesystem::path& base, const std::string& p) {
  if (p.empty() || p[0] == '/') return p;
  return (base / p).lexically_normal().string();
}

// Reads the password file named by `key` (if set) into *out; problems point at the key's line
// and name the password file, never its content.
void ReadPasswordFile(Section& s, const char* key, const std::filesystem::path& base,
                      std::string* out) {
  const std::string file = s.Str(key, "", {.non_empty = true});
  if (file.empty() || s.problems().any()) return;
  // Under systemd's LoadCredential= the password files are handed over in a private directory
  // named by CREDENTIALS_DIRECTORY; relative names are looked up there (docs/configuration.md).
  const char* credentials = getenv("CREDENTIALS_DIRECTORY");
  const std::filesystem::path secret_base =
      credentials != nullptr && *credentials != '\0' ? std::filesystem::path(credentials) : base;
  auto r = ReadSecretFile(Resolve(secret_base, file));
  if (auto* err = std::get_if<ConfigError>(&r)) {
    s.problems().At(*s.Node(key), s.Name(key) + ": " + err->ToString());
    return;
  }
  *out = std::move(std::get<std::string>(r));
}

}  // namespace config_detail

namespace {

using config_detail::ReadPasswordFile;
using config_detail::Resolve;

void LoadDaemon(const toml::table& root, Problems& p, Config& c) {
  Section s(SubTable(root, "daemon", p), "daemon", p);
  auto& d = c.daemon;
  d.log_level = s.OneOf("log_level", d.log_level, {"trace", "debug", "info", "warn", "error"});
  d.log_format = s.OneOf("log_format", d.log_format, {"text", "json"});
  // Longer than systemd's TimeoutStopSec (30 s) would only get the daemon SIGKILLed.
  d.shutdown_timeout_ms = s.Int("shutdown_timeout_ms", d.shutdown_timeout_ms, 100, 600'000);
  d.max_inflight = s.Int("max_inflight", d.max_inflight, 1, 1'000'000);
  d.stats_interval_ms = s.Int("stats_interval_ms", d.stats_interval_ms, 100, 3'600'000);
  d.consumer = s.Str("consumer", redis::DefaultConsumerName(), {.non_empty = true});
  s.RefuseUnknown();
}

void LoadRedis(const toml::table& root, const std::filesystem::path& base, Problems& p, Config& c) {
  Section s(SubTable(root, "redis", p), "redis", p);
  auto& r = c.redis;
  r.host = s.Str("host", r.host, {.non_empty = true});
  r.port = static_cast<int>(s.Int("port", r.port, 1, 65535));
  r.unix_socket = Resolve(base, s.Str("unix_socket", ""));
  r.user = s.Str("user", "");
  s.RefuseInline("password", "password_file");
  r.jobs_stream = s.Str("jobs_stream", r.jobs_stream, {.non_empty = true});
  r.group = s.Str("group", r.group, {.non_empty = true});
  r.outcomes_stream = s.Str("outcomes_stream", r.outcomes_stream, {.non_empty = true});
  r.receipts_stream = s.Str("receipts_stream", r.receipts_stream, {.non_empty = true});
  r.dead_letter_stream = s.Str("dead_letter_stream", r.dead_letter_stream, {.non_empty = true});
  r.quarantine_stream = s.Str("quarantine_stream", r.quarantine_stream, {.non_empty = true});
  r.key_prefix = s.Str("key_prefix", r.key_prefix);
  r.batch = s.Int("batch", r.batch, 1, 10'000);
  r.block_ms = s.Int("block_ms", r.block_ms, 10, 60'000);
  r.read_linger_ms = s.Int("read_linger_ms", r.read_linger_ms, 0, 100);
  r.write_linger_ms = s.Int("write_linger_ms", r.write_linger_ms, 0, 100);
  r.plain_writes = s.Bool("plain_writes", r.plain_writes);
  r.shards = s.Int("shards", r.shards, 1, kMaxShards);
  r.wait_replicas = s.Int("wait_replicas", r.wait_replicas, 0, 100);
  // Below the connection heartbeat's timeout (15 s): a WAIT blocks the writer's PINGs.
  r.wait_timeout_ms = s.Int("wait_timeout_ms", r.wait_timeout_ms, 10, 10'000);
  r.claim_idle_ms = s.Int("claim_idle_ms", r.claim_idle_ms, 100, 86'400'000);
  r.claim_interval_ms = s.Int("claim_interval_ms", r.claim_interval_ms, 100, 3'600'000);
  r.max_deliveries = s.Int("max_deliveries", r.max_deliveries, 1, 1000);
  r.correlation_ttl_s = s.Int("correlation_ttl_s", r.correlation_ttl_s, 60, 30 * 86'400);
  r.unmatched_receipt_wait_ms =
      s.Int("unmatched_receipt_wait_ms", r.unmatched_receipt_wait_ms, 0, 600'000);
  r.outcome_maxlen = s.Int("outcome_maxlen", r.outcome_maxlen, 0, 1'000'000'000);
  r.audit_stream = s.Str("audit_stream", r.audit_stream, {.non_empty = true});
  r.audit_maxlen = s.Int("audit_maxlen", r.audit_maxlen, 0, 1'000'000'000);
  r.audit_queue_max = s.Int("audit_queue_max", r.audit_queue_max, 1, 10'000'000);
  r.audit_burst_per_minute =
      s.Int("audit_burst_per_minute", r.audit_burst_per_minute, 0, 10'000'000);
  r.delayed_set = s.Str("delayed_set", r.delayed_set, {.non_empty = true});
  r.defer_move_interval_ms = s.Int("defer_move_interval_ms", r.defer_move_interval_ms, 0, 60'000);
  r.defer_move_batch = s.Int("defer_move_batch", r.defer_move_batch, 1, 10'000);
  ReadPasswordFile(s, "password_file", base, &r.password);
  config_detail::LoadRedisCluster(s, c);
  config_detail::LoadReadShards(s, c);
  s.RefuseUnknown();
}

void LoadKeys(const toml::table& root, const std::filesystem::path& base, Problems& p, Config& c) {
  if (root.get("keys") == nullptr) {
    p.At(root, "missing section [keys] (keys.file names the signing key file)");
    return;
  }
  Section s(SubTable(root, "keys", p), "keys", p);
  c.keys_file = Resolve(base, s.Str("file", "", {.non_empty = true}));
  if (s.Node("registry") != nullptr) c.keys_registry = s.OneOf("registry", "", {"redis"});
  c.master_key_file = Resolve(base, s.Str("master_key_file", "", {.non_empty = true}));
  c.master_key_credential = s.Str("master_key_credential", "", {.non_empty = true});
  if (c.keys_file.empty() && c.keys_registry.empty()) {
    p.At(s.table(), "[keys] is missing required key 'file' (or registry = \"redis\")");
  }
  if (c.keys_registry.empty() && (!c.master_key_file.empty() || !c.master_key_credential.empty())) {
    const toml::node* n = s.Node("master_key_file");
    p.At(n != nullptr ? *n : *s.Node("master_key_credential"),
         "keys.master_key_* is only used with registry = \"redis\"");
  }
  if (!c.master_key_file.empty() && !c.master_key_credential.empty()) {
    p.At(*s.Node("master_key_credential"),
         "keys.master_key_file and keys.master_key_credential are mutually exclusive");
  }
  if (!c.keys_registry.empty() && c.master_key_file.empty() && c.master_key_credential.empty()) {
    // $SMSDISPATCH_MASTER_KEY_FILE (the CLI's variable), else $SMSDISPATCH_MASTER_KEY itself
    // (systemd's EnvironmentFile=), else systemd's credential.
    const char* env = getenv("SMSDISPATCH_MASTER_KEY_FILE");
    const char* value = getenv("SMSDISPATCH_MASTER_KEY");
    if (env != nullptr && *env != '\0') {
      c.master_key_file = env;
    } else if (value != nullptr && *value != '\0') {
      c.master_key_from_environment = true;
    } else {
      c.master_key_credential = "sd-master";
    }
  }
  s.RefuseUnknown();
}

void LoadPolicy(const toml::table& root, Problems& p, Config& c) {
  Section s(SubTable(root, "policy", p), "policy", p);
  c.policy.max_future_skew_s = s.Int("max_future_skew_s", c.policy.max_future_skew_s, 0, 86'400);
  c.policy.max_validity_s = s.Int("max_validity_s", c.policy.max_validity_s, 1, 30 * 86'400);
  // 255: the UDH segment counter is one byte.
  c.policy.max_segments = s.Int("max_segments", c.policy.max_segments, 1, 255);
  c.policy.number_check = s.Bool("number_check", c.policy.number_check);
  c.policy.mobile_required = s.Bool("mobile_required", c.policy.mobile_required);
  c.policy.high_risk_prefixes = s.StrList("high_risk_prefixes", 1000);
  if (const toml::node* n = s.Node("high_risk_prefixes"); n != nullptr && n->is_array()) {
    for (const toml::node& item : *n->as_array()) {
      if (item.is_string() && !IsE164Prefix(item.as_string()->get())) {
        p.At(item, "policy.high_risk_prefixes: '" + std::string(item.as_string()->get()) +
                       "' must be '+' and 1 to 15 digits");
        break;
      }
    }
  }
  c.policy.number_cache_entries =
      s.Int("number_cache_entries", c.policy.number_cache_entries, 16, 16'777'216);
  s.RefuseUnknown();
}

void LoadContent(const toml::table& root, const std::filesystem::path& base, Problems& p,
                 Config& c) {
  Section s(SubTable(root, "content", p), "content", p);
  c.content.rules_file = Resolve(base, s.Str("rules_file", "", {.non_empty = true}));
  s.RefuseUnknown();
}

// [[limits]] (docs/limits.md). Field checks here carry the line; what needs the whole list
// (duplicate names, at most 16) is ValidateRateLimits' job, reported at the first [[limits]].
void LoadLimits(const toml::table& root, Problems& p, Config& c) {
  const toml::array* limits = TableArray(root, "limits", p);
  if (limits == nullptr) return;
  size_t i = 0;
  for (const toml::node& n : *limits) {
    Section s(*n.as_table(), "limits[" + std::to_string(i++) + "]", p);
    LimitConfig l;
    l.name = s.RequiredStr("name");
    const std::string scope =
        s.OneOf("scope", "key", {"key", "destination", "destination_prefix", "sender", "carrier"});
    l.scope = LimitScopeFromName(scope).value_or(LimitScope::kKey);
    if (l.scope == LimitScope::kDestinationPrefix) {
      l.prefix_drop_digits = static_cast<int>(s.RequiredInt("prefix_drop_digits", 1, 14));
    }
    l.rate.count = s.RequiredInt("rate", 1, 1'000'000'000);
    l.rate.period_ms = s.Int("period_ms", l.rate.period_ms, 1, 86'400'000);
    l.rate.burst = s.Int("burst", 1, 1, 1'000'000'000);
    l.action = LimitActionFromName(s.OneOf("action", "reject", {"reject", "defer"}))
                   .value_or(LimitAction::kReject);
    l.capacity = static_cast<size_t>(s.Int("capacity", 65'536, 16, 16'777'216));
    l.on_full = FullPolicyFromName(s.OneOf("on_full", "reject", {"reject", "admit"}))
                    .value_or(FullPolicy::kFailClosed);
    l.reach = LimitReachFromName(s.OneOf("reach", "local", {"local", "global"}))
                  .value_or(LimitReach::kLocal);
    if (l.reach == LimitReach::kGlobal) {
      // 0: the default (LeaseUnitsOf); the burst bound is checked with the whole limit below.
      l.lease_units = s.Int("lease_units", 0, 1, 1'000'000'000);
      l.lease_ms = s.Int("lease_ms", l.lease_ms, 100, 60'000);
    }
    s.RefuseUnknown();
    c.limits.push_back(std::move(l));
  }
  if (p.any()) return;
  RateLimitsConfig check;
  check.limits = c.limits;
  check.hash_key = SipKey{1, 1};  // the real key is drawn at start-up; any non-zero key checks
  Result<bool> ok = ValidateRateLimits(check);
  if (!ok) p.At(*limits, ok.error().detail);
}

}  // namespace

std::vector<RouteSpec> RouteSpecs(const Config& c) {
  std::vector<RouteSpec> out;
  for (const Config::Route& r : c.routes) out.push_back(r.spec);
  if (out.empty() && c.carriers.size() == 1) {
    RouteSpec only;
    only.carriers = {c.carriers.front().name};
    out.push_back(std::move(only));
  }
  return out;
}

std::variant<Config, ConfigError> LoadConfig(const std::string& path) {
  auto text = ReadConfigFile(path, kMaxConfigFileBytes, FileAccess::kAny);
  if (auto* err = std::get_if<ConfigError>(&text)) return *err;
  auto parsed = ParseToml(std::get<std::string>(text), path);
  if (auto* err = std::get_if<ConfigError>(&parsed)) return *err;
  const toml::table& root = std::get<toml::table>(parsed);
  Problems p;
  for (const auto& [k, v] : root) {
    static const std::set<std::string_view> kSections{
        "daemon",  "redis",   "keys",     "policy",      "carrier",   "content",
        "limits",  "route",   "listener", "api",         "callbacks", "admin",
        "pumping", "inbound", "optouts",  "quiet_hours", "quota_cost"};
    if (kSections.count(k.str()) == 0) {
      p.At(k.source(), "unknown section [" + std::string(k.str()) + "]");
    }
  }
  Config c;
  c.path = path;
  const std::filesystem::path base = std::filesystem::path(path).parent_path();
  LoadDaemon(root, p, c);
  LoadRedis(root, base, p, c);
  LoadKeys(root, base, p, c);
  LoadPolicy(root, p, c);
  LoadContent(root, base, p, c);
  LoadLimits(root, p, c);
  config_detail::LoadPumping(root, p, c);
  config_detail::LoadCarriers(root, base, p, c);
  config_detail::LoadRoutes(root, p, c);
  config_detail::LoadListener(root, base, p, c);
  config_detail::CheckWebhooksHaveListener(p, c);
  config_detail::LoadApi(root, base, p, c);
  config_detail::LoadCallbacks(root, base, p, c);
  config_detail::LoadAdmin(root, base, p, c);
  config_detail::LoadInbound(root, p, c);
  config_detail::LoadOptOuts(root, p, c);
  config_detail::LoadQuietHours(root, p, c);
  config_detail::LoadQuotaCosts(root, p, c);
  config_detail::CheckClusterSlot(root, p, c);
  config_detail::CheckShards(root, p, c);
  if (p.any()) return p.ToError(path);
  return c;
}

}  // namespace sd
