#pragma once
// The HMAC primitive is a port: core declares it, adapters/crypto implements it with
// OpenSSL, so core stays free of I/O and crypto-library headers.
#include <array>
#include <cstdint>
#include <string_view>

namespace sd {

using Mac256 = std::array<uint8_t, 32>;

class MacAlgorithm {
 public:
  virtual ~MacAlgorithm() = default;
  virtual Mac256 HmacSha256(std::string_view key, std::string_view data) const = 0;
};

// Constant-time comparison (no early exit on the first differing byte).
bool MacEquals(const Mac256& a, const Mac256& b);

}  // namespace sd
