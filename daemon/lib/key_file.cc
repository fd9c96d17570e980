#include "daemon/lib/key_file.h"

#include <toml++/toml.h>

#include <optional>
#include <utility>

#include "adapters/config/toml_section.h"
#include "core/envelope.h"
#include "core/hex.h"

namespace sd {
namespace {

// The key id goes into the signing input (newline-framed), Redis fields and logs, where a
// control character would change meaning: the same rule as a job entry's kid (docs/jobs.md §1),
// so every key the file holds can sign a job whose kid the daemon accepts.
bool ValidKeyId(const std::string& id) { return id.size() <= kMaxKeyIdBytes && IsValidKeyId(id); }

}  // namespace

std::variant<std::shared_ptr<const KeyRing>, ConfigError> LoadKeyFile(const std::string& path) {
  auto text = ReadPrivateFile(path, kMaxKeyFileBytes);
  if (auto* err = std::get_if<ConfigError>(&text)) return *err;
  // ParseToml's errors quote at most the one character where parsing stopped, never a secret.
  auto parsed = ParseToml(std::get<std::string>(text), path);
  if (auto* err = std::get_if<ConfigError>(&parsed)) return *err;
  const toml::table& root = std::get<toml::table>(parsed);
  auto error = [&path](const toml::source_region& where, std::string msg) {
    return ConfigError{path, static_cast<int>(where.begin.line),
                       static_cast<int>(where.begin.column), std::move(msg)};
  };
  for (const auto& [k, v] : root) {
    if (k.str() != "key") {
      return error(k.source(),
                   "unknown key '" + std::string(k.str()) + "' (the file holds [[key]] tables)");
    }
  }
  const toml::node* keys = root.get("key");
  if (keys == nullptr) return ConfigError{path, 0, 0, "no [[key]] entries"};
  if (!keys->is_array_of_tables()) {
    return error(keys->source(), "key must be an array of tables: write [[key]], not [key]");
  }
  auto ring = std::make_shared<KeyRing>();
  for (const toml::node& n : *keys->as_array()) {
    const toml::table& t = *n.as_table();
    std::optional<std::string> id;
    const toml::node* secret_node = nullptr;
    for (const auto& [k, v] : t) {
      if (k.str() == "id") {
        if (!v.is_string()) return error(v.source(), "[[key]] id must be a string");
        id = v.as_string()->get();
      } else if (k.str() == "secret") {
        if (!v.is_string()) return error(v.source(), "[[key]] secret must be a string");
        secret_node = &v;
      } else {
        return error(k.source(),
                     "unknown key '" + std::string(k.str()) + "' in [[key]] (only id and secret)");
      }
    }
    if (!id) return error(t.source(), "[[key]] is missing its id");
    if (!ValidKeyId(*id)) {
      return error(t.source(), "[[key]] id must be 1 to " + std::to_string(kMaxKeyIdBytes) +
                                   " characters without control characters");
    }
    if (secret_node == nullptr) return error(t.source(), "key '" + *id + "' has no secret");
    // From here on messages name the key id, never the secret.
    const std::string& hex = secret_node->as_string()->get();
    if (hex.size() < kMinSecretHexDigits || hex.size() > kMaxSecretHexDigits) {
      return error(secret_node->source(),
                   "key '" + *id + "': secret must be " + std::to_string(kMinSecretHexDigits) +
                       " to " + std::to_string(kMaxSecretHexDigits) + " hex digits (" +
                       std::to_string(hex.size()) + " given; 64 = 256 bits)");
    }
    std::optional<std::string> secret = HexDecode(hex);
    if (!secret) {
      return error(secret_node->source(),
                   "key '" + *id + "': secret is not hex (an even number of 0-9, a-f)");
    }
    if (!ring->Add(SigningKey{*id, std::move(*secret)})) {
      return error(t.source(), "key '" + *id + "' is defined twice");
    }
  }
  return std::shared_ptr<const KeyRing>(std::move(ring));
}

}  // namespace sd
