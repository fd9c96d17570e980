#pragma once
// Settings of the admission decision that come from the daemon's configuration.
#include <cstdint>
#include <string>

namespace sd {

struct DecisionConfig {
  std::string stream;                    // the stream name signatures are bound to
  int64_t max_future_skew_ms = 300'000;  // created_ms may be at most this far ahead
  int64_t max_validity_ms = 86'400'000;  // expires_ms - created_ms may not exceed this
  // The daemon's ceiling on segments per job ([policy] max_segments). A key's scope can only
  // lower it. The carriers send concatenated (UDH) multipart messages.
  int max_segments = 10;
};

}  // namespace sd
