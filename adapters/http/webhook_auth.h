#pragma once
// Whether a webhook really comes from the provider: checked before anything else is read from
// the request. Three schemes providers use:
//
//   kStandardWebhooks  Standard Webhooks (standardwebhooks.com): headers webhook-id,
//                      webhook-timestamp (Unix seconds) and webhook-signature, a space-separated
//                      list of "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>"; the secret is
//                      "whsec_<base64 key>". The timestamp must be within the tolerance.
//   kFormHmacSha1      the Twilio style: header X-Twilio-Signature (configurable) =
//                      base64 HMAC-SHA1(secret, URL + each form parameter's name and value,
//                      sorted by name), where URL is the one the provider was told to call
//                      (behind a proxy the request's own Host cannot be trusted).
//   kBodyHmacSha256    a header (configurable) with the hex HMAC-SHA256(secret, body),
//                      optionally prefixed "sha256=".
//
// Several secrets may be configured at once (rotation: the old and the new); any one matching
// suffices. Every comparison is constant-time.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/http/http_server.h"

namespace sd::http {

enum class WebhookScheme : uint8_t { kStandardWebhooks, kFormHmacSha1, kBodyHmacSha256 };

struct WebhookAuth {
  WebhookScheme scheme = WebhookScheme::kStandardWebhooks;
  // Raw keys: for kStandardWebhooks already base64-decoded from "whsec_..." (DecodeWhsec).
  std::vector<std::string> secrets;
  std::string header;      // kFormHmacSha1 / kBodyHmacSha256; lower-case; "" = the default
  std::string signed_url;  // kFormHmacSha1: the URL the provider calls, query included
  int64_t tolerance_ms = 300'000;  // kStandardWebhooks: |now - timestamp| at most this
};

struct WebhookCheck {
  bool ok = false;
  std::string problem;     // "missing signature", "bad signature", "stale timestamp", ...
  std::string webhook_id;  // kStandardWebhooks: the id, for de-duplication
};

WebhookCheck VerifyWebhook(const WebhookAuth& auth, const HttpServerRequest& request,
                           int64_t now_ms);

// The header(s) a provider signing `body` with `secret` (a raw key) sends under `auth`'s
// scheme: for kStandardWebhooks webhook-id, webhook-timestamp and webhook-signature (with
// `webhook_id` and `now_s`), else the one signature header. VerifyWebhook checks exactly these.
std::vector<std::pair<std::string, std::string>> SignWebhook(const WebhookAuth& auth,
                                                             const std::string& secret,
                                                             std::string_view body,
                                                             const std::string& webhook_id,
                                                             int64_t now_s);

// "whsec_<base64>" -> the raw key; "" when malformed.
std::string DecodeWhsec(const std::string& secret);

}  // namespace sd::http
