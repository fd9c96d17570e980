#include "core/envelope.h"

#include <msgpack.hpp>

#include "core/hex.h"
#include "core/safe_text.h"

namespace sd {
namespace {

bool FramingSafe(std::string_view s) { return !s.empty() && s.find('\n') == s.npos; }

Error Malformed(std::string detail) { return Error{Reason::kMalformed, std::move(detail)}; }

}  // namespace

std::string_view JobKindName(JobKind k) {
  switch (k) {
    case JobKind::kOtp: return "otp";
    case JobKind::kTransactional: return "transactional";
    case JobKind::kMarketing: return "marketing";
  }
  return "transactional";
}

std::string SigningInput(std::string_view version, std::string_view key_id,
                         std::string_view stream, std::string_view job_bytes) {
  std::string in;
  in.reserve(version.size() + key_id.size() + stream.size() + job_bytes.size() + 3);
  in.append(version).push_back('\n');
  in.append(key_id).push_back('\n');
  in.append(stream).push_back('\n');
  in.append(job_bytes);
  return in;
}

std::string SignJob(const MacAlgorithm& mac, std::string_view secret, std::string_view key_id,
                    std::string_view stream, std::string_view job_bytes) {
  const Mac256 m = mac.HmacSha256(secret, SigningInput(kEnvelopeVersion, key_id, stream, job_bytes));
  return HexEncode(std::string_view(reinterpret_cast<const char*>(m.data()), m.size()));
}

std::string SignJob(const PreparedMac& key, std::string_view key_id, std::string_view stream,
                    std::string_view job_bytes) {
  // The same bytes as SigningInput(), fed in parts.
  const Mac256 m = key.Compute({kEnvelopeVersion, "\n", key_id, "\n", stream, "\n", job_bytes});
  return HexEncode(std::string_view(reinterpret_cast<const char*>(m.data()), m.size()));
}

bool VerifyJobSignature(const MacAlgorithm& mac, std::string_view secret,
                        std::string_view key_id, std::string_view stream,
                        std::string_view job_bytes, std::string_view sig_hex) {
  if (sig_hex.size() != 64 || !FramingSafe(key_id) || !FramingSafe(stream)) return false;
  const std::optional<std::string> given = HexDecode(sig_hex);
  if (!given) return false;
  Mac256 expected_bytes;
  Mac256 given_bytes;
  expected_bytes = mac.HmacSha256(secret, SigningInput(kEnvelopeVersion, key_id, stream, job_bytes));
  std::copy(given->begin(), given->end(), given_bytes.begin());
  return MacEquals(expected_bytes, given_bytes);
}

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool VerifyJobSignature(const PreparedMac& key, std::string_view key_id, std::string_view stream,
                        std::string_view job_bytes, std::string_view sig_hex) {
  if (sig_hex.size() != 64 || !FramingSafe(key_id) || !FramingSafe(stream)) return false;
  Mac256 given{};
  for (size_t i = 0; i < given.size(); ++i) {
    const int hi = HexValue(sig_hex[2 * i]);
    const int lo = HexValue(sig_hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    given[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  // The same bytes as SigningInput(), fed in parts.
  const Mac256 expected =
      key.Compute({kEnvelopeVersion, "\n", key_id, "\n", stream, "\n", job_bytes});
  return MacEquals(expected, given);
}

bool IsValidEnvelopeVersion(std::string_view v) {
  if (v.empty() || v.size() > 16) return false;
  for (char c : v) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool IsValidKeyId(std::string_view kid) {
  return !kid.empty() && kid.size() <= JobLimits::kMaxKeyIdBytes && IsPlainText(kid);
}

bool IsValidSignatureHex(std::string_view sig) {
  if (sig.size() != 64) return false;
  for (char c : sig) {
    if (HexValue(c) < 0) return false;
  }
  return true;
}

bool IsValidJobId(std::string_view id) {
  if (id.empty() || id.size() > JobLimits::kMaxIdBytes) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

std::string_view EchoableKeyId(std::string_view kid) {
  return IsValidKeyId(kid) ? kid : std::string_view();
}

std::optional<Error> CheckEntry(const StreamEntry& e) {
  if (!e.fields_ok) return Malformed("entry fields must be exactly v, kid, job, sig, each once");
  if (!IsValidEnvelopeVersion(e.version)) return Malformed("v must be 1-16 ASCII letters and digits");
  if (e.version != kEnvelopeVersion) {
    return Error{Reason::kUnsupportedVersion, "envelope version must be sd1"};
  }
  if (e.key_id.empty()) return Malformed("kid is empty");
  if (e.key_id.size() > JobLimits::kMaxKeyIdBytes) return Malformed("kid longer than 64 bytes");
  if (!IsPlainText(e.key_id)) return Malformed("kid must be UTF-8 without control characters");
  if (!IsValidSignatureHex(e.sig)) return Malformed("sig must be 64 hex digits");
  if (e.job.empty()) return Malformed("job is empty");
  if (e.job.size() > JobLimits::kMaxJobBytes) {
    return Error{Reason::kTooLarge, "job larger than 4096 bytes"};
  }
  return std::nullopt;
}

std::string EncodeJob(const Job& job) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(&buf);
  pk.pack_map(7 + (job.client_ref.empty() ? 0 : 1) + (job.send_at_ms == 0 ? 0 : 1));
  pk.pack(std::string_view("id"));
  pk.pack(job.id);
  pk.pack(std::string_view("created"));
  pk.pack(static_cast<uint64_t>(job.created_ms));
  pk.pack(std::string_view("expires"));
  pk.pack(static_cast<uint64_t>(job.expires_ms));
  pk.pack(std::string_view("to"));
  pk.pack(job.destination);
  pk.pack(std::string_view("from"));
  pk.pack(job.sender);
  pk.pack(std::string_view("text"));
  pk.pack(job.text);
  pk.pack(std::string_view("kind"));
  pk.pack(JobKindName(job.kind));
  if (!job.client_ref.empty()) {
    pk.pack(std::string_view("ref"));
    pk.pack(job.client_ref);
  }
  if (job.send_at_ms != 0) {
    pk.pack(std::string_view("send_at"));
    pk.pack(static_cast<uint64_t>(job.send_at_ms));
  }
  return std::string(buf.data(), buf.size());
}

namespace {

std::string_view TypeName(msgpack::type::object_type t) {
  switch (t) {
    case msgpack::type::NIL: return "nil";
    case msgpack::type::BOOLEAN: return "bool";
    case msgpack::type::POSITIVE_INTEGER: return "uint";
    case msgpack::type::NEGATIVE_INTEGER: return "negative integer";
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: return "float";
    case msgpack::type::STR: return "str";
    case msgpack::type::BIN: return "bin";
    case msgpack::type::ARRAY: return "array";
    case msgpack::type::MAP: return "map";
    case msgpack::type::EXT: return "ext";
  }
  return "unknown type";
}

Error WrongType(const char* name, const msgpack::object& v, std::string_view expected) {
  return Malformed(std::string(name) + ": " + std::string(TypeName(v.type)) + ", expected " +
                   std::string(expected));
}

// A str of at most `max` bytes. A bin is refused even when it holds text: the type is part of
// the signed contract (Python bytes and Go []byte encode as bin; send str).
Result<std::string> StringField(const msgpack::object& v, const char* name, size_t max) {
  if (v.type != msgpack::type::STR) return WrongType(name, v, "str");
  if (v.via.str.size > max) {
    return Error{Reason::kTooLarge,
                 std::string(name) + " longer than " + std::to_string(max) + " bytes"};
  }
  return std::string(v.via.str.ptr, v.via.str.size);
}

Result<int64_t> TimeField(const msgpack::object& v, const char* name) {
  if (v.type != msgpack::type::POSITIVE_INTEGER) return WrongType(name, v, "uint");
  // Milliseconds since the epoch; 2^53 keeps every language's JSON/double path exact.
  if (v.via.u64 > (uint64_t{1} << 53)) {
    return Error{Reason::kTooLarge, std::string(name) + " over 2^53"};
  }
  return static_cast<int64_t>(v.via.u64);
}

Result<JobKind> KindField(const msgpack::object& v) {
  if (v.type != msgpack::type::STR) return WrongType("kind", v, "str");
  const std::string_view s(v.via.str.ptr, v.via.str.size);
  if (s == "otp") return JobKind::kOtp;
  if (s == "transactional") return JobKind::kTransactional;
  if (s == "marketing") return JobKind::kMarketing;
  return Malformed("kind must be otp, transactional or marketing");
}

enum : uint32_t {
  kId = 1,
  kCreated = 2,
  kExpires = 4,
  kTo = 8,
  kFrom = 16,
  kText = 32,
  kKind = 64,
  kRef = 128,
  kSendAt = 256,
};

// One key/value of the map into `job`; the bit of the key, or the refusal.
Result<uint32_t> DecodeField(std::string_view key, const msgpack::object& v, Job& job) {
  auto take = [](Result<std::string> s, std::string& dst, uint32_t bit) -> Result<uint32_t> {
    if (!s) return s.error();
    dst = std::move(s).value();
    return bit;
  };
  if (key == "id") {
    Result<uint32_t> bit = take(StringField(v, "id", JobLimits::kMaxIdBytes), job.id, kId);
    if (bit && !IsValidJobId(job.id)) {
      return Malformed(job.id.empty() ? "id is empty" : "id may contain only A-Z a-z 0-9 - _ . :");
    }
    return bit;
  }
  if (key == "created" || key == "expires") {
    const bool created = key == "created";
    Result<int64_t> t = TimeField(v, created ? "created" : "expires");
    if (!t) return t.error();
    (created ? job.created_ms : job.expires_ms) = *t;
    return created ? kCreated : kExpires;
  }
  if (key == "send_at") {
    Result<int64_t> t = TimeField(v, "send_at");
    if (!t) return t.error();
    job.send_at_ms = *t;
    return kSendAt;
  }
  if (key == "to") return take(StringField(v, "to", JobLimits::kMaxToBytes), job.destination, kTo);
  if (key == "from")
    return take(StringField(v, "from", JobLimits::kMaxSenderBytes), job.sender, kFrom);
  if (key == "text") return take(StringField(v, "text", JobLimits::kMaxTextBytes), job.text, kText);
  if (key == "kind") {
    Result<JobKind> k = KindField(v);
    if (!k) return k.error();
    job.kind = *k;
    return kKind;
  }
  if (key == "ref") {
    Result<uint32_t> bit =
        take(StringField(v, "ref", JobLimits::kMaxClientRefBytes), job.client_ref, kRef);
    // Echoed on outcomes and receipts exactly as given, so it must be safe to echo.
    if (bit && !IsPlainText(job.client_ref)) {
      return Malformed("ref must be UTF-8 without control characters");
    }
    return bit;
  }
  return Malformed("unknown job field '" + EscapeBytes(key.substr(0, 32), 128) + "'");
}

}  // namespace

Result<Job> DecodeJob(std::string_view bytes) {
  if (bytes.size() > JobLimits::kMaxJobBytes) {
    return Error{Reason::kTooLarge, "job larger than 4096 bytes"};
  }
  if (bytes.empty()) return Malformed("job is empty");
  // One zone per thread, cleared after each job (it keeps its first chunk), and strings
  // referenced in `bytes` rather than copied into it: the fields are copied once, into the
  // Job. A fresh zone per call cost a chunk allocation and a copy of every string per job.
  thread_local msgpack::zone zone;
  struct ClearZone {
    ~ClearZone() { zone.clear(); }
  } clear_zone;
  msgpack::object o;
  size_t off = 0;
  try {
    // Counts are bounded before the unpacker allocates for them: a flat map of at most 16
    // entries. No string can outgrow the job's own 4,096 bytes, so the size limits only say so.
    const size_t n = JobLimits::kMaxMapEntries;
    const size_t b = JobLimits::kMaxJobBytes;
    const msgpack::unpack_limit limit(n, n, b, b, b, 2);
    bool referenced = false;
    o = msgpack::unpack(zone, bytes.data(), bytes.size(), off, referenced,
                        [](msgpack::type::object_type, size_t, void*) { return true; }, nullptr,
                        limit);
  } catch (const msgpack::depth_size_overflow&) {
    return Malformed("job nests too deep");
  } catch (const msgpack::size_overflow&) {
    return Malformed("job has a map or array of more than 16 entries");
  } catch (const std::exception& e) {
    return Malformed(std::string("job is not msgpack: ") + e.what());
  }
  if (off != bytes.size()) return Malformed("trailing bytes after the job map");
  if (o.type != msgpack::type::MAP) return Malformed("job must be a msgpack map");

  Job job;
  uint32_t seen = 0;
  for (uint32_t i = 0; i < o.via.map.size; ++i) {
    const msgpack::object& k = o.via.map.ptr[i].key;
    if (k.type != msgpack::type::STR) {
      return Malformed("job keys must be str (" + std::string(TypeName(k.type)) + " given)");
    }
    const std::string_view key(k.via.str.ptr, k.via.str.size);
    Result<uint32_t> bit = DecodeField(key, o.via.map.ptr[i].val, job);
    if (!bit) return bit.error();
    if (seen & *bit) return Malformed("duplicate job field '" + std::string(key) + "'");
    seen |= *bit;
  }
  static constexpr const char* kNames[] = {"id",   "created", "expires", "to",
                                           "from", "text",    "kind"};
  for (uint32_t b = 0; b < 7; ++b) {
    if (!(seen & (1u << b))) return Malformed(std::string("missing job field '") + kNames[b] + "'");
  }
  return job;
}

}  // namespace sd
