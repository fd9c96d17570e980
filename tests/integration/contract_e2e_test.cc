// The producer contract across processes (docs/jobs.md): entries with newline, ESC, NUL,
// invalid UTF-8 and oversized values in every entry field and every job field, written raw
// with XADD and signed by this file's own HMAC and msgpack code (not the daemon's), each get
// exactly one outcome with the documented reason, and every field the daemon writes to
// sd:outcomes and sd:audit is bounded and safe to echo. Real redis-server, smsc-sim,
// smsdispatchd.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <map>
#include <regex>
#include <string>
#include <vector>

#include "tests/integration/harness.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;

// --- an independent producer: msgpack str/bin/uint/map and HMAC-SHA256 --------------------

std::string Be(uint64_t v, int bytes) {
  std::string out;
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return out;
}
std::string Str(const std::string& s) {
  if (s.size() < 32) return std::string(1, static_cast<char>(0xa0 | s.size())) + s;
  if (s.size() < 256) return "\xd9" + Be(s.size(), 1) + s;
  if (s.size() < 65536) return "\xda" + Be(s.size(), 2) + s;
  return "\xdb" + Be(s.size(), 4) + s;
}
std::string Bin(const std::string& s) { return "\xc4" + Be(s.size(), 1) + s; }
std::string Uint(uint64_t v) { return "\xcf" + Be(v, 8); }

using Pairs = std::vector<std::pair<std::string, std::string>>;  // key, packed value
std::string Map(const Pairs& kv) {
  std::string out(1, static_cast<char>(0x80 | kv.size()));
  for (const auto& [k, v] : kv) out += Str(k) + v;
  return out;
}

std::string HmacHex(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[mac[i] >> 4]);
    out.push_back(kHex[mac[i] & 15]);
  }
  return out;
}

std::string SecretOf(const std::string& key_file) {
  std::smatch m;
  const std::string text = ReadFile(key_file);
  if (!std::regex_search(text, m, std::regex("secret = \"([0-9a-fA-F]+)\""))) return "";
  std::string out;
  const std::string hex = m[1].str();
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// UTF-8 without C0, DEL or C1 controls, written independently of core/safe_text.
bool SafeToEcho(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    uint32_t cp = 0;
    size_t n = 0;
    if (c < 0x80)
      cp = c, n = 1;
    else if (c >= 0xc2 && c < 0xe0)
      cp = c & 0x1f, n = 2;
    else if (c >= 0xe0 && c < 0xf0)
      cp = c & 0x0f, n = 3;
    else if (c >= 0xf0 && c < 0xf5)
      cp = c & 0x07, n = 4;
    else
      return false;
    if (i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = cp << 6 | (cc & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp < 0xe000) || cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
      return false;
    }
    i += n;
  }
  return true;
}

class Producer {
 public:
  explicit Producer(Cluster& c) : c_(c), secret_(SecretOf(c.dir() + "/keys.toml")) {}

  // A valid job's key/value pairs (values packed), with `key` replaced by or given `value`.
  Pairs Job(const std::string& id) const {
    const uint64_t now =
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count());
    return {{"id", Str(id)},
            {"created", Uint(now)},
            {"expires", Uint(now + 600'000)},
            {"to", Str("+4915112345678")},
            {"from", Str("ACME")},
            {"text", Str("hello")},
            {"kind", Str("otp")},
            {"ref", Str("r-" + id)}};
  }
  static Pairs With(Pairs p, const std::string& key, const std::string& packed) {
    for (auto& [k, v] : p) {
      if (k == key) {
        v = packed;
        return p;
      }
    }
    p.emplace_back(key, packed);
    return p;
  }

  // XADDs the four fields (raw bytes; `sig` empty = signed correctly for these v/kid/job).
  // Returns the entry id.
  std::string Add(const std::string& job, const std::string& v = "sd1",
                  const std::string& kid = "test.v1", std::string sig = "") {
    if (sig.empty()) sig = HmacHex(secret_, v + "\n" + kid + "\nsd:jobs\n" + job);
    const std::vector<std::string> args{"XADD", "sd:jobs", "*", "v",   v,  "kid",
                                        kid,    "job",     job, "sig", sig};
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const std::string& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* r = static_cast<redisReply*>(
        redisCommandArgv(c_.redis(), static_cast<int>(argv.size()), argv.data(), lens.data()));
    std::string id =
        r != nullptr && r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : "";
    if (r != nullptr) freeReplyObject(r);
    return id;
  }

 private:
  Cluster& c_;
  std::string secret_;
};

TEST(ContractEndToEnd, HostileFieldValuesGetOneBoundedSafeOutcomeEach) {
  Cluster c(Cluster::Options{});
  Producer p(c);
  ASSERT_FALSE(SecretOf(c.dir() + "/keys.toml").empty());
  const std::vector<std::pair<std::string, std::string>> hostile = {
      {"newline", "a\nb"},
      {"esc", "\x1b[2J\x1b]0;x\x07"},
      {"nul", std::string("a\0b", 3)},
      {"invalid-utf8", "\xff\xfe\xc0\xaf"},
      {"oversized", std::string(100 * 1024, 'k')}};
  std::map<std::string, std::string> want;  // entry id -> expected reason ("" = any)
  std::map<std::string, std::string> what;  // entry id -> description
  auto expect = [&](const std::string& id, const std::string& reason, const std::string& desc) {
    ASSERT_FALSE(id.empty()) << desc;
    want[id] = reason;
    what[id] = desc;
  };
  int n = 0;
  for (const auto& [name, bad] : hostile) {
    const bool big = bad.size() > 4096;
    const std::string job = Map(p.Job("h" + std::to_string(++n)));
    expect(p.Add(job, bad), "malformed", "v " + name);
    expect(p.Add(job, "sd1", bad), "malformed", "kid " + name);
    expect(p.Add(job, "sd1", "test.v1", bad), "malformed", "sig " + name);
    expect(p.Add(bad), big ? "too_large" : "malformed", "job bytes " + name);
    const std::string id = "h" + std::to_string(++n);
    expect(p.Add(Map(Producer::With(p.Job(id), "id", Str(bad)))), big ? "too_large" : "malformed",
           "id " + name);
    expect(p.Add(Map(Producer::With(p.Job(id + "a"), "to", Str(bad)))),
           big ? "too_large" : "invalid_number", "to " + name);
    expect(p.Add(Map(Producer::With(p.Job(id + "b"), "from", Str(bad)))),
           big ? "too_large" : "invalid_sender", "from " + name);
    expect(p.Add(Map(Producer::With(p.Job(id + "c"), "text", Str(bad)))), "", "text " + name);
    expect(p.Add(Map(Producer::With(p.Job(id + "d"), "kind", Str(bad)))),
           big ? "too_large" : "malformed", "kind " + name);
    expect(p.Add(Map(Producer::With(p.Job(id + "e"), "ref", Str(bad)))),
           big ? "too_large" : "malformed", "ref " + name);
    expect(p.Add(Map(Producer::With(p.Job(id + "f"), bad.substr(0, 200), Str("x")))), "malformed",
           "unknown key " + name);
  }
  // A kid that follows §1 but names no key: unknown_key, echoed, and audited.
  const std::string utf8_kid = "\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87.v1";
  const std::string unknown = p.Add(Map(p.Job("u1")), "sd1", utf8_kid);
  expect(unknown, "unknown_key", "unknown utf-8 kid");
  // bin where str is due: malformed with a detail that says so; the corrected resend with the
  // same id then goes through (a rejected entry does not take its id).
  const std::string bin = p.Add(Map(Producer::With(p.Job("fix-1"), "text", Bin("hello"))));
  expect(bin, "malformed", "bin text");
  const std::string fixed = p.Add(Map(p.Job("fix-1")));
  expect(fixed, "submitted", "fixed resend");
  // 161 GSM-7 characters: two parts under the default max_segments.
  const std::string two =
      p.Add(Map(Producer::With(p.Job("two-1"), "text", Str(std::string(161, 'a')))));
  expect(two, "submitted", "161 characters");

  c.StartDaemon();
  ASSERT_TRUE(OutcomesReach(c, static_cast<long long>(want.size()), 120s)) << c.DaemonLog();
  ASSERT_TRUE(WaitUntil([&] { return c.PendingCount() == 0; }, 60s));
  c.StopDaemon();
  ExpectExactlyOneOutcomePerEntry(c);

  const auto outcomes = c.ReadStream("sd:outcomes");
  std::map<std::string, Cluster::Fields> by_entry;
  for (const auto& o : outcomes) {
    by_entry[o.at("entry")] = o;
    for (const auto& [k, v] : o) {
      EXPECT_TRUE(SafeToEcho(v)) << what[o.at("entry")] << ": outcome field " << k;
      EXPECT_LE(v.size(), 256u) << what[o.at("entry")] << ": outcome field " << k;
    }
    const std::string& kid = o.at("kid");
    EXPECT_TRUE(kid.empty() || kid == "test.v1" || kid == utf8_kid) << what[o.at("entry")];
  }
  for (const auto& [entry, reason] : want) {
    ASSERT_EQ(by_entry.count(entry), 1u) << what[entry];
    const auto& o = by_entry[entry];
    if (reason == "submitted") {
      EXPECT_EQ(o.at("status"), "submitted") << what[entry] << ": " << o.at("detail");
    } else if (!reason.empty()) {
      EXPECT_EQ(o.at("reason"), reason) << what[entry] << ": " << o.at("detail");
      EXPECT_EQ(o.at("segments"), "0") << what[entry];
    }
    if (what[entry].rfind("kid ", 0) == 0) {
      EXPECT_EQ(o.at("kid"), "") << what[entry];
    }
  }
  EXPECT_EQ(by_entry[bin].at("detail"), "text: bin, expected str");
  EXPECT_EQ(by_entry[unknown].at("kid"), utf8_kid);
  EXPECT_EQ(by_entry[fixed].at("job"), "fix-1");
  EXPECT_EQ(by_entry[two].at("segments"), "2");

  const auto audit = c.ReadStream("sd:audit");
  bool saw_unknown = false;
  for (const auto& a : audit) {
    for (const auto& [k, v] : a) {
      EXPECT_TRUE(SafeToEcho(v)) << "audit field " << k;
      EXPECT_LE(v.size(), 256u) << "audit field " << k;
    }
    if (a.at("entry") == unknown) {
      saw_unknown = true;
      EXPECT_EQ(a.at("reason"), "unknown_key");
      EXPECT_EQ(a.at("kid"), utf8_kid);
    }
  }
  EXPECT_TRUE(saw_unknown);
}

}  // namespace
}  // namespace sd::testing
