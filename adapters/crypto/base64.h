#pragma once
// Standard base64 (RFC 4648 section 4, with padding) over OpenSSL's EVP block coder: HTTP basic
// credentials, webhook signatures, "whsec_" secrets.
#include <optional>
#include <string>
#include <string_view>

namespace sd {

std::string Base64Encode(std::string_view bytes);
// nullopt unless `text` is whole base64 quads (padding only at the end).
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace sd
