#pragma once
// Message ids as SMSCs print them. Some SMSCs answer submit_sm in one notation and quote the
// same id in another in their receipts (hex in the response, decimal in the receipt): the
// simulator can do both so the daemon's receipt matching is tested against either.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sd::smsc_sim {

enum class IdFormat : uint8_t { kDecimal, kHex, kHexUpper };

std::optional<IdFormat> ParseIdFormat(std::string_view name);

// `width` < 0 picks the format's default: 16 digits for hex (the simulator's historical ids),
// no padding for decimal. A wider width pads with leading zeros.
std::string FormatMessageId(uint64_t id, IdFormat format, int width);

}  // namespace sd::smsc_sim
