#pragma once
// The key registry's model (docs/keys.md): one record per key version, its validity window,
// revocation and scopes; an immutable snapshot the decision looks keys up in; and the pure
// checks of a job's key against it. No I/O: records reach core as msgpack bytes that an
// adapter has already opened (adapters/crypto/sealed_box.h).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/cidr.h"
#include "core/job.h"
#include "core/result.h"

namespace sd {

// Limits of a record, with their reasons. Checked when a record is built or decoded, before
// anything is allocated from the bytes.
struct KeyRecordLimits {
  static constexpr size_t kMinSecretBytes = 32;  // 256 bits, the strength of HMAC-SHA256
  static constexpr size_t kMaxSecretBytes = 64;  // HMAC hashes longer keys: nothing gained
  static constexpr size_t kMaxKeyIdBytes = JobLimits::kMaxKeyIdBytes;  // contract limit on kid
  static constexpr uint32_t kMaxVersion = 999'999;  // ids stay short and typeable
  static constexpr size_t kMaxSenders = 64;
  static constexpr size_t kMaxCountries = 250;  // every ISO 3166 alpha-2 code fits
  static constexpr size_t kMaxUrlDomains = 64;
  static constexpr size_t kMaxDomainBytes = 253;        // DNS name limit
  static constexpr size_t kMaxTemplateBytes = 320;      // two GSM segments of template text
  static constexpr int kMaxSegments = 255;              // SAR / UDH segment counter is one byte
  static constexpr size_t kMaxAllowIps = 64;           // CIDR ranges a producer calls from
  static constexpr size_t kMaxCidrBytes = 43;           // "ffff:...:ffff/128"
  static constexpr size_t kMaxCallbackUrlBytes = 2048;  // what browsers and proxies all accept
  static constexpr size_t kMinCallbackSecretBytes = 24;  // Standard Webhooks' own minimum
  static constexpr size_t kMaxCallbackSecrets = 2;       // the current one and, while rotating, the old
  static constexpr size_t kCertSha256HexBytes = 64;
  static constexpr size_t kMaxRecordBytes = 16 * 1024;  // all of the above, with room
};

// "acme-otp.v3" = name "acme-otp" + version 3. Names are 1-56 of A-Z a-z 0-9 _ -; the version
// is decimal without leading zeros, 1..kMaxVersion.
struct KeyId {
  std::string name;
  uint32_t version = 0;
  std::string ToString() const;  // name + ".v" + version
};
std::optional<KeyId> ParseKeyId(std::string_view id);
bool ValidKeyName(std::string_view name);
// The key's family: every version of one key. "acme-otp.v3" -> "acme-otp"; an id not of the
// NAME.vN form (a key-file id may be anything) is its own family, so a bare "acme" counts with
// "acme.v1". A view into `id`, no allocation: the rate limiter calls it per job. Budgets count
// per family, so a rotation (a new version) never starts a fresh one.
std::string_view KeyFamily(std::string_view id);

enum class UrlPolicy : uint8_t {
  kAny,        // URLs allowed anywhere (the content scanner's own rules still apply)
  kNone,       // no URL at all in the text
  kAllowlist,  // only URLs whose host is, or is below, one of url_domains
};
std::string_view UrlPolicyName(UrlPolicy p);

// How a key may authenticate to the HTTPS API (docs/api.md): the HMAC request signature, the
// bearer form (the secret itself on the wire, inside TLS), or either.
enum class ApiAuth : uint8_t { kHmac, kBearer, kBoth };
std::string_view ApiAuthName(ApiAuth a);
std::optional<ApiAuth> ParseApiAuth(std::string_view name);

// An OTP template compiled to a matcher (no regular expressions on the hot path).
// Syntax: literal text with exactly one placeholder
//   {code}      4 to 8 ASCII digits
//   {code:N}    exactly N ASCII digits (N = 4..8)
// and "{{" / "}}" for literal braces; any other brace is an error. The whole text must match:
// prefix, the digits, suffix, byte for byte (no trimming, no case folding).
class OtpTemplate {
 public:
  static Result<OtpTemplate> Compile(std::string_view source);
  bool Matches(std::string_view text) const;
  const std::string& source() const { return source_; }

 private:
  std::string source_;
  std::string prefix_;  // literal text before the code, braces unescaped
  std::string suffix_;  // literal text after it
  int min_digits_ = 4;
  int max_digits_ = 8;
};

// What a key may be used for. Empty lists mean "any"; each check is skipped when unset.
struct KeyScopes {
  // Bit (1 << JobKind) per allowed kind. Default: every kind.
  uint8_t kinds = 0b111;
  std::vector<std::string> senders;    // exact sender ids; empty = any
  std::vector<std::string> countries;  // ISO 3166-1 alpha-2, upper case; empty = any
  int max_segments = 0;                // 0 = no key limit (the daemon's limit still applies)
  UrlPolicy url_policy = UrlPolicy::kAny;
  std::vector<std::string> url_domains;  // lower case; only with kAllowlist
  std::string otp_template;              // source; empty = none (see OtpTemplate)
  uint32_t rate_per_s = 0;               // per-key rate limit; 0 = none
  uint32_t burst = 0;                    // bucket size for rate_per_s
  // The HTTPS API (docs/api.md). Redis producers are not affected by either.
  ApiAuth api_auth = ApiAuth::kHmac;
  std::vector<std::string> allow_ips;  // CIDR ranges the API accepts the key from; empty = any
  // Mutual TLS: the SHA-256 (lower-case hex) of the DER client certificate the API requires
  // with this key; empty = none required.
  std::string client_cert_sha256;

  bool AllowsKind(JobKind k) const { return (kinds >> static_cast<int>(k)) & 1; }
};
uint8_t KindBit(JobKind k);

struct KeyRecord {
  std::string id;             // "<name>.v<version>", ParseKeyId-valid
  std::string secret;         // raw bytes, kMinSecretBytes..kMaxSecretBytes; never logged
  int64_t created_ms = 0;     // when this version was made (informational)
  int64_t not_before_ms = 0;  // valid from (inclusive)
  int64_t not_after_ms = 0;   // valid until (exclusive); 0 = no end
  bool revoked = false;       // revoked keys never come back: a new version is made instead
  int64_t revoked_at_ms = 0;
  // A test key (docs/keys.md, "Test keys"): its jobs go through every check and then to the
  // built-in test carrier, never to a carrier of the config. Its name starts with "test-",
  // and only a test key's does, so the id shows the mode.
  bool test_mode = false;
  KeyScopes scopes;
  // Status callbacks (docs/api.md, "Status callbacks"): the https:// URL the key's outcome and
  // receipt events are POSTed to as Standard Webhooks, and the raw keys they are signed with.
  // The first secret is the current one; a second, the previous, signs too while a rotation
  // is under way (Standard Webhooks sends every signature). Empty URL = no callbacks.
  std::string callback_url;
  std::vector<std::string> callback_secrets;
};

// True when `url` is an https:// URL with a host, of at most kMaxCallbackUrlBytes, with no
// whitespace, control characters or user info ("user@") in it.
bool ValidCallbackUrl(std::string_view url);

// Checks every field against the rules and limits above. Messages name the key id, never the
// secret.
[[nodiscard]] std::optional<std::string> ValidateKeyRecord(const KeyRecord& r);

// msgpack map (docs/keys.md, "Record format"). Decoding is strict: unknown or duplicate
// fields, wrong types and out-of-limit sizes are errors, and the result is validated.
// Format 1 has no API fields; a record is written as format 2 (with `auth`, `allow_ips` and
// `mode`) only when it uses one of them, and as format 3 (also `callback_url`,
// `callback_secrets` and `client_cert`) only when it uses one of those, so keys without the
// newer fields stay readable by daemons that know the older formats only.
std::string EncodeKeyRecord(const KeyRecord& r);
Result<KeyRecord> DecodeKeyRecord(std::string_view bytes);

// A record together with what the checks need precompiled.
struct RegisteredKey {
  KeyRecord record;
  std::optional<OtpTemplate> otp_template;  // compiled scopes.otp_template, if any
  std::vector<Cidr> allow_ips;               // parsed scopes.allow_ips
};

// The registry as one immutable value: built once per registry version and shared by
// pointer; readers never see a half-updated registry.
class KeyRegistrySnapshot {
 public:
  // Fails (naming the key) when a record is invalid or an id repeats.
  static Result<std::shared_ptr<const KeyRegistrySnapshot>> Build(uint64_t version,
                                                                  std::vector<KeyRecord> records);
  uint64_t version() const { return version_; }  // the registry's change counter
  const RegisteredKey* Find(std::string_view id) const;
  size_t size() const { return keys_.size(); }
  // Every key, sorted by id (for listing).
  std::vector<const RegisteredKey*> All() const;

 private:
  // Transparent hashing: Find(string_view) on the per-job path allocates nothing.
  struct IdHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  uint64_t version_ = 0;
  std::unordered_map<std::string, RegisteredKey, IdHash, std::equal_to<>> keys_;
};

// True when the key is usable at `now_ms`: not revoked and not_before <= now < not_after.
// Rotation overlap needs nothing more: the new version starts now, the old one keeps working
// until its not_after.
bool KeyActiveAt(const KeyRecord& r, int64_t now_ms);

// The key step of the decision: unknown_key, revoked_key or key_not_active, else the key.
// Pass the daemon's clock: a revoked or expired key stops jobs already queued, too.
Result<const RegisteredKey*> CheckKey(const KeyRegistrySnapshot& keys, std::string_view key_id,
                                      int64_t now_ms);

// The scope checks core can do alone, in this order: kind_not_allowed, sender_not_allowed,
// text_too_long (segments > max_segments), otp_template_mismatch (kind otp with a template).
// `segments` is EncodedText::segments of the job's text. Country and URL scopes need the
// number parser and the URL scanner: DeriveScopes (policy_snapshot.h) turns scopes.countries,
// url_policy and url_domains into the CountryScope the number checker applies and the UrlScope
// JudgeUrl applies (content_scan.h), the one place each rule is decided.
[[nodiscard]] std::optional<Error> CheckScopes(const RegisteredKey& key, const Job& job,
                                               int segments);

}  // namespace sd
