#include "daemon/lib/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>
#include <utility>

#include "adapters/redis/redis_job_store.h"
#include "core/addresses.h"

namespace sd {
namespace {

// Reads a regular file of at most max_bytes through an already opened descriptor.
// private_only refuses modes that let group or others in.
std::variant<std::string, ConfigError> ReadFd(int fd, const std::string& path, size_t max_bytes,
                                              bool private_only) {
  struct stat st {};
  if (fstat(fd, &st) != 0)
    return ConfigError{path, 0, 0, std::string("cannot stat: ") + strerror(errno)};
  if (!S_ISREG(st.st_mode)) return ConfigError{path, 0, 0, "not a regular file"};
  if (private_only && (st.st_mode & 077) != 0) {
    return ConfigError{path, 0, 0,
                       "holds secrets but is accessible by group or others (chmod 600 it)"};
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    return ConfigError{path, 0, 0,
                       "is larger than " + std::to_string(max_bytes) + " bytes; wrong file?"};
  }
  std::string data(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < data.size()) {
    const ssize_t n = read(fd, data.data() + got, data.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ConfigError{path, 0, 0, std::string("cannot read: ") + strerror(errno)};
    if (n == 0) break;  // shrank while we read; take what is there
    got += static_cast<size_t>(n);
  }
  data.resize(got);
  return data;
}

std::variant<std::string, ConfigError> ReadFile(const std::string& path, size_t max_bytes,
                                                bool private_only) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ConfigError{path, 0, 0, std::string("cannot open: ") + strerror(errno)};
  auto r = ReadFd(fd, path, max_bytes, private_only);
  close(fd);
  return r;
}

// Collects the first problem found while reading the TOML tree. Later problems are ignored:
// they are often consequences of the first, and one clear message beats a cascade. Readers
// keep returning defaults after a problem, so loading continues harmlessly to the end.
class Problems {
 public:
  void At(const toml::source_region& where, std::string message) {
    if (first_) return;
    first_ = Problem{static_cast<int>(where.begin.line), static_cast<int>(where.begin.column),
                     std::move(message)};
  }
  void At(const toml::node& n, std::string message) { At(n.source(), std::move(message)); }
  void At(int line, int column, std::string message) {
    if (!first_) first_ = Problem{line, column, std::move(message)};
  }
  bool any() const { return first_.has_value(); }
  ConfigError ToError(const std::string& file) const {
    return ConfigError{file, first_->line, first_->column, first_->message};
  }

 private:
  struct Problem {
    int line;
    int column;
    std::string message;
  };
  std::optional<Problem> first_;
};

// One table of the config: typed getters that record which keys were asked for, so that
// whatever is left over is a typo or a key from another version and can be refused.
class Section {
 public:
  Section(const toml::table& t, std::string name, Problems& problems)
      : t_(t), name_(std::move(name)), problems_(problems) {}

  // A string; non_empty also refuses "" (names that must name something).
  std::string Str(const char* key, std::string def, bool required = false, bool non_empty = false) {
    const toml::node* n = Node(key);
    if (n == nullptr) {
      if (required) problems_.At(t_, "[" + name_ + "] is missing required key '" + key + "'");
      return def;
    }
    if (!n->is_string()) {
      problems_.At(*n, Name(key) + " must be a string");
      return def;
    }
    std::string v(n->as_string()->get());
    if ((non_empty || required) && v.empty()) problems_.At(*n, Name(key) + " must not be empty");
    // Names end up in logs, Redis keys and the signing input, where a control character
    // (a newline above all) would change meaning.
    for (char c : v) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        problems_.At(*n, Name(key) + " must not contain control characters");
        break;
      }
    }
    return v;
  }

  // An integer in [min, max].
  int64_t Int(const char* key, int64_t def, int64_t min, int64_t max, bool required = false) {
    const toml::node* n = Node(key);
    if (n == nullptr) {
      if (required) problems_.At(t_, "[" + name_ + "] is missing required key '" + key + "'");
      return def;
    }
    if (!n->is_integer()) {
      problems_.At(*n, Name(key) + " must be an integer in [" + std::to_string(min) + ", " +
                           std::to_string(max) + "]");
      return def;
    }
    const int64_t v = n->as_integer()->get();
    if (v < min || v > max) {
      problems_.At(*n, Name(key) + " = " + std::to_string(v) + " is out of range [" +
                           std::to_string(min) + ", " + std::to_string(max) + "]");
      return def;
    }
    return v;
  }

  // One of a fixed set of strings.
  std::string OneOf(const char* key, std::string def, const std::vector<std::string>& allowed) {
    std::string v = Str(key, def);
    for (const auto& a : allowed) {
      if (v == a) return v;
    }
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    problems_.At(*Node(key), Name(key) + " must be one of " + list);
    return def;
  }

  // A boolean.
  bool Bool(const char* key, bool def) {
    const toml::node* n = Node(key);
    if (n == nullptr) return def;
    if (!n->is_boolean()) {
      problems_.At(*n, Name(key) + " must be true or false");
      return def;
    }
    return n->as_boolean()->get();
  }

  // An array of strings, at most max_items, each checked like Str().
  std::vector<std::string> StrList(const char* key, size_t max_items) {
    std::vector<std::string> out;
    const toml::node* n = Node(key);
    if (n == nullptr) return out;
    if (!n->is_array()) {
      problems_.At(*n, Name(key) + " must be an array of strings");
      return out;
    }
    const toml::array& a = *n->as_array();
    if (a.size() > max_items) {
      problems_.At(*n, Name(key) + " has more than " + std::to_string(max_items) + " entries");
      return out;
    }
    for (const toml::node& item : a) {
      if (!item.is_string()) {
        problems_.At(item, Name(key) + " must be an array of strings");
        return out;
      }
      out.emplace_back(item.as_string()->get());
    }
    return out;
  }

  // A secret must never sit in the config file itself: config files get copied, versioned
  // and pasted into tickets. The key is recognised so the error can say what to do instead.
  void RefuseInline(const char* key, const char* instead) {
    if (const toml::node* n = Node(key)) {
      problems_.At(*n, Name(key) + " is not allowed inline; use " + instead);
    }
  }

  const toml::node* Node(const char* key) {
    known_.insert(key);
    return t_.get(key);
  }

  // Typos must not silently fall back to defaults.
  void RefuseUnknown() {
    for (const auto& [k, v] : t_) {
      if (known_.count(std::string(k.str())) == 0) {
        problems_.At(k.source(), "unknown key '" + std::string(k.str()) + "' in [" + name_ + "]");
      }
    }
  }

  std::string Name(const char* key) const { return name_ + "." + key; }
  const toml::table& table() const { return t_; }

 private:
  const toml::table& t_;
  std::string name_;
  Problems& problems_;
  std::set<std::string> known_;
};

std::string Resolve(const std::filesystem::path& base, const std::string& p) {
  if (p.empty() || p[0] == '/') return p;
  return (base / p).lexically_normal().string();
}

const toml::table& SubTable(const toml::table& root, const char* name, const toml::table& empty,
                            Problems& problems) {
  const toml::node* n = root.get(name);
  if (n == nullptr) return empty;
  if (!n->is_table()) {
    problems.At(*n, std::string("[") + name + "] must be a table");
    return empty;
  }
  return *n->as_table();
}

// Reads the password file named by `key` (if set) into *out; problems point at the key's line
// and name the password file, never its content.
void ReadPasswordFile(Section& s, const char* key, const std::filesystem::path& base,
                      Problems& problems, std::string* out) {
  const std::string file = s.Str(key, "", false, true);
  if (file.empty() || problems.any()) return;
  // Under systemd's LoadCredential= the password files are handed over in a private directory
  // named by CREDENTIALS_DIRECTORY; relative names are looked up there (docs/configuration.md).
  const char* credentials = getenv("CREDENTIALS_DIRECTORY");
  const std::filesystem::path secret_base =
      credentials != nullptr && *credentials != '\0' ? std::filesystem::path(credentials) : base;
  auto r = ReadSecretFile(Resolve(secret_base, file));
  if (auto* err = std::get_if<ConfigError>(&r)) {
    problems.At(*s.Node(key), s.Name(key) + ": " + err->ToString());
    return;
  }
  *out = std::move(std::get<std::string>(r));
}

void LoadDaemon(const toml::table& root, Problems& p, Config& c) {
  const toml::table empty;
  Section s(SubTable(root, "daemon", empty, p), "daemon", p);
  auto& d = c.daemon;
  d.log_level = s.OneOf("log_level", d.log_level, {"trace", "debug", "info", "warn", "error"});
  // Longer than systemd's TimeoutStopSec (30 s) would only get the daemon SIGKILLed.
  d.shutdown_timeout_ms = s.Int("shutdown_timeout_ms", d.shutdown_timeout_ms, 100, 600'000);
  d.max_inflight = s.Int("max_inflight", d.max_inflight, 1, 1'000'000);
  d.stats_interval_ms = s.Int("stats_interval_ms", d.stats_interval_ms, 100, 3'600'000);
  d.consumer = s.Str("consumer", redis::DefaultConsumerName(), false, true);
  s.RefuseUnknown();
}

void LoadRedis(const toml::table& root, const std::filesystem::path& base, Problems& p, Config& c) {
  const toml::table empty;
  Section s(SubTable(root, "redis", empty, p), "redis", p);
  auto& r = c.redis;
  r.host = s.Str("host", r.host, false, true);
  r.port = static_cast<int>(s.Int("port", r.port, 1, 65535));
  r.unix_socket = Resolve(base, s.Str("unix_socket", ""));
  r.user = s.Str("user", "");
  s.RefuseInline("password", "password_file");
  r.jobs_stream = s.Str("jobs_stream", r.jobs_stream, false, true);
  r.group = s.Str("group", r.group, false, true);
  r.outcomes_stream = s.Str("outcomes_stream", r.outcomes_stream, false, true);
  r.receipts_stream = s.Str("receipts_stream", r.receipts_stream, false, true);
  r.dead_letter_stream = s.Str("dead_letter_stream", r.dead_letter_stream, false, true);
  r.quarantine_stream = s.Str("quarantine_stream", r.quarantine_stream, false, true);
  r.key_prefix = s.Str("key_prefix", r.key_prefix);
  r.batch = s.Int("batch", r.batch, 1, 10'000);
  r.block_ms = s.Int("block_ms", r.block_ms, 10, 60'000);
  r.read_linger_ms = s.Int("read_linger_ms", r.read_linger_ms, 0, 100);
  r.write_linger_ms = s.Int("write_linger_ms", r.write_linger_ms, 0, 100);
  r.claim_idle_ms = s.Int("claim_idle_ms", r.claim_idle_ms, 100, 86'400'000);
  r.claim_interval_ms = s.Int("claim_interval_ms", r.claim_interval_ms, 100, 3'600'000);
  r.max_deliveries = s.Int("max_deliveries", r.max_deliveries, 1, 1000);
  r.correlation_ttl_s = s.Int("correlation_ttl_s", r.correlation_ttl_s, 60, 30 * 86'400);
  r.unmatched_receipt_wait_ms =
      s.Int("unmatched_receipt_wait_ms", r.unmatched_receipt_wait_ms, 0, 600'000);
  r.outcome_maxlen = s.Int("outcome_maxlen", r.outcome_maxlen, 0, 1'000'000'000);
  r.audit_stream = s.Str("audit_stream", r.audit_stream, false, true);
  r.audit_maxlen = s.Int("audit_maxlen", r.audit_maxlen, 0, 1'000'000'000);
  r.audit_queue_max = s.Int("audit_queue_max", r.audit_queue_max, 1, 10'000'000);
  r.audit_burst_per_minute =
      s.Int("audit_burst_per_minute", r.audit_burst_per_minute, 0, 10'000'000);
  r.delayed_set = s.Str("delayed_set", r.delayed_set, false, true);
  r.defer_move_interval_ms = s.Int("defer_move_interval_ms", r.defer_move_interval_ms, 0, 60'000);
  r.defer_move_batch = s.Int("defer_move_batch", r.defer_move_batch, 1, 10'000);
  ReadPasswordFile(s, "password_file", base, p, &r.password);
  s.RefuseUnknown();
}

void LoadKeys(const toml::table& root, const std::filesystem::path& base, Problems& p, Config& c) {
  if (root.get("keys") == nullptr) {
    p.At(root, "missing section [keys] (keys.file names the signing key file)");
    return;
  }
  const toml::table empty;
  Section s(SubTable(root, "keys", empty, p), "keys", p);
  c.keys_file = Resolve(base, s.Str("file", "", false, true));
  if (s.Node("registry") != nullptr) c.keys_registry = s.OneOf("registry", "", {"redis"});
  c.master_key_file = Resolve(base, s.Str("master_key_file", "", false, true));
  c.master_key_credential = s.Str("master_key_credential", "", false, true);
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
  const toml::table empty;
  Section s(SubTable(root, "policy", empty, p), "policy", p);
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

// [carrier.tls]: the context is built here so that a missing, unreadable or mismatched file
// is reported at the line that names it, not at the first connect.
void LoadCarrierTls(const toml::table& t, const std::filesystem::path& base, Problems& p,
                    CarrierConfig& cc) {
  Section s(t, "carrier.tls", p);
  net::TlsConfig tc;
  tc.role = net::TlsRole::kClient;
  tc.ca_file = Resolve(base, s.Str("ca_file", "", false, true));
  tc.ca_dir = Resolve(base, s.Str("ca_dir", "", false, true));
  if (const toml::node* n = s.Node("use_system_trust_store")) {
    if (!n->is_boolean()) {
      p.At(*n, "carrier.tls.use_system_trust_store must be true or false");
    } else {
      tc.use_system_trust_store = n->as_boolean()->get();
    }
  }
  tc.cert_file = Resolve(base, s.Str("cert_file", "", false, true));
  tc.key_file = Resolve(base, s.Str("key_file", "", false, true));
  const std::string min = s.OneOf("min_version", "1.2", {"1.2", "1.3"});
  tc.min_version = min == "1.3" ? net::TlsMinVersion::kTls13 : net::TlsMinVersion::kTls12;
  cc.tls_server_name = s.Str("server_name", "", false, true);
  s.RefuseUnknown();
  if (tc.ca_file.empty() && tc.ca_dir.empty() && !tc.use_system_trust_store) {
    p.At(t,
         "[carrier.tls] needs ca_file, ca_dir or use_system_trust_store = true: the SMSC's "
         "certificate is always verified");
    return;
  }
  if (tc.cert_file.empty() != tc.key_file.empty()) {
    p.At(t,
         "[carrier.tls] needs both cert_file and key_file for a client certificate, or "
         "neither");
    return;
  }
  if (p.any()) return;
  auto ctx = net::TlsContext::Create(tc);
  if (!ctx) {
    p.At(t, "[carrier.tls]: " + ctx.error());
    return;
  }
  cc.tls = std::move(ctx).value();
}

void LoadContent(const toml::table& root, const std::filesystem::path& base, Problems& p,
                 Config& c) {
  const toml::table empty;
  Section s(SubTable(root, "content", empty, p), "content", p);
  c.content.rules_file = Resolve(base, s.Str("rules_file", "", false, true));
  s.RefuseUnknown();
}

// [[limits]] (docs/limits.md). Field checks here carry the line; what needs the whole list
// (duplicate names, at most 16) is ValidateRateLimits' job, reported at the first [[limits]].
void LoadLimits(const toml::table& root, Problems& p, Config& c) {
  const toml::node* limits = root.get("limits");
  if (limits == nullptr) return;
  if (!limits->is_array_of_tables()) {
    p.At(*limits, "limits must be an array of tables: write [[limits]]");
    return;
  }
  size_t i = 0;
  for (const toml::node& n : *limits->as_array()) {
    Section s(*n.as_table(), "limits[" + std::to_string(i++) + "]", p);
    LimitConfig l;
    l.name = s.Str("name", "", true);
    const std::string scope =
        s.OneOf("scope", "key", {"key", "destination", "destination_prefix", "sender", "carrier"});
    l.scope = LimitScopeFromName(scope).value_or(LimitScope::kKey);
    if (l.scope == LimitScope::kDestinationPrefix) {
      l.prefix_drop_digits = static_cast<int>(s.Int("prefix_drop_digits", 0, 1, 14, true));
    }
    l.rate.count = s.Int("rate", 0, 1, 1'000'000'000, true);
    l.rate.period_ms = s.Int("period_ms", l.rate.period_ms, 1, 86'400'000);
    l.rate.burst = s.Int("burst", 1, 1, 1'000'000'000);
    l.action = LimitActionFromName(s.OneOf("action", "reject", {"reject", "defer"}))
                   .value_or(LimitAction::kReject);
    l.capacity = static_cast<size_t>(s.Int("capacity", 65'536, 16, 16'777'216));
    l.on_full = FullPolicyFromName(s.OneOf("on_full", "reject", {"reject", "admit"}))
                    .value_or(FullPolicy::kFailClosed);
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

// How a bind paces itself and what its submit_sm carries besides the text.
void LoadCarrierSubmit(Section& s, CarrierConfig& cc) {
  cc.tps = s.Int("tps", cc.tps, 0, 1'000'000);
  cc.min_tps = s.Int("min_tps", cc.min_tps, 1, 1'000'000);
  cc.adjust_interval_ms = s.Int("adjust_interval_ms", cc.adjust_interval_ms, 50, 60'000);
  cc.increase_tps = s.Int("increase_tps", cc.increase_tps, 1, 1'000'000);
  cc.refusal_margin_percent = s.Int("refusal_margin_percent", cc.refusal_margin_percent, 0, 100);
  cc.throttle_pause_ms = s.Int("throttle_pause_ms", cc.throttle_pause_ms, 0, 60'000);
  cc.max_throttle_pause_ms =
      s.Int("max_throttle_pause_ms", cc.max_throttle_pause_ms, cc.throttle_pause_ms, 600'000);
  cc.validity = s.OneOf("validity", cc.validity, {"off", "absolute", "relative"});
  // SMPP 3.4 5.2.5 / 5.2.6: TON 0-6, NPI up to 18 (private).
  cc.source_ton = s.Int("source_ton", cc.source_ton, 0, 6);
  cc.source_npi = s.Int("source_npi", cc.source_npi, 0, 18);
  cc.dest_ton = s.Int("dest_ton", cc.dest_ton, 0, 6);
  cc.dest_npi = s.Int("dest_npi", cc.dest_npi, 0, 18);
}

// The SMPP login: system_id, the password (from a file or the environment, never inline) and
// system_type, with SMPP 3.4's length limits.
void LoadCarrierLogin(Section& s, const toml::table& t, const std::filesystem::path& base,
                      Problems& p, CarrierConfig& cc) {
  cc.system_id = s.Str("system_id", "", true);
  // SMPP 3.4 section 4.1: system_id is a C-Octet String of at most 16 octets with the NUL.
  if (cc.system_id.size() > 15) {
    p.At(*s.Node("system_id"), "carrier.system_id is longer than 15 characters (SMPP 3.4)");
  }
  s.RefuseInline("password", "password_file or password_env");
  const toml::node* file_node = s.Node("password_file");
  const std::string env = s.Str("password_env", "");
  if ((file_node == nullptr) == env.empty()) {
    p.At(t, "carrier '" + cc.name + "' needs exactly one of password_file or password_env");
  } else if (!env.empty()) {
    const char* v = getenv(env.c_str());
    if (v == nullptr || *v == '\0') {
      p.At(*s.Node("password_env"),
           "carrier.password_env: environment variable " + env + " is not set or empty");
    } else {
      cc.password = v;
    }
  } else {
    ReadPasswordFile(s, "password_file", base, p, &cc.password);
  }
  // SMPP 3.4 section 4.1: password is at most 9 octets with the NUL.
  if (cc.password.size() > 8) {
    const toml::node* where = file_node != nullptr ? file_node : s.Node("password_env");
    p.At(*where, "carrier '" + cc.name + "': the password is longer than 8 characters (SMPP 3.4)");
  }
  cc.system_type = s.Str("system_type", "");
  // SMPP 3.4 section 4.1: system_type is at most 13 octets with the NUL.
  if (cc.system_type.size() > 12) {
    p.At(*s.Node("system_type"), "carrier.system_type is longer than 12 characters (SMPP 3.4)");
  }
}

// The session: bind type, window, timeouts, enquire_link, reconnects, binds and the kill -9
// duplicate bound max_unsettled.
void LoadCarrierSession(Section& s, Problems& p, CarrierConfig& cc) {
  // The configured binds send; receipts-only connections are receiver_binds.
  cc.bind = s.OneOf("bind", cc.bind, {"transmitter", "transceiver"});
  cc.window = s.Int("window", cc.window, 1, 10'000);
  cc.response_timeout_ms = s.Int("response_timeout_ms", cc.response_timeout_ms, 100, 600'000);
  cc.enquire_link_interval_ms =
      s.Int("enquire_link_interval_ms", cc.enquire_link_interval_ms, 1000, 3'600'000);
  cc.max_missed_enquire_links =
      s.Int("max_missed_enquire_links", cc.max_missed_enquire_links, 1, 100);
  cc.reconnect_initial_ms = s.Int("reconnect_initial_ms", cc.reconnect_initial_ms, 10, 600'000);
  cc.reconnect_max_ms = s.Int("reconnect_max_ms", cc.reconnect_max_ms, 10, 3'600'000);
  if (cc.reconnect_initial_ms > cc.reconnect_max_ms) {
    p.At(*s.Node("reconnect_initial_ms"),
         "carrier.reconnect_initial_ms must not exceed reconnect_max_ms (" +
             std::to_string(cc.reconnect_max_ms) + ")");
  }
  cc.binds = s.Int("binds", cc.binds, 1, 64);
  cc.receiver_binds = s.Int("receiver_binds", cc.receiver_binds, 0, 64);
  cc.max_unsettled = s.Int("max_unsettled", cc.window * cc.binds, 0, 1'000'000);
}

// SMPP command_status values this SMSC means as "try again later" (vendor codes).
void LoadTemporaryStatuses(Section& s, Problems& p, CarrierConfig& cc) {
  if (const toml::node* n = s.Node("temporary_statuses")) {
    const toml::array* a = n->as_array();
    if (a == nullptr || a->size() > 64) {
      p.At(*n, "carrier.temporary_statuses must be an array of at most 64 command_status values");
    } else {
      for (const toml::node& item : *a) {
        const int64_t v = item.is_integer() ? item.as_integer()->get() : -1;
        if (v <= 0 || v > 0xFFFFFFFFLL || v == 0x58 || v == 0x14) {
          p.At(item,
               "carrier.temporary_statuses: each must be a command_status in [1, 0xFFFFFFFF] "
               "other than ESME_RTHROTTLED (0x58) and ESME_RMSGQFUL (0x14), which are always "
               "paced and retried");
          break;
        }
        cc.temporary_statuses.push_back(static_cast<uint32_t>(v));
      }
    }
  }
}

CarrierConfig LoadCarrier(const toml::table& t, const std::filesystem::path& base, Problems& p) {
  Section s(t, "carrier", p);
  CarrierConfig cc;
  cc.name = s.Str("name", "", true);
  cc.protocol = s.OneOf("protocol", cc.protocol, {"smpp"});
  cc.host = s.Str("host", "", true);
  cc.port = static_cast<int>(s.Int("port", 0, 1, 65535, true));
  LoadCarrierLogin(s, t, base, p, cc);
  LoadCarrierSession(s, p, cc);
  LoadCarrierSubmit(s, cc);
  cc.split = s.OneOf("split", cc.split, {"udh8", "udh16", "sar", "payload"});
  cc.data_coding = s.OneOf("data_coding", cc.data_coding, {"auto", "ucs2"});
  cc.submit_id_format =
      s.OneOf("submit_id_format", cc.submit_id_format, {"string", "hex", "decimal"});
  cc.receipt_id_format =
      s.OneOf("receipt_id_format", cc.receipt_id_format, {"string", "hex", "decimal"});
  cc.max_throttled_attempts = s.Int("max_throttled_attempts", cc.max_throttled_attempts, 1, 1000);
  cc.max_temporary_attempts = s.Int("max_temporary_attempts", cc.max_temporary_attempts, 1, 100);
  LoadTemporaryStatuses(s, p, cc);
  if (const toml::node* n = s.Node("tls")) {
    if (!n->is_table()) {
      p.At(*n, "carrier.tls must be a table: write [carrier.tls] after the [[carrier]]");
    } else {
      LoadCarrierTls(*n->as_table(), base, p, cc);
    }
  }
  s.RefuseUnknown();
  return cc;
}

void LoadCarriers(const toml::table& root, const std::filesystem::path& base, Problems& p,
                  Config& c) {
  const toml::node* carriers = root.get("carrier");
  if (carriers == nullptr) {
    p.At(root, "no [[carrier]] configured");
    return;
  }
  if (!carriers->is_array_of_tables()) {
    p.At(*carriers, "carrier must be an array of tables: write [[carrier]], not [carrier]");
    return;
  }
  if (carriers->as_array()->size() > kMaxCarriers) {
    p.At(*carriers, "more than " + std::to_string(kMaxCarriers) + " [[carrier]]s");
    return;
  }
  for (const toml::node& n : *carriers->as_array()) {
    CarrierConfig cc = LoadCarrier(*n.as_table(), base, p);
    cc.line = static_cast<int>(n.source().begin.line);
    for (const CarrierConfig& other : c.carriers) {
      if (other.name == cc.name && !cc.name.empty()) {
        const toml::node* name = n.as_table()->get("name");
        p.At(name != nullptr ? *name : n, "carrier name '" + cc.name +
                                              "' is already used by the [[carrier]] at line " +
                                              std::to_string(other.line));
      }
    }
    // Receipts come only over receiver or transceiver binds (SMPP 3.4 section 2.3).
    if (cc.bind == "transmitter" && cc.receiver_binds == 0) {
      c.warnings.push_back(c.path + ":" + std::to_string(cc.line) + ": carrier '" + cc.name +
                           "' has only transmitter binds and no receiver_binds: no delivery "
                           "receipt can ever arrive from it");
    }
    c.carriers.push_back(std::move(cc));
  }
}

// A string list whose every item `valid` accepts; the first bad item is reported at its line.
std::vector<std::string> CheckedList(Section& s, const char* key, size_t max_items,
                                     bool (*valid)(std::string_view), const std::string& what,
                                     Problems& p) {
  std::vector<std::string> out = s.StrList(key, max_items);
  const toml::node* n = s.Node(key);
  if (n == nullptr || !n->is_array() || p.any()) return out;
  for (const toml::node& item : *n->as_array()) {
    const std::string v(item.as_string()->get());
    if (!valid(v)) {
      p.At(item, s.Name(key) + ": '" + v + "' " + what);
      break;
    }
  }
  return out;
}

bool KnownKindName(std::string_view k) {
  return k == "otp" || k == "transactional" || k == "marketing";
}

// [[route]] (docs/configuration.md). Each route is checked at its own lines here; what needs
// the whole table (the same prefix twice, two defaults) is the Router's check, reported at the
// later route.
void LoadRoutes(const toml::table& root, Problems& p, Config& c) {
  const toml::node* routes = root.get("route");
  if (routes == nullptr) {
    if (c.carriers.size() > 1) {
      p.At(root, std::to_string(c.carriers.size()) +
                     " carriers but no [[route]]: routes say which jobs go to which carrier");
    }
    return;
  }
  if (!routes->is_array_of_tables()) {
    p.At(*routes, "route must be an array of tables: write [[route]]");
    return;
  }
  size_t i = 0;
  for (const toml::node& n : *routes->as_array()) {
    const toml::table& t = *n.as_table();
    Section s(t, "route[" + std::to_string(i++) + "]", p);
    Config::Route r;
    r.line = static_cast<int>(n.source().begin.line);
    r.column = static_cast<int>(n.source().begin.column);
    r.spec.prefixes = CheckedList(s, "prefixes", kMaxRouteEntries, ValidRoutePrefix,
                                  "must be '+' and 1 to 15 digits", p);
    r.spec.countries = CheckedList(s, "countries", 300, ValidRouteCountry,
                                   "must be an upper-case ISO 3166-1 alpha-2 code", p);
    for (const std::string& k :
         CheckedList(s, "kinds", 3, KnownKindName, "must be otp, transactional or marketing", p)) {
      r.spec.kinds |= static_cast<uint8_t>(1u << static_cast<int>(k == "otp" ? JobKind::kOtp
                                                                  : k == "marketing"
                                                                      ? JobKind::kMarketing
                                                                      : JobKind::kTransactional));
    }
    if (const toml::node* kn = s.Node("kinds");
        kn != nullptr && kn->is_array() && kn->as_array()->empty()) {
      p.At(*kn, s.Name("kinds") + " must not be empty (leave it out for every kind)");
    }
    const toml::node* cn = s.Node("carriers");
    r.spec.carriers = s.StrList("carriers", kMaxRouteCarriers);
    if (cn == nullptr || (cn->is_array() && cn->as_array()->empty())) {
      p.At(cn != nullptr ? *cn : n, s.Name("carriers") + ": a route needs at least one carrier");
    } else if (cn->is_array() && !p.any()) {
      std::vector<std::string> seen;
      for (const toml::node& item : *cn->as_array()) {
        const std::string name(item.as_string()->get());
        bool known = false;
        for (const CarrierConfig& cc : c.carriers) known = known || cc.name == name;
        if (!known) {
          p.At(item, s.Name("carriers") + ": no [[carrier]] is named '" + name + "'");
          break;
        }
        if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
          p.At(item, s.Name("carriers") + ": carrier '" + name + "' is named twice");
          break;
        }
        seen.push_back(name);
      }
    }
    s.RefuseUnknown();
    c.routes.push_back(std::move(r));
  }
  if (p.any()) return;
  RouteError err;
  std::vector<std::string> names;
  for (const CarrierConfig& cc : c.carriers) names.push_back(cc.name);
  if (Router::Build(std::move(names), RouteSpecs(c), &err) == nullptr) {
    const Config::Route& bad = c.routes[std::min(err.route, c.routes.size() - 1)];
    p.At(bad.line, bad.column, "[[route]]: " + err.message);
  }
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

std::string ConfigError::ToString() const {
  std::string s = file;
  if (line > 0) s += ":" + std::to_string(line) + ":" + std::to_string(column);
  return s + ": " + message;
}

std::variant<std::string, ConfigError> ReadPrivateFile(const std::string& path, size_t max_bytes) {
  return ReadFile(path, max_bytes, true);
}

std::variant<std::string, ConfigError> ReadSecretFile(const std::string& path) {
  auto r = ReadPrivateFile(path, kMaxSecretFileBytes);
  if (auto* s = std::get_if<std::string>(&r)) {
    while (!s->empty() && (s->back() == '\n' || s->back() == '\r')) s->pop_back();
    if (s->empty()) return ConfigError{path, 0, 0, "secret file is empty"};
  }
  return r;
}

std::variant<Config, ConfigError> LoadConfig(const std::string& path) {
  auto text = ReadFile(path, kMaxConfigFileBytes, false);
  if (auto* err = std::get_if<ConfigError>(&text)) return *err;
  toml::table root;
  // toml++ reports syntax errors by exception; this is start-up, not the data path, and the
  // exception never leaves this function.
  try {
    root = toml::parse(std::get<std::string>(text), path);
  } catch (const toml::parse_error& e) {
    return ConfigError{path, static_cast<int>(e.source().begin.line),
                       static_cast<int>(e.source().begin.column), std::string(e.description())};
  }
  Problems p;
  for (const auto& [k, v] : root) {
    static const std::set<std::string_view> kSections{"daemon",  "redis",   "keys",   "policy",
                                                      "carrier", "content", "limits", "route"};
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
  LoadCarriers(root, base, p, c);
  LoadRoutes(root, p, c);
  if (p.any()) return p.ToError(path);
  return c;
}

}  // namespace sd
