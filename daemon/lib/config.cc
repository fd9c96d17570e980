#include "daemon/lib/config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <toml++/toml.h>

namespace sd {
namespace {

// Config loading is start-up, not the data path: an exception carries the first problem
// up to LoadConfig, which turns it into a ConfigError.
struct ConfigProblem {
  int line;
  int column;
  std::string message;
};

[[noreturn]] void Fail(const toml::node& n, std::string message) {
  throw ConfigProblem{static_cast<int>(n.source().begin.line), static_cast<int>(n.source().begin.column),
                      std::move(message)};
}

class Section {
 public:
  Section(const toml::table& t, std::string name) : t_(t), name_(std::move(name)) {}

  std::string Str(const char* key, std::string def, bool required = false) {
    known_.insert(key);
    const toml::node* n = t_.get(key);
    if (n == nullptr) {
      if (required) Fail(t_, "[" + name_ + "] is missing required key '" + key + "'");
      return def;
    }
    if (!n->is_string()) Fail(*n, name_ + "." + key + " must be a string");
    return std::string(n->as_string()->get());
  }

  int64_t Int(const char* key, int64_t def, int64_t min, int64_t max, bool required = false) {
    known_.insert(key);
    const toml::node* n = t_.get(key);
    if (n == nullptr) {
      if (required) Fail(t_, "[" + name_ + "] is missing required key '" + key + "'");
      return def;
    }
    if (!n->is_integer()) Fail(*n, name_ + "." + key + " must be an integer");
    const int64_t v = n->as_integer()->get();
    if (v < min || v > max) {
      Fail(*n, name_ + "." + key + " = " + std::to_string(v) + " is out of range [" +
                   std::to_string(min) + ", " + std::to_string(max) + "]");
    }
    return v;
  }

  const toml::node* Node(const char* key) {
    known_.insert(key);
    return t_.get(key);
  }

  // Typos must not silently fall back to defaults.
  void RejectUnknown() {
    for (const auto& [k, v] : t_) {
      if (!known_.count(std::string(k.str()))) {
        (void)v;
        throw ConfigProblem{static_cast<int>(k.source().begin.line), static_cast<int>(k.source().begin.column),
                            "unknown key '" + std::string(k.str()) + "' in [" + name_ + "]"};
      }
    }
  }

  const toml::table& table() const { return t_; }

 private:
  const toml::table& t_;
  std::string name_;
  std::set<std::string> known_;
};

std::string Resolve(const std::filesystem::path& base, const std::string& p) {
  if (p.empty() || p[0] == '/') return p;
  return (base / p).lexically_normal().string();
}

const toml::table& SubTable(const toml::table& root, const char* name, const toml::table& empty) {
  const toml::node* n = root.get(name);
  if (n == nullptr) return empty;
  if (!n->is_table()) Fail(*n, std::string("[") + name + "] must be a table");
  return *n->as_table();
}

std::string HostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "smsdispatchd";
  return buf;
}

}  // namespace

std::string ConfigError::ToString() const {
  std::ostringstream o;
  o << file;
  if (line > 0) o << ":" << line << ":" << column;
  o << ": " << message;
  return o.str();
}

std::variant<std::string, ConfigError> ReadSecretFile(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return ConfigError{path, 0, 0, "cannot read secret file"};
  if ((st.st_mode & 077) != 0) {
    return ConfigError{path, 0, 0, "secret file is accessible by group or others (chmod 600 it)"};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return ConfigError{path, 0, 0, "cannot open secret file"};
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  if (s.empty()) return ConfigError{path, 0, 0, "secret file is empty"};
  return s;
}

std::variant<Config, ConfigError> LoadConfig(const std::string& path) {
  Config c;
  c.path = path;
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return ConfigError{path, static_cast<int>(e.source().begin.line),
                       static_cast<int>(e.source().begin.column), std::string(e.description())};
  }
  const std::filesystem::path base = std::filesystem::path(path).parent_path();
  // A problem that names another file (a secret file) is reported as that file's.
  std::optional<ConfigError> secret_error;
  auto secret = [&](const std::string& file) -> std::string {
    auto r = ReadSecretFile(Resolve(base, file));
    if (auto* err = std::get_if<ConfigError>(&r)) {
      if (!secret_error) secret_error = *err;
      return {};
    }
    return std::get<std::string>(r);
  };
  try {
    const toml::table empty;
    for (const auto& [k, v] : root) {
      const std::string key(k.str());
      if (key != "daemon" && key != "redis" && key != "keys" && key != "policy" && key != "carrier") {
        (void)v;
        throw ConfigProblem{static_cast<int>(k.source().begin.line), static_cast<int>(k.source().begin.column),
                            "unknown section [" + key + "]"};
      }
    }
    {
      Section s(SubTable(root, "daemon", empty), "daemon");
      c.daemon.log_level = s.Str("log_level", c.daemon.log_level);
      static const std::set<std::string> kLevels{"trace", "debug", "info", "warn", "error"};
      if (!kLevels.count(c.daemon.log_level)) {
        Fail(*s.Node("log_level"), "daemon.log_level must be one of trace, debug, info, warn, error");
      }
      c.daemon.shutdown_timeout_ms = s.Int("shutdown_timeout_ms", c.daemon.shutdown_timeout_ms, 100, 600'000);
      c.daemon.max_inflight = s.Int("max_inflight", c.daemon.max_inflight, 1, 1'000'000);
      c.daemon.stats_interval_ms = s.Int("stats_interval_ms", c.daemon.stats_interval_ms, 100, 3'600'000);
      c.daemon.consumer = s.Str("consumer", HostName());
      if (c.daemon.consumer.empty()) Fail(*s.Node("consumer"), "daemon.consumer must not be empty");
      s.RejectUnknown();
    }
    {
      Section s(SubTable(root, "redis", empty), "redis");
      auto& r = c.redis;
      r.host = s.Str("host", r.host);
      r.port = static_cast<int>(s.Int("port", r.port, 1, 65535));
      r.unix_socket = Resolve(base, s.Str("unix_socket", ""));
      r.user = s.Str("user", "");
      if (s.Node("password") != nullptr) {
        Fail(*s.Node("password"), "redis.password is not allowed inline; use password_file");
      }
      const std::string pwfile = s.Str("password_file", "");
      if (!pwfile.empty()) r.password = secret(pwfile);
      r.jobs_stream = s.Str("jobs_stream", r.jobs_stream);
      r.group = s.Str("group", r.group);
      r.outcomes_stream = s.Str("outcomes_stream", r.outcomes_stream);
      r.receipts_stream = s.Str("receipts_stream", r.receipts_stream);
      r.dead_letter_stream = s.Str("dead_letter_stream", r.dead_letter_stream);
      r.quarantine_stream = s.Str("quarantine_stream", r.quarantine_stream);
      r.key_prefix = s.Str("key_prefix", r.key_prefix);
      r.batch = s.Int("batch", r.batch, 1, 10'000);
      r.block_ms = s.Int("block_ms", r.block_ms, 10, 60'000);
      r.claim_idle_ms = s.Int("claim_idle_ms", r.claim_idle_ms, 100, 86'400'000);
      r.claim_interval_ms = s.Int("claim_interval_ms", r.claim_interval_ms, 100, 3'600'000);
      r.max_deliveries = s.Int("max_deliveries", r.max_deliveries, 1, 1000);
      r.correlation_ttl_s = s.Int("correlation_ttl_s", r.correlation_ttl_s, 60, 30 * 86'400);
      r.outcome_maxlen = s.Int("outcome_maxlen", r.outcome_maxlen, 0, 1'000'000'000);
      s.RejectUnknown();
    }
    {
      const toml::node* kn = root.get("keys");
      if (kn == nullptr) Fail(root, "missing section [keys] (keys.file names the signing key file)");
      Section s(SubTable(root, "keys", empty), "keys");
      c.keys_file = Resolve(base, s.Str("file", "", true));
      s.RejectUnknown();
    }
    {
      Section s(SubTable(root, "policy", empty), "policy");
      c.policy.max_future_skew_s = s.Int("max_future_skew_s", c.policy.max_future_skew_s, 0, 86'400);
      c.policy.max_validity_s = s.Int("max_validity_s", c.policy.max_validity_s, 1, 30 * 86'400);
      s.RejectUnknown();
    }
    const toml::node* carriers = root.get("carrier");
    if (carriers == nullptr) Fail(root, "no [[carrier]] configured");
    if (!carriers->is_array_of_tables()) Fail(*carriers, "carrier must be an array of tables: [[carrier]]");
    for (const toml::node& n : *carriers->as_array()) {
      Section s(*n.as_table(), "carrier");
      CarrierConfig cc;
      cc.name = s.Str("name", "", true);
      const std::string protocol = s.Str("protocol", "smpp");
      if (protocol != "smpp") Fail(*s.Node("protocol"), "carrier.protocol must be \"smpp\"");
      cc.host = s.Str("host", "", true);
      cc.port = static_cast<int>(s.Int("port", 0, 1, 65535, true));
      cc.system_id = s.Str("system_id", "", true);
      if (cc.system_id.size() > 15) Fail(*s.Node("system_id"), "carrier.system_id is longer than 15 characters");
      if (s.Node("password") != nullptr) {
        Fail(*s.Node("password"), "carrier.password is not allowed inline; use password_file or password_env");
      }
      const std::string pwfile = s.Str("password_file", "");
      const std::string pwenv = s.Str("password_env", "");
      if (pwfile.empty() == pwenv.empty()) {
        Fail(n, "carrier '" + cc.name + "' needs exactly one of password_file or password_env");
      }
      if (!pwfile.empty()) {
        cc.password = secret(pwfile);
      } else {
        const char* v = getenv(pwenv.c_str());
        if (v == nullptr || *v == '\0') Fail(*s.Node("password_env"), "environment variable " + pwenv + " is not set");
        cc.password = v;
      }
      if (cc.password.size() > 8 && !secret_error) {
        Fail(n, "carrier '" + cc.name + "': SMPP 3.4 passwords are at most 8 characters");
      }
      cc.system_type = s.Str("system_type", "");
      cc.bind = s.Str("bind", cc.bind);
      if (cc.bind != "transmitter" && cc.bind != "receiver" && cc.bind != "transceiver") {
        Fail(*s.Node("bind"), "carrier.bind must be transmitter, receiver or transceiver");
      }
      cc.window = s.Int("window", cc.window, 1, 10'000);
      cc.response_timeout_ms = s.Int("response_timeout_ms", cc.response_timeout_ms, 100, 600'000);
      cc.enquire_link_interval_ms = s.Int("enquire_link_interval_ms", cc.enquire_link_interval_ms, 1000, 3'600'000);
      cc.max_missed_enquire_links = s.Int("max_missed_enquire_links", cc.max_missed_enquire_links, 1, 100);
      cc.reconnect_initial_ms = s.Int("reconnect_initial_ms", cc.reconnect_initial_ms, 10, 600'000);
      cc.reconnect_max_ms = s.Int("reconnect_max_ms", cc.reconnect_max_ms, 10, 3'600'000);
      s.RejectUnknown();
      c.carriers.push_back(std::move(cc));
    }
    if (c.carriers.size() != 1) Fail(*carriers, "exactly one [[carrier]] is supported for now");
  } catch (const ConfigProblem& p) {
    return ConfigError{path, p.line, p.column, p.message};
  }
  if (secret_error) return *secret_error;
  return c;
}

}  // namespace sd
