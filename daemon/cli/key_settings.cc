#include "daemon/cli/key_settings.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "adapters/crypto/base64.h"
#include "core/hex.h"
#include "daemon/cli/key_scopes.h"

namespace sd::cli {

KeySettings ParseKeySettings(Args& args) {
  KeySettings s;
  if (args.Has("callback-url") && args.Has("no-callback")) {
    throw UsageError{"--callback-url and --no-callback exclude each other"};
  }
  if (args.Has("callback-url")) {
    s.callback_url = args.Get("callback-url");
    if (!ValidCallbackUrl(*s.callback_url)) {
      throw UsageError{"--callback-url must be an https:// URL with a host, no user info, at "
                       "most 2048 bytes"};
    }
  }
  if (args.Has("no-callback")) s.callback_url = "";
  s.rotate_callback_secret = args.Has("rotate-callback-secret");
  s.finish_callback_rotation = args.Has("finish-callback-rotation");
  if (s.rotate_callback_secret && s.finish_callback_rotation) {
    throw UsageError{"--rotate-callback-secret and --finish-callback-rotation exclude each other"};
  }
  const int certs = static_cast<int>(args.Has("client-cert")) +
                    static_cast<int>(args.Has("client-cert-sha256")) +
                    static_cast<int>(args.Has("no-client-cert"));
  if (certs > 1) {
    throw UsageError{"give one of --client-cert, --client-cert-sha256, --no-client-cert"};
  }
  if (args.Has("client-cert")) {
    std::string error;
    s.client_cert_sha256 = CertSha256OfPemFile(args.Get("client-cert"), &error);
    if (!s.client_cert_sha256) throw UsageError{"--client-cert: " + error};
  }
  if (args.Has("client-cert-sha256")) {
    std::string hex = args.Get("client-cert-sha256");
    hex.erase(std::remove(hex.begin(), hex.end(), ':'), hex.end());  // openssl's form too
    std::transform(hex.begin(), hex.end(), hex.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    s.client_cert_sha256 = hex;
  }
  if (args.Has("no-client-cert")) s.client_cert_sha256 = "";
  return s;
}

bool ApplyKeySettings(const KeySettings& s, const std::string& fresh_secret, KeyRecord* r) {
  const KeyRecord before = *r;
  if (s.callback_url) {
    r->callback_url = *s.callback_url;
    if (r->callback_url.empty()) r->callback_secrets.clear();
    if (!r->callback_url.empty() && r->callback_secrets.empty()) {
      r->callback_secrets = {fresh_secret};
    }
  }
  if (s.rotate_callback_secret) {
    if (r->callback_url.empty()) throw UsageError{r->id + " has no callback to rotate"};
    r->callback_secrets = {fresh_secret, r->callback_secrets.front()};
  }
  if (s.finish_callback_rotation && r->callback_secrets.size() > 1) {
    r->callback_secrets.resize(1);
  }
  if (s.client_cert_sha256) r->scopes.client_cert_sha256 = *s.client_cert_sha256;
  if (auto problem = ValidateKeyRecord(*r)) throw UsageError{*problem};
  return r->callback_url != before.callback_url ||
         r->callback_secrets != before.callback_secrets ||
         r->scopes.client_cert_sha256 != before.scopes.client_cert_sha256;
}

std::string Whsec(const std::string& raw) { return "whsec_" + Base64Encode(raw); }

std::optional<std::string> CertSha256OfPemFile(const std::string& path, std::string* error) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!f) {
    *error = path + " cannot be read";
    return std::nullopt;
  }
  std::unique_ptr<X509, void (*)(X509*)> cert(PEM_read_X509(f.get(), nullptr, nullptr, nullptr),
                                              X509_free);
  if (!cert) {
    *error = path + " holds no PEM certificate";
    return std::nullopt;
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert.get(), EVP_sha256(), md, &len) != 1) {
    *error = "cannot hash the certificate in " + path;
    return std::nullopt;
  }
  return HexEncode(std::string(reinterpret_cast<const char*>(md), len));
}

}  // namespace sd::cli
