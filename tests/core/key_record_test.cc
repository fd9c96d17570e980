#include "core/key_record.h"

#include <gtest/gtest.h>

#include <msgpack.hpp>

#include "core/policy_snapshot.h"

namespace sd {
namespace {

KeyRecord Record(std::string id = "acme-otp.v1") {
  KeyRecord r;
  r.id = std::move(id);
  r.secret = std::string(32, '\x5a');
  r.created_ms = 1'000;
  r.not_before_ms = 1'000;
  return r;
}

Job OtpJob(std::string text = "Your code is 123456") {
  Job j;
  j.id = "j1";
  j.kind = JobKind::kOtp;
  j.sender = "ACME";
  j.destination = "+4915112345678";
  j.text = std::move(text);
  return j;
}

std::shared_ptr<const KeyRegistrySnapshot> Snap(std::vector<KeyRecord> records,
                                                uint64_t version = 7) {
  auto s = KeyRegistrySnapshot::Build(version, std::move(records));
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().detail);
  return s.ok() ? *s : nullptr;
}

// ---- key ids ----

TEST(KeyIdTest, ParsesNameAndVersion) {
  auto id = ParseKeyId("acme-otp.v3");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->name, "acme-otp");
  EXPECT_EQ(id->version, 3u);
  EXPECT_EQ(id->ToString(), "acme-otp.v3");
  EXPECT_EQ(ParseKeyId("a.v999999")->version, 999999u);
}

TEST(KeyIdTest, RejectsMalformedIds) {
  for (const char* bad : {"acme", "acme.v", "acme.v0", "acme.v01", "acme.vx", ".v1", "a b.v1",
                          "acme.v1000000", "acme.v-1", "a.b.v1", "acme.v1\n"}) {
    EXPECT_FALSE(ParseKeyId(bad)) << bad;
  }
  EXPECT_FALSE(ParseKeyId(std::string(57, 'a') + ".v1"));
  EXPECT_TRUE(ParseKeyId(std::string(56, 'a') + ".v999999"));
}

TEST(KeyIdTest, FamilyIsTheNameOfEveryVersion) {
  EXPECT_EQ(KeyFamily("acme-otp.v3"), "acme-otp");
  EXPECT_EQ(KeyFamily("acme-otp.v999999"), "acme-otp");
  EXPECT_EQ(KeyFamily("a.b.v2"), "a.b.v2") << "not a valid name: the id is its own family";
  // Ids that are not NAME.vN (key-file ids may be anything) are their own family.
  for (const char* id :
       {"acme", "acme.v", "acme.v0", "acme.v01", "acme.vx", ".v1", "a b.v1", "acme.v1000000", ""}) {
    EXPECT_EQ(KeyFamily(id), id) << id;
  }
}

// ---- OTP templates ----

TEST(OtpTemplateTest, CodeMatchesFourToEightDigits) {
  auto t = OtpTemplate::Compile("Your code is {code}");
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->Matches("Your code is 1234"));
  EXPECT_TRUE(t->Matches("Your code is 12345678"));
  EXPECT_FALSE(t->Matches("Your code is 123"));
  EXPECT_FALSE(t->Matches("Your code is 123456789"));
  EXPECT_FALSE(t->Matches("Your code is 12a456"));
  EXPECT_FALSE(t->Matches("Your code is 123456 http://evil.example"));
  EXPECT_FALSE(t->Matches("your code is 123456"));
  EXPECT_FALSE(t->Matches("Your code is  123456"));
  EXPECT_FALSE(t->Matches(""));
}

TEST(OtpTemplateTest, SuffixAndFixedLengthAndEscapes) {
  auto t = OtpTemplate::Compile("{{ACME}} {code:6} is your code. Do not share it.");
  ASSERT_TRUE(t.ok()) << t.error().detail;
  EXPECT_TRUE(t->Matches("{ACME} 000123 is your code. Do not share it."));
  EXPECT_FALSE(t->Matches("{ACME} 00123 is your code. Do not share it."));
  EXPECT_FALSE(t->Matches("{ACME} 0001234 is your code. Do not share it."));
  EXPECT_FALSE(t->Matches("{ACME} 000123 is your code. Do not share it!"));
  // A suffix starting with a digit is still unambiguous: the code length is fixed by the text.
  auto d = OtpTemplate::Compile("{code}9");
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->Matches("12349"));
  EXPECT_FALSE(d->Matches("1239"));
}

TEST(OtpTemplateTest, RejectsBadSyntax) {
  for (const char* bad : {"no placeholder", "{code} {code}", "{otp}", "{code:3}", "{code:9}",
                          "{code", "code}", "a } b {code}", "{code:}", "{ code }"}) {
    EXPECT_FALSE(OtpTemplate::Compile(bad).ok()) << bad;
  }
  EXPECT_FALSE(OtpTemplate::Compile(std::string(400, 'a') + "{code}").ok());
}

// ---- validation ----

TEST(KeyRecordTest, ValidatesFields) {
  EXPECT_FALSE(ValidateKeyRecord(Record()));
  auto problem = [](auto mutate) {
    KeyRecord r = Record();
    mutate(r);
    return ValidateKeyRecord(r).has_value();
  };
  EXPECT_TRUE(problem([](KeyRecord& r) { r.id = "no-version"; }));
  EXPECT_TRUE(problem([](KeyRecord& r) { r.secret.resize(31); }));
  EXPECT_TRUE(problem([](KeyRecord& r) { r.secret.resize(65); }));
  EXPECT_TRUE(problem([](KeyRecord& r) { r.not_after_ms = r.not_before_ms; }));
  EXPECT_TRUE(problem([](KeyRecord& r) { r.revoked_at_ms = 5; }));
  EXPECT_TRUE(problem([](KeyRecord& r) { r.scopes.kinds = 0; }));
  EXPECT_TRUE(problem([](KeyRecord& r) { r.scopes.countries = {"de"}; }));
  EXPECT_TRUE(problem([](KeyRecord& r) { r.scopes.countries = {"DEU"}; }));
  EXPECT_TRUE(problem([](KeyRecord& r) { r.scopes.senders = {""}; }));
  EXPECT_TRUE(problem([](KeyRecord& r) { r.scopes.max_segments = 256; }));
  EXPECT_TRUE(problem([](KeyRecord& r) { r.scopes.url_policy = UrlPolicy::kAllowlist; }));
  EXPECT_TRUE(problem([](KeyRecord& r) { r.scopes.url_domains = {"example.com"}; }));
  EXPECT_TRUE(problem([](KeyRecord& r) {
    r.scopes.url_policy = UrlPolicy::kAllowlist;
    r.scopes.url_domains = {"Example.com"};
  }));
  EXPECT_TRUE(problem([](KeyRecord& r) { r.scopes.otp_template = "no code"; }));
  EXPECT_TRUE(problem([](KeyRecord& r) { r.scopes.burst = 5; }));
  // Messages never carry the secret.
  KeyRecord r = Record();
  r.secret = std::string(31, 'S');
  EXPECT_EQ(ValidateKeyRecord(r)->find("SSSS"), std::string::npos);
}

// ---- msgpack ----

KeyRecord FullRecord() {
  KeyRecord r = Record("acme-otp.v2");
  r.not_after_ms = 99'000;
  r.revoked = true;
  r.revoked_at_ms = 50'000;
  r.scopes.kinds = KindBit(JobKind::kOtp) | KindBit(JobKind::kTransactional);
  r.scopes.senders = {"ACME", "4915112345"};
  r.scopes.countries = {"DE", "FR"};
  r.scopes.max_segments = 2;
  r.scopes.url_policy = UrlPolicy::kAllowlist;
  r.scopes.url_domains = {"example.com", "acme.de"};
  r.scopes.otp_template = "Your code is {code}";
  r.scopes.rate_per_s = 10;
  r.scopes.burst = 20;
  return r;
}

TEST(KeyRecordCodecTest, RoundTrips) {
  const KeyRecord r = FullRecord();
  auto d = DecodeKeyRecord(EncodeKeyRecord(r));
  ASSERT_TRUE(d.ok()) << d.error().detail;
  EXPECT_EQ(d->id, r.id);
  EXPECT_EQ(d->secret, r.secret);
  EXPECT_EQ(d->created_ms, r.created_ms);
  EXPECT_EQ(d->not_before_ms, r.not_before_ms);
  EXPECT_EQ(d->not_after_ms, r.not_after_ms);
  EXPECT_TRUE(d->revoked);
  EXPECT_EQ(d->revoked_at_ms, r.revoked_at_ms);
  EXPECT_EQ(d->scopes.kinds, r.scopes.kinds);
  EXPECT_EQ(d->scopes.senders, r.scopes.senders);
  EXPECT_EQ(d->scopes.countries, r.scopes.countries);
  EXPECT_EQ(d->scopes.max_segments, 2);
  EXPECT_EQ(d->scopes.url_policy, UrlPolicy::kAllowlist);
  EXPECT_EQ(d->scopes.url_domains, r.scopes.url_domains);
  EXPECT_EQ(d->scopes.otp_template, r.scopes.otp_template);
  EXPECT_EQ(d->scopes.rate_per_s, 10u);
  EXPECT_EQ(d->scopes.burst, 20u);
}

// Re-packs the record's map with one field changed / dropped / added.
std::string Repack(const KeyRecord& r, const std::string& field,
                   const std::function<void(msgpack::packer<msgpack::sbuffer>&)>& value,
                   bool drop = false, bool duplicate = false) {
  const std::string bytes = EncodeKeyRecord(r);
  msgpack::object_handle oh = msgpack::unpack(bytes.data(), bytes.size());
  const msgpack::object& o = oh.get();
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(&buf);
  bool found = false;
  for (uint32_t i = 0; i < o.via.map.size; ++i) {
    if (o.via.map.ptr[i].key.as<std::string>() == field) found = true;
  }
  pk.pack_map(o.via.map.size - (drop ? 1 : 0) + (!found || duplicate ? 1 : 0));
  for (uint32_t i = 0; i < o.via.map.size; ++i) {
    const std::string k = o.via.map.ptr[i].key.as<std::string>();
    if (k == field && drop) continue;
    pk.pack(k);
    if (k == field && !duplicate) {
      value(pk);
    } else {
      pk.pack(o.via.map.ptr[i].val);
    }
  }
  if (!found || duplicate) {
    pk.pack(field);
    value(pk);
  }
  return std::string(buf.data(), buf.size());
}

TEST(KeyRecordCodecTest, ApiScopesMakeFormat2AndRoundTrip) {
  KeyRecord r = FullRecord();
  const std::string plain = EncodeKeyRecord(r);
  ASSERT_TRUE(DecodeKeyRecord(plain).ok());
  EXPECT_EQ(plain.find("allow_ips"), std::string::npos);  // no API scope: still format 1
  r.scopes.api_auth = ApiAuth::kBoth;
  r.scopes.allow_ips = {"203.0.113.0/24", "2001:db8::/32", "198.51.100.7"};
  auto back = DecodeKeyRecord(EncodeKeyRecord(r));
  ASSERT_TRUE(back.ok()) << back.error().detail;
  EXPECT_EQ(back->scopes.api_auth, ApiAuth::kBoth);
  EXPECT_EQ(back->scopes.allow_ips, r.scopes.allow_ips);
  auto snap = KeyRegistrySnapshot::Build(1, {*back});
  ASSERT_TRUE(snap.ok());
  const RegisteredKey* k = (*snap)->Find(r.id);
  ASSERT_EQ(k->allow_ips.size(), 3u);
  EXPECT_TRUE(AddressAllowed("203.0.113.9", k->allow_ips));
  EXPECT_FALSE(AddressAllowed("192.0.2.1", k->allow_ips));
  r.scopes.allow_ips = {"10.0.0.0/33"};
  EXPECT_TRUE(ValidateKeyRecord(r).has_value());
  r.scopes.allow_ips = {"example.com"};
  EXPECT_TRUE(ValidateKeyRecord(r).has_value());
  EXPECT_EQ(ParseApiAuth("bearer"), ApiAuth::kBearer);
  EXPECT_FALSE(ParseApiAuth("none").has_value());
}

// Test keys: the mode travels in format 2, and the id shows it (test- names only for them).
TEST(KeyRecordCodecTest, TestModeRoundTripsAndTheNameShowsIt) {
  KeyRecord r = Record("test-acme.v1");
  r.test_mode = true;
  auto back = DecodeKeyRecord(EncodeKeyRecord(r));
  ASSERT_TRUE(back.ok()) << back.error().detail;
  EXPECT_TRUE(back->test_mode);
  EXPECT_NE(EncodeKeyRecord(r).find("mode"), std::string::npos);
  r.test_mode = false;  // a live key named test-...
  ASSERT_TRUE(ValidateKeyRecord(r).has_value());
  EXPECT_NE(ValidateKeyRecord(r)->find("only test keys' names start with test-"),
            std::string::npos);
  KeyRecord live = Record("acme.v1");
  live.test_mode = true;  // a test key without the prefix
  ASSERT_TRUE(ValidateKeyRecord(live).has_value());
  EXPECT_NE(ValidateKeyRecord(live)->find("must start with test-"), std::string::npos);
  EXPECT_EQ(EncodeKeyRecord(Record("acme.v1")).find("mode"), std::string::npos);  // format 1
}

TEST(KeyRecordCodecTest, CallbacksAndClientCertMakeFormat3AndRoundTrip) {
  KeyRecord r = Record("acme-otp.v2");
  r.callback_url = "https://hooks.example.com/sms?tenant=7";
  r.callback_secrets = {std::string(32, 'n'), std::string(24, 'o')};
  r.scopes.client_cert_sha256 = std::string(64, 'a');
  ASSERT_FALSE(ValidateKeyRecord(r).has_value()) << *ValidateKeyRecord(r);
  const std::string bytes = EncodeKeyRecord(r);
  auto back = DecodeKeyRecord(bytes);
  ASSERT_TRUE(back.ok()) << back.error().detail;
  EXPECT_EQ(back->callback_url, r.callback_url);
  EXPECT_EQ(back->callback_secrets, r.callback_secrets);
  EXPECT_EQ(back->scopes.client_cert_sha256, r.scopes.client_cert_sha256);
  EXPECT_EQ(back->scopes.api_auth, ApiAuth::kHmac);  // format 2's fields come along
  // Without them the record stays format 1 (older daemons read it).
  EXPECT_EQ(EncodeKeyRecord(Record()).find("callback_url"), std::string::npos);
  // Format 2 must not carry them.
  auto str = [](std::string s) { return [s](msgpack::packer<msgpack::sbuffer>& p) { p.pack(s); }; };
  auto num = [](uint64_t n) { return [n](msgpack::packer<msgpack::sbuffer>& p) { p.pack(n); }; };
  auto in_2 = DecodeKeyRecord(Repack(r, "fmt", num(2)));
  ASSERT_FALSE(in_2.ok());
  EXPECT_NE(in_2.error().detail.find("needs format 3"), std::string::npos);
  EXPECT_FALSE(DecodeKeyRecord(Repack(r, "client_cert", str("AB"))).ok());
  EXPECT_FALSE(DecodeKeyRecord(Repack(r, "callback_url", str("http://hooks.example.com/"))).ok());
  auto one_secret_as_str = [](msgpack::packer<msgpack::sbuffer>& p) {
    p.pack_array(1);
    p.pack(std::string(32, 'x'));
  };
  EXPECT_FALSE(DecodeKeyRecord(Repack(r, "callback_secrets", one_secret_as_str)).ok());
}

TEST(KeyRecordTest, CallbackRules) {
  EXPECT_TRUE(ValidCallbackUrl("https://a.example/x"));
  EXPECT_TRUE(ValidCallbackUrl("https://[::1]:8443/hook"));
  EXPECT_TRUE(ValidCallbackUrl("https://127.0.0.1:9/"));
  EXPECT_FALSE(ValidCallbackUrl("http://a.example/x"));            // HTTPS only
  EXPECT_FALSE(ValidCallbackUrl("HTTPS://a.example/x"));
  EXPECT_FALSE(ValidCallbackUrl("https:///path"));                 // no host
  EXPECT_FALSE(ValidCallbackUrl("https://:443/"));
  EXPECT_FALSE(ValidCallbackUrl("https://user:pw@a.example/"));    // no secrets in URLs
  EXPECT_FALSE(ValidCallbackUrl("https://a.example/x y"));
  EXPECT_FALSE(ValidCallbackUrl("https://a.example/\r\n"));
  EXPECT_FALSE(ValidCallbackUrl("https://a.example/" + std::string(2100, 'x')));
  KeyRecord r = Record();
  r.callback_url = "https://a.example/x";
  EXPECT_TRUE(ValidateKeyRecord(r).has_value());  // a URL needs a secret
  r.callback_secrets = {std::string(23, 's')};
  EXPECT_TRUE(ValidateKeyRecord(r).has_value());  // too short
  r.callback_secrets = {std::string(24, 's'), std::string(24, 't'), std::string(24, 'u')};
  EXPECT_TRUE(ValidateKeyRecord(r).has_value());  // at most two
  r.callback_secrets = {std::string(24, 's')};
  EXPECT_FALSE(ValidateKeyRecord(r).has_value());
  r.callback_url.clear();
  EXPECT_TRUE(ValidateKeyRecord(r).has_value());  // a secret without a URL
  KeyRecord c = Record();
  c.scopes.client_cert_sha256 = std::string(64, 'A');  // upper case
  EXPECT_TRUE(ValidateKeyRecord(c).has_value());
  c.scopes.client_cert_sha256 = std::string(63, 'a');
  EXPECT_TRUE(ValidateKeyRecord(c).has_value());
}

TEST(KeyRecordCodecTest, DecodingIsStrict) {
  const KeyRecord r = FullRecord();
  auto str = [](std::string s) { return [s](msgpack::packer<msgpack::sbuffer>& p) { p.pack(s); }; };
  auto num = [](uint64_t n) { return [n](msgpack::packer<msgpack::sbuffer>& p) { p.pack(n); }; };
  EXPECT_TRUE(DecodeKeyRecord(Repack(r, "burst", num(20))).ok());  // the helper itself works
  EXPECT_FALSE(DecodeKeyRecord(Repack(r, "extra", num(1))).ok());
  EXPECT_FALSE(DecodeKeyRecord(Repack(r, "rate", num(1), false, true)).ok());
  EXPECT_FALSE(DecodeKeyRecord(Repack(r, "secret", num(1), true)).ok());
  EXPECT_FALSE(DecodeKeyRecord(Repack(r, "secret", str(std::string(32, 'x')))).ok());
  EXPECT_FALSE(DecodeKeyRecord(Repack(r, "revoked", num(1))).ok());
  EXPECT_FALSE(DecodeKeyRecord(Repack(r, "url_policy", str("sometimes"))).ok());
  EXPECT_FALSE(DecodeKeyRecord(Repack(r, "kinds", num(8))).ok());
  EXPECT_FALSE(DecodeKeyRecord(Repack(r, "nbf", num(uint64_t{1} << 60))).ok());
  EXPECT_FALSE(DecodeKeyRecord(Repack(r, "id", str("not an id"))).ok());
  auto fmt = DecodeKeyRecord(Repack(r, "fmt", num(4)));
  ASSERT_FALSE(fmt.ok());
  EXPECT_EQ(fmt.error().reason, Reason::kUnsupportedVersion);
  // Format 2 carries the API fields; format 1 must not.
  auto no_api = DecodeKeyRecord(Repack(r, "fmt", num(2)));
  ASSERT_FALSE(no_api.ok());
  EXPECT_NE(no_api.error().detail.find("missing field 'auth'"), std::string::npos);
  auto api_in_1 = DecodeKeyRecord(Repack(r, "auth", str("both")));
  ASSERT_FALSE(api_in_1.ok());
  EXPECT_NE(api_in_1.error().detail.find("needs format 2"), std::string::npos);
  // Limits are enforced by the unpacker, before allocation.
  auto many = [](msgpack::packer<msgpack::sbuffer>& p) {
    p.pack_array(100'000);
    for (int i = 0; i < 100'000; ++i) p.pack(std::string("DE"));
  };
  EXPECT_FALSE(DecodeKeyRecord(Repack(r, "countries", many)).ok());
  auto big_secret = [](msgpack::packer<msgpack::sbuffer>& p) {
    p.pack_bin(65);
    p.pack_bin_body(std::string(65, 's').data(), 65);
  };
  EXPECT_FALSE(DecodeKeyRecord(Repack(r, "secret", big_secret)).ok());
  const std::string good = EncodeKeyRecord(r);
  EXPECT_FALSE(DecodeKeyRecord(good + '\x00').ok());
  EXPECT_FALSE(DecodeKeyRecord(good.substr(0, good.size() - 1)).ok());
  EXPECT_FALSE(DecodeKeyRecord("").ok());
  EXPECT_FALSE(DecodeKeyRecord(std::string(KeyRecordLimits::kMaxRecordBytes + 1, '\x90')).ok());
  // Every truncation fails cleanly (no crash, no partial record).
  for (size_t n = 0; n < good.size(); ++n) EXPECT_FALSE(DecodeKeyRecord(good.substr(0, n)).ok());
}

// ---- snapshot and checks ----

TEST(KeyRegistrySnapshotTest, BuildsAndFinds) {
  auto s = Snap({Record("a.v1"), Record("a.v2"), Record("b.v1")}, 42);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->version(), 42u);
  EXPECT_EQ(s->size(), 3u);
  ASSERT_NE(s->Find("a.v2"), nullptr);
  EXPECT_EQ(s->Find("a.v2")->record.id, "a.v2");
  EXPECT_EQ(s->Find("a.v3"), nullptr);
  auto all = s->All();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0]->record.id, "a.v1");
  EXPECT_EQ(all[2]->record.id, "b.v1");
}

TEST(KeyRegistrySnapshotTest, RefusesDuplicatesAndInvalidRecords) {
  EXPECT_FALSE(KeyRegistrySnapshot::Build(1, {Record("a.v1"), Record("a.v1")}).ok());
  KeyRecord bad = Record();
  bad.secret.clear();
  EXPECT_FALSE(KeyRegistrySnapshot::Build(1, {bad}).ok());
}

TEST(CheckKeyTest, UnknownRevokedAndNotActive) {
  KeyRecord revoked = Record("r.v1");
  revoked.revoked = true;
  revoked.revoked_at_ms = 2'000;
  KeyRecord window = Record("w.v1");
  window.not_before_ms = 10'000;
  window.not_after_ms = 20'000;
  auto s = Snap({Record("ok.v1"), revoked, window});
  ASSERT_TRUE(s);
  EXPECT_TRUE(CheckKey(*s, "ok.v1", 5'000).ok());
  EXPECT_EQ(CheckKey(*s, "nope.v1", 5'000).error().reason, Reason::kUnknownKey);
  EXPECT_EQ(CheckKey(*s, "r.v1", 1'500).error().reason, Reason::kRevokedKey);
  EXPECT_EQ(CheckKey(*s, "w.v1", 9'999).error().reason, Reason::kKeyNotActive);
  EXPECT_TRUE(CheckKey(*s, "w.v1", 10'000).ok());
  EXPECT_TRUE(CheckKey(*s, "w.v1", 19'999).ok());
  EXPECT_EQ(CheckKey(*s, "w.v1", 20'000).error().reason, Reason::kKeyNotActive);
}

TEST(CheckKeyTest, RotationOverlapKeepsBothVersionsUntilOldNotAfter) {
  // Rotated at t=100'000 with a 50'000 ms overlap: v2 starts at the rotation, v1 ends after it.
  KeyRecord v1 = Record("acme.v1");
  v1.not_after_ms = 150'000;
  KeyRecord v2 = Record("acme.v2");
  v2.not_before_ms = 100'000;
  auto s = Snap({v1, v2});
  ASSERT_TRUE(s);
  EXPECT_TRUE(CheckKey(*s, "acme.v1", 99'999).ok());
  EXPECT_EQ(CheckKey(*s, "acme.v2", 99'999).error().reason, Reason::kKeyNotActive);
  EXPECT_TRUE(CheckKey(*s, "acme.v1", 120'000).ok());
  EXPECT_TRUE(CheckKey(*s, "acme.v2", 120'000).ok());
  EXPECT_EQ(CheckKey(*s, "acme.v1", 150'000).error().reason, Reason::kKeyNotActive);
  EXPECT_TRUE(CheckKey(*s, "acme.v2", 150'000).ok());
}

TEST(CheckScopesTest, DefaultScopesAllowEverything) {
  auto s = Snap({Record()});
  const RegisteredKey& k = *s->Find("acme-otp.v1");
  Job j = OtpJob("anything at all");
  j.kind = JobKind::kMarketing;
  EXPECT_FALSE(CheckScopes(k, j, 9));
}

TEST(CheckScopesTest, EachScopeRejectsWithItsReason) {
  KeyRecord r = FullRecord();
  r.revoked = false;
  r.revoked_at_ms = 0;
  auto s = Snap({r});
  const RegisteredKey& k = *s->Find("acme-otp.v2");
  EXPECT_FALSE(CheckScopes(k, OtpJob(), 1));
  Job marketing = OtpJob();
  marketing.kind = JobKind::kMarketing;
  EXPECT_EQ(CheckScopes(k, marketing, 1)->reason, Reason::kKindNotAllowed);
  Job sender = OtpJob();
  sender.sender = "EVIL";
  EXPECT_EQ(CheckScopes(k, sender, 1)->reason, Reason::kSenderNotAllowed);
  EXPECT_EQ(CheckScopes(k, OtpJob(), 3)->reason, Reason::kTextTooLong);
  EXPECT_FALSE(CheckScopes(k, OtpJob(), 2));
  EXPECT_EQ(CheckScopes(k, OtpJob("Your code is 123456 call +1900"), 1)->reason,
            Reason::kOtpTemplateMismatch);
  // The template constrains OTP jobs only; other kinds are constrained by `kinds`.
  Job tx = OtpJob("Your parcel is on its way");
  tx.kind = JobKind::kTransactional;
  EXPECT_FALSE(CheckScopes(k, tx, 1));
}

// A key's country and URL scopes are decided by CountryScope::Allows and JudgeUrl (tested with
// the number checker and the content scanner); here: that DeriveScopes hands them the key's
// lists as stored.
TEST(ScopeHelpersTest, DeriveScopesHandsTheKeysCountriesAndUrlPolicyOn) {
  KeyScopes s;
  DerivedScopes any = DeriveScopes(s);
  EXPECT_TRUE(any.countries.Allows("US"));
  EXPECT_EQ(any.urls.mode, UrlScope::Mode::kAny);
  s.countries = {"DE", "FR"};
  s.url_policy = UrlPolicy::kAllowlist;
  s.url_domains = {"example.com"};
  DerivedScopes d = DeriveScopes(s);
  EXPECT_TRUE(d.countries.Allows("DE"));
  EXPECT_TRUE(d.countries.Allows("FR"));
  EXPECT_FALSE(d.countries.Allows("US"));
  EXPECT_FALSE(d.countries.Allows(""));
  EXPECT_EQ(d.urls.mode, UrlScope::Mode::kAllowlist);
  EXPECT_EQ(d.urls.domains, std::vector<std::string>{"example.com"});
  s.url_policy = UrlPolicy::kNone;
  EXPECT_EQ(DeriveScopes(s).urls.mode, UrlScope::Mode::kNone);
}

}  // namespace
}  // namespace sd
