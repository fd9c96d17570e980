#pragma once
// HMAC-SHA256 from OpenSSL 3, behind core's MacAlgorithm port.
#include "core/mac.h"

namespace sd {

class OpenSslMac final : public MacAlgorithm {
 public:
  Mac256 HmacSha256(std::string_view key, std::string_view data) const override;
  // HMAC (RFC 2104) over OpenSSL's SHA-256 with the inner and outer key pads hashed once.
  std::shared_ptr<const PreparedMac> Prepare(std::string_view key) const override;
};

}  // namespace sd
