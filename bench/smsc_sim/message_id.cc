#include "bench/smsc_sim/message_id.h"

#include <cinttypes>
#include <cstdio>

namespace sd::smsc_sim {

std::optional<IdFormat> ParseIdFormat(std::string_view name) {
  if (name == "decimal") return IdFormat::kDecimal;
  if (name == "hex") return IdFormat::kHex;
  if (name == "hex-upper") return IdFormat::kHexUpper;
  return std::nullopt;
}

std::string FormatMessageId(uint64_t id, IdFormat format, int width) {
  char b[96];  // width is capped at 64 by the option parser
  switch (format) {
    case IdFormat::kDecimal:
      snprintf(b, sizeof b, "%0*" PRIu64, width < 0 ? 0 : width, id);
      break;
    case IdFormat::kHex:
      snprintf(b, sizeof b, "%0*" PRIx64, width < 0 ? 16 : width, id);
      break;
    case IdFormat::kHexUpper:
      snprintf(b, sizeof b, "%0*" PRIX64, width < 0 ? 16 : width, id);
      break;
  }
  return b;
}

}  // namespace sd::smsc_sim
