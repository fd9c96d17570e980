#include <toml++/toml.h>

#include <filesystem>

#include "daemon/lib/config.h"
#include "daemon/lib/config_sections.h"

// [listener]: where providers call us (receipt webhooks), with its TLS and limits.
namespace sd::config_detail {
namespace {

bool IsLoopback(const std::string& host) {
  return host == "::1" || host.rfind("127.", 0) == 0;
}

// "host:port", "[v6]:port"; false when malformed.
bool SplitListen(const std::string& listen, std::string* host, int* port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 >= listen.size()) return false;
  std::string h = listen.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  const std::string p = listen.substr(colon + 1);
  if (h.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  *host = h;
  *port = std::stoi(p);
  return *port >= 1 && *port <= 65535;
}

}  // namespace

bool LoadHttpServer(Section& s, const toml::node& n, const std::filesystem::path& base,
                    const std::string& name, size_t default_max_body, Problems& p, bool* plain,
                    http::HttpServerOptions* server, const std::string& client_ca_file,
                    const std::string& default_listen) {
  const std::string listen =
      default_listen.empty() ? s.RequiredStr("listen") : s.Str("listen", default_listen);
  if (!listen.empty() && !SplitListen(listen, &server->host, &server->port)) {
    p.At(*s.Node("listen"), name + ".listen must be \"address:port\" (IPv6 as \"[::1]:8443\")");
  }
  // Plain is the default only where a default address is (loopback) and no TLS file is named.
  const bool plain_default = !default_listen.empty() && s.Node("tls_cert_file") == nullptr &&
                             s.Node("tls_key_file") == nullptr;
  *plain = s.Bool("plain", plain_default);
  const std::string cert = Resolve(base, s.Str("tls_cert_file", "", {.non_empty = true}));
  const std::string key = Resolve(base, s.Str("tls_key_file", "", {.non_empty = true}));
  server->max_connections = static_cast<size_t>(s.Int("max_connections", 256, 1, 100'000));
  server->max_header_bytes =
      static_cast<size_t>(s.Int("max_header_bytes", 16 * 1024, 1024, 1024 * 1024));
  server->max_body_bytes = static_cast<size_t>(
      s.Int("max_body_bytes", static_cast<int64_t>(default_max_body), 1024, 16 * 1024 * 1024));
  server->request_timeout_ms = s.Int("request_timeout_ms", 10'000, 100, 600'000);
  server->idle_timeout_ms = s.Int("idle_timeout_ms", 30'000, 100, 3'600'000);
  if (p.any()) return false;
  if (*plain) {
    if (!cert.empty() || !key.empty() || !client_ca_file.empty()) {
      p.At(n, "[" + name + "] plain = true and TLS files: choose one");
    } else if (!IsLoopback(server->host) && s.Node("plain") == nullptr) {
      p.At(n, "[" + name +
                  "] off loopback needs tls_cert_file and tls_key_file: TLS on every "
                  "hop that leaves the host");
    } else if (!IsLoopback(server->host)) {
      p.At(*s.Node("plain"), name + ".plain = true is allowed only on a loopback address "
                                    "(127.0.0.0/8 or ::1): TLS on every hop that leaves the host");
    }
    return !p.any();
  }
  if (cert.empty() || key.empty()) {
    p.At(n, "[" + name + "] needs tls_cert_file and tls_key_file (or plain = true on loopback)");
    return false;
  }
  net::TlsConfig tc;
  tc.role = net::TlsRole::kServer;
  tc.cert_file = cert;
  tc.key_file = key;
  // Mutual TLS ([api]): clients may present a certificate from this CA; keys bound to one
  // (keys set --client-cert) need it. Others connect without one.
  tc.ca_file = client_ca_file;
  tc.request_client_cert = !client_ca_file.empty();
  auto ctx = net::TlsContext::Create(tc);
  if (!ctx) {
    p.At(n, "[" + name + "]: " + ctx.error().detail);
    return false;
  }
  server->tls = std::move(ctx).value();
  return true;
}

void LoadListener(const toml::table& root, const std::filesystem::path& base, Problems& p,
                  Config& c) {
  const toml::node* n = root.get("listener");
  if (n == nullptr) return;
  if (!n->is_table()) {
    p.At(*n, "listener must be a table: write [listener]");
    return;
  }
  Section s(*n->as_table(), "listener", p);
  auto& l = c.listener;
  l.enabled = true;
  l.receipt_ack_timeout_ms = s.Int("receipt_ack_timeout_ms", 10'000, 100, 600'000);
  LoadHttpServer(s, *n, base, "listener", 64 * 1024, p, &l.plain, &l.server);
  s.RefuseUnknown();
}

// [admin]: the operators' listener for /metrics, /healthz and /readyz (docs/operations.md).
void LoadAdmin(const toml::table& root, const std::filesystem::path& base, Problems& p, Config& c) {
  const toml::node* n = root.get("admin");
  if (n == nullptr) return;
  if (!n->is_table()) {
    p.At(*n, "admin must be a table: write [admin]");
    return;
  }
  Section s(*n->as_table(), "admin", p);
  auto& a = c.admin;
  a.enabled = s.Bool("enabled", true);
  s.RefuseInline("bearer_token", "bearer_token_file");
  ReadPasswordFile(s, "bearer_token_file", base, &a.bearer_token);
  LoadHttpServer(s, *n, base, "admin", 4 * 1024, p, &a.plain, &a.server, "", "127.0.0.1:9464");
  s.RefuseUnknown();
  if (p.any()) return;
  if (s.Node("bearer_token_file") != nullptr && a.bearer_token.size() < 16) {
    p.At(*s.Node("bearer_token_file"),
         "admin.bearer_token_file: the token must be at least 16 characters");
  }
  if (!IsLoopback(a.server.host) && a.bearer_token.empty()) {
    p.At(*n,
         "[admin] on a non-loopback address needs bearer_token_file: metrics tell anyone "
         "who can reach them how much traffic goes where");
  }
  for (const auto* other : {&c.listener.server, &c.api.server}) {
    const bool used = (other == &c.listener.server ? c.listener.enabled : c.api.enabled);
    if (used && other->host == a.server.host && other->port == a.server.port) {
      p.At(s.Node("listen") != nullptr ? *s.Node("listen") : *n,
           "admin.listen is the address of [listener] or [api]: give the admin listener its "
           "own port");
    }
  }
}

void CheckWebhooksHaveListener(Problems& p, Config& c) {
  bool any = false;
  for (const CarrierConfig& cc : c.carriers) {
    if (!cc.webhook) continue;
    any = true;
    if (!c.listener.enabled && !p.any()) {
      p.At(cc.webhook_line, 1,
           "carrier '" + cc.name + "' has [carrier.webhook] but there is no [listener] to "
                                   "receive it on");
    }
  }
  if (c.listener.enabled && !any) {
    c.warnings.push_back(c.path + ": [listener] is configured but no [carrier.webhook]: it "
                                  "answers 404 to everything");
  }
}

}  // namespace sd::config_detail
