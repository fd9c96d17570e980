#include "core/addresses.h"

namespace sd {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return !s.empty();
}

}  // namespace

bool IsE164(std::string_view s) {
  return s.size() >= 8 && s.size() <= 16 && s[0] == '+' && s[1] != '0' && AllDigits(s.substr(1));
}

bool IsE164Prefix(std::string_view s) {
  return s.size() >= 2 && s.size() <= 16 && s[0] == '+' && AllDigits(s.substr(1));
}

bool IsValidSender(std::string_view s) {
  if (s.empty()) return false;
  const std::string_view digits = s[0] == '+' ? s.substr(1) : s;
  if (AllDigits(digits)) return digits.size() <= 15;
  if (s.size() > 11 || s.front() == ' ' || s.back() == ' ') return false;
  bool letter = false;
  for (char c : s) {
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    letter = letter || alpha;
    if (!alpha && !IsDigit(c) && c != ' ') return false;
  }
  return letter;
}

}  // namespace sd
