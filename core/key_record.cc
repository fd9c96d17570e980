#include "core/key_record.h"

#include <algorithm>
#include <charconv>
#include <msgpack.hpp>

#include "core/addresses.h"

namespace sd {
namespace {

constexpr size_t kMaxKeyNameBytes = 56;  // + ".v999999" stays within the 64-byte kid limit
constexpr uint64_t kMaxTimeMs = uint64_t{1} << 53;  // exact in every language's doubles
constexpr uint64_t kRecordFormat = 1;     // no API fields
constexpr uint64_t kRecordFormatApi = 2;  // with auth and allow_ips

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }

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
  return std::nullopt;
}

// ---- msgpack ----

std::string EncodeKeyRecord(const KeyRecord& r) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(&buf);
  const KeyScopes& s = r.scopes;
  const bool api = s.api_auth != ApiAuth::kHmac || !s.allow_ips.empty() || r.test_mode;
  pk.pack_map(api ? 20 : 17);
  pk.pack(std::string_view("fmt"));
  pk.pack(api ? kRecordFormatApi : kRecordFormat);
  pk.pack(std::string_view("id"));
  pk.pack(r.id);
  pk.pack(std::string_view("secret"));
  pk.pack_bin(static_cast<uint32_t>(r.secret.size()));
  pk.pack_bin_body(r.secret.data(), static_cast<uint32_t>(r.secret.size()));
  pk.pack(std::string_view("created"));
  pk.pack(static_cast<uint64_t>(r.created_ms));
  pk.pack(std::string_view("nbf"));
  pk.pack(static_cast<uint64_t>(r.not_before_ms));
  pk.pack(std::string_view("naf"));
  pk.pack(static_cast<uint64_t>(r.not_after_ms));
  pk.pack(std::string_view("revoked"));
  pk.pack(r.revoked);
  pk.pack(std::string_view("revoked_at"));
  pk.pack(static_cast<uint64_t>(r.revoked_at_ms));
  pk.pack(std::string_view("kinds"));
  pk.pack(static_cast<uint64_t>(s.kinds));
  pk.pack(std::string_view("senders"));
  pk.pack(s.senders);
  pk.pack(std::string_view("countries"));
  pk.pack(s.countries);
  pk.pack(std::string_view("max_segments"));
  pk.pack(static_cast<uint64_t>(s.max_segments));
  pk.pack(std::string_view("url_policy"));
  pk.pack(UrlPolicyName(s.url_policy));
  pk.pack(std::string_view("url_domains"));
  pk.pack(s.url_domains);
  pk.pack(std::string_view("otp_template"));
  pk.pack(s.otp_template);
  pk.pack(std::string_view("rate"));
  pk.pack(static_cast<uint64_t>(s.rate_per_s));
  pk.pack(std::string_view("burst"));
  pk.pack(static_cast<uint64_t>(s.burst));
  if (api) {
    pk.pack(std::string_view("auth"));
    pk.pack(ApiAuthName(s.api_auth));
    pk.pack(std::string_view("allow_ips"));
    pk.pack(s.allow_ips);
    pk.pack(std::string_view("mode"));
    pk.pack(std::string_view(r.test_mode ? "test" : "live"));
  }
  return std::string(buf.data(), buf.size());
}

namespace {

Result<uint64_t> UintField(const msgpack::object& v, std::string_view name, uint64_t max) {
  if (v.type != msgpack::type::POSITIVE_INTEGER || v.via.u64 > max) {
    return Bad("key record: " + std::string(name) + " must be an integer in [0, " +
               std::to_string(max) + "]");
  }
  return v.via.u64;
}

Result<std::string> StrField(const msgpack::object& v, std::string_view name, size_t max) {
  if (v.type != msgpack::type::STR || v.via.str.size > max) {
    return Bad("key record: " + std::string(name) + " must be a string of at most " +
               std::to_string(max) + " bytes");
  }
  return std::string(v.via.str.ptr, v.via.str.size);
}

Result<std::vector<std::string>> StrList(const msgpack::object& v, std::string_view name,
                                         size_t max_items, size_t max_bytes) {
  if (v.type != msgpack::type::ARRAY || v.via.array.size > max_items) {
    return Bad("key record: " + std::string(name) + " must be a list of at most " +
               std::to_string(max_items) + " strings");
  }
  std::vector<std::string> out;
  out.reserve(v.via.array.size);
  for (uint32_t i = 0; i < v.via.array.size; ++i) {
    auto s = StrField(v.via.array.ptr[i], name, max_bytes);
    if (!s) return s.error();
    out.push_back(std::move(s).value());
  }
  return out;
}

// Unpacks a record within the limits of its fields: arrays hold at most the longest list,
// strings at most a domain or a template, bins at most a secret; depth 2 (a map of scalars
// and lists of strings).
std::optional<Error> UnpackRecord(std::string_view bytes, msgpack::object_handle* oh) {
  if (bytes.size() > KeyRecordLimits::kMaxRecordBytes) {
    return Error{Reason::kTooLarge, "key record too large"};
  }
  if (bytes.empty()) return Bad("empty key record");
  size_t off = 0;
  try {
    const size_t max_array = std::max({KeyRecordLimits::kMaxSenders, KeyRecordLimits::kMaxCountries,
                                       KeyRecordLimits::kMaxUrlDomains});
    const size_t max_str =
        std::max(KeyRecordLimits::kMaxTemplateBytes, KeyRecordLimits::kMaxDomainBytes);
    const msgpack::unpack_limit limit(max_array, 32, max_str, KeyRecordLimits::kMaxSecretBytes, 0,
                                      3);
    *oh = msgpack::unpack(bytes.data(), bytes.size(), off, nullptr, nullptr, limit);
  } catch (const msgpack::size_overflow&) {
    return Error{Reason::kTooLarge, "a key record field exceeds its limit"};
  } catch (const std::exception& e) {
    return Bad(std::string("key record is not valid msgpack: ") + e.what());
  }
  if (off != bytes.size()) return Bad("trailing bytes after the key record");
  return std::nullopt;
}

// The fields that say which key this is and when it is valid.
std::optional<Error> DecodeIdentityField(std::string_view key, const msgpack::object& v,
                                         KeyRecord* r, uint64_t* fmt) {
  if (key == "fmt") {
    auto f = UintField(v, key, 255);
    if (!f) return f.error();
    if (*f != kRecordFormat && *f != kRecordFormatApi) {
      return Error{Reason::kUnsupportedVersion, "key record format unknown"};
    }
    *fmt = *f;
  } else if (key == "id") {
    auto x = StrField(v, key, KeyRecordLimits::kMaxKeyIdBytes);
    if (!x) return x.error();
    r->id = std::move(x).value();
  } else if (key == "secret") {
    if (v.type != msgpack::type::BIN) return Bad("key record: secret must be bytes");
    r->secret.assign(v.via.bin.ptr, v.via.bin.size);
  } else if (key == "revoked") {
    if (v.type != msgpack::type::BOOLEAN) return Bad("key record: revoked must be a boolean");
    r->revoked = v.via.boolean;
  } else {  // created, nbf, naf, revoked_at
    auto t = UintField(v, key, kMaxTimeMs);
    if (!t) return t.error();
    const auto ms = static_cast<int64_t>(*t);
    (key == "created" ? r->created_ms
     : key == "nbf"   ? r->not_before_ms
     : key == "naf"   ? r->not_after_ms
                      : r->revoked_at_ms) = ms;
  }
  return std::nullopt;
}

// The fields of the key's scopes: what it may be used for.
std::optional<Error> DecodeScopeField(std::string_view key, const msgpack::object& v,
                                      KeyScopes* s) {
  if (key == "kinds") {
    auto x = UintField(v, key, 0b111);
    if (!x) return x.error();
    s->kinds = static_cast<uint8_t>(*x);
  } else if (key == "senders") {
    auto x = StrList(v, key, KeyRecordLimits::kMaxSenders, JobLimits::kMaxSenderBytes);
    if (!x) return x.error();
    s->senders = std::move(x).value();
  } else if (key == "countries") {
    auto x = StrList(v, key, KeyRecordLimits::kMaxCountries, 2);
    if (!x) return x.error();
    s->countries = std::move(x).value();
  } else if (key == "max_segments") {
    auto x = UintField(v, key, KeyRecordLimits::kMaxSegments);
    if (!x) return x.error();
    s->max_segments = static_cast<int>(*x);
  } else if (key == "url_policy") {
    auto x = StrField(v, key, 16);
    if (!x) return x.error();
    if (*x == "any") {
      s->url_policy = UrlPolicy::kAny;
    } else if (*x == "none") {
      s->url_policy = UrlPolicy::kNone;
    } else if (*x == "allowlist") {
      s->url_policy = UrlPolicy::kAllowlist;
    } else {
      return Bad("key record: url_policy must be any, none or allowlist");
    }
  } else if (key == "url_domains") {
    auto x = StrList(v, key, KeyRecordLimits::kMaxUrlDomains, KeyRecordLimits::kMaxDomainBytes);
    if (!x) return x.error();
    s->url_domains = std::move(x).value();
  } else if (key == "otp_template") {
    auto x = StrField(v, key, KeyRecordLimits::kMaxTemplateBytes);
    if (!x) return x.error();
    s->otp_template = std::move(x).value();
  } else if (key == "auth") {
    auto x = StrField(v, key, 16);
    if (!x) return x.error();
    auto a = ParseApiAuth(*x);
    if (!a) return Bad("key record: auth must be hmac, bearer or both");
    s->api_auth = *a;
  } else if (key == "allow_ips") {
    auto x = StrList(v, key, KeyRecordLimits::kMaxAllowIps, KeyRecordLimits::kMaxCidrBytes);
    if (!x) return x.error();
    s->allow_ips = std::move(x).value();
  } else {  // rate, burst
    auto x = UintField(v, key, UINT32_MAX);
    if (!x) return x.error();
    (key == "rate" ? s->rate_per_s : s->burst) = static_cast<uint32_t>(*x);
  }
  return std::nullopt;
}

std::optional<Error> DecodeMode(const msgpack::object& v, KeyRecord* r) {
  auto x = StrField(v, "mode", 8);
  if (!x) return x.error();
  if (*x != "test" && *x != "live") return Bad("key record: mode must be live or test");
  r->test_mode = *x == "test";
  return std::nullopt;
}

constexpr std::string_view kFields[] = {
    "fmt",        "id",          "secret",       "created", "nbf",       "naf",
    "revoked",    "revoked_at",  "kinds",        "senders", "countries", "max_segments",
    "url_policy", "url_domains", "otp_template", "rate",    "burst",     "auth",
    "allow_ips",  "mode"};
constexpr size_t kFieldCount = std::size(kFields);
constexpr size_t kFormat1Fields = 17;  // "auth", "allow_ips" and "mode" are format 2's
constexpr size_t kFirstScopeField = 8;  // "kinds": the fields before it are DecodeIdentityField's

}  // namespace

Result<KeyRecord> DecodeKeyRecord(std::string_view bytes) {
  msgpack::object_handle oh;
  if (std::optional<Error> e = UnpackRecord(bytes, &oh)) return *std::move(e);
  const msgpack::object& o = oh.get();
  if (o.type != msgpack::type::MAP) return Bad("key record must be a msgpack map");
  uint32_t seen = 0;
  uint64_t fmt = kRecordFormat;
  KeyRecord r;
  for (uint32_t i = 0; i < o.via.map.size; ++i) {
    const msgpack::object& k = o.via.map.ptr[i].key;
    const msgpack::object& v = o.via.map.ptr[i].val;
    if (k.type != msgpack::type::STR) return Bad("key record keys must be strings");
    const std::string_view key(k.via.str.ptr, k.via.str.size);
    const size_t idx =
        static_cast<size_t>(std::find(kFields, kFields + kFieldCount, key) - kFields);
    if (idx == kFieldCount) {
      return Bad("key record: unknown field '" + std::string(key.substr(0, 32)) + "'");
    }
    if (seen & (1u << idx)) return Bad("key record: duplicate field '" + std::string(key) + "'");
    seen |= 1u << idx;
    std::optional<Error> e = key == "mode"                ? DecodeMode(v, &r)
                             : idx < kFirstScopeField ? DecodeIdentityField(key, v, &r, &fmt)
                                                      : DecodeScopeField(key, v, &r.scopes);
    if (e) return *std::move(e);
  }
  const size_t fields = fmt == kRecordFormatApi ? kFieldCount : kFormat1Fields;
  for (size_t b = 0; b < kFieldCount; ++b) {
    const bool present = seen & (1u << b);
    if (b < fields && !present) {
      return Bad("key record: missing field '" + std::string(kFields[b]) + "'");
    }
    if (b >= fields && present) {
      return Bad("key record: field '" + std::string(kFields[b]) + "' needs format 2");
    }
  }
  if (auto problem = ValidateKeyRecord(r)) return Bad(*problem);
  return r;
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
