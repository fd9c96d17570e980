#include "core/envelope.h"

#include <msgpack.hpp>

#include "core/hex.h"

namespace sd {
namespace {

bool FramingSafe(std::string_view s) { return !s.empty() && s.find('\n') == s.npos; }

// Maximum string length any job field may declare: the unpacker refuses larger declarations
// before allocating, so a 4-byte header claiming 4 GiB costs nothing.
constexpr size_t kMaxAnyString = JobLimits::kMaxTextBytes;

Error Malformed(std::string detail) { return Error{Reason::kMalformed, std::move(detail)}; }
Error TooLarge(std::string field) { return Error{Reason::kTooLarge, field + " too large"}; }

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

std::string EncodeJob(const Job& job) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(&buf);
  pk.pack_map(job.client_ref.empty() ? 7 : 8);
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
  return std::string(buf.data(), buf.size());
}

namespace {

Result<std::string> StringField(const msgpack::object& v, const char* name, size_t max) {
  if (v.type != msgpack::type::STR) return Malformed(std::string(name) + " must be a string");
  if (v.via.str.size > max) return TooLarge(name);
  return std::string(v.via.str.ptr, v.via.str.size);
}

Result<int64_t> TimeField(const msgpack::object& v, const char* name) {
  // Milliseconds since the epoch; 2^53 keeps every language's JSON/double path exact.
  if (v.type != msgpack::type::POSITIVE_INTEGER || v.via.u64 > (uint64_t{1} << 53)) {
    return Malformed(std::string(name) + " must be a non-negative integer (ms since epoch)");
  }
  return static_cast<int64_t>(v.via.u64);
}

}  // namespace

Result<Job> DecodeJob(std::string_view bytes) {
  if (bytes.size() > JobLimits::kMaxJobBytes) return TooLarge("job");
  if (bytes.empty()) return Malformed("empty job");
  msgpack::object_handle oh;
  size_t off = 0;
  try {
    // array 0: the job has no arrays; depth 1: a flat map of scalars.
    const msgpack::unpack_limit limit(0, JobLimits::kMaxMapEntries, kMaxAnyString, 0, 0, 2);
    oh = msgpack::unpack(bytes.data(), bytes.size(), off, nullptr, nullptr, limit);
  } catch (const msgpack::array_size_overflow&) {
    return Malformed("job must be a msgpack map");  // the job contains no arrays at all
  } catch (const msgpack::depth_size_overflow&) {
    return Malformed("job nests too deep");
  } catch (const msgpack::size_overflow&) {
    return TooLarge("a job field");
  } catch (const std::exception& e) {
    return Malformed(std::string("job is not msgpack: ") + e.what());
  }
  if (off != bytes.size()) return Malformed("trailing bytes after the job map");
  const msgpack::object& o = oh.get();
  if (o.type != msgpack::type::MAP) return Malformed("job must be a msgpack map");

  Job job;
  enum : uint32_t { kId = 1, kCreated = 2, kExpires = 4, kTo = 8, kFrom = 16, kText = 32,
                    kKind = 64, kRef = 128 };
  uint32_t seen = 0;
  for (uint32_t i = 0; i < o.via.map.size; ++i) {
    const msgpack::object& k = o.via.map.ptr[i].key;
    const msgpack::object& v = o.via.map.ptr[i].val;
    if (k.type != msgpack::type::STR) return Malformed("job keys must be strings");
    const std::string_view key(k.via.str.ptr, k.via.str.size);
    uint32_t bit = 0;
    if (key == "id") {
      bit = kId;
      auto s = StringField(v, "id", JobLimits::kMaxIdBytes);
      if (!s) return s.error();
      job.id = std::move(s).value();
    } else if (key == "created") {
      bit = kCreated;
      auto t = TimeField(v, "created");
      if (!t) return t.error();
      job.created_ms = *t;
    } else if (key == "expires") {
      bit = kExpires;
      auto t = TimeField(v, "expires");
      if (!t) return t.error();
      job.expires_ms = *t;
    } else if (key == "to") {
      bit = kTo;
      auto s = StringField(v, "to", 32);
      if (!s) return s.error();
      job.destination = std::move(s).value();
    } else if (key == "from") {
      bit = kFrom;
      auto s = StringField(v, "from", JobLimits::kMaxSenderBytes);
      if (!s) return s.error();
      job.sender = std::move(s).value();
    } else if (key == "text") {
      bit = kText;
      auto s = StringField(v, "text", JobLimits::kMaxTextBytes);
      if (!s) return s.error();
      job.text = std::move(s).value();
    } else if (key == "kind") {
      bit = kKind;
      auto s = StringField(v, "kind", 16);
      if (!s) return s.error();
      if (*s == "otp") job.kind = JobKind::kOtp;
      else if (*s == "transactional") job.kind = JobKind::kTransactional;
      else if (*s == "marketing") job.kind = JobKind::kMarketing;
      else return Malformed("kind must be otp, transactional or marketing");
    } else if (key == "ref") {
      bit = kRef;
      auto s = StringField(v, "ref", JobLimits::kMaxClientRefBytes);
      if (!s) return s.error();
      job.client_ref = std::move(s).value();
    } else {
      return Malformed("unknown job field '" + std::string(key.substr(0, 32)) + "'");
    }
    if (seen & bit) return Malformed("duplicate job field '" + std::string(key) + "'");
    seen |= bit;
  }
  constexpr uint32_t kRequired = kId | kCreated | kExpires | kTo | kFrom | kText | kKind;
  if ((seen & kRequired) != kRequired) {
    static constexpr const char* kNames[] = {"id", "created", "expires", "to", "from", "text", "kind"};
    for (int b = 0; b < 7; ++b) {
      if (!(seen & (1u << b))) return Malformed(std::string("missing job field '") + kNames[b] + "'");
    }
  }
  if (job.id.empty()) return Malformed("id must not be empty");
  for (char c : job.id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) return Malformed("id may contain only A-Z a-z 0-9 - _ . :");
  }
  return job;
}

}  // namespace sd
