#pragma once
// The settings of a key that are not scopes of what it may send (docs/keys.md): its status
// callback (URL and Standard Webhooks secret, rotated with an overlap) and the client
// certificate the HTTPS API requires with it. `keys create` takes them, `keys set` changes
// them on every version of a key that is not revoked.
#include <optional>
#include <string>

#include "core/key_record.h"
#include "daemon/cli/args.h"

namespace sd::cli {

struct KeySettings {
  std::optional<std::string> callback_url;  // set it; "" (--no-callback) removes the callback
  bool rotate_callback_secret = false;      // a new secret first, the old one kept second
  bool finish_callback_rotation = false;    // drop the old secret
  std::optional<std::string> client_cert_sha256;  // set it; "" (--no-client-cert) removes it
  bool any() const {
    return callback_url || rotate_callback_secret || finish_callback_rotation ||
           client_cert_sha256;
  }
};

// --callback-url URL | --no-callback, --rotate-callback-secret, --finish-callback-rotation,
// --client-cert FILE (PEM: its SHA-256 fingerprint is kept) | --client-cert-sha256 HEX |
// --no-client-cert. Throws UsageError (key_scopes.h).
KeySettings ParseKeySettings(Args& args);

// Applies `s` to one record. `fresh_secret` is the callback secret to add where one is needed
// (the same for every version of a key, so they all sign alike). True when `r` changed; throws
// UsageError when the result would be invalid (a rotation without a callback, ...).
bool ApplyKeySettings(const KeySettings& s, const std::string& fresh_secret, KeyRecord* r);

// The secret as producers configure it: "whsec_" + base64 (Standard Webhooks).
std::string Whsec(const std::string& raw);

// SHA-256 over the DER of the first certificate in a PEM file, lower-case hex (what `openssl
// x509 -noout -fingerprint -sha256` shows, without colons). nullopt and `error` when it is not
// a readable PEM certificate.
std::optional<std::string> CertSha256OfPemFile(const std::string& path, std::string* error);

}  // namespace sd::cli
