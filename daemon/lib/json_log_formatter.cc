#include "daemon/lib/json_log_formatter.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>

namespace sd {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not one.
size_t Utf8Length(std::string_view s, size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  size_t n = 0;
  uint32_t min = 0;
  if (b < 0x80) return 1;
  if ((b & 0xE0) == 0xC0) {
    n = 2;
    min = 0x80;
  } else if ((b & 0xF0) == 0xE0) {
    n = 3;
    min = 0x800;
  } else if ((b & 0xF8) == 0xF0) {
    n = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  uint32_t cp = b & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

}  // namespace

std::string JsonEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
      ++i;
    } else if (c < 0x20 || c == 0x7F) {
      out += fmt::format("\\u{:04x}", c);
      ++i;
    } else if (const size_t n = Utf8Length(s, i); n > 0) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += "\\ufffd";  // not UTF-8: a JSON line must stay valid
      ++i;
    }
  }
  return out;
}

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  const auto ms = std::chrono::time_point_cast<std::chrono::milliseconds>(msg.time);
  const auto level = spdlog::level::to_string_view(msg.level);
  fmt::format_to(std::back_inserter(dest),
                 R"({{"ts":"{:%Y-%m-%dT%H:%M:%S}.{:03}Z","level":"{}","logger":"{}","msg":"{}"}})"
                 "\n",
                 fmt::gmtime(std::chrono::system_clock::to_time_t(ms)),
                 ms.time_since_epoch().count() % 1000, std::string_view(level.data(), level.size()),
                 JsonEscape(std::string_view(msg.logger_name.data(), msg.logger_name.size())),
                 JsonEscape(std::string_view(msg.payload.data(), msg.payload.size())));
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const {
  return std::make_unique<JsonLogFormatter>();
}

}  // namespace sd
