#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <utility>

#include "adapters/http/presets.h"
#include "daemon/lib/config.h"
#include "daemon/lib/config_sections.h"

// [[carrier]] protocol = "http" (docs/http.md): a preset's request and response shapes, the
// operator's URL, credentials and overrides, [carrier.fields], [carrier.headers],
// [carrier.response] and [carrier.tls].
namespace sd::config_detail {
namespace {

// TLS on every hop that leaves the host: https://, or http:// to a loopback address only.
bool UrlAllowed(std::string_view url) {
  if (url.substr(0, 8) == "https://") return url.size() > 8;
  for (std::string_view local : {"http://127.0.0.1", "http://localhost", "http://[::1]"}) {
    if (url.substr(0, local.size()) == local &&
        (url.size() == local.size() || url[local.size()] == ':' || url[local.size()] == '/')) {
      return true;
    }
  }
  return false;
}

// A table of name = "string" pairs (body fields or headers), at most `max`.
std::vector<std::pair<std::string, std::string>> StringTable(Section& s, const char* key,
                                                             size_t max) {
  std::vector<std::pair<std::string, std::string>> out;
  const toml::node* n = s.Node(key);
  if (n == nullptr) return out;
  const toml::table* t = n->as_table();
  if (t == nullptr || t->size() > max) {
    s.problems().At(*n, s.Name(key) + " must be a table of at most " + std::to_string(max) +
                            " name = \"value\" pairs");
    return out;
  }
  for (const auto& [name, value] : *t) {
    if (!value.is_string()) {
      s.problems().At(value, s.Name(key) + "." + std::string(name.str()) + " must be a string");
      break;
    }
    out.emplace_back(std::string(name.str()), std::string(value.as_string()->get()));
  }
  return out;
}

// [carrier.response]: where the provider's answer keeps the id, a per-message status and the
// error; each key overrides the preset's.
void LoadResponseShape(const toml::table& t, Problems& p, http::ResponseShape& r) {
  Section s(t, "carrier.response", p);
  r.id_pointer = s.Str("id_pointer", r.id_pointer, {.non_empty = true});
  r.status_pointer = s.Str("status_pointer", r.status_pointer);
  if (s.Node("accepted_statuses")) r.accepted_statuses = s.StrList("accepted_statuses", 32);
  if (s.Node("throttled_statuses")) r.throttled_statuses = s.StrList("throttled_statuses", 32);
  if (s.Node("temporary_statuses")) r.temporary_statuses = s.StrList("temporary_statuses", 32);
  r.error_code_pointer = s.Str("error_code_pointer", r.error_code_pointer);
  r.error_text_pointer = s.Str("error_text_pointer", r.error_text_pointer);
  for (const char* key : {"id_pointer", "status_pointer", "error_code_pointer",
                          "error_text_pointer"}) {
    const toml::node* n = s.Node(key);
    const std::string* v = n != nullptr && n->is_string() ? &n->as_string()->get() : nullptr;
    if (v != nullptr && !v->empty() && (*v)[0] != '/') {
      p.At(*n, s.Name(key) + " must be a JSON pointer (RFC 6901), starting with '/'");
    }
  }
  s.RefuseUnknown();
}

// [carrier.tls] of an HTTP carrier: libcurl reads the files (the system's trust store unless
// ca_file is given); a missing file is reported here, not at the first request.
void LoadHttpTls(const toml::table& t, const std::filesystem::path& base, Problems& p,
                 http::HttpClientOptions& c) {
  Section s(t, "carrier.tls", p);
  c.ca_file = Resolve(base, s.Str("ca_file", "", {.non_empty = true}));
  c.client_cert_file = Resolve(base, s.Str("cert_file", "", {.non_empty = true}));
  c.client_key_file = Resolve(base, s.Str("key_file", "", {.non_empty = true}));
  s.RefuseUnknown();
  if (c.client_cert_file.empty() != c.client_key_file.empty()) {
    p.At(t, "[carrier.tls] needs both cert_file and key_file for a client certificate, or neither");
  }
  for (const char* key : {"ca_file", "cert_file", "key_file"}) {
    const toml::node* n = s.Node(key);
    if (n == nullptr || p.any()) continue;
    const std::string path = Resolve(base, std::string(n->as_string()->get()));
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
      p.At(*n, s.Name(key) + ": " + path + " is not a readable file");
    }
  }
}

// Pace, window, retries and the client's limits.
void LoadHttpLimits(Section& s, Problems& p, CarrierConfig& cc) {
  http::HttpCarrierOptions& o = cc.http;
  cc.window = s.Int("window", cc.window, 1, 10'000);
  o.window = static_cast<size_t>(cc.window);
  cc.max_unsettled = s.Int("max_unsettled", cc.window, 0, 1'000'000);
  o.rate.tps = static_cast<double>(s.Int("tps", 0, 0, 1'000'000));
  o.rate.min_tps = static_cast<double>(s.Int("min_tps", 1, 1, 1'000'000));
  o.rate.increase_tps = static_cast<double>(s.Int("increase_tps", 20, 1, 1'000'000));
  o.rate.throttle_pause_ms = s.Int("throttle_pause_ms", o.rate.throttle_pause_ms, 0, 60'000);
  o.rate.max_throttle_pause_ms = s.Int("max_throttle_pause_ms", o.rate.max_throttle_pause_ms,
                                       o.rate.throttle_pause_ms, 600'000);
  o.client.max_host_connections = s.Int("max_connections", 8, 1, 1'000);
  o.client.http2 = s.Bool("http2", true);
  o.client.max_response_bytes =
      static_cast<size_t>(s.Int("max_response_bytes", 64 * 1024, 1024, 16 * 1024 * 1024));
  o.request.connect_timeout_ms = s.Int("connect_timeout_ms", 5'000, 100, 600'000);
  o.request.total_timeout_ms = s.Int("timeout_ms", 15'000, 100, 600'000);
  if (o.request.connect_timeout_ms > o.request.total_timeout_ms) {
    p.At(*s.Node("connect_timeout_ms"), s.Name("connect_timeout_ms") + " must not exceed timeout_ms");
  }
  o.max_throttled_attempts = static_cast<int>(s.Int("max_throttled_attempts", 20, 1, 1000));
  o.max_temporary_attempts = static_cast<int>(s.Int("max_temporary_attempts", 3, 1, 100));
  o.retry_initial_ms = s.Int("retry_initial_ms", o.retry_initial_ms, 10, 600'000);
  o.retry_max_ms = s.Int("retry_max_ms", o.retry_max_ms, o.retry_initial_ms, 3'600'000);
}

// The request: URL, method, body format, credentials, idempotency header, fields, headers.
void LoadHttpRequest(Section& s, const toml::table& t, const std::filesystem::path& base,
                     Problems& p, CarrierConfig& cc) {
  http::RequestTemplate& r = cc.http.request;
  r.url = s.RequiredStr("url");
  if (!r.url.empty() && !UrlAllowed(r.url)) {
    p.At(*s.Node("url"), s.Name("url") +
                             " must be https:// (plain http:// only to 127.0.0.1, localhost or "
                             "[::1]): TLS on every hop that leaves the host");
  }
  r.method = s.OneOf("method", r.method, {"POST", "PUT"});
  r.body_format = s.OneOf("body", r.body_format == http::BodyFormat::kJson ? "json" : "form",
                          {"form", "json"}) == "json"
                      ? http::BodyFormat::kJson
                      : http::BodyFormat::kForm;
  const std::vector<std::string> auths{"none", "basic", "bearer", "hmac"};
  const std::string auth = s.OneOf("auth", auths[static_cast<size_t>(r.auth)], auths);
  r.auth = static_cast<http::AuthScheme>(
      std::find(auths.begin(), auths.end(), auth) - auths.begin());
  r.username = s.Str("username", "", {.non_empty = true});
  if (r.auth == http::AuthScheme::kBasic && r.username.empty() && !p.any()) {
    p.At(t, "carrier '" + cc.name + "': auth = \"basic\" needs username");
  }
  // Every preset and auth scheme but "custom" with auth = "none" needs a secret.
  if (s.Node("secret_file") != nullptr || s.Node("secret_env") != nullptr ||
      r.auth != http::AuthScheme::kNone) {
    ReadFileOrEnvSecret(s, t, base, "secret", cc.name, &r.secret);
  } else {
    s.RefuseInline("secret", "secret_file or secret_env");
  }
  r.hmac_header = s.Str("hmac_header", r.hmac_header, {.non_empty = true});
  r.idempotency_header = s.Str("idempotency_header", r.idempotency_header);
  r.callback_url = s.Str("callback_url", "");
  if (!r.callback_url.empty() && !UrlAllowed(r.callback_url)) {
    p.At(*s.Node("callback_url"), s.Name("callback_url") +
                                      " must be https:// (plain http:// only to loopback)");
  }
  r.encoding_gsm7 = s.Str("encoding_gsm7", r.encoding_gsm7, {.non_empty = true});
  r.encoding_ucs2 = s.Str("encoding_ucs2", r.encoding_ucs2, {.non_empty = true});
  // [carrier.fields] adds to or replaces the preset's fields; "" removes one.
  for (auto& [name, value] : StringTable(s, "fields", 64)) {
    auto& fields = r.fields;
    auto it = std::find_if(fields.begin(), fields.end(),
                           [&](const http::BodyField& f) { return f.name == name; });
    if (it != fields.end()) {
      it->value = value;
    } else {
      fields.push_back({name, value});
    }
  }
  std::erase_if(r.fields, [](const http::BodyField& f) { return f.value.empty(); });
  for (auto& h : StringTable(s, "headers", 32)) r.headers.push_back(std::move(h));
  if (r.fields.empty() && !p.any()) {
    p.At(t, "carrier '" + cc.name + "': no body fields (set preset or [carrier.fields])");
  }
  if (const std::string bad = http::Validate(r); !bad.empty() && !p.any()) {
    const toml::node* fields = s.Node("fields");
    p.At(fields != nullptr ? *fields : t, "carrier '" + cc.name + "': " + bad);
  }
}

// A webhook body's `format` key (form or json), over the preset's.
http::BodyFormat FormatOf(Section& s, http::BodyFormat preset) {
  const bool json = s.OneOf("format", preset == http::BodyFormat::kJson ? "json" : "form",
                            {"form", "json"}) == "json";
  return json ? http::BodyFormat::kJson : http::BodyFormat::kForm;
}

// [carrier.receipts]: the receipt webhook body's shape, over the preset's.
void LoadReceiptShape(const toml::table& t, Problems& p, http::ReceiptWebhookShape& r) {
  Section s(t, "carrier.receipts", p);
  r.format = FormatOf(s, r.format);
  r.id_field = s.Str("id_field", r.id_field, {.non_empty = true});
  r.status_field = s.Str("status_field", r.status_field, {.non_empty = true});
  r.error_field = s.Str("error_field", r.error_field);
  for (auto& [word, state_name] : StringTable(s, "states", 64)) {
    ReceiptState state;
    if (!http::ReceiptStateFromName(state_name, &state)) {
      p.At(*s.Node("states"), "carrier.receipts.states." + word + ": '" + state_name +
                                  "' is not delivered, undelivered, expired, rejected, deleted, "
                                  "accepted, enroute or unknown");
      break;
    }
    std::erase_if(r.states, [&](const auto& x) { return x.first == word; });
    r.states.emplace_back(word, state);
  }
  s.RefuseUnknown();
}

// [carrier.inbound]: the shape of the replies posted to /v1/inbound/<name>, over the preset's;
// enabled = false takes none.
void LoadInboundShape(const toml::table& t, Problems& p, http::InboundWebhookShape& r,
                      std::string* url) {
  Section s(t, "carrier.inbound", p);
  r.format = FormatOf(s, r.format);
  r.from_field = s.Str("from_field", r.from_field, {.non_empty = true});
  r.to_field = s.Str("to_field", r.to_field, {.non_empty = true});
  r.text_field = s.Str("text_field", r.text_field, {.non_empty = true});
  *url = s.Str("url", *url, {.non_empty = true});
  if (!s.Bool("enabled", true)) r = {};
  s.RefuseUnknown();
  if (!p.any() && s.Bool("enabled", true) && !r.enabled()) {
    p.At(t,
         "carrier.inbound: from_field, to_field and text_field are needed (no preset has "
         "them here)");
  }
}

// [carrier.webhook]: how receipts posted to /v1/receipts/<name> are authenticated.
void LoadWebhook(const toml::table& t, const std::filesystem::path& base, Problems& p,
                 const http::Preset& preset, CarrierConfig& cc) {
  Section s(t, "carrier.webhook", p);
  http::ReceiptWebhookConfig& w = cc.webhook_config;
  const std::vector<std::string> schemes{"standard-webhooks", "form-hmac-sha1", "hmac-sha256"};
  const std::string scheme =
      s.OneOf("scheme", schemes[static_cast<size_t>(preset.webhook_scheme)], schemes);
  w.auth.scheme = static_cast<http::WebhookScheme>(
      std::find(schemes.begin(), schemes.end(), scheme) - schemes.begin());
  w.auth.header = s.Str("header", preset.webhook_header, {.non_empty = true});
  std::transform(w.auth.header.begin(), w.auth.header.end(), w.auth.header.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  w.auth.signed_url = s.Str("url", cc.http.request.callback_url, {.non_empty = true});
  w.auth.tolerance_ms = s.Int("tolerance_s", 300, 1, 3600) * 1000;
  w.dedup_window_ms = s.Int("dedup_window_s", 3600, 0, 7 * 86400) * 1000;
  const std::vector<std::string> files = s.StrList("secret_files", 4);
  const toml::node* files_node = s.Node("secret_files");
  if (files_node == nullptr || files.empty()) {
    p.At(files_node != nullptr ? *files_node : t,
         "carrier.webhook.secret_files: one to four files (two while rotating)");
  }
  for (const std::string& f : files) {
    if (p.any()) break;
    auto r = ReadSecretFile(Resolve(base, f));
    if (auto* err = std::get_if<ConfigError>(&r)) {
      p.At(*files_node, "carrier.webhook.secret_files: " + err->ToString());
      break;
    }
    std::string secret = std::move(std::get<std::string>(r));
    if (w.auth.scheme == http::WebhookScheme::kStandardWebhooks) {
      secret = http::DecodeWhsec(secret);
      if (secret.empty()) {
        p.At(*files_node, "carrier.webhook.secret_files: " + f +
                              " does not hold a whsec_<base64> secret (Standard Webhooks)");
        break;
      }
    }
    w.auth.secrets.push_back(std::move(secret));
  }
  for (const std::string& a : s.StrList("allow_ips", 256)) {
    auto cidr = ParseCidr(a);
    if (!cidr) {
      p.At(*s.Node("allow_ips"), "carrier.webhook.allow_ips: '" + a +
                                     "' is not an IPv4 or IPv6 address or range");
      break;
    }
    w.allow_ips.push_back(*cidr);
  }
  if (w.auth.scheme == http::WebhookScheme::kFormHmacSha1 && w.auth.signed_url.empty() &&
      !p.any()) {
    p.At(t, "carrier.webhook: form-hmac-sha1 signs the URL the provider calls: set "
            "carrier.webhook.url or carrier.callback_url");
  }
  s.RefuseUnknown();
}

}  // namespace

void LoadHttpCarrier(Section& s, const toml::table& t, const std::filesystem::path& base,
                     Problems& p, CarrierConfig& cc) {
  std::vector<std::string> names;
  for (std::string_view n : http::PresetNames()) names.emplace_back(n);
  const std::string preset_name = s.OneOf("preset", "custom", names);
  http::Preset preset = *http::PresetNamed(preset_name);
  cc.http.name = cc.name;
  cc.http.request = preset.request;
  cc.http.response = preset.response;
  cc.webhook_config.shape = preset.receipts;
  cc.webhook_config.inbound = preset.inbound;
  LoadHttpRequest(s, t, base, p, cc);
  LoadHttpLimits(s, p, cc);
  if (const toml::node* n = s.Node("response")) {
    if (!n->is_table()) {
      p.At(*n, "carrier.response must be a table: write [carrier.response]");
    } else {
      LoadResponseShape(*n->as_table(), p, cc.http.response);
    }
  }
  if (cc.http.response.id_pointer.empty() && !p.any()) {
    p.At(t, "carrier '" + cc.name + "': no response id_pointer (set preset or [carrier.response])");
  }
  if (const toml::node* n = s.Node("tls")) {
    if (!n->is_table()) {
      p.At(*n, "carrier.tls must be a table: write [carrier.tls] after the [[carrier]]");
    } else {
      LoadHttpTls(*n->as_table(), base, p, cc.http.client);
    }
  }
  if (const toml::node* n = s.Node("receipts")) {
    if (!n->is_table()) {
      p.At(*n, "carrier.receipts must be a table: write [carrier.receipts]");
    } else {
      LoadReceiptShape(*n->as_table(), p, cc.webhook_config.shape);
    }
  }
  if (const toml::node* n = s.Node("inbound")) {
    if (!n->is_table()) {
      p.At(*n, "carrier.inbound must be a table: write [carrier.inbound]");
    } else {
      LoadInboundShape(*n->as_table(), p, cc.webhook_config.inbound,
                       &cc.webhook_config.inbound_url);
    }
  }
  if (const toml::node* n = s.Node("webhook")) {
    if (!n->is_table()) {
      p.At(*n, "carrier.webhook must be a table: write [carrier.webhook]");
      return;
    }
    cc.webhook = true;
    cc.webhook_line = static_cast<int>(n->source().begin.line);
    LoadWebhook(*n->as_table(), base, p, preset, cc);
    // Replies are posted to /v1/inbound/<name>: a signed URL follows unless configured.
    std::string& in_url = cc.webhook_config.inbound_url;
    const std::string receipts = "/v1/receipts/" + cc.name;
    const std::string& signed_url = cc.webhook_config.auth.signed_url;
    if (in_url.empty() && signed_url.size() >= receipts.size() &&
        signed_url.compare(signed_url.size() - receipts.size(), receipts.size(), receipts) == 0) {
      in_url = signed_url.substr(0, signed_url.size() - receipts.size()) + "/v1/inbound/" + cc.name;
    }
    const http::ReceiptWebhookShape& shape = cc.webhook_config.shape;
    if ((shape.id_field.empty() || shape.status_field.empty()) && !p.any()) {
      p.At(*n, "carrier '" + cc.name + "': receipts need [carrier.receipts] id_field and "
                                       "status_field (or a preset)");
    }
  }
}

}  // namespace sd::config_detail
