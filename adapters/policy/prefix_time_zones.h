#pragma once
// libphonenumber's number-prefix -> time zones map: the data Java's
// PhoneNumberToTimeZonesMapper places a number with ("1212" -> America/New_York, "49" ->
// Europe/Berlin, "7" -> every Russian and Kazakh zone). Debian's C++ libphonenumber (8.12) has
// no such mapper and no such data; the Java package libphonenumber8-java ships it as the entry
// com/google/i18n/phonenumbers/timezones/data/map_data of /usr/share/java/geocoder.jar. The
// build copies that entry into the binary at configure time (adapters/policy/CMakeLists.txt), so
// the zones follow the Debian package, and this class reads it.
//
// The entry is a Java object stream (ObjectOutputStream) holding only block data, whose payload
// is PhonePrefixMap.writeExternal's flyweight layout (DataOutput, big-endian):
//   u8 flyweight (1) | i32 prefix word size | i32 index word size | i32 n, n x i32 digit counts
//   | i32 m, m x writeUTF description ("America/Adak&America/Anchorage") | i32 k, k x (prefix
//   word, description index word), prefixes strictly ascending.
// Parse checks all of it: the data is a build input, but a wrong one must be a named error,
// never a crash or a silently wrong zone.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace sd {

class PrefixTimeZones {
 public:
  // Digit counts a prefix may declare: 18 decimal digits always fit the 64-bit value Lookup
  // computes. (The real data has 1..8; a 4-byte prefix word holds at most 10.)
  static constexpr int kMaxPrefixDigits = 18;
  // E.164: a number has at most 15 digits; Lookup answers -1 for anything longer.
  static constexpr size_t kMaxNumberDigits = 15;
  // The real entry is ≈ 27 KB; a bound so counts fit an int and a wrong build input cannot make
  // the parser allocate much.
  static constexpr size_t kMaxBytes = 16u << 20;

  // Parses the Java-serialized map_data described above. Errors are
  // Error{Reason::kMalformed, "prefix time zones: offset N: <problem>"}, N a byte offset in the
  // block-data payload ("stream offset N" for the object stream's framing).
  static Result<PrefixTimeZones> Parse(std::string_view bytes);
  // The map embedded at build time from Debian's libphonenumber8-java, parsed on first use and
  // kept for the life of the process (thread-safe).
  static const Result<PrefixTimeZones>& Embedded();

  // The zone set of the longest entry that is a prefix of `digits` (the E.164 digits without
  // '+', country code first, 1..15 ASCII digits): its index, or -1 when no entry matches or
  // `digits` is not such a string. Does not allocate.
  int Lookup(std::string_view digits) const;
  // The number of zone sets (the map's description pool).
  size_t sets() const { return sets_.size(); }
  // A set's zone ids, in the data's order; empty for an index out of range.
  const std::vector<std::string>& Zones(int set) const;
  size_t entries() const { return entries_.size(); }

 private:
  friend class PrefixTimeZonesParser;
  PrefixTimeZones() = default;

  // A prefix is at most 4 bytes in the data, so 32 bits hold it; the set likewise.
  struct Entry {
    uint32_t prefix = 0;
    uint32_t set = 0;
  };
  // Grouped by digit count, ascending prefix within a group: "1" and "10" are different
  // prefixes, so Lookup takes the number's first k digits and binary-searches only the k-digit
  // group, from the longest k down. by_digits_[k] .. by_digits_[k + 1] is the k-digit group.
  std::vector<Entry> entries_;
  std::array<uint32_t, kMaxPrefixDigits + 2> by_digits_{};
  // The description pool, each description split on '&'.
  std::vector<std::vector<std::string>> sets_;
};

}  // namespace sd
