#pragma once
// How a producer proves which key it holds to the HTTPS API (docs/api.md, "Authentication"):
//
//   HMAC (default)  headers sd-key-id, sd-timestamp (ms since the epoch) and sd-signature =
//                   lowercase hex HMAC-SHA256(secret, string to sign), where the string to sign
//                   is "sd-api1\n" METHOD "\n" TARGET "\n" TIMESTAMP "\n" hex(SHA-256(body)).
//                   TARGET is the path and query exactly as sent. The secret never travels.
//   bearer          Authorization: Bearer <key id>:<secret as hex>, for clients that cannot
//                   sign; allowed only for keys made with --auth bearer or both.
//
// This file only parses and verifies; which key, whether it is active, the replay record and
// the IP allowlist are the endpoint's. Every comparison is constant-time, and nothing here
// ever puts a secret or a signature into a message.
#include <cstdint>
#include <string>
#include <string_view>

#include "adapters/http/request_parser.h"
#include "core/key_record.h"
#include "core/mac.h"
#include "core/reason.h"

namespace sd::http {

struct ApiCredentials {
  enum class Scheme : uint8_t { kNone, kHmac, kBearer };
  Scheme scheme = Scheme::kNone;
  std::string key_id;
  int64_t timestamp_ms = 0;    // kHmac
  std::string signature_hex;  // kHmac: 64 hex digits (checked)
  std::string secret;         // kBearer: the raw secret (hex-decoded)
};

struct ApiAuthProblem {
  Reason reason = Reason::kNone;  // kNone: no problem
  std::string detail;             // for the answer and the audit event; no secret
  bool ok() const { return reason == Reason::kNone; }
};

// The credentials a request carries, or why they do not parse (auth_required). Both forms at
// once are refused: a client must mean one.
ApiAuthProblem ParseApiCredentials(const HttpServerRequest& request, ApiCredentials* out);

// Lowercase hex SHA-256: of the body (in the string to sign and the idempotency record) and of
// the Idempotency-Key (so any key a client picks makes a bounded Redis key).
std::string Sha256Hex(std::string_view data);

std::string ApiStringToSign(std::string_view method, std::string_view target, int64_t timestamp_ms,
                            std::string_view body);
// Lowercase hex HMAC-SHA256(secret, ApiStringToSign(...)): what a client sends as sd-signature.
std::string ApiSignature(std::string_view secret, std::string_view method, std::string_view target,
                         int64_t timestamp_ms, std::string_view body);

// Whether `creds` prove `key` for this request at `now_ms`: the scheme is one the key allows
// (auth_scheme_not_allowed), the timestamp lies within `window_ms` of now (clock_skew), and
// the signature or secret matches (bad_signature). `prepared`, when given, is the key's
// secret prepared for HMAC-SHA256 (MacAlgorithm::Prepare; the policy snapshot holds one per
// key): the same answer without building the string to sign or setting the key up again.
ApiAuthProblem VerifyApiAuth(const KeyRecord& key, const ApiCredentials& creds,
                             const HttpServerRequest& request, int64_t now_ms, int64_t window_ms,
                             const PreparedMac* prepared = nullptr);

}  // namespace sd::http
