// DecodeJob: every documented limit at its boundary and one past it, and hostile msgpack.
#include <gtest/gtest.h>

#include <functional>
#include <msgpack.hpp>
#include <vector>

#include "core/envelope.h"

namespace sd {
namespace {

Job ValidJob() {
  Job j;
  j.id = "job-1";
  j.created_ms = 1'700'000'000'000;
  j.expires_ms = 1'700'000'060'000;
  j.destination = "+4915112345678";
  j.sender = "ACME";
  j.text = "hello";
  j.kind = JobKind::kOtp;
  j.client_ref = "ref-9";
  return j;
}

// Packs a map from (key, packer-callback) pairs so tests can build any shape.
std::string PackMap(const std::vector<std::pair<std::string, std::function<void(msgpack::packer<msgpack::sbuffer>&)>>>& kv) {
  msgpack::sbuffer b;
  msgpack::packer<msgpack::sbuffer> pk(&b);
  pk.pack_map(static_cast<uint32_t>(kv.size()));
  for (auto& [k, f] : kv) {
    pk.pack(k);
    f(pk);
  }
  return std::string(b.data(), b.size());
}

auto Str(std::string s) { return [s](msgpack::packer<msgpack::sbuffer>& p) { p.pack(s); }; }
auto Uint(uint64_t v) { return [v](msgpack::packer<msgpack::sbuffer>& p) { p.pack(v); }; }

std::vector<std::pair<std::string, std::function<void(msgpack::packer<msgpack::sbuffer>&)>>> BaseFields() {
  return {{"id", Str("a")}, {"created", Uint(1)}, {"expires", Uint(2)}, {"to", Str("+4915112345678")},
          {"from", Str("ACME")}, {"text", Str("x")}, {"kind", Str("otp")}};
}

TEST(DecodeJob, RoundTripsEveryField) {
  const Job j = ValidJob();
  Result<Job> d = DecodeJob(EncodeJob(j));
  ASSERT_TRUE(d.ok()) << d.error().detail;
  EXPECT_EQ(d->id, j.id);
  EXPECT_EQ(d->created_ms, j.created_ms);
  EXPECT_EQ(d->expires_ms, j.expires_ms);
  EXPECT_EQ(d->destination, j.destination);
  EXPECT_EQ(d->sender, j.sender);
  EXPECT_EQ(d->text, j.text);
  EXPECT_EQ(d->kind, j.kind);
  EXPECT_EQ(d->client_ref, j.client_ref);
}

TEST(DecodeJob, RefIsOptional) {
  Job j = ValidJob();
  j.client_ref.clear();
  ASSERT_TRUE(DecodeJob(EncodeJob(j)).ok());
}

TEST(DecodeJob, WholeJobSizeLimit) {
  Job j = ValidJob();
  j.text = std::string(JobLimits::kMaxTextBytes, 'a');
  const std::string ok = EncodeJob(j);
  ASSERT_LE(ok.size(), JobLimits::kMaxJobBytes);
  EXPECT_TRUE(DecodeJob(ok).ok());
  const std::string big(JobLimits::kMaxJobBytes + 1, '\x80');
  EXPECT_EQ(DecodeJob(big).error().reason, Reason::kTooLarge);
}

TEST(DecodeJob, FieldLimitsAtBoundaryAndPast) {
  Job j = ValidJob();
  j.id = std::string(JobLimits::kMaxIdBytes, 'i');
  EXPECT_TRUE(DecodeJob(EncodeJob(j)).ok());
  j.id += "i";
  EXPECT_EQ(DecodeJob(EncodeJob(j)).error().reason, Reason::kTooLarge);

  j = ValidJob();
  j.text = std::string(JobLimits::kMaxTextBytes + 1, 't');
  EXPECT_EQ(DecodeJob(EncodeJob(j)).error().reason, Reason::kTooLarge);

  j = ValidJob();
  j.sender = std::string(JobLimits::kMaxSenderBytes, 's');
  EXPECT_TRUE(DecodeJob(EncodeJob(j)).ok());
  j.sender += "s";
  EXPECT_EQ(DecodeJob(EncodeJob(j)).error().reason, Reason::kTooLarge);

  j = ValidJob();
  j.client_ref = std::string(JobLimits::kMaxClientRefBytes + 1, 'r');
  EXPECT_EQ(DecodeJob(EncodeJob(j)).error().reason, Reason::kTooLarge);
}

TEST(DecodeJob, RejectsUnknownDuplicateMissingAndWrongTypes) {
  auto f = BaseFields();
  EXPECT_TRUE(DecodeJob(PackMap(f)).ok());

  auto unknown = f;
  unknown.push_back({"priority", Str("high")});
  Result<Job> r = DecodeJob(PackMap(unknown));
  EXPECT_EQ(r.error().reason, Reason::kMalformed);
  EXPECT_NE(r.error().detail.find("priority"), std::string::npos);

  auto dup = f;
  dup.push_back({"to", Str("+4915112345679")});
  EXPECT_NE(DecodeJob(PackMap(dup)).error().detail.find("duplicate"), std::string::npos);

  for (size_t i = 0; i < f.size(); ++i) {
    auto missing = f;
    const std::string name = missing[i].first;
    missing.erase(missing.begin() + static_cast<long>(i));
    Result<Job> m = DecodeJob(PackMap(missing));
    ASSERT_FALSE(m.ok()) << name;
    EXPECT_NE(m.error().detail.find(name), std::string::npos) << m.error().detail;
  }

  auto wrong = f;
  wrong[1].second = Str("yesterday");  // created as a string
  EXPECT_EQ(DecodeJob(PackMap(wrong)).error().reason, Reason::kMalformed);
  wrong = f;
  wrong[0].second = Uint(5);  // id as an integer
  EXPECT_EQ(DecodeJob(PackMap(wrong)).error().reason, Reason::kMalformed);
  wrong = f;
  wrong[6].second = Str("spam");
  EXPECT_EQ(DecodeJob(PackMap(wrong)).error().reason, Reason::kMalformed);
}

TEST(DecodeJob, RejectsIdCharactersOutsideTheDocumentedSet) {
  auto f = BaseFields();
  f[0].second = Str("a b");
  EXPECT_EQ(DecodeJob(PackMap(f)).error().reason, Reason::kMalformed);
  f[0].second = Str("");
  EXPECT_EQ(DecodeJob(PackMap(f)).error().reason, Reason::kMalformed);
}

TEST(DecodeJob, HostileMsgpack) {
  // Not a map.
  EXPECT_EQ(DecodeJob(std::string("\x93\x01\x02\x03", 4)).error().reason, Reason::kMalformed);
  // A map declaring 2^32-1 entries in 5 bytes must fail without allocating.
  EXPECT_FALSE(DecodeJob(std::string("\xdf\xff\xff\xff\xff", 5)).ok());
  // A str32 declaring 4 GiB.
  EXPECT_FALSE(DecodeJob(std::string("\x81\xdb\xff\xff\xff\xff", 6)).ok());
  // Nesting: a map whose value is a map.
  EXPECT_FALSE(DecodeJob(std::string("\x81\xa2id\x81\xa1x\x01", 8)).ok());
  // Truncated, trailing bytes, empty, reserved byte 0xc1.
  const std::string good = EncodeJob(ValidJob());
  EXPECT_FALSE(DecodeJob(good.substr(0, good.size() - 1)).ok());
  EXPECT_EQ(DecodeJob(good + "x").error().reason, Reason::kMalformed);
  EXPECT_FALSE(DecodeJob("").ok());
  EXPECT_FALSE(DecodeJob(std::string("\xc1", 1)).ok());
  // Timestamps beyond 2^53 or negative.
  auto f = BaseFields();
  f[1].second = Uint((uint64_t{1} << 53) + 1);
  EXPECT_EQ(DecodeJob(PackMap(f)).error().reason, Reason::kTooLarge);
  f[1].second = [](msgpack::packer<msgpack::sbuffer>& p) { p.pack(int64_t{-5}); };
  EXPECT_EQ(DecodeJob(PackMap(f)).error().reason, Reason::kMalformed);
}

auto Bin(std::string s) {
  return [s](msgpack::packer<msgpack::sbuffer>& p) {
    p.pack_bin(static_cast<uint32_t>(s.size()));
    p.pack_bin_body(s.data(), static_cast<uint32_t>(s.size()));
  };
}

// Python bytes and Go []byte encode as msgpack bin: refused as malformed, naming the field and
// the type, even when the bytes are valid UTF-8 (not too_large, as an unpack limit of 0 made it).
TEST(DecodeJob, BinWhereAStrIsDueIsMalformed) {
  for (size_t i : {0u, 3u, 4u, 5u, 6u}) {
    auto f = BaseFields();
    f[i].second = Bin(i == 5 ? "hello" : "x");
    Result<Job> r = DecodeJob(PackMap(f));
    ASSERT_FALSE(r.ok()) << f[i].first;
    EXPECT_EQ(r.error().reason, Reason::kMalformed) << f[i].first;
    EXPECT_EQ(r.error().detail, f[i].first + ": bin, expected str");
  }
  auto f = BaseFields();
  f.push_back({"ref", Bin("order-1")});
  EXPECT_EQ(DecodeJob(PackMap(f)).error().detail, "ref: bin, expected str");
  // A key written as bin.
  msgpack::sbuffer b;
  msgpack::packer<msgpack::sbuffer> pk(&b);
  pk.pack_map(1);
  pk.pack_bin(2);
  pk.pack_bin_body("id", 2);
  pk.pack(std::string("a"));
  Result<Job> r = DecodeJob(std::string(b.data(), b.size()));
  EXPECT_EQ(r.error().reason, Reason::kMalformed);
  EXPECT_EQ(r.error().detail, "job keys must be str (bin given)");
}

// Each field's limit gives the documented reason and a detail naming the field.
TEST(DecodeJob, ReasonForEveryFieldLimit) {
  struct Case {
    size_t field;
    std::function<void(msgpack::packer<msgpack::sbuffer>&)> value;
    Reason reason;
    std::string detail;
  };
  const std::vector<Case> cases = {
      {0, Str(std::string(65, 'a')), Reason::kTooLarge, "id longer than 64 bytes"},
      {0, Str(""), Reason::kMalformed, "id is empty"},
      {1, Uint((uint64_t{1} << 53) + 1), Reason::kTooLarge, "created over 2^53"},
      {2, Uint(uint64_t{1} << 60), Reason::kTooLarge, "expires over 2^53"},
      {1, [](auto& p) { p.pack(1.5); }, Reason::kMalformed, "created: float, expected uint"},
      {2, [](auto& p) { p.pack(int64_t{-1}); }, Reason::kMalformed,
       "expires: negative integer, expected uint"},
      {3, Str(std::string(33, '1')), Reason::kTooLarge, "to longer than 32 bytes"},
      {4, Str(std::string(21, 'A')), Reason::kTooLarge, "from longer than 20 bytes"},
      {5, Str(std::string(2001, 'x')), Reason::kTooLarge, "text longer than 2000 bytes"},
      {6, Str("spam"), Reason::kMalformed, "kind must be otp, transactional or marketing"},
      {6, Str(std::string(100, 'o')), Reason::kMalformed,
       "kind must be otp, transactional or marketing"},
      {6, [](auto& p) { p.pack_nil(); }, Reason::kMalformed, "kind: nil, expected str"},
      {5, [](auto& p) { p.pack_array(1); p.pack(std::string("x")); }, Reason::kMalformed,
       "text: array, expected str"},
  };
  for (const Case& c : cases) {
    auto f = BaseFields();
    f[c.field].second = c.value;
    Result<Job> r = DecodeJob(PackMap(f));
    ASSERT_FALSE(r.ok()) << c.detail;
    EXPECT_EQ(r.error().reason, c.reason) << c.detail;
    EXPECT_EQ(r.error().detail, c.detail);
  }
  // 2^53 itself is allowed.
  auto f = BaseFields();
  f[1].second = Uint(uint64_t{1} << 53);
  f[2].second = Uint((uint64_t{1} << 53));
  EXPECT_TRUE(DecodeJob(PackMap(f)).ok());
}

// ref is echoed on outcomes and receipts as given, so it must be safe to echo.
TEST(DecodeJob, RefMustBeUtf8WithoutControlCharacters) {
  for (const std::string& bad : {std::string("a\nb"), std::string("\x1b[31m"),
                                std::string("a\0b", 3), std::string("\xff"),
                                std::string("\xc2\x85"), std::string("tab\there")}) {
    auto f = BaseFields();
    f.push_back({"ref", Str(bad)});
    Result<Job> r = DecodeJob(PackMap(f));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().reason, Reason::kMalformed);
    EXPECT_EQ(r.error().detail, "ref must be UTF-8 without control characters");
  }
  auto f = BaseFields();
  f.push_back({"ref", Str("Bestellung \xc3\xa4 #12")});
  EXPECT_TRUE(DecodeJob(PackMap(f)).ok());
  f.back().second = Str(std::string(129, 'r'));
  EXPECT_EQ(DecodeJob(PackMap(f)).error().reason, Reason::kTooLarge);
}

// The map is checked in the order it holds its keys: the first problem answers.
TEST(DecodeJob, FirstProblemInMapOrderAnswers) {
  auto f = BaseFields();
  f[5].second = Str(std::string(2001, 'x'));  // text too large, before...
  f[6].second = Str("spam");                   // ...a bad kind
  EXPECT_EQ(DecodeJob(PackMap(f)).error().reason, Reason::kTooLarge);
  std::swap(f[5], f[6]);
  EXPECT_EQ(DecodeJob(PackMap(f)).error().reason, Reason::kMalformed);
  // A problem in a present key answers before a missing key.
  f = BaseFields();
  f.erase(f.begin());                     // no id
  f[0].second = Uint(uint64_t{1} << 60);  // created over 2^53
  EXPECT_EQ(DecodeJob(PackMap(f)).error().reason, Reason::kTooLarge);
}

TEST(DecodeJob, UnknownKeyIsQuotedEscapedAndCut) {
  auto f = BaseFields();
  f.push_back({std::string("\x1b[2J\n\0", 7) + std::string(100, 'z'), Str("x")});
  Result<Job> r = DecodeJob(PackMap(f));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, Reason::kMalformed);
  const std::string& d = r.error().detail;
  EXPECT_EQ(d.substr(0, 30), "unknown job field '\\x1B[2J\\x0A");
  EXPECT_LE(d.size(), 20u + 128u);
  for (char c : d) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << d;
}

TEST(DecodeJob, AMapOfMoreThan16EntriesIsMalformed) {
  auto f = BaseFields();
  for (int i = 0; i < 10; ++i) f.push_back({"x" + std::to_string(i), Str("x")});
  EXPECT_EQ(DecodeJob(PackMap(f)).error().reason, Reason::kMalformed);
}

TEST(DecodeJob, EveryTruncationOfAValidJobFailsCleanly) {
  const std::string good = EncodeJob(ValidJob());
  for (size_t n = 0; n < good.size(); ++n) EXPECT_FALSE(DecodeJob(good.substr(0, n)).ok()) << n;
}

}  // namespace
}  // namespace sd
