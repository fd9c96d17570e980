#include "core/log_safe.h"

#include <algorithm>
#include <array>

namespace sd {
namespace {

constexpr std::array<bool, 256> MakePlainTable() {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 0x7F; ++c) t[c] = c != '\\' && c != '"';
  return t;
}
constexpr std::array<bool, 256> kPlain = MakePlainTable();

constexpr std::string_view kMarkerOpen = "...(";
constexpr std::string_view kMarkerClose = " bytes)";

}  // namespace

size_t AppendEscaped(std::string& out, std::string_view bytes, size_t max_out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  size_t budget = max_out;
  size_t i = 0;
  while (i < bytes.size()) {
    // Copy the run of plain bytes in one append: the common case (ids, refs) is one run.
    size_t run = i;
    while (run < bytes.size() && run - i < budget && kPlain[static_cast<unsigned char>(bytes[run])])
      ++run;
    out.append(bytes.data() + i, run - i);
    budget -= run - i;
    i = run;
    if (i == bytes.size() || kPlain[static_cast<unsigned char>(bytes[i])] || budget < 4) break;
    const auto c = static_cast<unsigned char>(bytes[i]);
    const char esc[4] = {'\\', 'x', kHex[c >> 4], kHex[c & 0x0F]};
    out.append(esc, 4);
    budget -= 4;
    ++i;
  }
  return i;
}

std::string LogSafe(std::string_view bytes, size_t max) {
  std::string out;
  out.reserve(std::min(bytes.size(), max) + 8);
  if (AppendEscaped(out, bytes, max) < bytes.size()) {
    out += kMarkerOpen;
    out += std::to_string(bytes.size());
    out += kMarkerClose;
  }
  return out;
}

}  // namespace sd
