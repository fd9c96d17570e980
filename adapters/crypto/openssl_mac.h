#pragma once
// HMAC-SHA256 from OpenSSL 3, behind core's MacAlgorithm port.
#include "core/mac.h"

namespace sd {

class OpenSslMac final : public MacAlgorithm {
 public:
  Mac256 HmacSha256(std::string_view key, std::string_view data) const override;
};

}  // namespace sd
