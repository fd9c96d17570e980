#include "adapters/http/webhook_auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <charconv>
#include <optional>

#include "adapters/crypto/base64.h"
#include "adapters/http/form_codec.h"
#include "core/hex.h"

namespace sd::http {
namespace {

std::string Hmac(const EVP_MD* md, const std::string& key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}


bool SameBytes(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// What each scheme computes over a request, given one secret.
std::string StandardSignature(const std::string& key, std::string_view id, std::string_view ts,
                              std::string_view body) {
  std::string content;
  content.reserve(id.size() + ts.size() + body.size() + 2);
  content.append(id).append(".").append(ts).append(".").append(body);
  return "v1," + Base64Encode(Hmac(EVP_sha256(), key, content));
}

std::optional<std::string> FormSignature(const std::string& key, const std::string& url,
                                         std::string_view body) {
  auto params = ParseForm(body);
  if (!params) return std::nullopt;
  std::stable_sort(params->begin(), params->end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  std::string data = url;
  for (const auto& [k, v] : *params) data += k + v;
  return Base64Encode(Hmac(EVP_sha1(), key, data));
}

std::string BodySignature(const std::string& key, std::string_view body) {
  return HexEncode(Hmac(EVP_sha256(), key, body));
}

std::string FormHeader(const WebhookAuth& a) {
  return a.header.empty() ? "x-twilio-signature" : a.header;
}
std::string BodyHeader(const WebhookAuth& a) { return a.header.empty() ? "x-signature" : a.header; }

WebhookCheck Fail(std::string problem) {
  WebhookCheck c;
  c.problem = std::move(problem);
  return c;
}

WebhookCheck Standard(const WebhookAuth& a, const HttpServerRequest& r, int64_t now_ms) {
  const std::string& id = r.Header("webhook-id");
  const std::string& ts = r.Header("webhook-timestamp");
  const std::string& sigs = r.Header("webhook-signature");
  if (id.empty() || ts.empty() || sigs.empty()) return Fail("missing signature headers");
  if (id.size() > 256) return Fail("webhook-id too long");
  int64_t seconds = 0;
  const auto [end, ec] = std::from_chars(ts.data(), ts.data() + ts.size(), seconds);
  if (ec != std::errc() || end != ts.data() + ts.size() || seconds <= 0) {
    return Fail("malformed timestamp");
  }
  if (seconds > INT64_MAX / 1000 || std::llabs(now_ms - seconds * 1000) > a.tolerance_ms) {
    return Fail("stale timestamp");
  }
  for (const std::string& key : a.secrets) {
    const std::string expected = StandardSignature(key, id, ts, r.body);
    size_t i = 0;
    while (i < sigs.size()) {
      size_t j = sigs.find(' ', i);
      if (j == std::string::npos) j = sigs.size();
      if (SameBytes(std::string_view(sigs).substr(i, j - i), expected)) {
        WebhookCheck ok;
        ok.ok = true;
        ok.webhook_id = id;
        return ok;
      }
      i = j + 1;
    }
  }
  return Fail("bad signature");
}

WebhookCheck FormSha1(const WebhookAuth& a, const HttpServerRequest& r) {
  const std::string& sig = r.Header(FormHeader(a));
  if (sig.empty()) return Fail("missing signature header");
  if (!ParseForm(r.body)) return Fail("malformed form body");
  for (const std::string& key : a.secrets) {
    if (SameBytes(sig, FormSignature(key, a.signed_url, r.body).value_or(""))) {
      WebhookCheck ok;
      ok.ok = true;
      return ok;
    }
  }
  return Fail("bad signature");
}

WebhookCheck BodySha256(const WebhookAuth& a, const HttpServerRequest& r) {
  std::string sig = r.Header(BodyHeader(a));
  if (sig.empty()) return Fail("missing signature header");
  if (sig.rfind("sha256=", 0) == 0) sig.erase(0, 7);
  std::transform(sig.begin(), sig.end(), sig.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const std::string& key : a.secrets) {
    if (SameBytes(sig, BodySignature(key, r.body))) {
      WebhookCheck ok;
      ok.ok = true;
      return ok;
    }
  }
  return Fail("bad signature");
}

}  // namespace

WebhookCheck VerifyWebhook(const WebhookAuth& auth, const HttpServerRequest& request,
                           int64_t now_ms) {
  if (auth.secrets.empty()) return Fail("no secret configured");
  switch (auth.scheme) {
    case WebhookScheme::kStandardWebhooks:
      return Standard(auth, request, now_ms);
    case WebhookScheme::kFormHmacSha1:
      return FormSha1(auth, request);
    case WebhookScheme::kBodyHmacSha256:
      break;
  }
  return BodySha256(auth, request);
}

std::vector<std::pair<std::string, std::string>> SignWebhook(const WebhookAuth& auth,
                                                             const std::string& secret,
                                                             std::string_view body,
                                                             const std::string& webhook_id,
                                                             int64_t now_s) {
  switch (auth.scheme) {
    case WebhookScheme::kStandardWebhooks: {
      const std::string ts = std::to_string(now_s);
      return {{"webhook-id", webhook_id},
              {"webhook-timestamp", ts},
              {"webhook-signature", StandardSignature(secret, webhook_id, ts, body)}};
    }
    case WebhookScheme::kFormHmacSha1:
      return {{FormHeader(auth), FormSignature(secret, auth.signed_url, body).value_or("")}};
    case WebhookScheme::kBodyHmacSha256:
      break;
  }
  return {{BodyHeader(auth), BodySignature(secret, body)}};
}

std::string DecodeWhsec(const std::string& secret) {
  const std::string_view b64 =
      std::string_view(secret).substr(secret.rfind("whsec_", 0) == 0 ? 6 : 0);
  return Base64Decode(b64).value_or("");
}

}  // namespace sd::http
