#include "adapters/http/form_codec.h"

#include "core/hex.h"

namespace sd::http {
namespace {

std::optional<std::string> Decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;  // "%" or "%A" at the end
      const std::optional<std::string> byte = HexDecode(s.substr(i + 1, 2));
      if (!byte) return std::nullopt;
      out += (*byte)[0];
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

std::string FormEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '*' ||
        c == '-' || c == '.' || c == '_') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

std::optional<std::vector<std::pair<std::string, std::string>>> ParseForm(std::string_view body,
                                                                         size_t max_pairs) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t i = 0;
  while (i <= body.size() && !body.empty()) {
    size_t end = body.find('&', i);
    if (end == std::string_view::npos) end = body.size();
    const std::string_view pair = body.substr(i, end - i);
    if (!pair.empty()) {
      if (out.size() >= max_pairs) return std::nullopt;
      const size_t eq = pair.find('=');
      auto name = Decode(pair.substr(0, eq));
      auto value = Decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
      if (!name || !value) return std::nullopt;
      out.emplace_back(std::move(*name), std::move(*value));
    }
    if (end == body.size()) break;
    i = end + 1;
  }
  return out;
}

}  // namespace sd::http
