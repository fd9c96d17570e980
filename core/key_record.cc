#include "core/key_record.h"

#include <algorithm>
#include <charconv>

#include "core/addresses.h"

namespace sd {
namespace {

constexpr size_t kMaxKeyNameBytes = 56;  // + ".v999999" stays within the 64-byte kid limit
constexpr uint64_t kMaxTimeMs = uint64_t{1} << 53;  // exact in every language's doubles

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsLowerHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); }

bool ValidDomain(std::string_view d) {
  if (d.empty() || d.size() > KeyRecordLimits::kMaxDomainBytes) return false;
  if (d.front() == '.' || d.back() == '.' || d.front() == '-') return false;
  for (char c : d) {
    const bool ok = (c >= 'a' && c <= 'z') || IsDigit(c) || c == '-' || c == '.';
    if (!ok) return false;
  }
  return d.find("..") == std::string_view::npos;
}

Error Bad(std::string detail) { return Error{Reason::kMalformed, std::move(detail)}; }

}  // namespace

// ---- key ids ----

bool ValidKeyName(std::string_view name) {
  if (name.empty() || name.size() > kMaxKeyNameBytes) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || IsUpper(c) || IsDigit(c) || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string KeyId::ToString() const { return name + ".v" + std::to_string(version); }

std::optional<KeyId> ParseKeyId(std::string_view id) {
  const size_t dot = id.rfind(".v");
  if (dot == std::string_view::npos) return std::nullopt;
  const std::string_view name = id.substr(0, dot);
  const std::string_view num = id.substr(dot + 2);
  if (!ValidKeyName(name) || num.empty() || num.size() > 6 || num[0] == '0') return std::nullopt;
  uint32_t v = 0;
  for (char c : num) {
    if (!IsDigit(c)) return std::nullopt;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v < 1 || v > KeyRecordLimits::kMaxVersion) return std::nullopt;
  return KeyId{std::string(name), v};
}

std::string_view KeyFamily(std::string_view id) {
  const size_t dot = id.rfind(".v");
  if (dot == std::string_view::npos) return id;
  const std::string_view num = id.substr(dot + 2);
  if (num.empty() || num.size() > 6 || num[0] == '0') return id;
  for (char c : num) {
    if (!IsDigit(c)) return id;
  }
  const std::string_view name = id.substr(0, dot);
  return ValidKeyName(name) ? name : id;
}

std::string_view ApiAuthName(ApiAuth a) {
  switch (a) {
    case ApiAuth::kHmac:
      return "hmac";
    case ApiAuth::kBearer:
      return "bearer";
    case ApiAuth::kBoth:
      return "both";
  }
  return "hmac";
}

std::optional<ApiAuth> ParseApiAuth(std::string_view name) {
  if (name == "hmac") return ApiAuth::kHmac;
  if (name == "bearer") return ApiAuth::kBearer;
  if (name == "both") return ApiAuth::kBoth;
  return std::nullopt;
}

std::string_view UrlPolicyName(UrlPolicy p) {
  switch (p) {
    case UrlPolicy::kAny:
      return "any";
    case UrlPolicy::kNone:
      return "none";
    case UrlPolicy::kAllowlist:
      return "allowlist";
  }
  return "any";
}

uint8_t KindBit(JobKind k) { return static_cast<uint8_t>(1u << static_cast<int>(k)); }

// ---- OTP templates ----

Result<OtpTemplate> OtpTemplate::Compile(std::string_view source) {
  if (source.size() > KeyRecordLimits::kMaxTemplateBytes) {
    return Bad("OTP template longer than " + std::to_string(KeyRecordLimits::kMaxTemplateBytes) +
               " bytes");
  }
  OtpTemplate t;
  t.source_ = std::string(source);
  bool have_code = false;
  std::string* out = &t.prefix_;
  for (size_t i = 0; i < source.size(); ++i) {
    const char c = source[i];
    if (c == '}') {
      if (i + 1 < source.size() && source[i + 1] == '}') {
        out->push_back('}');
        ++i;
        continue;
      }
      return Bad("OTP template: a lone '}' (write '}}' for a literal brace)");
    }
    if (c != '{') {
      out->push_back(c);
      continue;
    }
    if (i + 1 < source.size() && source[i + 1] == '{') {
      out->push_back('{');
      ++i;
      continue;
    }
    const size_t close = source.find('}', i);
    if (close == std::string_view::npos) return Bad("OTP template: '{' without '}'");
    const std::string_view ph = source.substr(i + 1, close - i - 1);
    if (have_code) return Bad("OTP template: more than one {code}");
    if (ph == "code") {
      t.min_digits_ = 4;
      t.max_digits_ = 8;
    } else if (ph.size() == 6 && ph.substr(0, 5) == "code:" && ph[5] >= '4' && ph[5] <= '8') {
      t.min_digits_ = t.max_digits_ = ph[5] - '0';
    } else {
      return Bad("OTP template: unknown placeholder (only {code} or {code:N} with N = 4..8)");
    }
    have_code = true;
    out = &t.suffix_;
    i = close;
  }
  if (!have_code) return Bad("OTP template has no {code}");
  return t;
}

bool OtpTemplate::Matches(std::string_view text) const {
  const size_t fixed = prefix_.size() + suffix_.size();
  if (text.size() < fixed + static_cast<size_t>(min_digits_) ||
      text.size() > fixed + static_cast<size_t>(max_digits_)) {
    return false;
  }
  if (text.substr(0, prefix_.size()) != prefix_) return false;
  if (text.substr(text.size() - suffix_.size()) != suffix_) return false;
  const std::string_view code = text.substr(prefix_.size(), text.size() - fixed);
  return std::all_of(code.begin(), code.end(), IsDigit);
}

// ---- validation ----

bool ValidCallbackUrl(std::string_view url) {
  constexpr std::string_view kScheme = "https://";
  if (url.size() > KeyRecordLimits::kMaxCallbackUrlBytes || url.substr(0, 8) != kScheme) {
    return false;
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '\\') return false;
  }
  const std::string_view rest = url.substr(kScheme.size());
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.empty() || authority.front() == ':') return false;
  return authority.find('@') == std::string_view::npos;  // no user info: no secret in a URL
}

namespace {
std::optional<std::string> ValidateCallback(const KeyRecord& r, const std::string& who) {
  if (r.callback_url.empty()) {
    if (!r.callback_secrets.empty()) return who + "callback secrets without a callback URL";
    return std::nullopt;
  }
  if (!ValidCallbackUrl(r.callback_url)) {
    return who + "callback_url must be an https:// URL with a host and no user info, at most " +
           std::to_string(KeyRecordLimits::kMaxCallbackUrlBytes) + " bytes";
  }
  if (r.callback_secrets.empty() ||
      r.callback_secrets.size() > KeyRecordLimits::kMaxCallbackSecrets) {
    return who + "a callback URL needs one callback secret (two while rotating)";
  }
  for (const std::string& k : r.callback_secrets) {
    if (k.size() < KeyRecordLimits::kMinCallbackSecretBytes ||
        k.size() > KeyRecordLimits::kMaxSecretBytes) {
      return who + "callback secrets must be 24 to 64 bytes";
    }
  }
  return std::nullopt;
}
}  // namespace

std::optional<std::string> ValidateKeyRecord(const KeyRecord& r) {
  if (!ParseKeyId(r.id)) {
    return "key id must be NAME.vN (NAME 1-56 of A-Z a-z 0-9 _ -, N 1-999999), not a " +
           std::to_string(r.id.size()) + "-byte id";
  }
  const std::string who = "key '" + r.id + "': ";
  if ((ParseKeyId(r.id)->name.rfind("test-", 0) == 0) != r.test_mode) {
    return who + (r.test_mode ? "a test key's name must start with test-"
                              : "only test keys' names start with test-");
  }
  if (r.secret.size() < KeyRecordLimits::kMinSecretBytes ||
      r.secret.size() > KeyRecordLimits::kMaxSecretBytes) {
    return who + "secret must be 32 to 64 bytes";
  }
  auto time_ok = [](int64_t t) { return t >= 0 && static_cast<uint64_t>(t) <= kMaxTimeMs; };
  if (!time_ok(r.created_ms) || !time_ok(r.not_before_ms) || !time_ok(r.not_after_ms) ||
      !time_ok(r.revoked_at_ms)) {
    return who + "times must be milliseconds since the epoch in [0, 2^53]";
  }
  if (r.not_after_ms != 0 && r.not_after_ms <= r.not_before_ms) {
    return who + "not_after must be later than not_before";
  }
  if (!r.revoked && r.revoked_at_ms != 0) return who + "revoked_at set on a key not revoked";
  const KeyScopes& s = r.scopes;
  if (s.kinds == 0 || s.kinds > 0b111) return who + "allowed kinds must name at least one kind";
  if (s.senders.size() > KeyRecordLimits::kMaxSenders) return who + "too many senders";
  for (const std::string& snd : s.senders) {
    if (!IsValidSender(snd)) return who + "sender ids must be valid sender ids (docs/jobs.md)";
  }
  if (s.countries.size() > KeyRecordLimits::kMaxCountries) return who + "too many countries";
  for (const std::string& c : s.countries) {
    if (c.size() != 2 || !IsUpper(c[0]) || !IsUpper(c[1])) {
      return who + "countries must be ISO 3166-1 alpha-2 codes in upper case, e.g. DE";
    }
  }
  if (s.max_segments < 0 || s.max_segments > KeyRecordLimits::kMaxSegments) {
    return who + "max_segments must be 0 (no limit) to 255";
  }
  if (s.url_domains.size() > KeyRecordLimits::kMaxUrlDomains) return who + "too many URL domains";
  if (s.url_policy == UrlPolicy::kAllowlist) {
    if (s.url_domains.empty()) return who + "URL allowlist without domains";
    for (const std::string& d : s.url_domains) {
      if (!ValidDomain(d)) return who + "URL domains must be lower-case host names";
    }
  } else if (!s.url_domains.empty()) {
    return who + "URL domains given without the allowlist policy";
  }
  if (!s.otp_template.empty()) {
    auto t = OtpTemplate::Compile(s.otp_template);
    if (!t) return who + t.error().detail;
  }
  if (s.burst > 0 && s.rate_per_s == 0) return who + "burst without a rate";
  if (s.allow_ips.size() > KeyRecordLimits::kMaxAllowIps) return who + "too many allow_ips";
  for (const std::string& c : s.allow_ips) {
    if (c.size() > KeyRecordLimits::kMaxCidrBytes || !ParseCidr(c)) {
      return who + "allow_ips must be IPv4 or IPv6 addresses or CIDR ranges";
    }
  }
  if (!s.client_cert_sha256.empty() &&
      (s.client_cert_sha256.size() != KeyRecordLimits::kCertSha256HexBytes ||
       !std::all_of(s.client_cert_sha256.begin(), s.client_cert_sha256.end(), IsLowerHex))) {
    return who + "client_cert must be a SHA-256 fingerprint: 64 lower-case hex digits";
  }
  return ValidateCallback(r, who);
}

// ---- snapshot and checks ----

Result<std::shared_ptr<const KeyRegistrySnapshot>> KeyRegistrySnapshot::Build(
    uint64_t version, std::vector<KeyRecord> records) {
  auto snap = std::make_shared<KeyRegistrySnapshot>();
  snap->version_ = version;
  snap->keys_.reserve(records.size());
  for (KeyRecord& r : records) {
    if (auto problem = ValidateKeyRecord(r)) return Bad(*problem);
    RegisteredKey k;
    if (!r.scopes.otp_template.empty()) {
      auto t = OtpTemplate::Compile(r.scopes.otp_template);
      if (!t) return Bad("key '" + r.id + "': " + t.error().detail);
      k.otp_template = std::move(t).value();
    }
    for (const std::string& c : r.scopes.allow_ips) k.allow_ips.push_back(*ParseCidr(c));
    std::string id = r.id;
    k.record = std::move(r);
    if (!snap->keys_.emplace(id, std::move(k)).second) {
      return Bad("key '" + id + "' appears twice");
    }
  }
  return std::shared_ptr<const KeyRegistrySnapshot>(std::move(snap));
}

const RegisteredKey* KeyRegistrySnapshot::Find(std::string_view id) const {
  auto it = keys_.find(id);
  return it == keys_.end() ? nullptr : &it->second;
}

std::vector<const RegisteredKey*> KeyRegistrySnapshot::All() const {
  std::vector<const RegisteredKey*> out;
  out.reserve(keys_.size());
  for (const auto& [id, k] : keys_) out.push_back(&k);
  std::sort(out.begin(), out.end(), [](const RegisteredKey* a, const RegisteredKey* b) {
    const auto ia = ParseKeyId(a->record.id);
    const auto ib = ParseKeyId(b->record.id);
    if (ia && ib && ia->name == ib->name) return ia->version < ib->version;
    return a->record.id < b->record.id;
  });
  return out;
}

bool KeyActiveAt(const KeyRecord& r, int64_t now_ms) {
  if (r.revoked) return false;
  if (now_ms < r.not_before_ms) return false;
  return r.not_after_ms == 0 || now_ms < r.not_after_ms;
}

Result<const RegisteredKey*> CheckKey(const KeyRegistrySnapshot& keys, std::string_view key_id,
                                      int64_t now_ms) {
  const RegisteredKey* k = keys.Find(key_id);
  if (k == nullptr) return Error{Reason::kUnknownKey, "key id not in the key registry"};
  if (k->record.revoked) return Error{Reason::kRevokedKey, "key was revoked"};
  if (!KeyActiveAt(k->record, now_ms)) {
    return Error{Reason::kKeyNotActive, now_ms < k->record.not_before_ms
                                            ? "key not valid yet (not_before)"
                                            : "key no longer valid (not_after)"};
  }
  return k;
}

std::optional<Error> CheckScopes(const RegisteredKey& key, const Job& job, int segments) {
  const KeyScopes& s = key.record.scopes;
  if (!s.AllowsKind(job.kind)) {
    return Error{Reason::kKindNotAllowed,
                 "key does not allow kind " + std::string(JobKindName(job.kind))};
  }
  if (!s.senders.empty() &&
      std::find(s.senders.begin(), s.senders.end(), job.sender) == s.senders.end()) {
    return Error{Reason::kSenderNotAllowed, "sender not in the key's allowed senders"};
  }
  if (s.max_segments > 0 && segments > s.max_segments) {
    return Error{Reason::kTextTooLong, std::to_string(segments) + " segments, the key allows " +
                                           std::to_string(s.max_segments)};
  }
  if (job.kind == JobKind::kOtp && key.otp_template && !key.otp_template->Matches(job.text)) {
    return Error{Reason::kOtpTemplateMismatch, "text does not match the key's OTP template"};
  }
  return std::nullopt;
}

}  // namespace sd
