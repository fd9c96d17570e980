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

std::string RandomPool::Take(size_t n) {
  constexpr size_t kRefill = 4096;
  if (n > kRefill) return RandomBytes(n);
  if (buf_.size() - at_ < n) {
    buf_ = RandomBytes(kRefill);
    at_ = 0;
  }
  std::string out = buf_.substr(at_, n);
  at_ += n;
  return out;
}

}  // namespace sd
