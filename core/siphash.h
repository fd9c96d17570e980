#pragma once
// SipHash-2-4 (Aumasson & Bernstein), a keyed 64-bit hash. The limit tables index attacker-
// chosen strings (destination numbers): with an unkeyed hash an attacker could pick numbers
// that all land in one probe window and fill it. The key is random per process (supplied by
// the daemon; core reads no randomness itself).
#include <cstdint>
#include <string_view>

namespace sd {

struct SipKey {
  uint64_t k0 = 0;
  uint64_t k1 = 0;
};

uint64_t SipHash24(const SipKey& key, std::string_view data);

}  // namespace sd
