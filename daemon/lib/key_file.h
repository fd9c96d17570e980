#pragma once
// Signing keys from a TOML key file (docs/configuration.md, "The key file"):
//
//   [[key]]
//   id = "acme-otp.v1"
//   secret = "<64 or more hex digits>"
//
// The file must not be accessible by group or others; errors name the file, the line and the
// key id, never a secret.
#include <memory>
#include <string>
#include <variant>

#include "core/key_ring.h"
#include "daemon/lib/config.h"

namespace sd {

// 256 bits: a shorter HMAC key could be guessed offline from one signed job.
inline constexpr size_t kMinSecretHexDigits = 64;
// HMAC-SHA256 hashes keys longer than its 64-byte block down to 32 bytes, so longer secrets
// add nothing; the cap keeps a pasted document from being taken for a secret.
inline constexpr size_t kMaxSecretHexDigits = 256;
// The contract's limit on kid (docs/jobs.md).
inline constexpr size_t kMaxKeyIdBytes = 64;

std::variant<std::shared_ptr<const KeyRing>, ConfigError> LoadKeyFile(const std::string& path);

}  // namespace sd
