#pragma once
// Signing keys from a TOML key file:  [[key]]  id = "acme.v1"  secret = "<64+ hex digits>".
// The file must not be readable by group or others; errors never contain a secret.
#include <memory>
#include <string>
#include <variant>

#include "core/key_ring.h"
#include "daemon/lib/config.h"

namespace sd {

std::variant<std::shared_ptr<const KeyRing>, ConfigError> LoadKeyFile(const std::string& path);

}  // namespace sd
