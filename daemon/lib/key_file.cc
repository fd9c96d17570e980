#include "daemon/lib/key_file.h"

#include <sys/stat.h>

#include <toml++/toml.h>

#include "core/hex.h"

namespace sd {

std::variant<std::shared_ptr<const KeyRing>, ConfigError> LoadKeyFile(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return ConfigError{path, 0, 0, "cannot read key file"};
  if ((st.st_mode & 077) != 0) {
    return ConfigError{path, 0, 0, "key file is accessible by group or others (chmod 600 it)"};
  }
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    // toml++'s description quotes no value for syntax errors, so no secret leaks here.
    return ConfigError{path, static_cast<int>(e.source().begin.line),
                       static_cast<int>(e.source().begin.column), std::string(e.description())};
  }
  auto err = [&path](const toml::node& n, std::string msg) {
    return ConfigError{path, static_cast<int>(n.source().begin.line),
                       static_cast<int>(n.source().begin.column), std::move(msg)};
  };
  auto ring = std::make_shared<KeyRing>();
  for (const auto& [k, v] : root) {
    if (k.str() != "key") return err(v, "unknown key '" + std::string(k.str()) + "' (expected [[key]] tables)");
  }
  const toml::node* keys = root.get("key");
  if (keys == nullptr) return ConfigError{path, 0, 0, "no [[key]] entries"};
  if (!keys->is_array_of_tables()) return err(*keys, "key must be an array of tables: [[key]]");
  for (const toml::node& n : *keys->as_array()) {
    const toml::table& t = *n.as_table();
    std::string id;
    std::string secret_hex;
    for (const auto& [k, v] : t) {
      if (k.str() == "id" && v.is_string()) {
        id = v.as_string()->get();
      } else if (k.str() == "secret" && v.is_string()) {
        secret_hex = v.as_string()->get();
      } else {
        return err(v, "unexpected '" + std::string(k.str()) + "' in [[key]] (only id and secret, both strings)");
      }
    }
    if (id.empty() || id.size() > 64 || id.find('\n') != std::string::npos) {
      return err(n, "[[key]] needs an id of 1 to 64 characters");
    }
    if (secret_hex.size() < 64) {
      return err(n, "key '" + id + "': secret must be at least 64 hex digits (256 bits)");
    }
    std::optional<std::string> secret = HexDecode(secret_hex);
    if (!secret) return err(n, "key '" + id + "': secret is not hex");
    if (!ring->Add(SigningKey{id, std::move(*secret)})) {
      return err(n, "key '" + id + "' is defined twice");
    }
  }
  return std::shared_ptr<const KeyRing>(std::move(ring));
}

}  // namespace sd
