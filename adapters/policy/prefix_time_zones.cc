#include "adapters/policy/prefix_time_zones.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <utility>

// The bytes of Debian's map_data, generated at configure time into
// <build>/adapters/policy/generated/prefix_time_zones_data.cc by adapters/policy/CMakeLists.txt.
namespace sd {
extern const unsigned char kPrefixTimeZonesData[];
extern const size_t kPrefixTimeZonesDataSize;
}  // namespace sd

namespace sd {
namespace {

// java.io.ObjectStreamConstants: STREAM_MAGIC, STREAM_VERSION and the two block-data records,
// the only records an Externalizable's writeExternal output of primitives and strings produces.
constexpr unsigned char kStreamMagic[] = {0xAC, 0xED, 0x00, 0x05};
constexpr unsigned char kBlockData = 0x77;      // TC_BLOCKDATA: u8 length
constexpr unsigned char kBlockDataLong = 0x7A;  // TC_BLOCKDATALONG: u32 big-endian length

std::string Problem(std::string_view where, size_t offset, std::string_view what) {
  std::string s = "prefix time zones: ";
  s.append(where).append(" ").append(std::to_string(offset)).append(": ").append(what);
  return s;
}

Error Malformed(std::string_view where, size_t offset, std::string_view what) {
  return Error{Reason::kMalformed, Problem(where, offset, what)};
}

// Concatenates the payloads of the block-data records after the stream header.
Result<std::string> Unframe(std::string_view in) {
  if (in.size() > PrefixTimeZones::kMaxBytes) {
    return Malformed("stream offset", 0,
                     "larger than " + std::to_string(PrefixTimeZones::kMaxBytes) + " bytes");
  }
  if (in.size() < sizeof(kStreamMagic) ||
      !std::equal(std::begin(kStreamMagic), std::end(kStreamMagic), in.begin(),
                  [](unsigned char a, char b) { return a == static_cast<unsigned char>(b); })) {
    return Malformed("stream offset", 0, "not a Java object stream (magic AC ED 00 05)");
  }
  std::string payload;
  payload.reserve(in.size());  // bounded by kMaxBytes above; the payload is never longer
  size_t at = sizeof(kStreamMagic);
  while (at < in.size()) {
    const auto tag = static_cast<unsigned char>(in[at]);
    size_t header = 0;
    uint64_t length = 0;
    if (tag == kBlockData && in.size() - at >= 2) {
      header = 2;
      length = static_cast<unsigned char>(in[at + 1]);
    } else if (tag == kBlockDataLong && in.size() - at >= 5) {
      header = 5;
      for (size_t i = 1; i < 5; ++i) length = length << 8 | static_cast<unsigned char>(in[at + i]);
    } else if (tag == kBlockData || tag == kBlockDataLong) {
      return Malformed("stream offset", at, "truncated block-data header");
    } else {
      return Malformed("stream offset", at,
                       "record tag " + std::to_string(tag) + " is not block data");
    }
    if (length > in.size() - at - header) {
      return Malformed("stream offset", at,
                       "block of " + std::to_string(length) + " bytes, " +
                           std::to_string(in.size() - at - header) + " left");
    }
    payload.append(in.substr(at + header, length));
    at += header + length;
  }
  return payload;
}

// A zone id's characters ("America/Argentina/Buenos_Aires", "Etc/GMT+5"): what the tz database
// uses, and nothing that could confuse a log line or a metrics label.
bool ZoneIdChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' ||
         c == '_' || c == '-' || c == '+';
}

// Decimal digits of a prefix: its length in the sense of the declared prefix lengths.
int DigitCount(uint64_t v) {
  int n = 1;
  while (v >= 10) v /= 10, ++n;
  return n;
}

}  // namespace

// Reads the payload front to back; the first problem found stops it (error_ is then set and
// every read fails), so the parse steps can simply return on false.
class PrefixTimeZonesParser {
 public:
  explicit PrefixTimeZonesParser(std::string_view payload) : in_(payload) {}

  Result<PrefixTimeZones> Run() {
    PrefixTimeZones map;
    if (!Header() || !Pool(&map) || !Entries(&map)) return *error_;
    if (at_ != in_.size()) {
      return Malformed("offset", at_,
                       "trailing bytes after the map (" + std::to_string(in_.size() - at_) + ")");
    }
    return map;
  }

 private:
  bool Fail(size_t offset, std::string what) {
    if (!error_) error_ = Malformed("offset", offset, what);
    return false;
  }
  size_t left() const { return in_.size() - at_; }

  // An unsigned big-endian word of `size` (1..8) bytes.
  bool Word(size_t size, std::string_view what, uint64_t* out) {
    if (left() < size) {
      return Fail(at_, "truncated " + std::string(what) + " (" + std::to_string(size) + " bytes, " +
                           std::to_string(left()) + " left)");
    }
    uint64_t v = 0;
    for (size_t i = 0; i < size; ++i) v = v << 8 | static_cast<unsigned char>(in_[at_ + i]);
    at_ += size;
    *out = v;
    return true;
  }

  // A DataOutput.writeInt that must lie in [lo, hi].
  bool Int(std::string_view what, int64_t lo, int64_t hi, int64_t* out) {
    const size_t start = at_;
    uint64_t raw = 0;
    if (!Word(4, what, &raw)) return false;
    const int64_t v = static_cast<int32_t>(static_cast<uint32_t>(raw));
    if (v < lo || v > hi) {
      return Fail(start, std::string(what) + " " + std::to_string(v) + " is outside " +
                             std::to_string(lo) + ".." + std::to_string(hi));
    }
    *out = v;
    return true;
  }

  // A DataOutput.writeInt count of items of at least `unit` bytes each: never more than the
  // bytes left can hold, so it is safe to reserve for.
  bool Count(std::string_view what, size_t unit, int64_t* out) {
    const size_t start = at_;
    if (!Int(what, 0, std::numeric_limits<int32_t>::max(), out)) return false;
    if (static_cast<uint64_t>(*out) > left() / unit) {
      return Fail(start, std::string(what) + " " + std::to_string(*out) + " needs at least " +
                             std::to_string(static_cast<uint64_t>(*out) * unit) + " bytes, " +
                             std::to_string(left()) + " left");
    }
    return true;
  }

  bool Header() {
    uint64_t flyweight = 0;
    if (!Word(1, "storage flag", &flyweight)) return false;
    if (flyweight != 1) {
      return Fail(0, "unsupported storage (flag " + std::to_string(flyweight) +
                         "; only the flyweight storage, 1, is read)");
    }
    // Java writes 2- or 4-byte words; any 1..4 reads the same and keeps a prefix in 32 bits.
    if (!Int("prefix word size", 1, 4, &prefix_size_)) return false;
    if (!Int("index word size", 1, 4, &index_size_)) return false;
    int64_t n = 0;
    if (!Int("count of prefix lengths", 0, PrefixTimeZones::kMaxPrefixDigits, &n)) return false;
    int64_t previous = 0;
    for (int64_t i = 0; i < n; ++i) {
      const size_t start = at_;
      int64_t digits = 0;
      if (!Int("prefix length", 1, PrefixTimeZones::kMaxPrefixDigits, &digits)) return false;
      // A Java SortedSet: strictly ascending, which also rules out duplicates.
      if (digits <= previous) return Fail(start, "prefix lengths not strictly ascending");
      possible_[static_cast<size_t>(digits)] = true;
      previous = digits;
    }
    return true;
  }

  bool Pool(PrefixTimeZones* map) {
    int64_t count = 0;
    // Each description is at least 3 bytes (u16 length and one character).
    if (!Count("description pool size", 3, &count)) return false;
    map->sets_.reserve(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) {
      const size_t start = at_;
      uint64_t length = 0;
      if (!Word(2, "description length", &length)) return false;
      if (length == 0) return Fail(start, "empty description");
      if (length > left()) {
        return Fail(start, "description of " + std::to_string(length) + " bytes, " +
                               std::to_string(left()) + " left");
      }
      const std::string_view text = in_.substr(at_, length);
      if (!Description(text, &map->sets_.emplace_back())) {
        return Fail(start, "description " + std::to_string(i) +
                               " is not '&'-joined zone ids (A-Z a-z 0-9 / _ - +)");
      }
      at_ += length;
    }
    return true;
  }

  // Splits "America/Adak&America/Anchorage"; false on an empty id or any other character.
  static bool Description(std::string_view text, std::vector<std::string>* zones) {
    size_t begin = 0;
    while (begin <= text.size()) {
      size_t end = text.find('&', begin);
      if (end == std::string_view::npos) end = text.size();
      const std::string_view id = text.substr(begin, end - begin);
      if (id.empty() || !std::all_of(id.begin(), id.end(), ZoneIdChar)) return false;
      zones->emplace_back(id);
      begin = end + 1;
    }
    return true;
  }

  bool Entries(PrefixTimeZones* map) {
    const auto entry_size = static_cast<size_t>(prefix_size_ + index_size_);
    int64_t count = 0;
    if (!Count("entry count", entry_size, &count)) return false;
    // Counted first, then placed: entries_ is grouped by digit count (see the header).
    std::vector<PrefixTimeZones::Entry> in_order(static_cast<size_t>(count));
    std::array<uint32_t, PrefixTimeZones::kMaxPrefixDigits + 2> per_digits{};
    uint64_t previous = 0;
    for (auto& e : in_order) {
      const size_t start = at_;
      uint64_t prefix = 0, set = 0;
      if (!Word(static_cast<size_t>(prefix_size_), "prefix", &prefix)) return false;
      if (!Word(static_cast<size_t>(index_size_), "description index", &set)) return false;
      if (prefix <= previous) {
        return Fail(start, "prefix " + std::to_string(prefix) + " not above the previous (" +
                               std::to_string(previous) + ")");
      }
      const int digits = DigitCount(prefix);
      if (digits > PrefixTimeZones::kMaxPrefixDigits || !possible_[static_cast<size_t>(digits)]) {
        return Fail(start, "prefix " + std::to_string(prefix) + " has " + std::to_string(digits) +
                               " digits, not a declared prefix length");
      }
      if (set >= map->sets_.size()) {
        return Fail(start, "description index " + std::to_string(set) + " beyond the pool of " +
                               std::to_string(map->sets_.size()));
      }
      e = {static_cast<uint32_t>(prefix), static_cast<uint32_t>(set)};
      ++per_digits[static_cast<size_t>(digits)];
      previous = prefix;
    }
    auto& first = map->by_digits_;
    first[0] = 0;
    for (size_t k = 1; k < first.size(); ++k) first[k] = first[k - 1] + per_digits[k - 1];
    // Ascending overall means ascending within each digit count: placing in order keeps that.
    std::array<uint32_t, PrefixTimeZones::kMaxPrefixDigits + 2> next = first;
    map->entries_.resize(in_order.size());
    for (const auto& e : in_order) {
      map->entries_[next[static_cast<size_t>(DigitCount(e.prefix))]++] = e;
    }
    return true;
  }

  std::string_view in_;
  size_t at_ = 0;               // the next unread byte of in_
  std::optional<Error> error_;  // the first problem; set once
  int64_t prefix_size_ = 0;     // bytes per prefix word, 1..4
  int64_t index_size_ = 0;      // bytes per description index word, 1..4
  std::array<bool, PrefixTimeZones::kMaxPrefixDigits + 1> possible_{};  // declared lengths
};

Result<PrefixTimeZones> PrefixTimeZones::Parse(std::string_view bytes) {
  Result<std::string> payload = Unframe(bytes);
  if (!payload.ok()) return payload.error();
  return PrefixTimeZonesParser(*payload).Run();
}

const Result<PrefixTimeZones>& PrefixTimeZones::Embedded() {
  static const Result<PrefixTimeZones> kEmbedded = Parse(std::string_view(
      reinterpret_cast<const char*>(kPrefixTimeZonesData), kPrefixTimeZonesDataSize));
  return kEmbedded;
}

int PrefixTimeZones::Lookup(std::string_view digits) const {
  if (digits.empty() || digits.size() > kMaxNumberDigits) return -1;
  uint64_t value = 0;  // the first k digits, k from digits.size() down; 15 digits fit
  for (char c : digits) {
    if (c < '0' || c > '9') return -1;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  // From the longest possible prefix down, so the first hit is the longest match. A value with
  // a leading zero has fewer than k digits and so matches no k-digit entry, as it should not.
  for (size_t k = digits.size(); k >= 1; --k, value /= 10) {
    const auto first = entries_.begin() + by_digits_[k];
    const auto last = entries_.begin() + by_digits_[k + 1];
    if (first == last || value > std::numeric_limits<uint32_t>::max()) continue;
    const auto it = std::lower_bound(first, last, value,
                                     [](const Entry& e, uint64_t v) { return e.prefix < v; });
    if (it != last && it->prefix == value) return static_cast<int>(it->set);
  }
  return -1;
}

const std::vector<std::string>& PrefixTimeZones::Zones(int set) const {
  static const std::vector<std::string> kNone;
  if (set < 0 || static_cast<size_t>(set) >= sets_.size()) return kNone;
  return sets_[static_cast<size_t>(set)];
}

}  // namespace sd
