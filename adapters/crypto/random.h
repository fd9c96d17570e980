#pragma once
// Cryptographically secure random bytes (OpenSSL's CSPRNG), for key secrets and job ids.
#include <cstddef>
#include <string>

namespace sd {

std::string RandomBytes(size_t n);

}  // namespace sd
