#include "core/key_ring.h"

namespace sd {

bool KeyRing::Add(SigningKey key) {
  // 256 bits: shorter secrets make the HMAC guessable offline from one signed job.
  if (key.secret.size() < 32 || key.id.empty()) return false;
  std::string id = key.id;
  return keys_.emplace(std::move(id), std::move(key)).second;
}

const SigningKey* KeyRing::Find(std::string_view id) const {
  auto it = keys_.find(std::string(id));
  return it == keys_.end() ? nullptr : &it->second;
}

std::vector<const SigningKey*> KeyRing::All() const {
  std::vector<const SigningKey*> all;
  all.reserve(keys_.size());
  for (const auto& [id, key] : keys_) all.push_back(&key);
  return all;
}

}  // namespace sd
