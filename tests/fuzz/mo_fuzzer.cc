// libFuzzer entry for decoding what recipients send (scripts/fuzz.sh mo): byte 0 is the
// deliver_sm's data_coding, byte 1 its esm_class, the rest its short_message. Whatever the
// bytes, the UDH reading stays inside the message, a part it reports is a real part, and the
// text decodes (under every SMSC default alphabet) to valid UTF-8 of bounded size.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/mo_text.h"
#include "core/url_extract.h"

namespace {

bool Holds(const uint8_t* data, size_t size) {
  if (size < 2) return true;
  const uint8_t data_coding = data[0];
  const bool udhi = (data[1] & 0x40) != 0;
  const std::string_view message(reinterpret_cast<const char*>(data + 2), size - 2);
  std::string_view body = message;
  if (udhi) {
    const sd::Udh u = sd::ParseUdh(message);
    // The body is the message's tail: never outside it, never longer.
    if (u.body.size() > message.size()) return false;
    if (u.body.data() + u.body.size() != message.data() + message.size()) return false;
    if (u.part && !sd::ValidMoPart(*u.part)) return false;
    if (!u.ok && (u.part || u.body.size() != message.size())) return false;
    body = u.body;
  }
  for (sd::MoCoding fallback : {sd::MoCoding::kGsm7, sd::MoCoding::kLatin1, sd::MoCoding::kAscii}) {
    const sd::MoCoding coding = sd::MoCodingOf(data_coding, fallback);
    const sd::MoText t = sd::DecodeMoText(coding, body);
    if (!sd::IsValidUtf8(t.utf8)) return false;
    // At most 3 bytes of UTF-8 per input byte (U+FFFD, or a 2-septet euro sign).
    if (t.utf8.size() > 3 * body.size() + 3) return false;
    if (t.binary != (coding == sd::MoCoding::kBinary)) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (!Holds(data, size)) __builtin_trap();
  return 0;
}
