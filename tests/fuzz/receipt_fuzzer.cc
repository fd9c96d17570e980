// libFuzzer entry for delivery-receipt parsing (scripts/fuzz.sh receipt runs it over
// corpus/receipt). Each input is a deliver_sm short_message; the properties it must satisfy
// live in receipt_properties.h so the normal build's corpus replay test checks the same ones.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tests/fuzz/receipt_properties.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (!sd::smpp::fuzz::CheckReceiptText(text).empty()) __builtin_trap();
  return 0;
}
