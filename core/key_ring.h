#pragma once
// Signing keys the daemon accepts. Immutable once built; swapped whole on reload.
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sd {

struct SigningKey {
  std::string id;      // names key and version, e.g. "acme-otp.v1"
  std::string secret;  // raw secret bytes (>= 32 bytes); never logged
};

class KeyRing {
 public:
  // Returns false when the id is already present or the secret is shorter than 32 bytes.
  bool Add(SigningKey key);
  const SigningKey* Find(std::string_view id) const;
  size_t size() const { return keys_.size(); }
  // Every key, in no particular order.
  std::vector<const SigningKey*> All() const;

 private:
  std::unordered_map<std::string, SigningKey> keys_;
};

}  // namespace sd
