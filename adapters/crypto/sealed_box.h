#pragma once
// Sealing key-registry records at rest (docs/keys.md): AES-256-GCM under a 32-byte master key
// that never enters Redis. The record's key id is the associated data, so a sealed record
// cannot be moved to another key id (or another field of the hash) without failing to open.
//
// Format (version 1):  0x01 | nonce (12 bytes, random per seal) | ciphertext | tag (16 bytes)
// AAD:                 0x01 | key id
// A random 96-bit nonce is safe for far more seals than a registry ever makes (2^32 seals
// under one master key keep the collision chance below 2^-32).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace sd {

inline constexpr size_t kMasterKeyBytes = 32;
inline constexpr uint8_t kSealedBoxVersion = 1;
inline constexpr size_t kSealNonceBytes = 12;
inline constexpr size_t kSealTagBytes = 16;
inline constexpr size_t kSealOverheadBytes = 1 + kSealNonceBytes + kSealTagBytes;
// A sealed key record is far smaller; anything larger is not ours.
inline constexpr size_t kMaxSealedBytes = 64 * 1024;
// The environment variable an env-file form of the master key file uses.
inline constexpr std::string_view kMasterKeyEnvName = "SMSDISPATCH_MASTER_KEY";

// 32 secret bytes, wiped when destroyed. Copyable on purpose (the watcher keeps its own).
class MasterKey {
 public:
  explicit MasterKey(const std::array<uint8_t, kMasterKeyBytes>& bytes) : bytes_(bytes) {}
  MasterKey(const MasterKey&) = default;
  MasterKey& operator=(const MasterKey&) = default;
  ~MasterKey();
  const uint8_t* data() const { return bytes_.data(); }

 private:
  std::array<uint8_t, kMasterKeyBytes> bytes_;
};

// Master key file contents, in any of three forms (trailing newline allowed):
//   64 hex digits; 32 raw bytes (e.g. a systemd credential from `head -c32 /dev/urandom`);
//   an env-file line SMSDISPATCH_MASTER_KEY=<64 hex digits>.
// Messages never contain key material.
Result<MasterKey> ParseMasterKey(std::string_view content);

// Reads a master key file, refusing one that is not a regular file or that group or others
// can access (mode & 077), checked on the opened descriptor like the key file.
Result<MasterKey> LoadMasterKeyFile(const std::string& path);

// A systemd credential: $CREDENTIALS_DIRECTORY/<name> (LoadCredential= / SetCredential=).
// Fails when CREDENTIALS_DIRECTORY is unset or the name contains '/'.
Result<MasterKey> LoadMasterKeyCredential(std::string_view name);

// The master key as the value of $SMSDISPATCH_MASTER_KEY (64 hex digits), as systemd's
// EnvironmentFile= sets it. The variable is wiped and removed from the environment once read,
// so nothing started later inherits it. Fails when it is unset or not a master key.
Result<MasterKey> LoadMasterKeyEnvironment();

// Seals `plaintext` bound to `aad` (the key id). Fails only on an OpenSSL error.
Result<std::string> Seal(const MasterKey& key, std::string_view aad, std::string_view plaintext);

// Opens a sealed box. nullopt on any problem (unknown version, truncated, tampered, wrong
// key or wrong aad): GCM cannot tell these apart and neither should a caller.
std::optional<std::string> Open(const MasterKey& key, std::string_view aad,
                                std::string_view sealed);

}  // namespace sd
