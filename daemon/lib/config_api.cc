#include <toml++/toml.h>

#include <algorithm>
#include <filesystem>

#include "daemon/lib/config.h"
#include "daemon/lib/config_sections.h"

// [api]: the producers' HTTPS API (docs/api.md), a listener of its own.
namespace sd::config_detail {

void LoadApi(const toml::table& root, const std::filesystem::path& base, Problems& p,
             Config& c) {
  const toml::node* n = root.get("api");
  if (n == nullptr) return;
  if (!n->is_table()) {
    p.At(*n, "api must be a table: write [api]");
    return;
  }
  Section s(*n->as_table(), "api", p);
  auto& a = c.api;
  a.enabled = true;
  a.ack_timeout_ms = s.Int("ack_timeout_ms", 10'000, 100, 600'000);
  a.signature_window_ms = s.Int("signature_window_s", 300, 5, 3'600) * 1000;
  a.default_validity_s = s.Int("default_validity_s", 3'600, 1, 30 * 86'400);
  a.max_batch = static_cast<size_t>(s.Int("max_batch", 100, 1, 1'000));
  a.status_retention_ms = s.Int("status_retention_s", 3'600, 0, 7 * 86'400) * 1000;
  a.server.proxy_protocol = s.Bool("proxy_protocol", false);
  for (const std::string& proxy : s.StrList("trusted_proxies", 64)) {
    auto cidr = ParseCidr(proxy);
    if (!cidr) {
      p.At(*s.Node("trusted_proxies"),
           "api.trusted_proxies: '" + proxy.substr(0, 64) + "' is not an address or CIDR range");
      continue;
    }
    a.trusted_proxies.push_back(*cidr);
  }
  // A batch of max_batch messages of the longest text fits with room for JSON escapes.
  const std::string client_ca = Resolve(base, s.Str("client_ca_file", "", {.non_empty = true}));
  LoadHttpServer(s, *n, base, "api", 256 * 1024, p, &a.plain, &a.server, client_ca);
  s.RefuseUnknown();
  if (!p.any() && c.keys_registry != "redis") {
    p.At(*n, "[api] authenticates keys of the key registry: set [keys] registry = \"redis\" "
             "(docs/keys.md)");
  }
  if (!p.any() && a.server.proxy_protocol && a.trusted_proxies.empty()) {
    p.At(*s.Node("proxy_protocol"), "api.proxy_protocol needs api.trusted_proxies: the load "
                                    "balancers whose PROXY headers are believed");
  }
  if (!p.any() && c.listener.enabled && c.listener.server.host == a.server.host &&
      c.listener.server.port == a.server.port) {
    p.At(*s.Node("listen"), "api.listen is the [listener]'s address: give the API its own port");
  }
}

// [callbacks]: status callbacks to producers (docs/api.md, "Status callbacks").
void LoadCallbacks(const toml::table& root, const std::filesystem::path& base, Problems& p,
                   Config& c) {
  const toml::node* n = root.get("callbacks");
  if (n == nullptr) return;
  if (!n->is_table()) {
    p.At(*n, "callbacks must be a table: write [callbacks]");
    return;
  }
  Section s(*n->as_table(), "callbacks", p);
  auto& cb = c.callbacks;
  auto& o = cb.sender;
  cb.enabled = s.Bool("enabled", true);
  o.retry_for_ms = s.Int("retry_for_s", 86'400, 1, 30 * 86'400) * 1000;
  o.retry_initial_ms = s.Int("retry_initial_ms", 1'000, 100, 3'600'000);
  o.retry_max_ms = s.Int("retry_max_ms", 600'000, 100, 86'400'000);
  o.timeout_ms = s.Int("timeout_ms", 10'000, 100, 120'000);
  o.connect_timeout_ms = std::min<int64_t>(o.timeout_ms, 5'000);
  o.max_in_flight = static_cast<size_t>(s.Int("max_in_flight", 64, 1, 1'024));
  o.max_per_target = static_cast<size_t>(s.Int("max_per_url", 8, 1, 256));
  o.max_held = static_cast<size_t>(s.Int("max_held", 20'000, 100, 1'000'000));
  o.max_held_per_target = static_cast<size_t>(
      s.Int("max_held_per_url", static_cast<int64_t>(o.max_held / 4), 10, 1'000'000));
  cb.claim_idle_ms = s.Int("claim_idle_s", 300, 10, 86'400) * 1000;
  o.keep_interval_ms = cb.claim_idle_ms / 3;  // claimed again well before it looks abandoned
  o.client.ca_file = Resolve(base, s.Str("ca_file", "", {.non_empty = true}));
  o.client.max_in_flight = o.max_in_flight;
  o.client.max_response_bytes = 16 * 1024;  // the answer is not read; only its status counts
  s.RefuseUnknown();
  if (p.any()) return;
  if (o.retry_max_ms < o.retry_initial_ms) {
    p.At(*s.Node("retry_max_ms"), "callbacks.retry_max_ms is below callbacks.retry_initial_ms");
  }
  if (const toml::node* f = s.Node("ca_file"); f != nullptr) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(o.client.ca_file, ec)) {
      p.At(*f, "callbacks.ca_file: " + o.client.ca_file + " is not a readable file");
    }
  }
  if (cb.enabled && c.keys_registry != "redis") {
    p.At(*n, "[callbacks] sends to the callback URLs of the key registry's keys: set [keys] "
             "registry = \"redis\" (docs/keys.md)");
  }
}

}  // namespace sd::config_detail
