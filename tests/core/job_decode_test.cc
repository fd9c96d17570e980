// DecodeJob: every documented limit at its boundary and one past it, and hostile msgpack.
#include <gtest/gtest.h>

#include <msgpack.hpp>

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
  EXPECT_EQ(DecodeJob(PackMap(f)).error().reason, Reason::kMalformed);
  f[1].second = [](msgpack::packer<msgpack::sbuffer>& p) { p.pack(int64_t{-5}); };
  EXPECT_EQ(DecodeJob(PackMap(f)).error().reason, Reason::kMalformed);
}

TEST(DecodeJob, EveryTruncationOfAValidJobFailsCleanly) {
  const std::string good = EncodeJob(ValidJob());
  for (size_t n = 0; n < good.size(); ++n) EXPECT_FALSE(DecodeJob(good.substr(0, n)).ok()) << n;
}

}  // namespace
}  // namespace sd
