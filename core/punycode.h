#pragma once
// Punycode (RFC 3492): the encoding of internationalised domain labels behind "xn--". Pure
// code, so URL hosts can be compared in one canonical ASCII form and decoded for look-alike
// checks without an IDNA library in core.
#include <string>
#include <string_view>

namespace sd {

// Encodes one label's code points (without the "xn--" prefix). False on overflow or a
// code point above U+10FFFF.
[[nodiscard]] bool PunycodeEncode(std::u32string_view label, std::string* out);
// Decodes one label (without the "xn--" prefix). False on bad digits, overflow, or a result
// outside Unicode. Labels longer than 63 bytes are refused: DNS labels are never longer.
[[nodiscard]] bool PunycodeDecode(std::string_view label, std::u32string* out);

}  // namespace sd
