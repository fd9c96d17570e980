// libFuzzer entry for the listener's request parser (scripts/fuzz.sh http_request runs it over
// corpus/http_request). The properties live in http_properties.h; the normal build replays the corpus.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tests/fuzz/http_properties.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (!sd::http::fuzz::CheckRequestStream(bytes).empty()) __builtin_trap();
  return 0;
}
