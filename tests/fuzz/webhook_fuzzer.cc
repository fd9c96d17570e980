// libFuzzer entry for the webhook body parsers and signature checks (scripts/fuzz.sh webhook
// runs it over corpus/webhook). The properties live in http_properties.h.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tests/fuzz/http_properties.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (!sd::http::fuzz::CheckWebhookBody(bytes).empty()) __builtin_trap();
  return 0;
}
