#include "adapters/redis/api_status_record.h"

#include <charconv>

namespace sd::redis {

void AppendStatusField(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.push_back(':');
  out.append(std::to_string(value.size()));
  out.push_back(':');
  out.append(value);
}

bool DecodeStatusRecord(std::string_view record, ApiStatus& out) {
  size_t i = 0;
  while (i < record.size()) {
    const size_t c1 = record.find(':', i);
    const size_t c2 = c1 == std::string_view::npos ? c1 : record.find(':', c1 + 1);
    if (c2 == std::string_view::npos) return false;
    size_t n = 0;
    const char* digits = record.data() + c1 + 1;
    const auto [end, ec] = std::from_chars(digits, record.data() + c2, n);
    if (ec != std::errc() || end != record.data() + c2 || c2 == c1 + 1 ||
        n > record.size() - c2 - 1) {
      return false;
    }
    const std::string_view name = record.substr(i, c1 - i);
    const std::string_view value = record.substr(c2 + 1, n);
    bool replaced = false;
    for (auto& [k, v] : out) {
      if (k == name) {
        v.assign(value);
        replaced = true;
        break;
      }
    }
    if (!replaced) out.emplace_back(std::string(name), std::string(value));
    i = c2 + 1 + n;
  }
  return true;
}

}  // namespace sd::redis
