#pragma once
// The signed envelope: how a job is bound to a version tag, a key id and the stream name.
#include <optional>
#include <string>
#include <string_view>

#include "core/job.h"
#include "core/mac.h"

namespace sd {

inline constexpr std::string_view kEnvelopeVersion = "sd1";

// The syntax of each entry field (docs/jobs.md §1).
// `v`: 1-16 ASCII letters and digits (only "sd1" is supported; others are unsupported_version).
bool IsValidEnvelopeVersion(std::string_view v);
// `kid`: 1-64 bytes of UTF-8 without control characters (core/safe_text.h IsPlainText). The
// key file and the key registry hold only ids of this form.
bool IsValidKeyId(std::string_view kid);
// `sig`: exactly 64 hex digits, either case.
bool IsValidSignatureHex(std::string_view sig);
// The job `id` (§2): 1-64 bytes of A-Z a-z 0-9 - _ . :
bool IsValidJobId(std::string_view id);
// The kid as outcomes and audit events may carry it: the kid when it follows §1, else empty
// (a malformed entry's outcome then names no key; its `detail` says what was wrong).
std::string_view EchoableKeyId(std::string_view kid);

// §1 in full, before any key is looked up, in this order (the first problem answers):
// the set of fields, `v`'s syntax, `v` = sd1 (unsupported_version), `kid`, `sig`, then `job`
// (empty: malformed; over 4,096 bytes: too_large). Details never quote a field's value.
std::optional<Error> CheckEntry(const StreamEntry& entry);

// The exact bytes the MAC covers:
//   version "\n" key_id "\n" stream "\n" job_bytes
// version, key_id and stream cannot contain '\n' (checked), so the framing is unambiguous.
std::string SigningInput(std::string_view version, std::string_view key_id,
                         std::string_view stream, std::string_view job_bytes);

// Lowercase hex of HMAC-SHA256(secret, SigningInput(...)).
std::string SignJob(const MacAlgorithm& mac, std::string_view secret, std::string_view key_id,
                    std::string_view stream, std::string_view job_bytes);

// The same with the key prepared (MacAlgorithm::Prepare).
std::string SignJob(const PreparedMac& key, std::string_view key_id, std::string_view stream,
                    std::string_view job_bytes);

// Checks the hex signature in constant time. False on any malformed hex.
bool VerifyJobSignature(const MacAlgorithm& mac, std::string_view secret,
                        std::string_view key_id, std::string_view stream,
                        std::string_view job_bytes, std::string_view sig_hex);

// The same with the key prepared (MacAlgorithm::Prepare): no signing input is built and the
// hex is decoded into a fixed array, so nothing is allocated.
bool VerifyJobSignature(const PreparedMac& key, std::string_view key_id, std::string_view stream,
                        std::string_view job_bytes, std::string_view sig_hex);

// msgpack encode/decode of the job map (field names in docs/jobs.md §2). Decode checks every
// limit in JobLimits before allocating and rejects unknown keys, wrong types (a msgpack bin
// where a str is due included), duplicates. The map is checked key by key in the order it
// holds them and the first problem answers; then missing keys. Details name the field and
// never quote a value (an unknown key is quoted escaped, at most 32 bytes of it).
std::string EncodeJob(const Job& job);
Result<Job> DecodeJob(std::string_view bytes);

}  // namespace sd
