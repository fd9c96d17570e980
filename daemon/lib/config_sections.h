#pragma once
// Shared by the section loaders of config.cc (daemon, redis, keys, policy, content, limits) and
// config_carriers.cc ([[carrier]], [carrier.tls], [[route]]); not part of the config's API.
#include <filesystem>
#include <string>

#include "adapters/config/toml_section.h"
#include "daemon/lib/config.h"

namespace sd::config_detail {

// p relative to the config file's directory; absolute and empty paths stay as they are.
std::string Resolve(const std::filesystem::path& base, const std::string& p);

// Reads the password file named by `key` (if set) into *out; problems point at the key's line
// and name the password file, never its content.
void ReadPasswordFile(Section& s, const char* key, const std::filesystem::path& base,
                      std::string* out);

// A secret named `what` (e.g. "password"): exactly one of <what>_file (read like a password
// file) or <what>_env (a set, non-empty environment variable); never inline.
void ReadFileOrEnvSecret(Section& s, const toml::table& t, const std::filesystem::path& base,
                         const std::string& what, const std::string& carrier, std::string* out);

// [[carrier]] protocol = "http" (config_http_carrier.cc): fills cc.http.
void LoadHttpCarrier(Section& s, const toml::table& t, const std::filesystem::path& base,
                     Problems& p, CarrierConfig& cc);

// [listener] (config_listener.cc), and the check that every carrier with [carrier.webhook]
// has a listener to be called on.
void LoadListener(const toml::table& root, const std::filesystem::path& base, Problems& p,
                  Config& c);
void CheckWebhooksHaveListener(Problems& p, Config& c);

// What [listener] and [api] share: listen, plain or TLS files, and the server's limits.
// `name` is the section's. False when something is wrong (reported in p).
bool LoadHttpServer(Section& s, const toml::node& n, const std::filesystem::path& base,
                    const std::string& name, size_t default_max_body, Problems& p, bool* plain,
                    http::HttpServerOptions* server, const std::string& client_ca_file = "",
                    const std::string& default_listen = "");
// [admin] (config_listener.cc): /metrics and the health endpoints.
void LoadAdmin(const toml::table& root, const std::filesystem::path& base, Problems& p, Config& c);
// [api] (config_api.cc).
void LoadApi(const toml::table& root, const std::filesystem::path& base, Problems& p, Config& c);
// [callbacks] (config_api.cc).
void LoadCallbacks(const toml::table& root, const std::filesystem::path& base, Problems& p,
                   Config& c);

// The `kinds` list of a section as a bit per JobKind (0: the key is absent, every kind).
uint8_t KindsMask(Section& s, Problems& p);
// [[pumping]] (config_pumping.cc).
void LoadPumping(const toml::table& root, Problems& p, Config& c);
void LoadInbound(const toml::table& root, Problems& p, Config& c);
// [optouts] (config_optouts.cc).
void LoadOptOuts(const toml::table& root, Problems& p, Config& c);
// [[quiet_hours]] (config_quiet_hours.cc).
void LoadQuietHours(const toml::table& root, Problems& p, Config& c);
// [redis] cluster: the seeds, then (after every section) that all key names share one slot.
void LoadRedisCluster(Section& s, Config& c);
// [redis] read_shards: distinct shard numbers below redis.shards (after `shards` is read).
void LoadReadShards(Section& s, Config& c);
void CheckClusterSlot(const toml::table& root, Problems& p, Config& c);
// [redis] shards > 1: every per-shard name carries the "{0}" tag (as its first hash tag).
void CheckShards(const toml::table& root, Problems& p, const Config& c);
// [[quota_cost]]: after the carriers, whose names it checks.
void LoadQuotaCosts(const toml::table& root, Problems& p, Config& c);

void LoadCarriers(const toml::table& root, const std::filesystem::path& base, Problems& p,
                  Config& c);
void LoadRoutes(const toml::table& root, Problems& p, Config& c);

}  // namespace sd::config_detail
