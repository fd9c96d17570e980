// libFuzzer entry for what the HTTPS API reads from a producer before anything is trusted
// (scripts/fuzz.sh api runs it over corpus/api): the JSON bodies of POST /v1/messages and
// /v1/messages/batch, the credential headers, and X-Forwarded-For. Properties checked on
// every input, besides not crashing under ASan/UBSan:
//   - a parsed message's strings are the JSON's; an error's detail is bounded and holds no
//     control byte (unknown field names are escaped);
//   - a batch never yields more results than its limit;
//   - parsed HMAC credentials carry a 64-digit lowercase hex signature and a key id of at
//     most 64 bytes; verification of any parsed credentials against a key answers without
//     crashing, and never succeeds for a signature the input did not compute;
//   - the client address behind a trusted proxy is one of the forwarded entries or the peer.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "adapters/http/api_answers.h"
#include "adapters/http/api_auth.h"
#include "adapters/http/api_message.h"

namespace {

bool CleanDetail(const std::string& d) {
  if (d.size() > 400) return false;
  for (unsigned char c : d) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

bool CheckBodies(std::string_view bytes) {
  auto m = sd::http::ParseApiMessage(bytes);
  if (!m.ok() && !CleanDetail(m.error().detail)) return false;
  if (m.ok() && (m->validity_s < 0 || m->expires_ms < 0)) return false;
  auto b = sd::http::ParseApiBatch(bytes, 7);
  if (!b.ok()) return CleanDetail(b.error().detail);
  if (b->size() > 7 || b->empty()) return false;
  for (const auto& item : *b) {
    if (!item.ok() && !CleanDetail(item.error().detail)) return false;
  }
  return true;
}

// The input as header values, split at '\n': key id, timestamp, signature, authorization.
bool CheckCredentials(std::string_view bytes) {
  std::string parts[4];
  size_t i = 0;
  for (char c : bytes) {
    if (c == '\n' && i < 3) {
      ++i;
      continue;
    }
    parts[i].push_back(c);
  }
  sd::http::HttpServerRequest r;
  r.method = "POST";
  r.target = "/v1/messages";
  r.body = std::string(bytes);
  const char* names[4] = {"sd-key-id", "sd-timestamp", "sd-signature", "authorization"};
  for (size_t k = 0; k < 4; ++k) {
    if (!parts[k].empty()) r.headers.emplace_back(names[k], parts[k]);
  }
  sd::http::ApiCredentials creds;
  const sd::http::ApiAuthProblem p = sd::http::ParseApiCredentials(r, &creds);
  if (!p.ok()) return CleanDetail(p.detail);
  if (creds.key_id.size() > 64) return false;
  if (creds.scheme == sd::http::ApiCredentials::Scheme::kHmac) {
    if (creds.signature_hex.size() != 64) return false;
    for (char c : creds.signature_hex) {
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
  }
  sd::KeyRecord key;
  key.id = "fuzz.v1";
  key.secret = std::string(32, 'k');
  key.scopes.api_auth = sd::ApiAuth::kBoth;
  const auto v = sd::http::VerifyApiAuth(key, creds, r, creds.timestamp_ms, 300'000);
  if (v.ok()) {
    // Only the right secret or the signature made with it passes.
    const bool bearer_ok = creds.scheme == sd::http::ApiCredentials::Scheme::kBearer &&
                           creds.secret == key.secret;
    const bool hmac_ok = creds.scheme == sd::http::ApiCredentials::Scheme::kHmac &&
                         creds.signature_hex == sd::http::ApiSignature(key.secret, r.method,
                                                                       r.target,
                                                                       creds.timestamp_ms, r.body);
    if (!bearer_ok && !hmac_ok) return false;
  }
  return true;
}

bool CheckForwardedFor(std::string_view bytes) {
  sd::http::HttpServerRequest r;
  r.peer_address = "10.0.0.1";
  r.headers.emplace_back("x-forwarded-for", std::string(bytes));
  const std::vector<sd::Cidr> proxies{*sd::ParseCidr("10.0.0.0/8")};
  const std::string client = sd::http::ApiClientAddress(r, proxies);
  return client == r.peer_address || bytes.find(client) != std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (!CheckBodies(bytes) || !CheckCredentials(bytes) || !CheckForwardedFor(bytes)) {
    __builtin_trap();
  }
  return 0;
}
