#include "core/calling_code.h"

#include <algorithm>

namespace sd {

size_t CallingCodeDigits(std::string_view d) {
  if (d.empty() || d[0] < '0' || d[0] > '9') return 0;
  const char a = d[0];
  if (a == '1' || a == '7') return 1;  // NANP; Russia and Kazakhstan
  if (d.size() < 2 || d[1] < '0' || d[1] > '9') return 1;
  const char b = d[1];
  // Two-digit codes per first digit (the rest of each "a" block are three-digit codes).
  bool two = false;
  switch (a) {
    case '2':
      two = b == '0' || b == '7';  // 20 Egypt, 27 South Africa
      break;
    case '3':
      two = (b >= '0' && b <= '4') || b == '6' || b == '9';  // 30-34, 36, 39
      break;
    case '4':
      two = b != '2';  // 40, 41, 43-49; 42x three-digit
      break;
    case '5':
      two = b >= '1' && b <= '8';  // 51-58; 50x, 59x three-digit
      break;
    case '6':
      two = b >= '0' && b <= '6';  // 60-66; 67x-69x three-digit
      break;
    case '8':
      two = b == '1' || b == '2' || b == '4' || b == '6';  // 81, 82, 84, 86
      break;
    case '9':
      two = (b >= '0' && b <= '5') || b == '8';  // 90-95, 98
      break;
    default:  // '0' is no calling code: treat as one digit so nothing reads past it
      return 1;
  }
  if (two) return 2;
  return std::min<size_t>(3, d.size());
}

std::string PumpingPrefix(std::string_view e164, int extra_digits) {
  if (e164.size() < 2 || e164[0] != '+' || e164[1] < '0' || e164[1] > '9') return {};
  const std::string_view digits = e164.substr(1);
  const size_t want = CallingCodeDigits(digits) + static_cast<size_t>(std::max(0, extra_digits));
  return "+" + std::string(digits.substr(0, std::min(want, digits.size())));
}

}  // namespace sd
