#include "adapters/crypto/openssl_mac.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>

namespace sd {

Mac256 OpenSslMac::HmacSha256(std::string_view key, std::string_view data) const {
  Mac256 out{};
  unsigned int len = 0;
  // HMAC() one-shot: no allocation we must free, thread-safe, constant-time in OpenSSL.
  const unsigned char* r =
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &len);
  if (r == nullptr || len != out.size()) std::abort();  // can't happen with SHA-256
  return out;
}

}  // namespace sd
