#include "adapters/crypto/random.h"

#include <openssl/rand.h>

#include <cstdlib>

namespace sd {

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  // Failure means the CSPRNG is unusable: continuing would mint guessable secrets.
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    std::abort();
  }
  return out;
}

}  // namespace sd
