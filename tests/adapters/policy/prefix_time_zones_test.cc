// PrefixTimeZones: the map embedded from Debian's libphonenumber8-java parses and places known
// numbers; hand-built streams (written here as Java's ObjectOutputStream would) check the framing,
// longest-prefix selection and that every malformed input is a named error, never a crash (the
// suite runs under ASan and UBSan).
#include "adapters/policy/prefix_time_zones.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// The zone ids of the set `digits` falls in; empty when none.
std::vector<std::string> ZonesOf(const PrefixTimeZones& map, std::string_view digits) {
  return map.Zones(map.Lookup(digits));
}

// A map as PhonePrefixMap.writeExternal writes it, with every field open to tampering.
struct MapSpec {
  uint8_t flyweight = 1;
  int32_t prefix_size = 2;  // not Java's 4 and 2: the parser must honour the declared sizes
  int32_t index_size = 1;
  std::vector<int32_t> lengths = {1, 2, 4};
  std::vector<std::string> pool = {"America/Adak&America/Anchorage", "Europe/Berlin",
                                   "America/New_York", "Etc/GMT+5"};
  std::vector<std::pair<uint64_t, uint64_t>> entries = {{1, 3}, {12, 1}, {49, 1}, {1212, 2}};
};

// DataOutput: big-endian.
void PutWord(std::string* out, uint64_t v, size_t size) {
  for (size_t i = size; i-- > 0;) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

std::string Payload(const MapSpec& s) {
  std::string out;
  PutWord(&out, s.flyweight, 1);
  PutWord(&out, static_cast<uint32_t>(s.prefix_size), 4);
  PutWord(&out, static_cast<uint32_t>(s.index_size), 4);
  PutWord(&out, s.lengths.size(), 4);
  for (int32_t l : s.lengths) PutWord(&out, static_cast<uint32_t>(l), 4);
  PutWord(&out, s.pool.size(), 4);
  for (const std::string& d : s.pool) {
    PutWord(&out, d.size(), 2);  // writeUTF: u16 byte length, then the (here ASCII) bytes
    out += d;
  }
  PutWord(&out, s.entries.size(), 4);
  for (const auto& [prefix, set] : s.entries) {
    PutWord(&out, prefix, static_cast<size_t>(s.prefix_size));
    PutWord(&out, set, static_cast<size_t>(s.index_size));
  }
  return out;
}

// The object stream: magic, then the payload in block-data records of `chunk` bytes,
// TC_BLOCKDATA and TC_BLOCKDATALONG in turn (Java uses both; a reader must join them anywhere).
std::string Stream(std::string_view payload, size_t chunk = 5, bool long_first = false) {
  std::string out("\xAC\xED\x00\x05", 4);  // STREAM_MAGIC, STREAM_VERSION
  bool long_record = long_first;
  for (size_t at = 0; at < payload.size(); at += chunk, long_record = !long_record) {
    const std::string_view part = payload.substr(at, chunk);
    EXPECT_TRUE(long_record || part.size() <= 255) << "a TC_BLOCKDATA record holds 255 bytes";
    out.push_back(static_cast<char>(long_record ? 0x7A : 0x77));
    PutWord(&out, part.size(), long_record ? 4 : 1);
    out += part;
  }
  return out;
}

Result<PrefixTimeZones> ParseSpec(const MapSpec& s) {
  return PrefixTimeZones::Parse(Stream(Payload(s)));
}

// The error's detail, or a note that there was none.
std::string ErrorOf(const Result<PrefixTimeZones>& r) {
  if (r.ok()) return "(parsed)";
  EXPECT_EQ(r.error().reason, Reason::kMalformed);
  return r.error().detail;
}

TEST(PrefixTimeZones, EmbeddedMapParses) {
  const auto& map = PrefixTimeZones::Embedded();
  ASSERT_TRUE(map.ok()) << map.error().detail;
  EXPECT_GE(map->entries(), 3000u);
  EXPECT_GE(map->sets(), 300u);
  EXPECT_EQ(&map, &PrefixTimeZones::Embedded());  // parsed once
}

TEST(PrefixTimeZones, EmbeddedMapPlacesKnownNumbers) {
  const auto& result = PrefixTimeZones::Embedded();
  ASSERT_TRUE(result.ok()) << result.error().detail;
  const PrefixTimeZones& map = *result;
  EXPECT_THAT(ZonesOf(map, "12125550100"), ElementsAre("America/New_York"));
  EXPECT_THAT(ZonesOf(map, "19075550100"), ElementsAre("America/Adak", "America/Anchorage"));
  EXPECT_THAT(ZonesOf(map, "4930123456"), ElementsAre("Europe/Berlin"));
  EXPECT_THAT(ZonesOf(map, "79161234567"), ElementsAre("Europe/Moscow"));
  // A country code alone: every zone of the country (what the mapper uses for a mobile number).
  const std::vector<std::string>& russia = map.Zones(map.Lookup("7"));
  EXPECT_THAT(russia, ::testing::Contains("Europe/Moscow"));
  EXPECT_THAT(russia, ::testing::Contains("Asia/Vladivostok"));
  EXPECT_THAT(map.Zones(map.Lookup("1")), ::testing::Contains("America/New_York"));
  // +800 (international freephone) is a country code the map has no entry for.
  EXPECT_EQ(map.Lookup("80012345678"), -1);
  EXPECT_EQ(map.Lookup(""), -1);
}

TEST(PrefixTimeZones, HandBuiltMapTakesTheLongestPrefix) {
  const std::string payload = Payload(MapSpec{});
  // 5-byte records: every description (9 bytes or more) straddles a record boundary.
  const auto map = PrefixTimeZones::Parse(Stream(payload));
  ASSERT_TRUE(map.ok()) << map.error().detail;
  EXPECT_EQ(map->entries(), 4u);
  EXPECT_EQ(map->sets(), 4u);
  EXPECT_THAT(map->Zones(0), ElementsAre("America/Adak", "America/Anchorage"));
  EXPECT_THAT(map->Zones(3), ElementsAre("Etc/GMT+5"));
  EXPECT_THAT(map->Zones(-1), IsEmpty());
  EXPECT_THAT(map->Zones(4), IsEmpty());

  EXPECT_EQ(map->Lookup("12125550100"), 2);  // 1212 over 12 over 1
  EXPECT_EQ(map->Lookup("1212"), 2);
  EXPECT_EQ(map->Lookup("1213"), 1);  // no 121 nor 1213: 12
  EXPECT_EQ(map->Lookup("121"), 1);
  EXPECT_EQ(map->Lookup("13005550100"), 3);  // 1
  EXPECT_EQ(map->Lookup("1"), 3);
  EXPECT_EQ(map->Lookup("4930123456"), 1);
  EXPECT_EQ(map->Lookup("4"), -1);  // 49 is longer than the number
  EXPECT_EQ(map->Lookup("5"), -1);
  EXPECT_EQ(map->Lookup("0121"), -1);              // a leading zero is no prefix's digit
  EXPECT_EQ(map->Lookup("1212555010012345"), -1);  // 16 digits: not E.164
  EXPECT_EQ(map->Lookup("+1212"), -1);
  EXPECT_EQ(map->Lookup("12a"), -1);

  // The same payload in one record of either kind, or in 1-byte records, reads the same.
  ASSERT_LE(payload.size(), 255u);
  for (auto [chunk, long_first] : {std::pair{payload.size(), true},
                                   std::pair{payload.size(), false}, std::pair{size_t{1}, false}}) {
    const auto again = PrefixTimeZones::Parse(Stream(payload, chunk, long_first));
    ASSERT_TRUE(again.ok()) << chunk << ": " << again.error().detail;
    EXPECT_EQ(again->Lookup("12125550100"), 2);
  }
}

TEST(PrefixTimeZones, JavaWordSizesRead) {
  MapSpec s;
  s.prefix_size = 4;
  s.index_size = 2;
  s.lengths = {1, 2, 4, 10};
  s.entries.emplace_back(4294967295u, 0);  // the largest 4-byte prefix: 10 digits
  const auto map = ParseSpec(s);
  ASSERT_TRUE(map.ok()) << map.error().detail;
  EXPECT_EQ(map->Lookup("429496729512"), 0);
  EXPECT_EQ(map->Lookup("4294967296"), -1);
  EXPECT_EQ(map->Lookup("12125550100"), 2);
}

TEST(PrefixTimeZones, StreamFramingErrors) {
  const std::string good = Stream(Payload(MapSpec{}));
  EXPECT_THAT(ErrorOf(PrefixTimeZones::Parse("")), HasSubstr("magic"));
  std::string bad_magic = good;
  bad_magic[1] = '\xEE';
  EXPECT_THAT(ErrorOf(PrefixTimeZones::Parse(bad_magic)), HasSubstr("stream offset 0: not a Java"));
  // TC_OBJECT (0x73) where block data should be.
  std::string object = good.substr(0, 4) + "\x73" + good.substr(4);
  EXPECT_THAT(ErrorOf(PrefixTimeZones::Parse(object)),
              HasSubstr("stream offset 4: record tag 115 is not block data"));
  // A record longer than the stream.
  const std::string long_record = good.substr(0, 4) + std::string("\x7A\x00\x01\x00\x00", 5) + "x";
  EXPECT_THAT(ErrorOf(PrefixTimeZones::Parse(long_record)), HasSubstr("block of 65536 bytes"));
  // Magic alone: an empty payload.
  EXPECT_THAT(ErrorOf(PrefixTimeZones::Parse(good.substr(0, 4))),
              HasSubstr("offset 0: truncated storage flag"));
}

TEST(PrefixTimeZones, EveryTruncationIsAnError) {
  const std::string good = Stream(Payload(MapSpec{}), 7);
  ASSERT_TRUE(PrefixTimeZones::Parse(good).ok());
  for (size_t n = 0; n < good.size(); ++n) {
    const auto r = PrefixTimeZones::Parse(std::string_view(good).substr(0, n));
    ASSERT_FALSE(r.ok()) << "parsed the first " << n << " bytes of " << good.size();
    EXPECT_THAT(r.error().detail, HasSubstr("offset ")) << n;
  }
  // Truncated payloads framed properly: the reader must stop at the payload's end too.
  const std::string payload = Payload(MapSpec{});
  for (size_t n = 0; n < payload.size(); ++n) {
    EXPECT_FALSE(PrefixTimeZones::Parse(Stream(payload.substr(0, n))).ok()) << n;
  }
}

TEST(PrefixTimeZones, PayloadErrorsNameTheOffset) {
  // Offsets: flag 0, word sizes 1 and 5, length count 9, lengths 13.., pool size after them.
  MapSpec s;
  s.flyweight = 0;
  EXPECT_THAT(ErrorOf(ParseSpec(s)), HasSubstr("offset 0: unsupported storage"));

  s = MapSpec{};
  s.prefix_size = 5;
  EXPECT_THAT(ErrorOf(ParseSpec(s)), HasSubstr("offset 1: prefix word size 5 is outside 1..4"));
  s = MapSpec{};
  s.index_size = 0;
  EXPECT_THAT(ErrorOf(ParseSpec(s)), HasSubstr("offset 5: index word size 0"));
  s = MapSpec{};
  s.lengths = {1, 2, 19};
  EXPECT_THAT(ErrorOf(ParseSpec(s)), HasSubstr("offset 21: prefix length 19 is outside 1..18"));
  s = MapSpec{};
  s.lengths = {1, 4, 2};
  EXPECT_THAT(ErrorOf(ParseSpec(s)), HasSubstr("offset 21: prefix lengths not strictly"));

  const size_t pool_at = 13 + 4 * 3;  // after the three declared lengths
  s = MapSpec{};
  s.pool[1] = "Europe/Berlin&";
  EXPECT_THAT(ErrorOf(ParseSpec(s)), HasSubstr("description 1 is not '&'-joined zone ids"));
  s.pool[1] = "Europe/Ber lin";
  EXPECT_THAT(ErrorOf(ParseSpec(s)), HasSubstr("description 1 is not"));
  s.pool[1] = "";
  EXPECT_THAT(ErrorOf(ParseSpec(s)),
              HasSubstr("offset " + std::to_string(pool_at + 4 + 2 + 30) + ": empty description"));

  // Entries: 4 at 3 bytes each, after the pool.
  const size_t entries_at = Payload(MapSpec{}).size() - 4 * 3;
  s = MapSpec{};
  s.entries[2].second = 4;  // the pool has 4
  EXPECT_THAT(ErrorOf(ParseSpec(s)), HasSubstr("offset " + std::to_string(entries_at + 2 * 3) +
                                               ": description index 4 beyond the pool of 4"));
  s = MapSpec{};
  std::swap(s.entries[1], s.entries[2]);
  EXPECT_THAT(ErrorOf(ParseSpec(s)), HasSubstr("prefix 12 not above the previous (49)"));
  s = MapSpec{};
  s.entries[1].first = 1;  // a duplicate is not strictly ascending either
  EXPECT_THAT(ErrorOf(ParseSpec(s)), HasSubstr("prefix 1 not above the previous (1)"));
  s = MapSpec{};
  s.entries[3].first = 1213;
  s.entries.emplace_back(12134, 0);  // 5 digits: not declared
  EXPECT_THAT(ErrorOf(ParseSpec(s)), HasSubstr("prefix 12134 has 5 digits"));
  s = MapSpec{};
  s.entries.front().first = 0;
  EXPECT_THAT(ErrorOf(ParseSpec(s)), HasSubstr("prefix 0 not above"));

  // Counts larger than the bytes left, caught before anything is allocated for them.
  std::string p = Payload(MapSpec{});
  p.replace(entries_at - 4, 4, std::string("\x7F\xFF\xFF\xFF", 4));
  EXPECT_THAT(ErrorOf(PrefixTimeZones::Parse(Stream(p))),
              HasSubstr("entry count 2147483647 needs at least"));
  p = Payload(MapSpec{});
  p.replace(pool_at, 4, std::string("\xFF\xFF\xFF\xFF", 4));
  EXPECT_THAT(ErrorOf(PrefixTimeZones::Parse(Stream(p))),
              HasSubstr("offset " + std::to_string(pool_at) + ": description pool size -1"));
}

TEST(PrefixTimeZones, TrailingBytesAreAnError) {
  const std::string payload = Payload(MapSpec{});
  EXPECT_THAT(
      ErrorOf(PrefixTimeZones::Parse(Stream(payload + "x"))),
      HasSubstr("offset " + std::to_string(payload.size()) + ": trailing bytes after the map (1)"));
}

}  // namespace
}  // namespace sd
