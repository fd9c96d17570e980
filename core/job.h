#pragma once
// The send job as producers write it (docs/jobs.md is the contract) and the stream
// entry that carries it.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace sd {

enum class JobKind : uint8_t { kOtp, kTransactional, kMarketing };
std::string_view JobKindName(JobKind k);

// Documented limits, checked before anything is allocated from untrusted input.
struct JobLimits {
  static constexpr size_t kMaxJobBytes = 4096;       // whole msgpack map
  static constexpr size_t kMaxIdBytes = 64;          // idempotency id
  static constexpr size_t kMaxToBytes = 32;          // E.164 needs 16; room to say why not
  static constexpr size_t kMaxSenderBytes = 20;      // numeric 15 digits, alphanumeric 11
  static constexpr size_t kMaxTextBytes = 2000;      // UTF-8 bytes
  static constexpr size_t kMaxClientRefBytes = 128;  // opaque to us
  static constexpr size_t kMaxKeyIdBytes = 64;      // the entry's kid (§1)
  static constexpr size_t kMaxMapEntries = 16;       // 8 keys are defined; more is malformed
};

struct Job {
  std::string id;          // producer-chosen idempotency id
  int64_t created_ms = 0;  // producer's wall clock at signing
  int64_t expires_ms = 0;  // after this no submit is attempted
  std::string destination; // E.164 with leading '+'
  std::string sender;
  std::string text;        // UTF-8
  JobKind kind = JobKind::kTransactional;
  std::string client_ref;  // optional, echoed on outcomes (so UTF-8 without controls)
  // Optional ("send_at", ms since the epoch; 0 = now): a scheduled send. The job waits in the
  // delay queue until then and is checked again, whole, when it is due.
  int64_t send_at_ms = 0;
};

// Fields of one job-stream entry as read from Redis, not yet trusted.
struct StreamEntry {
  std::string entry_id;  // Redis stream id "ms-seq"
  std::string version;   // field "v"
  std::string key_id;    // field "kid"
  std::string job;       // field "job": the exact msgpack bytes the producer signed
  std::string sig;       // field "sig": lowercase hex HMAC-SHA256
  bool fields_ok = true; // false when a field was missing/duplicated/unknown (=> malformed)
};

}  // namespace sd
