#pragma once
// The HMAC primitive is a port: core declares it, adapters/crypto implements it with
// OpenSSL, so core stays free of I/O and crypto-library headers.
#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string_view>

namespace sd {

using Mac256 = std::array<uint8_t, 32>;

// One HMAC key with its per-key work done once (the key pads hashed), for keys that sign
// every job: a job then costs one copy of the hash state and the hashing of its own bytes.
// Immutable; Compute may be called from several threads at once.
class PreparedMac {
 public:
  virtual ~PreparedMac() = default;
  // HMAC-SHA256 of the concatenation of `parts` (the signing input without building it).
  virtual Mac256 Compute(std::initializer_list<std::string_view> parts) const = 0;
};

class MacAlgorithm {
 public:
  virtual ~MacAlgorithm() = default;
  virtual Mac256 HmacSha256(std::string_view key, std::string_view data) const = 0;
  // The same MAC with `key` prepared; nullptr when the implementation has no faster path
  // (callers then use HmacSha256).
  virtual std::shared_ptr<const PreparedMac> Prepare(std::string_view /*key*/) const {
    return nullptr;
  }
};

// Constant-time comparison (no early exit on the first differing byte).
bool MacEquals(const Mac256& a, const Mac256& b);

}  // namespace sd
