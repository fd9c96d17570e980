#include <toml++/toml.h>

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
  LoadHttpServer(s, *n, base, "api", 256 * 1024, p, &a.plain, &a.server);
  s.RefuseUnknown();
  if (!p.any() && c.keys_registry != "redis") {
    p.At(*n, "[api] authenticates keys of the key registry: set [keys] registry = \"redis\" "
             "(docs/keys.md)");
  }
  if (!p.any() && c.listener.enabled && c.listener.server.host == a.server.host &&
      c.listener.server.port == a.server.port) {
    p.At(*s.Node("listen"), "api.listen is the [listener]'s address: give the API its own port");
  }
}

}  // namespace sd::config_detail
