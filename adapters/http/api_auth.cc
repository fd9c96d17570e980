#include "adapters/http/api_auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <charconv>
#include <cstdlib>

#include "adapters/crypto/openssl_mac.h"
#include "core/hex.h"

namespace sd::http {
namespace {

constexpr std::string_view kBearerPrefix = "Bearer ";

bool EqualConstantTime(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

ApiAuthProblem Problem(Reason r, std::string detail) { return {r, std::move(detail)}; }

ApiAuthProblem ParseHmac(const HttpServerRequest& request, ApiCredentials* out) {
  const std::string& kid = request.Header("sd-key-id");
  const std::string& ts = request.Header("sd-timestamp");
  const std::string& sig = request.Header("sd-signature");
  if (kid.empty() || ts.empty() || sig.empty()) {
    return Problem(Reason::kAuthRequired, "sd-key-id, sd-timestamp and sd-signature go together");
  }
  if (kid.size() > KeyRecordLimits::kMaxKeyIdBytes) {
    return Problem(Reason::kAuthRequired, "sd-key-id longer than 64 bytes");
  }
  int64_t t = 0;
  auto [end, ec] = std::from_chars(ts.data(), ts.data() + ts.size(), t);
  if (ec != std::errc() || end != ts.data() + ts.size() || t < 0 || ts.size() > 16) {
    return Problem(Reason::kAuthRequired, "sd-timestamp must be milliseconds since the epoch");
  }
  std::string lower = sig;
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
  if (lower.size() != 64 || !HexDecode(lower)) {
    return Problem(Reason::kAuthRequired, "sd-signature must be 64 hex digits");
  }
  out->scheme = ApiCredentials::Scheme::kHmac;
  out->key_id = kid;
  out->timestamp_ms = t;
  out->signature_hex = std::move(lower);
  return {};
}

ApiAuthProblem ParseBearer(const std::string& authorization, ApiCredentials* out) {
  if (authorization.compare(0, kBearerPrefix.size(), kBearerPrefix) != 0) {
    return Problem(Reason::kAuthRequired, "Authorization must be \"Bearer <key id>:<secret>\"");
  }
  const std::string_view token = std::string_view(authorization).substr(kBearerPrefix.size());
  const size_t colon = token.rfind(':');
  if (colon == std::string_view::npos || colon == 0 ||
      colon > KeyRecordLimits::kMaxKeyIdBytes) {
    return Problem(Reason::kAuthRequired, "bearer token must be <key id>:<secret as hex>");
  }
  auto secret = HexDecode(token.substr(colon + 1));
  if (!secret || secret->empty()) {
    return Problem(Reason::kAuthRequired, "bearer token's secret must be hex");
  }
  out->scheme = ApiCredentials::Scheme::kBearer;
  out->key_id = std::string(token.substr(0, colon));
  out->secret = std::move(*secret);
  return {};
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  // Fetched once: EVP_sha256() makes OpenSSL 3 look the algorithm up by name on every digest,
  // which costs more than hashing a request body.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (sha256 == nullptr || EVP_Digest(data.data(), data.size(), md, &len, sha256, nullptr) != 1) {
    std::abort();  // SHA-256 missing from the default provider: nothing here can work
  }
  return HexEncode(std::string_view(reinterpret_cast<const char*>(md), len));
}

ApiAuthProblem ParseApiCredentials(const HttpServerRequest& request, ApiCredentials* out) {
  const std::string& authorization = request.Header("authorization");
  const bool hmac = !request.Header("sd-signature").empty() ||
                    !request.Header("sd-key-id").empty() || !request.Header("sd-timestamp").empty();
  if (hmac && !authorization.empty()) {
    return Problem(Reason::kAuthRequired, "both an HMAC signature and Authorization: send one");
  }
  if (hmac) return ParseHmac(request, out);
  if (!authorization.empty()) return ParseBearer(authorization, out);
  return Problem(Reason::kAuthRequired,
                 "no credentials: sign the request (sd-signature) or send Authorization: Bearer");
}

std::string ApiStringToSign(std::string_view method, std::string_view target, int64_t timestamp_ms,
                            std::string_view body) {
  std::string s = "sd-api1\n";
  s.append(method).append("\n").append(target).append("\n");
  s.append(std::to_string(timestamp_ms)).append("\n").append(Sha256Hex(body));
  return s;
}

namespace {

// HMAC-SHA256 of ApiStringToSign(...), fed to the prepared key in parts.
std::string ApiSignatureHex(const PreparedMac& key, std::string_view method,
                            std::string_view target, int64_t timestamp_ms, std::string_view body) {
  const Mac256 m = key.Compute({"sd-api1\n", method, "\n", target, "\n",
                                std::to_string(timestamp_ms), "\n", Sha256Hex(body)});
  return HexEncode(std::string_view(reinterpret_cast<const char*>(m.data()), m.size()));
}

}  // namespace

std::string ApiSignature(std::string_view secret, std::string_view method, std::string_view target,
                         int64_t timestamp_ms, std::string_view body) {
  return ApiSignatureHex(*OpenSslMac().Prepare(secret), method, target, timestamp_ms, body);
}

ApiAuthProblem VerifyApiAuth(const KeyRecord& key, const ApiCredentials& creds,
                             const HttpServerRequest& request, int64_t now_ms, int64_t window_ms,
                             const PreparedMac* prepared) {
  const ApiAuth allowed = key.scopes.api_auth;
  if (creds.scheme == ApiCredentials::Scheme::kBearer) {
    if (allowed == ApiAuth::kHmac) {
      return Problem(Reason::kAuthSchemeNotAllowed, "this key takes HMAC-signed requests only");
    }
    if (!EqualConstantTime(creds.secret, key.secret)) {
      return Problem(Reason::kBadSignature, "bearer secret does not match the key");
    }
    return {};
  }
  if (allowed == ApiAuth::kBearer) {
    return Problem(Reason::kAuthSchemeNotAllowed, "this key takes bearer requests only");
  }
  const int64_t skew = creds.timestamp_ms - now_ms;
  if (skew > window_ms || -skew > window_ms) {
    return Problem(Reason::kClockSkew, "sd-timestamp is " + std::to_string(skew / 1000) +
                                           " s from the server's clock; at most " +
                                           std::to_string(window_ms / 1000) + " s allowed");
  }
  const std::string expected =
      prepared != nullptr
          ? ApiSignatureHex(*prepared, request.method, request.target, creds.timestamp_ms,
                            request.body)
          : ApiSignature(key.secret, request.method, request.target, creds.timestamp_ms,
                         request.body);
  if (!EqualConstantTime(expected, creds.signature_hex)) {
    return Problem(Reason::kBadSignature, "signature does not verify");
  }
  return {};
}

}  // namespace sd::http
