// The key record's msgpack form (docs/keys.md, "Record format"): EncodeKeyRecord and the
// strict DecodeKeyRecord of key_record.h, apart from the model and its checks.
#include <algorithm>
#include <msgpack.hpp>

#include "core/key_record.h"

namespace sd {
namespace {

constexpr uint64_t kMaxTimeMs = uint64_t{1} << 53;  // exact in every language's doubles
constexpr uint64_t kRecordFormat = 1;     // no API fields
constexpr uint64_t kRecordFormatApi = 2;  // with auth, allow_ips and mode
constexpr uint64_t kRecordFormatCallbacks = 3;  // also callback_url, callback_secrets, client_cert

Error Bad(std::string detail) { return Error{Reason::kMalformed, std::move(detail)}; }

}  // namespace

// ---- msgpack ----

std::string EncodeKeyRecord(const KeyRecord& r) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(&buf);
  const KeyScopes& s = r.scopes;
  const bool callbacks = !r.callback_url.empty() || !s.client_cert_sha256.empty();
  const bool api =
      callbacks || s.api_auth != ApiAuth::kHmac || !s.allow_ips.empty() || r.test_mode;
  pk.pack_map(callbacks ? 23 : api ? 20 : 17);
  pk.pack(std::string_view("fmt"));
  pk.pack(callbacks ? kRecordFormatCallbacks : api ? kRecordFormatApi : kRecordFormat);
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
  if (callbacks) {
    pk.pack(std::string_view("callback_url"));
    pk.pack(r.callback_url);
    pk.pack(std::string_view("callback_secrets"));
    pk.pack_array(static_cast<uint32_t>(r.callback_secrets.size()));
    for (const std::string& k : r.callback_secrets) {
      pk.pack_bin(static_cast<uint32_t>(k.size()));
      pk.pack_bin_body(k.data(), static_cast<uint32_t>(k.size()));
    }
    pk.pack(std::string_view("client_cert"));
    pk.pack(s.client_cert_sha256);
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
    const size_t max_str = std::max({KeyRecordLimits::kMaxTemplateBytes,
                                     KeyRecordLimits::kMaxDomainBytes,
                                     KeyRecordLimits::kMaxCallbackUrlBytes});
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
    if (*f != kRecordFormat && *f != kRecordFormatApi && *f != kRecordFormatCallbacks) {
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
  } else if (key == "client_cert") {
    auto x = StrField(v, key, KeyRecordLimits::kCertSha256HexBytes);
    if (!x) return x.error();
    s->client_cert_sha256 = std::move(x).value();
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

// The callback fields of format 3 (the scope's client_cert is decoded with the scopes).
std::optional<Error> DecodeCallbackField(std::string_view key, const msgpack::object& v,
                                         KeyRecord* r) {
  if (key == "callback_url") {
    auto x = StrField(v, key, KeyRecordLimits::kMaxCallbackUrlBytes);
    if (!x) return x.error();
    r->callback_url = std::move(x).value();
    return std::nullopt;
  }
  if (v.type != msgpack::type::ARRAY ||
      v.via.array.size > KeyRecordLimits::kMaxCallbackSecrets) {
    return Bad("key record: callback_secrets must be a list of at most 2 byte strings");
  }
  for (uint32_t i = 0; i < v.via.array.size; ++i) {
    const msgpack::object& b = v.via.array.ptr[i];
    if (b.type != msgpack::type::BIN) return Bad("key record: callback secrets must be bytes");
    r->callback_secrets.emplace_back(b.via.bin.ptr, b.via.bin.size);
  }
  return std::nullopt;
}

constexpr std::string_view kFields[] = {
    "fmt",        "id",          "secret",       "created", "nbf",       "naf",
    "revoked",    "revoked_at",  "kinds",        "senders", "countries", "max_segments",
    "url_policy", "url_domains", "otp_template", "rate",    "burst",     "auth",
    "allow_ips",  "mode",        "callback_url", "callback_secrets", "client_cert"};
constexpr size_t kFieldCount = std::size(kFields);
constexpr size_t kFormat1Fields = 17;  // "auth", "allow_ips" and "mode" are format 2's
constexpr size_t kFormat2Fields = 20;  // the callback fields and "client_cert" are format 3's
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
    std::optional<Error> e =
        key == "mode"                                     ? DecodeMode(v, &r)
        : key == "callback_url" || key == "callback_secrets" ? DecodeCallbackField(key, v, &r)
        : idx < kFirstScopeField                          ? DecodeIdentityField(key, v, &r, &fmt)
                                                          : DecodeScopeField(key, v, &r.scopes);
    if (e) return *std::move(e);
  }
  const size_t fields = fmt == kRecordFormatCallbacks ? kFieldCount
                        : fmt == kRecordFormatApi     ? kFormat2Fields
                                                      : kFormat1Fields;
  for (size_t b = 0; b < kFieldCount; ++b) {
    const bool present = seen & (1u << b);
    if (b < fields && !present) {
      return Bad("key record: missing field '" + std::string(kFields[b]) + "'");
    }
    if (b >= fields && present) {
      return Bad("key record: field '" + std::string(kFields[b]) + "' needs format " +
                 (b < kFormat2Fields ? "2" : "3"));
    }
  }
  if (auto problem = ValidateKeyRecord(r)) return Bad(*problem);
  return r;
}

}  // namespace sd
