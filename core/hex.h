#pragma once
// Lowercase hex, as signatures and secrets are written in the contract.
#include <optional>
#include <string>
#include <string_view>

namespace sd {

std::string HexEncode(std::string_view bytes);
// nullopt on odd length or a non-hex character (either case accepted).
std::optional<std::string> HexDecode(std::string_view hex);

}  // namespace sd
