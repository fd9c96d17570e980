#pragma once
// The signed envelope: how a job is bound to a version tag, a key id and the stream name.
#include <string>
#include <string_view>

#include "core/job.h"
#include "core/mac.h"

namespace sd {

inline constexpr std::string_view kEnvelopeVersion = "sd1";

// The exact bytes the MAC covers:
//   version "\n" key_id "\n" stream "\n" job_bytes
// version, key_id and stream cannot contain '\n' (checked), so the framing is unambiguous.
std::string SigningInput(std::string_view version, std::string_view key_id,
                         std::string_view stream, std::string_view job_bytes);

// Lowercase hex of HMAC-SHA256(secret, SigningInput(...)).
std::string SignJob(const MacAlgorithm& mac, std::string_view secret, std::string_view key_id,
                    std::string_view stream, std::string_view job_bytes);

// Checks the hex signature in constant time. False on any malformed hex.
bool VerifyJobSignature(const MacAlgorithm& mac, std::string_view secret,
                        std::string_view key_id, std::string_view stream,
                        std::string_view job_bytes, std::string_view sig_hex);

// The same with the key prepared (MacAlgorithm::Prepare): no signing input is built and the
// hex is decoded into a fixed array, so nothing is allocated.
bool VerifyJobSignature(const PreparedMac& key, std::string_view key_id, std::string_view stream,
                        std::string_view job_bytes, std::string_view sig_hex);

// msgpack encode/decode of the job map (field names in docs/jobs.md). Decode checks every
// limit in JobLimits before allocating and rejects unknown keys, wrong types, duplicates.
std::string EncodeJob(const Job& job);
Result<Job> DecodeJob(std::string_view bytes);

}  // namespace sd
