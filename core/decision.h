#pragma once
// The admission decision for one stream entry: envelope -> key -> signature -> job decode
// -> timing -> destination/sender/text validation -> encoding. Pure: no I/O, injected clock.
#include <string>

#include "core/clock.h"
#include "core/job.h"
#include "core/key_ring.h"
#include "core/mac.h"
#include "core/result.h"
#include "core/sms_text.h"

namespace sd {

struct DecisionConfig {
  std::string stream;                      // the stream name signatures are bound to
  int64_t max_future_skew_ms = 300'000;    // created_ms may be at most this far ahead
  int64_t max_validity_ms = 86'400'000;    // expires_ms - created_ms may not exceed this
  int max_segments = 1;                    // walking skeleton: single part only
};

struct Admitted {
  Job job;
  EncodedText text;
};

struct Decision {
  Result<Admitted> result = Error{};
  // Best-effort identifiers for the outcome even when rejected (empty if undecodable).
  std::string job_id;
  std::string client_ref;
};

Decision Decide(const StreamEntry& entry, const KeyRing& keys, const MacAlgorithm& mac,
                const Clock& clock, const DecisionConfig& cfg);

}  // namespace sd
