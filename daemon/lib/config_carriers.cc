#include <toml++/toml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>
#include <utility>

#include "daemon/lib/config.h"
#include "daemon/lib/config_sections.h"

// The carrier half of the config: [[carrier]] with its [carrier.tls], and [[route]].
namespace sd::config_detail {

void ReadFileOrEnvSecret(Section& s, const toml::table& t, const std::filesystem::path& base,
                         const std::string& what, const std::string& carrier, std::string* out) {
  const std::string file_key = what + "_file";
  const std::string env_key = what + "_env";
  s.RefuseInline(what.c_str(), (file_key + " or " + env_key).c_str());
  const toml::node* file_node = s.Node(file_key.c_str());
  const std::string env = s.Str(env_key.c_str(), "");
  Problems& p = s.problems();
  if ((file_node == nullptr) == env.empty()) {
    p.At(t, "carrier '" + carrier + "' needs exactly one of " + file_key + " or " + env_key);
  } else if (!env.empty()) {
    const char* v = getenv(env.c_str());
    if (v == nullptr || *v == '\0') {
      p.At(*s.Node(env_key.c_str()),
           s.Name(env_key.c_str()) + ": environment variable " + env + " is not set or empty");
    } else {
      *out = v;
    }
  } else {
    ReadPasswordFile(s, file_key.c_str(), base, out);
  }
}

namespace {

// [carrier.tls]: the context is built here so that a missing, unreadable or mismatched file
// is reported at the line that names it, not at the first connect.
void LoadCarrierTls(const toml::table& t, const std::filesystem::path& base, Problems& p,
                    CarrierConfig& cc) {
  Section s(t, "carrier.tls", p);
  net::TlsConfig tc;
  tc.role = net::TlsRole::kClient;
  tc.ca_file = Resolve(base, s.Str("ca_file", "", {.non_empty = true}));
  tc.ca_dir = Resolve(base, s.Str("ca_dir", "", {.non_empty = true}));
  tc.use_system_trust_store = s.Bool("use_system_trust_store", tc.use_system_trust_store);
  tc.cert_file = Resolve(base, s.Str("cert_file", "", {.non_empty = true}));
  tc.key_file = Resolve(base, s.Str("key_file", "", {.non_empty = true}));
  const std::string min = s.OneOf("min_version", "1.2", {"1.2", "1.3"});
  tc.min_version = min == "1.3" ? net::TlsMinVersion::kTls13 : net::TlsMinVersion::kTls12;
  cc.tls_server_name = s.Str("server_name", "", {.non_empty = true});
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
    p.At(t, "[carrier.tls]: " + ctx.error().detail);
    return;
  }
  cc.tls = std::move(ctx).value();
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
  cc.system_id = s.RequiredStr("system_id");
  // SMPP 3.4 section 4.1: system_id is a C-Octet String of at most 16 octets with the NUL.
  if (cc.system_id.size() > 15) {
    p.At(*s.Node("system_id"), "carrier.system_id is longer than 15 characters (SMPP 3.4)");
  }
  const toml::node* file_node = s.Node("password_file");
  ReadFileOrEnvSecret(s, t, base, "password", cc.name, &cc.password);
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

// Everything a carrier is built from: the table as written, and the bytes of every file and
// environment variable it names (a password file or certificate replaced under the same
// name is a change too). A reload reopens a carrier whose fingerprint moved.
void AddSources(const toml::table& t, const std::filesystem::path& base, std::string* out) {
  for (const auto& [key, node] : t) {
    if (const toml::table* sub = node.as_table()) AddSources(*sub, base, out);
    const std::string_view k = key.str();
    const auto* value = node.as_string();
    if (value == nullptr) continue;
    if (k.ends_with("_file") || k.ends_with("_dir")) {
      std::error_code ec;
      const std::filesystem::path path = Resolve(base, value->get());
      if (!std::filesystem::is_regular_file(path, ec)) continue;
      std::ifstream in(path, std::ios::binary);
      *out += std::string(std::istreambuf_iterator<char>(in), {});
    } else if (k.ends_with("_env")) {
      const char* v = getenv(value->get().c_str());
      *out += v != nullptr ? v : "";
    }
    *out += '\0';
  }
}

uint64_t CarrierFingerprint(const toml::table& t, const std::filesystem::path& base) {
  std::ostringstream text;
  text << t;
  std::string sources = text.str();
  AddSources(t, base, &sources);
  return std::hash<std::string>{}(sources);
}

CarrierConfig LoadCarrier(const toml::table& t, const std::filesystem::path& base, Problems& p) {
  Section s(t, "carrier", p);
  CarrierConfig cc;
  cc.fingerprint = CarrierFingerprint(t, base);
  cc.name = s.RequiredStr("name");
  cc.protocol = s.OneOf("protocol", cc.protocol, {"smpp", "http"});
  if (cc.protocol == "http") {
    LoadHttpCarrier(s, t, base, p, cc);
    s.RefuseUnknown();
    return cc;
  }
  cc.host = s.RequiredStr("host");
  cc.port = static_cast<int>(s.RequiredInt("port", 1, 65535));
  LoadCarrierLogin(s, t, base, p, cc);
  LoadCarrierSession(s, p, cc);
  LoadCarrierSubmit(s, cc);
  cc.split = s.OneOf("split", cc.split, {"udh8", "udh16", "sar", "payload"});
  cc.data_coding = s.OneOf("data_coding", cc.data_coding, {"auto", "ucs2"});
  cc.submit_id_format =
      s.OneOf("submit_id_format", cc.submit_id_format, {"string", "hex", "decimal"});
  cc.receipt_id_format =
      s.OneOf("receipt_id_format", cc.receipt_id_format, {"string", "hex", "decimal"});
  cc.mo_alphabet = s.OneOf("mo_alphabet", cc.mo_alphabet, {"gsm7", "latin1", "ascii"});
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

}  // namespace

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
    if (cc.protocol == "smpp" && cc.bind == "transmitter" && cc.receiver_binds == 0) {
      c.warnings.push_back(c.path + ":" + std::to_string(cc.line) + ": carrier '" + cc.name +
                           "' has only transmitter binds and no receiver_binds: no delivery "
                           "receipt can ever arrive from it");
    }
    c.carriers.push_back(std::move(cc));
  }
}

namespace {

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

}  // namespace

uint8_t KindsMask(Section& s, Problems& p) {
  uint8_t mask = 0;
  for (const std::string& k :
       CheckedList(s, "kinds", 3, KnownKindName, "must be otp, transactional or marketing", p)) {
    mask |=
        static_cast<uint8_t>(1u << static_cast<int>(k == "otp"         ? JobKind::kOtp
                                                    : k == "marketing" ? JobKind::kMarketing
                                                                       : JobKind::kTransactional));
  }
  if (const toml::node* kn = s.Node("kinds");
      kn != nullptr && kn->is_array() && kn->as_array()->empty()) {
    p.At(*kn, s.Name("kinds") + " must not be empty (leave it out for every kind)");
  }
  return mask;
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
    r.spec.kinds = KindsMask(s, p);
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

}  // namespace sd::config_detail
