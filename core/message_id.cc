#include "core/message_id.h"

#include <array>

namespace sd {
namespace {

bool IsPad(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsPad(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsPad(s.back())) s.remove_suffix(1);
  return s;
}

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return !s.empty();
}

std::string StripZeros(std::string_view digits) {
  size_t i = 0;
  while (i + 1 < digits.size() && digits[i] == '0') ++i;
  return std::string(digits.substr(i));
}

std::string StringKey(std::string_view id) {
  if (AllDigits(id)) return StripZeros(id);
  std::string k(id);
  for (char& c : k) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return k;
}

// Hex digits to decimal digits of any length: the decimal number is kept little-endian, one
// digit per byte, and multiplied by 16 per hex digit. 64 hex digits give at most 78 decimal
// digits, so this is a few thousand steps at worst; no 64- or 128-bit limit to explain.
std::optional<std::string> HexToDecimal(std::string_view hex) {
  if (hex.size() > 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex.remove_prefix(2);
  if (hex.empty()) return std::nullopt;
  std::array<uint8_t, 2 * kMaxMessageIdLength> dec{};  // ample: log10(16) < 2
  size_t len = 1;
  for (char c : hex) {
    const int v = HexValue(c);
    if (v < 0) return std::nullopt;
    int carry = v;
    for (size_t i = 0; i < len; ++i) {
      const int x = dec[i] * 16 + carry;
      dec[i] = static_cast<uint8_t>(x % 10);
      carry = x / 10;
    }
    while (carry > 0) {
      dec[len++] = static_cast<uint8_t>(carry % 10);
      carry /= 10;
    }
  }
  while (len > 1 && dec[len - 1] == 0) --len;
  std::string out(len, '0');
  for (size_t i = 0; i < len; ++i) out[len - 1 - i] = static_cast<char>('0' + dec[i]);
  return out;
}

}  // namespace

std::optional<MessageIdFormat> MessageIdFormatFromName(std::string_view name) {
  for (MessageIdFormat f :
       {MessageIdFormat::kString, MessageIdFormat::kHex, MessageIdFormat::kDecimal}) {
    if (MessageIdFormatName(f) == name) return f;
  }
  return std::nullopt;
}

std::string_view MessageIdFormatName(MessageIdFormat f) {
  switch (f) {
    case MessageIdFormat::kString:
      return "string";
    case MessageIdFormat::kHex:
      return "hex";
    case MessageIdFormat::kDecimal:
      return "decimal";
  }
  return "string";
}

Result<NormalizedMessageId> NormalizeMessageId(std::string_view raw, MessageIdFormat format) {
  const std::string_view id = Trim(raw);
  if (id.empty()) return Error{Reason::kMalformed, "message id is empty"};
  if (id.size() > kMaxMessageIdLength) {
    return Error{Reason::kTooLarge, "message id has " + std::to_string(id.size()) +
                                        " characters, at most " +
                                        std::to_string(kMaxMessageIdLength)};
  }
  NormalizedMessageId out;
  switch (format) {
    case MessageIdFormat::kString:
      out.key = StringKey(id);
      return out;
    case MessageIdFormat::kDecimal:
      if (AllDigits(id)) {
        out.key = StripZeros(id);
        return out;
      }
      break;
    case MessageIdFormat::kHex:
      if (std::optional<std::string> dec = HexToDecimal(id)) {
        out.key = std::move(*dec);
        return out;
      }
      break;
  }
  // Not a number in the declared format: the string form, which has a non-digit in it (the
  // parse failed on one), so it cannot collide with a number's key.
  out.key = StringKey(id);
  out.fell_back = true;
  return out;
}

Result<MessageIdNormalizer> MessageIdNormalizer::FromNames(std::string_view submit_format,
                                                           std::string_view receipt_format) {
  auto parse = [](std::string_view name) -> std::optional<MessageIdFormat> {
    if (name.empty()) return MessageIdFormat::kString;
    return MessageIdFormatFromName(name);
  };
  const auto s = parse(submit_format);
  if (!s) {
    return Error{Reason::kMalformed, "unknown message id format '" + std::string(submit_format) +
                                         "' (string, hex or decimal)"};
  }
  const auto r = parse(receipt_format);
  if (!r) {
    return Error{Reason::kMalformed, "unknown message id format '" + std::string(receipt_format) +
                                         "' (string, hex or decimal)"};
  }
  return MessageIdNormalizer(*s, *r);
}

}  // namespace sd
