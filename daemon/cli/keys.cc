// smsdispatch keys: the key registry in Redis (docs/keys.md). create / rotate / revoke change
// it through the update script (atomic, version bump, publish); list / show read it. Every
// record is sealed with the master key, so every subcommand needs it.
#include "daemon/cli/keys.h"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "adapters/crypto/random.h"
#include "adapters/crypto/sealed_box.h"
#include "adapters/policy/icu_domain_names.h"
#include "adapters/redis/key_registry.h"
#include "core/hex.h"
#include "core/key_record.h"
#include "core/log_safe.h"
#include "core/url_extract.h"
#include "daemon/cli/args.h"
#include "daemon/cli/cli_time.h"
#include "daemon/cli/key_incident.h"
#include "daemon/cli/key_report.h"
#include "daemon/cli/key_scopes.h"
#include "daemon/cli/key_settings.h"
#include "daemon/cli/keys_options.h"
#include "daemon/cli/redis_client.h"

namespace sd::cli {

namespace {

constexpr const char* kMasterKeyFileEnv = "SMSDISPATCH_MASTER_KEY_FILE";
// 32 bytes = 256 bits, the strength of HMAC-SHA256.
constexpr size_t kSecretBytes = 32;
constexpr size_t kCallbackSecretBytes = 32;

std::string Join(const std::vector<std::string>& v, const char* empty) {
  if (v.empty()) return empty;
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

std::string KindsText(uint8_t kinds) {
  std::vector<std::string> names;
  for (JobKind k : {JobKind::kOtp, JobKind::kTransactional, JobKind::kMarketing}) {
    if (kinds & KindBit(k)) names.emplace_back(JobKindName(k));
  }
  return Join(names, "-");
}

std::string State(const KeyRecord& r, int64_t now) {
  if (r.revoked) return "revoked";
  if (now < r.not_before_ms) return "not-yet-valid";
  if (r.not_after_ms != 0 && now >= r.not_after_ms) return "expired";
  return "active";
}

std::string UrlPolicyText(const KeyScopes& s) {
  if (s.url_policy == UrlPolicy::kAllowlist) return "allow:" + Join(s.url_domains, "");
  return std::string(UrlPolicyName(s.url_policy));
}

// Everything about a key except its secret.
nlohmann::json KeyJson(const KeyRecord& r, int64_t now) {
  const KeyScopes& s = r.scopes;
  const auto id = ParseKeyId(r.id);
  return nlohmann::json{
      {"id", r.id},
      {"name", id ? id->name : ""},
      {"version", id ? id->version : 0},
      {"state", State(r, now)},
      {"created", FormatTime(r.created_ms)},
      {"not_before", FormatTime(r.not_before_ms)},
      {"not_after", FormatTime(r.not_after_ms)},
      {"not_before_ms", r.not_before_ms},
      {"not_after_ms", r.not_after_ms},
      {"revoked", r.revoked},
      {"revoked_at", FormatTime(r.revoked_at_ms)},
      {"kinds", KindsText(s.kinds)},
      {"senders", s.senders},
      {"countries", s.countries},
      {"max_segments", s.max_segments},
      {"url_policy", UrlPolicyText(s)},
      {"otp_template", s.otp_template},
      {"rate_per_s", s.rate_per_s},
      {"burst", s.burst},
      {"api_auth", ApiAuthName(s.api_auth)},
      {"allow_ips", s.allow_ips},
      {"mode", r.test_mode ? "test" : "live"},
      {"client_cert_sha256", s.client_cert_sha256},
      {"callback_url", r.callback_url},
      {"callback_secret_rotating", r.callback_secrets.size() > 1},
  };
}



// The registry as the CLI sees it: opened records and what each field held (for the
// update script's expectations).
struct Registry {
  uint64_t version = 0;
  std::map<std::string, KeyRecord> records;   // by id
  std::map<std::string, std::string> sealed;  // by id
  std::vector<std::string> problems;          // records that did not open
};

class KeysCommand {
 public:
  explicit KeysCommand(Args& args) : args_(args) {}

  int Run(const std::string& sub) {
    std::string error;
    bool usage = false;
    if (!LoadMaster(&error, &usage)) return UsageOr(usage, error);
    auto client = RedisClient::Connect(args_, &error, &usage);
    if (!client) return UsageOr(usage, error);
    client_ = &*client;
    names_ = redis::KeyRegistryNames::ForPrefix(args_.Get("prefix", "sd:"));
    if (sub == "create") return Create();
    if (sub == "rotate") return Rotate();
    if (sub == "revoke") return Revoke();
    if (sub == "list") return List();
    if (sub == "report") return Report();
    if (sub == "set") return Set();
    return Show();
  }

 private:
  static int UsageOr(bool usage, const std::string& message) {
    fprintf(stderr, "smsdispatch keys: %s\n", message.c_str());
    return usage ? kExitUsage : kExitFailure;
  }
  static int Fail(const std::string& message) { return UsageOr(false, message); }

  bool LoadMaster(std::string* error, bool* usage) {
    *usage = true;
    std::string path = args_.Get("master-key-file");
    if (path.empty()) {
      const char* env = std::getenv(kMasterKeyFileEnv);
      if (env != nullptr) path = env;
    }
    if (path.empty()) {
      *error = std::string("no master key: give --master-key-file or set ") + kMasterKeyFileEnv;
      return false;
    }
    auto k = LoadMasterKeyFile(path);
    *usage = false;
    if (!k) {
      *error = k.error().detail;
      return false;
    }
    master_.emplace(std::move(k).value());
    return true;
  }

  std::optional<Registry> Load() {
    RedisReplyPtr r = client_->Command(redis::KeyRegistryLoadCommand(names_));
    if (!r) {
      Fail("Redis: " + client_->error());
      return std::nullopt;
    }
    auto sealed = redis::ParseKeyRegistryLoad(r.get());
    if (!sealed) {
      Fail(sealed.error().detail);
      return std::nullopt;
    }
    Registry reg;
    reg.version = sealed->version;
    for (auto& [id, box] : sealed->fields) {
      auto rec = redis::OpenKeyRecord(*master_, id, box);
      if (!rec) {
        reg.problems.push_back(rec.error().detail);
        continue;
      }
      reg.records.emplace(id, std::move(rec).value());
      reg.sealed.emplace(id, box);
    }
    return reg;
  }

  // Runs the update script; prints the outcome. Returns the new version or nullopt.
  std::optional<uint64_t> Write(const std::vector<redis::KeyRecordWrite>& writes) {
    RedisReplyPtr r = client_->Command(redis::KeyRegistryUpdateCommand(names_, writes));
    if (!r) {
      Fail("Redis: " + client_->error() + " (the change may or may not have been made; run list)");
      return std::nullopt;
    }
    if (r->type == REDIS_REPLY_ERROR) {
      Fail(std::string(r->str, r->len) + "; nothing was changed, try again");
      return std::nullopt;
    }
    if (r->type != REDIS_REPLY_INTEGER) {
      Fail("unexpected reply from the update script");
      return std::nullopt;
    }
    return static_cast<uint64_t>(r->integer);
  }

  std::optional<std::string> Seal(const KeyRecord& r) {
    auto s = redis::SealKeyRecord(*master_, r);
    if (!s) {
      UsageOr(true, s.error().detail);
      return std::nullopt;
    }
    return std::move(s).value();
  }

  static int PrintSecret(const KeyRecord& r, uint64_t version) {
    printf("id: %s\nsecret_hex: %s\nregistry_version: %llu\n", r.id.c_str(),
           HexEncode(r.secret).c_str(), static_cast<unsigned long long>(version));
    fprintf(stderr,
            "smsdispatch keys: the secret (256 bits, hex) is shown only now; give it to the "
            "producer over a secure channel\n");
    return kExitOk;
  }

  // The highest version of `name`, or 0.
  static uint32_t Latest(const Registry& reg, const std::string& name) {
    uint32_t latest = 0;
    for (const auto& [id, rec] : reg.records) {
      const auto k = ParseKeyId(id);
      if (k && k->name == name) latest = std::max(latest, k->version);
    }
    return latest;
  }

  int Create() {
    std::string name = args_.Get("name");
    const std::string mode = args_.Get("mode", "live");
    if (mode != "live" && mode != "test") return UsageOr(true, "--mode is live or test");
    // The id shows the mode: test keys' names, and only theirs, start with test-.
    const bool prefixed = name.rfind("test-", 0) == 0;
    if (mode == "test" && !prefixed) name = "test-" + name;
    if (mode == "live" && prefixed) return UsageOr(true, "names starting test- are test keys'");
    if (!ValidKeyName(name)) return UsageOr(true, "--name must be 1-56 of A-Z a-z 0-9 _ -");
    const int64_t now = WallNowMs();
    KeyRecord r;
    r.id = KeyId{name, 1}.ToString();
    r.test_mode = mode == "test";
    r.created_ms = now;
    r.not_before_ms = now;
    KeySettings settings;
    try {
      ParseScopes(args_, &r.scopes);
      if (args_.Has("not-before")) {
        const auto t = ParseTimeMs(args_.Get("not-before"), now);
        if (!t || *t < 0) throw UsageError{"--not-before is not a time"};
        r.not_before_ms = *t;
      }
      if (args_.Has("not-after")) {
        const auto t = ParseTimeMs(args_.Get("not-after"), now);
        if (!t || *t <= 0) throw UsageError{"--not-after is not a time"};
        r.not_after_ms = *t;
      }
      settings = ParseKeySettings(args_);
    } catch (const UsageError& e) {
      return UsageOr(true, e.message);
    }
    auto reg = Load();
    if (!reg) return kExitFailure;
    if (Latest(*reg, name) != 0) {
      return Fail("key '" + name + "' exists already (rotate makes a new version)");
    }
    r.secret = RandomBytes(kSecretBytes);
    try {
      ApplyKeySettings(settings, RandomBytes(kCallbackSecretBytes), &r);
    } catch (const UsageError& e) {
      return UsageOr(true, e.message);
    }
    const auto sealed = Seal(r);
    if (!sealed) return kExitUsage;
    const auto v = Write({{r.id, "", *sealed}});
    if (!v) return kExitFailure;
    PrintCallbackSecret(r);
    return PrintSecret(r, *v);
  }

  // keys set: the callback and client certificate of every version of a key not revoked.
  int Set() {
    const std::string name = args_.Get("name");
    KeySettings settings;
    try {
      settings = ParseKeySettings(args_);
    } catch (const UsageError& e) {
      return UsageOr(true, e.message);
    }
    if (!settings.any()) return UsageOr(true, "nothing to set (see --help)");
    auto reg = Load();
    if (!reg) return kExitFailure;
    const std::string fresh = RandomBytes(kCallbackSecretBytes);
    std::vector<redis::KeyRecordWrite> writes;
    const KeyRecord* shown = nullptr;
    for (auto& [id, rec] : reg->records) {
      const auto k = ParseKeyId(id);
      if (!k || k->name != name || rec.revoked) continue;
      try {
        if (!ApplyKeySettings(settings, fresh, &rec)) continue;
      } catch (const UsageError& e) {
        return UsageOr(true, e.message);
      }
      const auto sealed = Seal(rec);
      if (!sealed) return kExitUsage;
      writes.push_back({id, reg->sealed.at(id), *sealed});
      printf("%s updated\n", id.c_str());
      shown = &rec;
    }
    if (Latest(*reg, name) == 0) return Fail("no key named '" + name + "'");
    if (writes.empty()) {
      printf("nothing changed\n");
      return kExitOk;
    }
    const auto v = Write(writes);
    if (!v) return kExitFailure;
    printf("registry_version: %llu\n", static_cast<unsigned long long>(*v));
    // A secret made now is printed once: by a rotation, or for a key that had no callback.
    if (shown != nullptr && !shown->callback_secrets.empty() &&
        shown->callback_secrets.front() == fresh) {
      PrintCallbackSecret(*shown);
    }
    return kExitOk;
  }

  static void PrintCallbackSecret(const KeyRecord& r) {
    if (r.callback_url.empty()) return;
    printf("callback_secret: %s\n", Whsec(r.callback_secrets.front()).c_str());
    fprintf(stderr,
            "smsdispatch keys: the callback secret verifies status callbacks (Standard "
            "Webhooks); it is shown only now%s\n",
            r.callback_secrets.size() > 1
                ? ". Both secrets sign until --finish-callback-rotation"
                : "");
  }

  int Rotate() {
    const std::string name = args_.Get("name");
    if (!ValidKeyName(name)) return UsageOr(true, "--name must be 1-56 of A-Z a-z 0-9 _ -");
    const auto overlap = ParseDurationMs(args_.Get("overlap", "24h"));
    if (!overlap) return UsageOr(true, "--overlap is a duration, e.g. 24h, 30m, 0s");
    auto reg = Load();
    if (!reg) return kExitFailure;
    const uint32_t latest = Latest(*reg, name);
    if (latest == 0) return Fail("no key named '" + name + "' (create it first)");
    if (latest >= KeyRecordLimits::kMaxVersion)
      return Fail("key '" + name + "' has no versions left");
    const std::string old_id = KeyId{name, latest}.ToString();
    const KeyRecord& old = reg->records.at(old_id);
    const int64_t now = WallNowMs();
    KeyRecord next;
    next.id = KeyId{name, latest + 1}.ToString();
    next.created_ms = now;
    next.not_before_ms = now;
    next.scopes = old.scopes;
    next.test_mode = old.test_mode;  // a rotation never turns a test key live
    next.callback_url = old.callback_url;  // and keeps the callback (and its secrets)
    next.callback_secrets = old.callback_secrets;
    next.secret = RandomBytes(kSecretBytes);
    std::vector<redis::KeyRecordWrite> writes;
    const auto next_sealed = Seal(next);
    if (!next_sealed) return kExitUsage;
    writes.push_back({next.id, "", *next_sealed});
    // The old version ends after the overlap (never later than it already would).
    KeyRecord ended = old;
    const int64_t end = std::max(now + *overlap, old.not_before_ms + 1);
    if (!old.revoked && (old.not_after_ms == 0 || old.not_after_ms > end)) {
      ended.not_after_ms = end;
      const auto old_sealed = Seal(ended);
      if (!old_sealed) return kExitUsage;
      writes.push_back({old_id, reg->sealed.at(old_id), *old_sealed});
    }
    const auto v = Write(writes);
    if (!v) return kExitFailure;
    fprintf(stderr, "smsdispatch keys: %s stays valid until %s\n", old_id.c_str(),
            FormatTime(ended.not_after_ms).c_str());
    return PrintSecret(next, *v);
  }

  int Revoke() {
    const std::string id = args_.Get("id");
    if (!ParseKeyId(id)) return UsageOr(true, "--id must be NAME.vN");
    auto reg = Load();
    if (!reg) return kExitFailure;
    const auto it = reg->records.find(id);
    if (it == reg->records.end()) return Fail("no key '" + id + "' in the registry");
    if (it->second.revoked) {
      printf("%s was already revoked at %s\n", id.c_str(),
             FormatTime(it->second.revoked_at_ms).c_str());
      return Incident(id);
    }
    KeyRecord r = it->second;
    r.revoked = true;
    r.revoked_at_ms = WallNowMs();
    const auto sealed = Seal(r);
    if (!sealed) return kExitUsage;
    const auto v = Write({{id, reg->sealed.at(id), *sealed}});
    if (!v) return kExitFailure;
    printf("%s revoked (registry version %llu)\n", id.c_str(), static_cast<unsigned long long>(*v));
    return Incident(id);
  }

  // --incident: what the key did in the last --hours (key_incident.h), after the revocation.
  int Incident(const std::string& id) {
    if (!args_.Has("incident")) return kExitOk;
    const auto hours = args_.Int("hours", 24, 1, 24 * 90);
    if (!hours) return UsageOr(true, args_.error());
    const std::string prefix = args_.Get("prefix", "sd:");
    IncidentQuery q;
    q.key_id = id;
    q.since_ms = WallNowMs() - *hours * 3'600'000;
    q.jobs_stream = prefix + "jobs";
    q.outcomes_stream = prefix + "outcomes";
    q.audit_stream = prefix + "audit";
    q.json = args_.Has("json");
    return PrintIncident(*client_, q) ? kExitOk : kExitFailure;
  }

  int ReportProblems(const Registry& reg) {
    for (const std::string& p : reg.problems) {
      fprintf(stderr, "smsdispatch keys: %s\n", LogSafe(p, kLogMessageMax).c_str());
    }
    return reg.problems.empty() ? kExitOk : kExitFailure;
  }

  static std::vector<const KeyRecord*> Sorted(const Registry& reg) {
    std::vector<const KeyRecord*> sorted;
    for (const auto& [id, r] : reg.records) sorted.push_back(&r);
    std::sort(sorted.begin(), sorted.end(), [](const KeyRecord* a, const KeyRecord* b) {
      const auto ia = ParseKeyId(a->id);
      const auto ib = ParseKeyId(b->id);
      if (ia && ib && ia->name == ib->name) return ia->version < ib->version;
      return a->id < b->id;
    });
    return sorted;
  }

  // keys report (key_report.h): usage against scopes, unused and old keys.
  int Report() {
    KeyReportOptions o;
    const auto unused = args_.Int("unused-days", 30, 1, 3650);
    const auto rotation = args_.Int("rotation-days", 90, 1, 3650);
    if (!unused || !rotation) return UsageOr(true, args_.error());
    auto reg = Load();
    if (!reg) return kExitFailure;
    o.prefix = args_.Get("prefix", "sd:");
    o.now_ms = WallNowMs();
    o.unused_days = *unused;
    o.rotation_days = *rotation;
    o.json = args_.Has("json");
    if (!PrintKeyReport(*client_, Sorted(*reg), o)) return kExitFailure;
    return ReportProblems(*reg);
  }

  int List() {
    auto reg = Load();
    if (!reg) return kExitFailure;
    const int64_t now = WallNowMs();
    const std::vector<const KeyRecord*> sorted = Sorted(*reg);
    if (args_.Has("json")) {
      nlohmann::json keys = nlohmann::json::array();
      for (const KeyRecord* r : sorted) keys.push_back(KeyJson(*r, now));
      printf("%s\n",
             nlohmann::json{{"registry_version", reg->version}, {"keys", keys}}.dump().c_str());
      return ReportProblems(*reg);
    }
    printf("registry version %llu, %zu keys\n", static_cast<unsigned long long>(reg->version),
           sorted.size());
    printf("%-28s %-14s %-20s %-20s %s\n", "ID", "STATE", "NOT_BEFORE", "NOT_AFTER", "SCOPES");
    for (const KeyRecord* r : sorted) {
      const KeyScopes& s = r->scopes;
      printf(
          "%-28s %-14s %-20s %-20s kinds=%s senders=%s countries=%s max_segments=%d url=%s%s%s"
          " api_auth=%s allow_ips=%s mode=%s\n",
          r->id.c_str(), State(*r, now).c_str(), FormatTime(r->not_before_ms).c_str(),
          FormatTime(r->not_after_ms).c_str(), KindsText(s.kinds).c_str(),
          Join(s.senders, "any").c_str(), Join(s.countries, "any").c_str(), s.max_segments,
          UrlPolicyText(s).c_str(), s.otp_template.empty() ? "" : " otp_template=yes",
          s.rate_per_s == 0
              ? ""
              : (" rate=" + std::to_string(s.rate_per_s) + "/s burst=" + std::to_string(s.burst))
                    .c_str(),
          std::string(ApiAuthName(s.api_auth)).c_str(), Join(s.allow_ips, "any").c_str(),
          r->test_mode ? "test" : "live");
    }
    return ReportProblems(*reg);
  }

  int Show() {
    const std::string id = args_.Get("id");
    if (!ParseKeyId(id)) return UsageOr(true, "--id must be NAME.vN");
    auto reg = Load();
    if (!reg) return kExitFailure;
    const auto it = reg->records.find(id);
    if (it == reg->records.end()) {
      ReportProblems(*reg);
      return Fail("no key '" + id + "' in the registry");
    }
    const nlohmann::json j = KeyJson(it->second, WallNowMs());
    if (args_.Has("json")) {
      printf("%s\n", j.dump().c_str());
      return kExitOk;
    }
    for (const auto& [k, v] : j.items()) {
      printf("%s: %s\n", k.c_str(),
             v.is_string() ? v.get<std::string>().c_str() : v.dump().c_str());
    }
    return kExitOk;
  }

  Args& args_;
  RedisClient* client_ = nullptr;
  std::optional<MasterKey> master_;
  redis::KeyRegistryNames names_;
};

}  // namespace

int RunKeys(int argc, char** argv) {
  if (argc < 3 || std::string(argv[2]) == "--help" || std::string(argv[2]) == "-h") {
    fprintf(argc < 3 ? stderr : stdout,
            "%sRun 'smsdispatch keys SUBCOMMAND --help' for its options.\n", kKeysSynopsis);
    return argc < 3 ? kExitUsage : kExitOk;
  }
  const std::string sub = argv[2];
  std::optional<std::vector<OptionSpec>> options = KeysOptions(sub);
  if (!options) {
    fprintf(stderr, "smsdispatch keys: unknown subcommand '%s'\n%s", sub.c_str(), kKeysSynopsis);
    return kExitUsage;
  }
  Args args(kKeysSynopsis, std::move(*options));
  if (!args.Parse(argc, argv, 3)) {
    fprintf(stderr, "smsdispatch keys %s: %s\n%s", sub.c_str(), args.error().c_str(),
            args.Help().c_str());
    return kExitUsage;
  }
  if (args.Has("help")) {
    fputs(args.Help().c_str(), stdout);
    return kExitOk;
  }
  const bool needs_name = sub == "create" || sub == "rotate" || sub == "set";
  const bool needs_id = sub == "revoke" || sub == "show";
  if ((needs_name && !args.Has("name")) || (needs_id && !args.Has("id"))) {
    fprintf(stderr, "smsdispatch keys %s: --%s is required\n", sub.c_str(),
            needs_name ? "name" : "id");
    return kExitUsage;
  }
  return KeysCommand(args).Run(sub);
}

}  // namespace sd::cli
