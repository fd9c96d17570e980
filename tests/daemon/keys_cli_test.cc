// smsdispatch keys against a real redis-server: create prints the secret once and nothing else
// ever shows it, rotate makes the next version with the same scopes and an overlap, revoke bumps
// the version and publishes it, list/show, the master key's sources, and usage errors.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "adapters/crypto/base64.h"
#include "adapters/crypto/random.h"
#include "adapters/redis/key_registry.h"
#include "adapters/redis/redis_reply.h"
#include "core/envelope.h"
#include "core/usage_tally.h"
#include "core/hex.h"
#include "tests/support/redis_server.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"
#include "tests/support/uv_test_loop.h"

extern char** environ;

namespace sd {
namespace {

using ::sd::testing::ReadTextFile;
using ::sd::testing::RedisServer;
using ::sd::testing::TempDir;
using ::sd::testing::WriteTextFile;

struct CliResult {
  int status = -1;
  std::string out;
  std::string err;
};

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class KeysCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start()) << redis_.error();
    master_hex_ = HexEncode(RandomBytes(32));
    master_file_ = dir_.File("master.key");
    ASSERT_TRUE(WriteTextFile(master_file_, master_hex_ + "\n", 0600));
  }

  // The CLI with stdout and stderr captured apart; `env` replaces the environment if given.
  CliResult Run(const std::vector<std::string>& args,
                const std::vector<std::string>* env = nullptr) {
    ++runs_;
    const std::string out = dir_.File("out" + std::to_string(runs_));
    const std::string err = dir_.File("err" + std::to_string(runs_));
    std::vector<std::string> argv{SD_CLI};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    std::vector<std::string> env_copy = env ? *env : std::vector<std::string>{};
    std::vector<char*> cenv;
    for (auto& e : env_copy) cenv.push_back(e.data());
    cenv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid = -1;
    const int rc =
        posix_spawn(&pid, SD_CLI, &fa, nullptr, cargv.data(), env ? cenv.data() : environ);
    posix_spawn_file_actions_destroy(&fa);
    EXPECT_EQ(rc, 0);
    CliResult r;
    if (rc != 0) return r;
    // A deadline against a hang, not a timing assertion.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    int st = 0;
    while (waitpid(pid, &st, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
        ADD_FAILURE() << "smsdispatch did not exit within 60 s";
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r.out = ReadTextFile(out);
    r.err = ReadTextFile(err);
    return r;
  }

  std::vector<std::string> Base(const std::string& sub) {
    return {"keys",
            sub,
            "--redis",
            "127.0.0.1:" + std::to_string(redis_.port()),
            "--master-key-file",
            master_file_};
  }
  std::vector<std::string> With(std::vector<std::string> base,
                                std::initializer_list<std::string> more) {
    base.insert(base.end(), more.begin(), more.end());
    return base;
  }

  // "field: value" from the CLI's stdout.
  static std::string Line(const std::string& out, const std::string& field) {
    const std::string key = field + ": ";
    const size_t at = out.find(key);
    if (at == std::string::npos) return "";
    const size_t end = out.find('\n', at);
    return out.substr(at + key.size(), end - at - key.size());
  }

  // The registry as a daemon would see it.
  std::shared_ptr<const KeyRegistrySnapshot> Snapshot() {
    testing::ReplyPtr r = redis_.Command(redis::KeyRegistryLoadCommand(names_));
    auto sealed = redis::ParseKeyRegistryLoad(r.get());
    EXPECT_TRUE(sealed.ok());
    auto snap = redis::OpenKeyRegistry(ParseMasterKey(master_hex_).value(), *sealed);
    EXPECT_TRUE(snap.ok()) << (snap.ok() ? "" : snap.error().detail);
    return snap.ok() ? *snap : nullptr;
  }

  std::string Version() {
    return redis::ReplyString(redis_.Command({"GET", names_.version}).get());
  }

  TempDir dir_;
  RedisServer redis_;
  std::string master_hex_;
  std::string master_file_;
  redis::KeyRegistryNames names_ = redis::KeyRegistryNames::ForPrefix("sd:");
  int runs_ = 0;
};

TEST_F(KeysCliTest, CreatePrintsTheSecretOnceWithItsScopes) {
  CliResult c =
      Run(With(Base("create"), {"--name", "acme-otp", "--kinds", "otp", "--senders", "ACME,Acme2",
                                "--countries", "de,FR", "--max-segments", "2", "--url-policy",
                                "allow:Example.com,acme.de,Bücher.de", "--otp-template",
                                "Your code is {code}", "--rate", "10/s", "--burst", "20"}));
  ASSERT_EQ(c.status, 0) << c.err;
  EXPECT_EQ(Line(c.out, "id"), "acme-otp.v1");
  const std::string secret_hex = Line(c.out, "secret_hex");
  ASSERT_EQ(secret_hex.size(), 64u) << c.out;  // 256 bits in hex
  EXPECT_NE(c.err.find("shown only now"), std::string::npos);
  EXPECT_EQ(Version(), "1");

  auto snap = Snapshot();
  ASSERT_TRUE(snap);
  const RegisteredKey* k = snap->Find("acme-otp.v1");
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(HexEncode(k->record.secret), secret_hex);
  const KeyScopes& s = k->record.scopes;
  EXPECT_EQ(s.kinds, KindBit(JobKind::kOtp));
  EXPECT_EQ(s.senders, (std::vector<std::string>{"ACME", "Acme2"}));
  EXPECT_EQ(s.countries, (std::vector<std::string>{"DE", "FR"}));
  EXPECT_EQ(s.max_segments, 2);
  EXPECT_EQ(s.url_policy, UrlPolicy::kAllowlist);
  EXPECT_EQ(s.url_domains,
            (std::vector<std::string>{"example.com", "acme.de", "xn--bcher-kva.de"}));
  EXPECT_EQ(s.otp_template, "Your code is {code}");
  EXPECT_EQ(s.rate_per_s, 10u);
  EXPECT_EQ(s.burst, 20u);
  EXPECT_TRUE(CheckKey(*snap, "acme-otp.v1", NowMs()).ok());

  // Nothing shows the secret again: not list, not show, not Redis.
  for (const auto& args :
       {Base("list"), With(Base("list"), {"--json"}), With(Base("show"), {"--id", "acme-otp.v1"}),
        With(Base("show"), {"--id", "acme-otp.v1", "--json"})}) {
    CliResult r = Run(args);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("acme-otp.v1"), std::string::npos);
    EXPECT_EQ(r.out.find(secret_hex.substr(0, 16)), std::string::npos) << r.out;
    EXPECT_EQ(r.err.find(secret_hex.substr(0, 16)), std::string::npos);
  }
  const testing::FieldList stored =
      testing::ReplyPairs(redis_.Command({"HGETALL", names_.hash}).get());
  ASSERT_EQ(stored.size(), 1u);
  const std::string secret = HexDecode(secret_hex).value();
  EXPECT_EQ(stored[0].second.find(secret.substr(0, 8)), std::string::npos);
  EXPECT_EQ(stored[0].second.find(secret_hex.substr(0, 16)), std::string::npos);

  // The JSON listing carries the scopes.
  CliResult j = Run(With(Base("show"), {"--id", "acme-otp.v1", "--json"}));
  const auto shown = nlohmann::json::parse(j.out);
  EXPECT_EQ(shown["state"], "active");
  EXPECT_EQ(shown["kinds"], "otp");
  EXPECT_EQ(shown["url_policy"], "allow:example.com,acme.de,xn--bcher-kva.de");  // UTS #46
  EXPECT_FALSE(shown.contains("secret"));

  // A second create of the same name is refused; rotate is the way to a new version.
  CliResult again = Run(With(Base("create"), {"--name", "acme-otp"}));
  EXPECT_EQ(again.status, 1);
  EXPECT_NE(again.err.find("exists already"), std::string::npos);
  EXPECT_EQ(Version(), "1");
}

// The HTTPS API's scopes: how the key authenticates and where from; kept by a rotation.
TEST_F(KeysCliTest, ApiScopesAreStoredShownAndRotated) {
  ASSERT_EQ(Run(With(Base("create"), {"--name", "web", "--auth", "both", "--allow-ips",
                                      "203.0.113.0/24,2001:db8::/32"}))
                .status,
            0);
  auto snap = Snapshot();
  ASSERT_TRUE(snap);
  const RegisteredKey* k = snap->Find("web.v1");
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->record.scopes.api_auth, ApiAuth::kBoth);
  EXPECT_EQ(k->record.scopes.allow_ips,
            (std::vector<std::string>{"203.0.113.0/24", "2001:db8::/32"}));
  const auto shown = nlohmann::json::parse(Run(With(Base("show"), {"--id", "web.v1", "--json"})).out);
  EXPECT_EQ(shown["api_auth"], "both");
  EXPECT_EQ(shown["allow_ips"].size(), 2u);
  EXPECT_NE(Run(Base("list")).out.find("api_auth=both allow_ips=203.0.113.0/24,2001:db8::/32"),
            std::string::npos);
  ASSERT_EQ(Run(With(Base("rotate"), {"--name", "web"})).status, 0);
  auto after = Snapshot();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->Find("web.v2")->record.scopes.allow_ips, k->record.scopes.allow_ips);
  EXPECT_EQ(after->Find("web.v2")->record.scopes.api_auth, ApiAuth::kBoth);
  EXPECT_EQ(Run(With(Base("create"), {"--name", "x", "--auth", "none"})).status, 2);
  EXPECT_EQ(Run(With(Base("create"), {"--name", "x", "--allow-ips", "10.0.0.0/33"})).status, 2);
}

// keys create/set --callback-url, the callback secret's rotation, and --client-cert
// (docs/keys.md, "Status callbacks" and "Client certificates").
TEST_F(KeysCliTest, CallbacksAndClientCertificatesAreSetRotatedAndRemoved) {
  CliResult c = Run(With(Base("create"), {"--name", "shop", "--callback-url",
                                          "https://hooks.example.com/sms"}));
  ASSERT_EQ(c.status, 0) << c.err;
  const std::string first = Line(c.out, "callback_secret");
  ASSERT_EQ(first.rfind("whsec_", 0), 0u) << c.out;
  EXPECT_EQ(Base64Decode(first.substr(6)).value_or("").size(), 32u);
  ASSERT_EQ(Run(With(Base("rotate"), {"--name", "shop"})).status, 0);  // v2 keeps the callback
  auto snap = Snapshot();
  ASSERT_TRUE(snap);
  for (const char* id : {"shop.v1", "shop.v2"}) {
    EXPECT_EQ(snap->Find(id)->record.callback_url, "https://hooks.example.com/sms") << id;
    EXPECT_EQ(snap->Find(id)->record.callback_secrets,
              std::vector<std::string>{*Base64Decode(first.substr(6))}) << id;
  }
  // A secret rotation: the new secret first, the old one still signing; then finished.
  CliResult rot = Run(With(Base("set"), {"--name", "shop", "--rotate-callback-secret"}));
  ASSERT_EQ(rot.status, 0) << rot.err;
  const std::string second = Line(rot.out, "callback_secret");
  ASSERT_FALSE(second.empty());
  EXPECT_NE(second, first);
  snap = Snapshot();
  EXPECT_EQ(snap->Find("shop.v2")->record.callback_secrets.size(), 2u);
  EXPECT_EQ(snap->Find("shop.v2")->record.callback_secrets[1], *Base64Decode(first.substr(6)));
  ASSERT_EQ(Run(With(Base("set"), {"--name", "shop", "--finish-callback-rotation"})).status, 0);
  EXPECT_EQ(Snapshot()->Find("shop.v1")->record.callback_secrets,
            std::vector<std::string>{*Base64Decode(second.substr(6))});
  // A client certificate, given as a file or as its fingerprint (openssl's colon form too).
  testing::TestPki pki;
  ASSERT_EQ(Run(With(Base("set"), {"--name", "shop", "--client-cert", pki.client().cert})).status,
            0);
  const std::string fp = Snapshot()->Find("shop.v2")->record.scopes.client_cert_sha256;
  EXPECT_EQ(fp.size(), 64u);
  std::string colons;
  for (size_t i = 0; i < fp.size(); i += 2) colons += (i ? ":" : "") + fp.substr(i, 2);
  for (char& ch : colons) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  ASSERT_EQ(Run(With(Base("set"), {"--name", "shop", "--no-client-cert"})).status, 0);
  EXPECT_EQ(Snapshot()->Find("shop.v2")->record.scopes.client_cert_sha256, "");
  ASSERT_EQ(Run(With(Base("set"), {"--name", "shop", "--client-cert-sha256", colons})).status, 0);
  EXPECT_EQ(Snapshot()->Find("shop.v2")->record.scopes.client_cert_sha256, fp);
  const auto shown = nlohmann::json::parse(Run(With(Base("show"), {"--id", "shop.v2", "--json"})).out);
  EXPECT_EQ(shown["client_cert_sha256"], fp);
  EXPECT_EQ(shown["callback_url"], "https://hooks.example.com/sms");
  EXPECT_EQ(shown.dump().find("whsec"), std::string::npos);  // secrets are never shown again
  // Removing the callback; and what is refused.
  CliResult removed = Run(With(Base("set"), {"--name", "shop", "--no-callback"}));
  ASSERT_EQ(removed.status, 0) << removed.err;
  EXPECT_EQ(Snapshot()->Find("shop.v1")->record.callback_url, "");
  EXPECT_EQ(Run(With(Base("set"), {"--name", "shop", "--rotate-callback-secret"})).status, 2);
  EXPECT_EQ(Run(With(Base("set"), {"--name", "shop", "--callback-url", "http://x.example/"})).status,
            2);
  EXPECT_EQ(Run(With(Base("set"), {"--name", "shop", "--client-cert", dir_.File("none")})).status,
            2);
  EXPECT_EQ(Run(With(Base("set"), {"--name", "shop"})).status, 2);  // nothing to set
  EXPECT_EQ(Run(With(Base("set"), {"--name", "nobody", "--no-callback"})).status, 1);
}

TEST_F(KeysCliTest, RotateMakesTheNextVersionAndEndsTheOldOneAfterTheOverlap) {
  ASSERT_EQ(Run(With(Base("create"), {"--name", "acme", "--kinds", "otp,transactional",
                                      "--countries", "DE", "--otp-template", "{code:6}"}))
                .status,
            0);
  const int64_t before = NowMs();
  CliResult r = Run(With(Base("rotate"), {"--name", "acme", "--overlap", "1h"}));
  const int64_t after = NowMs();
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(Line(r.out, "id"), "acme.v2");
  EXPECT_EQ(Line(r.out, "secret_hex").size(), 64u);
  EXPECT_EQ(Version(), "2");  // one change: both records in one script

  auto snap = Snapshot();
  ASSERT_TRUE(snap);
  const KeyRecord& v1 = snap->Find("acme.v1")->record;
  const KeyRecord& v2 = snap->Find("acme.v2")->record;
  EXPECT_NE(v1.secret, v2.secret);
  EXPECT_EQ(v2.scopes.kinds, v1.scopes.kinds);
  EXPECT_EQ(v2.scopes.countries, v1.scopes.countries);
  EXPECT_EQ(v2.scopes.otp_template, "{code:6}");
  EXPECT_GE(v1.not_after_ms, before + 3'600'000);
  EXPECT_LE(v1.not_after_ms, after + 3'600'000);
  EXPECT_EQ(v2.not_after_ms, 0);
  // Both versions work during the overlap; only the new one after it.
  const int64_t during = after + 1;
  EXPECT_TRUE(CheckKey(*snap, "acme.v1", during).ok());
  EXPECT_TRUE(CheckKey(*snap, "acme.v2", during).ok());
  EXPECT_EQ(CheckKey(*snap, "acme.v1", v1.not_after_ms).error().reason, Reason::kKeyNotActive);
  EXPECT_TRUE(CheckKey(*snap, "acme.v2", v1.not_after_ms).ok());

  // Rotating again ends v2 at once with --overlap 0s and leaves v1's end as it was.
  ASSERT_EQ(Run(With(Base("rotate"), {"--name", "acme", "--overlap", "0s"})).status, 0);
  auto snap3 = Snapshot();
  EXPECT_EQ(snap3->Find("acme.v1")->record.not_after_ms, v1.not_after_ms);
  EXPECT_NE(snap3->Find("acme.v2")->record.not_after_ms, 0);
  EXPECT_NE(snap3->Find("acme.v3"), nullptr);

  EXPECT_EQ(Run(With(Base("rotate"), {"--name", "nobody"})).status, 1);
}

// keys revoke --incident: what the key did, from the outcome, job and audit streams: only its
// own entries, within the window.
// --mode test: the id gets the test- prefix, the record its mode; a live key cannot take it.
TEST_F(KeysCliTest, TestModeKeysShowTheirModeInTheirId) {
  CliResult c = Run(With(Base("create"), {"--name", "acme", "--mode", "test"}));
  ASSERT_EQ(c.status, 0) << c.err;
  EXPECT_EQ(Line(c.out, "id"), "test-acme.v1");
  auto snap = Snapshot();
  ASSERT_TRUE(snap);
  EXPECT_TRUE(snap->Find("test-acme.v1")->record.test_mode);
  EXPECT_EQ(nlohmann::json::parse(
                Run(With(Base("show"), {"--id", "test-acme.v1", "--json"})).out)["mode"],
            "test");
  EXPECT_NE(Run(Base("list")).out.find("mode=test"), std::string::npos);
  ASSERT_EQ(Run(With(Base("rotate"), {"--name", "test-acme"})).status, 0);
  EXPECT_TRUE(Snapshot()->Find("test-acme.v2")->record.test_mode);
  EXPECT_EQ(Run(With(Base("create"), {"--name", "test-other"})).status, 2);
  EXPECT_EQ(Run(With(Base("create"), {"--name", "x", "--mode", "sandbox"})).status, 2);
}

// keys report: the daemons' per-day usage counters against each key's scopes.
TEST_F(KeysCliTest, ReportShowsUsageAgainstScopesAndFlagsUnusedKeys) {
  ASSERT_EQ(Run(With(Base("create"), {"--name", "busy", "--kinds", "otp,transactional"})).status,
            0);
  ASSERT_EQ(Run(With(Base("create"), {"--name", "idle"})).status, 0);
  const int64_t now = NowMs();
  const std::string today = "sd:usage:busy.v1:" + UsageDay(now);
  const std::string week = "sd:usage:busy.v1:" + UsageDay(now - 3 * 86'400'000);
  const std::string old = "sd:usage:busy.v1:" + UsageDay(now - 20 * 86'400'000);
  ASSERT_TRUE(redis_.Command({"HSET", today, "outcome:submitted", "5", "outcome:rejected:rate_limited",
                              "1", "kind:otp", "5", "sender:ACME", "5", "country:DE", "5",
                              "last_used", std::to_string(now)}));
  ASSERT_TRUE(redis_.Command({"HSET", week, "outcome:submitted", "10", "country:FR", "10",
                              "kind:otp", "10", "sender:ACME", "10"}));
  ASSERT_TRUE(redis_.Command({"HSET", old, "outcome:submitted", "100"}));
  CliResult r = Run(With(Base("report"), {"--json"}));
  ASSERT_EQ(r.status, 0) << r.err;
  const auto all = nlohmann::json::parse(r.out);
  ASSERT_EQ(all.size(), 2u);
  const auto& busy = all[0];
  EXPECT_EQ(busy["id"], "busy.v1");
  EXPECT_EQ(busy["jobs"], nlohmann::json::parse(R"({"1d":6,"7d":16,"30d":116})"));
  EXPECT_EQ(busy["countries_30d"], nlohmann::json::parse(R"({"DE":5,"FR":10})"));
  EXPECT_EQ(busy["outcomes_30d"]["rejected:rate_limited"], 1);
  EXPECT_EQ(busy["suggest"], nlohmann::json::parse(
                                 R"(["--countries DE,FR","--kinds otp","--senders ACME"])"));
  EXPECT_TRUE(busy["flags"].empty());
  const auto& idle = all[1];
  EXPECT_EQ(idle["id"], "idle.v1");
  EXPECT_EQ(idle["jobs"]["30d"], 0);
  ASSERT_EQ(idle["flags"].size(), 1u);
  EXPECT_EQ(idle["flags"][0], "unused for 30 days");
  CliResult text = Run(Base("report"));
  ASSERT_EQ(text.status, 0) << text.err;
  EXPECT_NE(text.out.find("jobs 1d/7d/30d: 6/16/116"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("narrower scope: --countries DE,FR"), std::string::npos);
  EXPECT_NE(text.out.find("! unused for 30 days"), std::string::npos);
  EXPECT_EQ(Run(With(Base("report"), {"--rotation-days", "0"})).status, 2);
}

TEST_F(KeysCliTest, RevokeWithIncidentReportsWhatTheKeyDid) {
  ASSERT_EQ(Run(With(Base("create"), {"--name", "leaky"})).status, 0);
  auto add_job = [&](const std::string& kid, const std::string& to, const std::string& from,
                     const std::string& status, const std::string& reason) {
    Job job;
    job.id = "j-" + to.substr(1);
    job.created_ms = NowMs();
    job.expires_ms = job.created_ms + 60'000;
    job.destination = to;
    job.sender = from;
    job.text = "hi";
    job.kind = JobKind::kOtp;
    auto entry = redis_.Command({"XADD", "sd:jobs", "*", "v", "sd1", "kid", kid, "job",
                                 EncodeJob(job), "sig", std::string(64, '0')});
    ASSERT_TRUE(entry);
    const std::string id(entry->str, entry->len);
    ASSERT_TRUE(redis_.Command({"XADD", "sd:outcomes", "*", "entry", id, "job", job.id, "kid", kid,
                                "status", status, "reason", reason}));
  };
  add_job("leaky.v1", "+4915112345678", "ACME", "submitted", "");
  add_job("leaky.v1", "+4915112345679", "ACME", "submitted", "");
  add_job("leaky.v1", "+447712345678", "SPAM", "rejected", "premium_number");
  add_job("other.v1", "+33612345678", "ACME", "submitted", "");
  for (const char* addr : {"203.0.113.9", "203.0.113.9", "2001:db8::7"}) {
    ASSERT_TRUE(redis_.Command({"XADD", "sd:audit", "*", "reason", "ip_not_allowed", "kid",
                                "leaky.v1", "detail",
                                std::string("https api from ") + addr + ": not allowed"}));
  }
  ASSERT_TRUE(redis_.Command({"XADD", "sd:audit", "*", "reason", "bad_signature", "kid",
                              "other.v1", "detail", "x"}));
  CliResult r = Run(With(Base("revoke"), {"--id", "leaky.v1", "--incident", "--json"}));
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string report = r.out.substr(r.out.find('{'));
  const auto j = nlohmann::json::parse(report);
  EXPECT_EQ(j["jobs"], 3) << r.err;
  EXPECT_EQ(j["outcomes"], nlohmann::json::parse(
                               R"([["submitted",2],["rejected:premium_number",1]])"));
  EXPECT_EQ(j["countries"], nlohmann::json::parse(R"([["DE",2],["GB",1]])"));
  EXPECT_EQ(j["prefixes"], nlohmann::json::parse(R"([["+4915",2],["+4477",1]])"));
  EXPECT_EQ(j["senders"], nlohmann::json::parse(R"([["ACME",2],["SPAM",1]])"));
  EXPECT_EQ(j["refused"], 3);
  EXPECT_EQ(j["refused_from"], nlohmann::json::parse(R"([["203.0.113.9",2],["2001:db8::7",1]])"));
  EXPECT_NE(r.out.find("leaky.v1 revoked"), std::string::npos);
  // The text form, and again for a key already revoked.
  CliResult t = Run(With(Base("revoke"), {"--id", "leaky.v1", "--incident"}));
  ASSERT_EQ(t.status, 0) << t.err;
  EXPECT_NE(t.out.find("already revoked"), std::string::npos);
  EXPECT_NE(t.out.find("countries: DE 2, GB 1"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("refused from: 203.0.113.9 2, 2001:db8::7 1"), std::string::npos) << t.out;
  EXPECT_EQ(Run(With(Base("revoke"), {"--id", "leaky.v1", "--incident", "--hours", "0"})).status,
            2);
}

TEST_F(KeysCliTest, RevokeBumpsTheVersionAndPublishesIt) {
  ASSERT_EQ(Run(With(Base("create"), {"--name", "acme"})).status, 0);
  // A subscriber like a daemon's.
  redisContext* sub = redisConnect("127.0.0.1", redis_.port());
  ASSERT_TRUE(sub != nullptr && sub->err == 0);
  timeval tv{10, 0};
  redisSetTimeout(sub, tv);
  auto* confirm =
      static_cast<redisReply*>(redisCommand(sub, "SUBSCRIBE %s", names_.channel.c_str()));
  ASSERT_NE(confirm, nullptr);
  freeReplyObject(confirm);

  CliResult r = Run(With(Base("revoke"), {"--id", "acme.v1"}));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("acme.v1 revoked"), std::string::npos);
  EXPECT_EQ(Version(), "2");
  void* raw = nullptr;
  ASSERT_EQ(redisGetReply(sub, &raw), REDIS_OK);
  auto* msg = static_cast<redisReply*>(raw);
  ASSERT_EQ(msg->type, REDIS_REPLY_ARRAY);
  ASSERT_EQ(msg->elements, 3u);
  EXPECT_EQ(redis::ReplyString(msg->element[0]), "message");
  EXPECT_EQ(redis::ReplyString(msg->element[2]), "2");
  freeReplyObject(msg);
  redisFree(sub);

  auto snap = Snapshot();
  EXPECT_EQ(CheckKey(*snap, "acme.v1", NowMs()).error().reason, Reason::kRevokedKey);
  EXPECT_GT(snap->Find("acme.v1")->record.revoked_at_ms, 0);
  CliResult show = Run(With(Base("show"), {"--id", "acme.v1"}));
  EXPECT_NE(show.out.find("state: revoked"), std::string::npos) << show.out;

  // Revoking again changes nothing; an unknown id fails.
  EXPECT_EQ(Run(With(Base("revoke"), {"--id", "acme.v1"})).status, 0);
  EXPECT_EQ(Version(), "2");
  EXPECT_EQ(Run(With(Base("revoke"), {"--id", "acme.v9"})).status, 1);
}

// The whole revocation path: the operator's command, Redis, a daemon's watcher.
TEST_F(KeysCliTest, ADaemonsWatcherStopsTheKeyWithinOneSecondOfRevoke) {
  ASSERT_EQ(Run(With(Base("create"), {"--name", "acme"})).status, 0);
  testing::UvTestLoop loop;
  redis::RedisEndpoint e;
  e.host = redis_.host();
  e.port = redis_.port();
  redis::KeyRegistryWatcher w(loop.get(), e, ParseMasterKey(master_hex_).value());
  w.Start();
  ASSERT_TRUE(loop.RunUntil([&] { return w.snapshot() && w.snapshot()->Find("acme.v1"); }));
  EXPECT_TRUE(CheckKey(*w.snapshot(), "acme.v1", NowMs()).ok());
  ASSERT_EQ(Run(With(Base("revoke"), {"--id", "acme.v1"})).status, 0);
  // Measured from the command's exit (the loop did not run while the CLI did).
  EXPECT_TRUE(loop.RunUntil([&] { return !CheckKey(*w.snapshot(), "acme.v1", NowMs()).ok(); },
                            std::chrono::milliseconds(1'000)));
  EXPECT_EQ(CheckKey(*w.snapshot(), "acme.v1", NowMs()).error().reason, Reason::kRevokedKey);
  bool closed = false;
  w.Close([&] { closed = true; });
  EXPECT_EQ(loop.RunToCompletionAndClose(), 0);
  EXPECT_TRUE(closed);
}

TEST_F(KeysCliTest, MasterKeyFromTheEnvironmentAndItsChecks) {
  ASSERT_EQ(Run(With(Base("create"), {"--name", "acme"})).status, 0);
  const std::vector<std::string> no_flag{"keys", "list", "--redis",
                                         "127.0.0.1:" + std::to_string(redis_.port())};
  const std::vector<std::string> env{"SMSDISPATCH_MASTER_KEY_FILE=" + master_file_};
  CliResult ok = Run(no_flag, &env);
  EXPECT_EQ(ok.status, 0) << ok.err;
  EXPECT_NE(ok.out.find("acme.v1"), std::string::npos);

  const std::vector<std::string> empty_env;
  CliResult none = Run(no_flag, &empty_env);
  EXPECT_EQ(none.status, 2);
  EXPECT_NE(none.err.find("SMSDISPATCH_MASTER_KEY_FILE"), std::string::npos);

  // A master key others can read is refused.
  const std::string loose = dir_.File("loose.key");
  ASSERT_TRUE(WriteTextFile(loose, master_hex_, 0644));
  CliResult l = Run({"keys", "list", "--redis", "127.0.0.1:" + std::to_string(redis_.port()),
                     "--master-key-file", loose});
  EXPECT_EQ(l.status, 1);
  EXPECT_NE(l.err.find("group or others"), std::string::npos);

  // The wrong master key opens nothing and says so, without any key material.
  const std::string other = dir_.File("other.key");
  ASSERT_TRUE(WriteTextFile(other, HexEncode(RandomBytes(32)), 0600));
  CliResult w = Run({"keys", "list", "--redis", "127.0.0.1:" + std::to_string(redis_.port()),
                     "--master-key-file", other});
  EXPECT_EQ(w.status, 1);
  EXPECT_NE(w.err.find("does not open"), std::string::npos) << w.err;
}

TEST_F(KeysCliTest, UsageErrorsExit2) {
  const std::vector<std::vector<std::string>> bad{
      {"keys"},
      {"keys", "frobnicate"},
      Base("create"),  // no --name
      With(Base("create"), {"--name", "bad name"}),
      With(Base("create"), {"--name", "a", "--kinds", "sms"}),
      With(Base("create"), {"--name", "a", "--url-policy", "some"}),
      With(Base("create"), {"--name", "a", "--url-policy", "allow:example.com/x"}),
      With(Base("create"), {"--name", "a", "--url-policy", "allow:xn--99999999999.com"}),
      With(Base("create"), {"--name", "a", "--otp-template", "no placeholder"}),
      With(Base("create"), {"--name", "a", "--rate", "ten"}),
      With(Base("create"), {"--name", "a", "--burst", "5"}),
      With(Base("create"), {"--name", "a", "--countries", "DEU"}),
      With(Base("create"), {"--name", "a", "--not-before", "yesterday"}),
      With(Base("create"), {"--name", "a", "--not-after", "now-1h"}),
      With(Base("rotate"), {"--name", "a", "--overlap", "1 day"}),
      With(Base("revoke"), {"--id", "no-version"}),
      With(Base("list"), {"--id", "a.v1"}),
  };
  for (const auto& args : bad) {
    CliResult r = Run(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(r.status, 2) << joined << "\n" << r.err;
    EXPECT_TRUE(r.out.empty()) << joined;
  }
  EXPECT_EQ(Version(), "");  // nothing was written
  CliResult help = Run({"keys", "--help"});
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("rotate"), std::string::npos);
}

}  // namespace
}  // namespace sd
