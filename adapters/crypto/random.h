#pragma once
// Cryptographically secure random bytes (OpenSSL's CSPRNG), for key secrets and job ids.
#include <cstddef>
#include <string>

namespace sd {

std::string RandomBytes(size_t n);

// The same bytes, drawn from the CSPRNG a few kilobytes at a time, for values made per request
// that must be unpredictable and unique but are not secrets (job ids): one RAND_bytes call
// (with its fork check, a getpid system call) per several hundred ids instead of one each.
// Never for keys: unused output would sit in memory. One pool per thread (not thread-safe).
class RandomPool {
 public:
  std::string Take(size_t n);

 private:
  std::string buf_;
  size_t at_ = 0;
};

}  // namespace sd
