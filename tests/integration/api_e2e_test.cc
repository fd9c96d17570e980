// The producers' HTTPS API through real processes: redis-server, smsc-sim, smsdispatchd, the
// CLI making keys in the registry, and clients we did not write: curl, and a producer in
// Python (tests/integration/api_client.py: http.client, hashlib, hmac, from docs/api.md). A
// 202 becomes a job the dispatcher submits; every authentication failure answers its
// documented status and reason and queues nothing; idempotent retries, batches, TLS; and
// kill -9 during a stream of submits leaves every 202 exactly one job with one outcome.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <thread>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/envelope.h"
#include "tests/integration/harness.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kClient = SD_SOURCE_DIR "/tests/integration/api_client.py";

struct Key {
  std::string id;
  std::string secret_hex;
};

class ApiEndToEnd : public ::testing::Test {
 protected:
  // A cluster with the key registry and [api] on a free port, plain or TLS.
  void Boot(bool tls = false, const std::string& api_lines = "") {
    port_ = FreePort();
    tls_ = tls;
    Cluster::Options o;
    o.keys_extra = "registry = \"redis\"\nmaster_key_file = \"master.key\"\n";
    o.extra_config = "\n[api]\nlisten = \"127.0.0.1:" + std::to_string(port_) + "\"\n" +
                     (tls ? "tls_cert_file = \"" + pki_.server().cert + "\"\ntls_key_file = \"" +
                                pki_.server().key + "\"\n"
                          : std::string("plain = true\n")) +
                     api_lines;
    c_ = std::make_unique<Cluster>(o);
    redis_ = "127.0.0.1:" + std::to_string(c_->redis_port());
    master_ = c_->dir() + "/master.key";
    WriteFile(master_, std::string(64, 'd') + "\n");
  }

  Key MakeKey(const std::string& name, std::vector<std::string> scopes = {}) {
    std::vector<std::string> args{"keys", "create", "--name", name, "--redis", redis_,
                                  "--master-key-file", master_};
    args.insert(args.end(), scopes.begin(), scopes.end());
    std::string out;
    EXPECT_EQ(c_->Cli(args, &out), 0) << out;
    return {CliField(out, "id"), CliField(out, "secret_hex")};
  }

  void Start() {
    c_->StartDaemon();
    ASSERT_TRUE(WaitUntil(
        [&] {
          const std::string log = c_->DaemonLog();
          return log.find("producers' API on") != std::string::npos &&
                 log.find("ready:") != std::string::npos;
        },
        30s))
        << c_->DaemonLog();
  }

  std::string Url() const {
    return std::string(tls_ ? "https" : "http") + "://" + (tls_ ? "localhost" : "127.0.0.1") +
           ":" + std::to_string(port_);
  }

  // The Python producer; one JSON object per response.
  std::vector<json> Py(const Key& k, std::vector<std::string> extra) {
    std::vector<std::string> argv{"/usr/bin/python3", kClient, "--url", Url(), "--kid", k.id,
                                  "--secret", k.secret_hex.empty() ? "00" : k.secret_hex};
    if (tls_) argv.insert(argv.end(), {"--cacert", pki_.ca()});
    argv.insert(argv.end(), extra.begin(), extra.end());
    return Run(argv);
  }

  std::vector<json> Run(const std::vector<std::string>& argv) {
    const std::string log = c_->dir() + "/client.out";
    unlink(log.c_str());
    Process p(argv, log);
    EXPECT_EQ(p.Wait(60s), 0) << ReadFile(log);
    std::vector<json> out;
    std::istringstream in(ReadFile(log));
    for (std::string line; std::getline(in, line);) {
      auto j = json::parse(line, nullptr, false);
      if (j.is_object()) out.push_back(j);
    }
    return out;
  }

  // curl, the simplest client: bearer, the body from the command line. Status and body.
  std::pair<int, json> Curl(const std::string& authorization, const std::string& body,
                            const std::vector<std::string>& extra = {}) {
    const std::string log = c_->dir() + "/curl.out";
    unlink(log.c_str());
    std::vector<std::string> argv{"/usr/bin/curl", "-sS", "-o", "-", "-w", "\n%{http_code}", "-H",
                                  "Authorization: " + authorization, "-H",
                                  "Content-Type: application/json", "--data-binary", body,
                                  Url() + "/v1/messages"};
    if (tls_) argv.insert(argv.begin() + 1, {"--cacert", pki_.ca()});
    argv.insert(argv.begin() + 1, extra.begin(), extra.end());
    Process p(argv, log);
    const int rc = p.Wait(60s);
    if (rc != 0) return {-rc, json()};  // curl failed (e.g. the TLS handshake): no HTTP status
    const std::string out = ReadFile(log);
    const size_t nl = out.rfind('\n');
    if (nl == std::string::npos) return {0, json()};
    return {std::atoi(out.c_str() + nl + 1), json::parse(out.substr(0, nl), nullptr, false)};
  }

  // What the client libraries' live tests read: the API, Redis, an HMAC and a bearer key.
  std::vector<std::pair<std::string, std::string>> LibraryEnv(const Key& hmac, const Key& bearer) {
    return {{"SD_API_URL", Url()},
            {"SD_REDIS_PORT", std::to_string(c_->redis_port())},
            {"SD_HMAC_KID", hmac.id},
            {"SD_HMAC_SECRET", hmac.secret_hex},
            {"SD_BEARER_KID", bearer.id},
            {"SD_BEARER_SECRET", bearer.secret_hex}};
  }

  static std::string Message(const std::string& to, const std::string& kind = "transactional") {
    return json{{"to", to}, {"from", "ACME"}, {"text", "hello"}, {"kind", kind}}.dump();
  }

  TestPki pki_;
  std::unique_ptr<Cluster> c_;
  int port_ = 0;
  bool tls_ = false;
  std::string redis_, master_;
};

TEST_F(ApiEndToEnd, SignedAndBearerRequestsBecomeJobsTheDispatcherSubmits) {
  Boot();
  const Key acme = MakeKey("acme");
  const Key simple = MakeKey("simple", {"--auth", "bearer"});
  Start();
  const auto r = Py(acme, {"--body", Message("+4915100123450"), "--idempotency-key", "o-1"});
  ASSERT_EQ(r.size(), 1u);
  ASSERT_EQ(r[0]["status"], 202) << r[0].dump();
  const std::string id1 = r[0]["body"]["id"];
  const auto [status, body] = Curl("Bearer " + simple.id + ":" + simple.secret_hex,
                                   Message("+4915100123460"));
  ASSERT_EQ(status, 202) << body.dump();
  const std::string id2 = body["id"];
  // The same message again under its Idempotency-Key (signed afresh): the same job.
  const auto again = Py(acme, {"--body", Message("+4915100123450"), "--idempotency-key", "o-1"});
  EXPECT_EQ(again.at(0)["status"], 202);
  EXPECT_EQ(again.at(0)["body"]["id"], id1);
  EXPECT_EQ(again.at(0)["headers"].value("idempotent-replayed", ""), "true");
  const auto conflict = Py(acme, {"--body", Message("+4915100123990"), "--idempotency-key", "o-1"});
  EXPECT_EQ(conflict.at(0)["status"], 409);
  EXPECT_EQ(conflict.at(0)["body"]["reason"], "idempotency_conflict");

  ASSERT_TRUE(OutcomesReach(*c_, 2)) << c_->DaemonLog();
  // GET /v1/messages/<id>: the outcome and, once it came, the receipt; only for its family.
  json record;
  ASSERT_TRUE(WaitUntil(
      [&] {
        const auto g = Py(acme, {"--method", "GET", "--path", "/v1/messages/" + id1});
        if (g.size() != 1 || g[0]["status"] != 200) return false;
        record = g[0]["body"];
        return record.contains("receipt");
      },
      20s))
      << record.dump();
  EXPECT_EQ(record["id"], id1);
  EXPECT_EQ(record["status"], "submitted");
  EXPECT_EQ(record["carrier"], "sim");
  EXPECT_EQ(record["segments"], 1);
  EXPECT_EQ(record["receipt"]["status"], "delivered");
  EXPECT_FALSE(record.contains("fam"));
  const auto other = Py(simple, {"--auth", "bearer", "--method", "GET", "--path",
                                 "/v1/messages/" + id1});
  EXPECT_EQ(other.at(0)["status"], 404);
  c_->StopDaemon();
  ExpectExactlyOneOutcomePerEntry(*c_);
  std::map<std::string, std::string> kid_of;
  for (const auto& e : c_->ReadStream("sd:jobs")) {
    auto job = DecodeJob(e.at("job"));
    ASSERT_TRUE(job.ok());
    kid_of[job->id] = e.at("kid");
  }
  EXPECT_EQ(kid_of, (std::map<std::string, std::string>{{id1, acme.id}, {id2, simple.id}}));
  for (const auto& o : c_->ReadStream("sd:outcomes")) {
    EXPECT_EQ(o.at("status"), "submitted") << o.at("reason") << " " << o.at("detail");
  }
}

TEST_F(ApiEndToEnd, EveryAuthenticationFailureHasItsStatusAndReasonAndQueuesNothing) {
  Boot();
  const Key acme = MakeKey("acme");
  const Key simple = MakeKey("simple", {"--auth", "bearer"});
  const Key office = MakeKey("office", {"--allow-ips", "192.0.2.0/24"});
  const Key gone = MakeKey("gone");
  const Key later = MakeKey("later", {"--not-before", "now+1h"});
  Start();
  std::string out;
  ASSERT_EQ(c_->Cli({"keys", "revoke", "--id", gone.id, "--redis", redis_, "--master-key-file",
                     master_},
                    &out),
            0)
      << out;
  std::this_thread::sleep_for(1500ms);  // every daemon sees a revocation within a second
  const std::string m = Message("+4915100123450");
  struct Case {
    const char* what;
    Key key;
    std::vector<std::string> args;
    int status;
    const char* reason;
  };
  const std::vector<Case> cases{
      {"bad signature", acme, {"--corrupt"}, 401, "bad_signature"},
      {"stale timestamp", acme, {"--ts-offset-ms", "-400000"}, 401, "clock_skew"},
      {"future timestamp", acme, {"--ts-offset-ms", "400000"}, 401, "clock_skew"},
      {"unknown key", {"nobody.v1", acme.secret_hex}, {}, 401, "unknown_key"},
      {"revoked key", gone, {}, 401, "revoked_key"},
      {"key not valid yet", later, {}, 401, "key_not_active"},
      {"bearer on an hmac-only key", acme, {"--auth", "bearer"}, 401, "auth_scheme_not_allowed"},
      {"hmac on a bearer-only key", simple, {}, 401, "auth_scheme_not_allowed"},
      {"wrong bearer secret", simple, {"--auth", "bearer", "--corrupt"}, 401, "bad_signature"},
      {"no credentials", acme, {"--auth", "none"}, 401, "auth_required"},
      {"address outside allow_ips", office, {}, 403, "ip_not_allowed"},
      {"forwarded-for from an untrusted peer", office, {"--forwarded-for", "192.0.2.7"}, 403,
       "ip_not_allowed"},
  };
  for (const Case& k : cases) {
    std::vector<std::string> args = k.args;
    args.insert(args.end(), {"--body", m});
    const auto r = Py(k.key, args);
    ASSERT_EQ(r.size(), 1u) << k.what;
    EXPECT_EQ(r[0]["status"], k.status) << k.what << ": " << r[0].dump();
    EXPECT_EQ(r[0]["body"].value("reason", ""), k.reason) << k.what;
  }
  // A replay of a request that was accepted: the first is queued, the copy is not.
  const auto twice = Py(acme, {"--body", m, "--send-twice"});
  ASSERT_EQ(twice.size(), 2u);
  EXPECT_EQ(twice[0]["status"], 202);
  EXPECT_EQ(twice[1]["status"], 401);
  EXPECT_EQ(twice[1]["body"]["reason"], "replay");
  EXPECT_EQ(c_->StreamLength("sd:jobs"), 1);
  // Each refusal is audited with the client's address, never the secret.
  ASSERT_TRUE(WaitUntil([&] { return c_->StreamLength("sd:audit") >= 13; }, 10s));
  std::set<std::string> reasons;
  for (const auto& a : c_->ReadStream("sd:audit")) {
    reasons.insert(a.at("reason"));
    for (const auto& [field, value] : a) {
      EXPECT_EQ(value.find(acme.secret_hex), std::string::npos) << field;
    }
  }
  for (const Case& k : cases) EXPECT_EQ(reasons.count(k.reason), 1u) << k.reason;
  EXPECT_EQ(reasons.count("replay"), 1u);
  EXPECT_EQ(c_->DaemonLog().find(acme.secret_hex), std::string::npos);
}

TEST_F(ApiEndToEnd, BatchesAnswerPerItemAndPolicyRefusalsQueueNothing) {
  Boot(false, "max_batch = 3\nstatus_retention_s = 0\n");
  const Key acme = MakeKey("acme", {"--kinds", "transactional"});
  Start();
  const std::string batch =
      json{{"messages",
            {json::parse(Message("+4915100123450")), json::parse(Message("+4915", "transactional")),
             json::parse(Message("+4915100123460", "marketing"))}}}
          .dump();
  const auto r = Py(acme, {"--path", "/v1/messages/batch", "--body", batch});
  ASSERT_EQ(r.at(0)["status"], 200) << r.at(0).dump();
  const json& b = r[0]["body"];
  EXPECT_EQ(b["accepted"], 1);
  EXPECT_EQ(b["results"][0]["status"], 202);
  EXPECT_EQ(b["results"][1]["status"], 400);
  EXPECT_EQ(b["results"][1]["reason"], "invalid_number");
  EXPECT_EQ(b["results"][2]["status"], 403);
  EXPECT_EQ(b["results"][2]["reason"], "kind_not_allowed");
  // status_retention_s = 0: no status records, so no GET either.
  const auto get = Py(acme, {"--method", "GET", "--path",
                             "/v1/messages/" + b["results"][0]["id"].get<std::string>()});
  EXPECT_EQ(get.at(0)["status"], 404);
  const std::string four = json{{"messages", json::array({json::object(), json::object(),
                                                          json::object(), json::object()})}}
                               .dump();
  EXPECT_EQ(Py(acme, {"--path", "/v1/messages/batch", "--body", four}).at(0)["status"], 413);
  const auto bad = Py(acme, {"--body", R"({"to":"+4915100123450","from":"ACME"})"});
  EXPECT_EQ(bad.at(0)["status"], 400);
  EXPECT_EQ(bad.at(0)["body"]["reason"], "malformed");
  EXPECT_EQ(Py(acme, {"--path", "/v1/other", "--body", "{}"}).at(0)["status"], 404);
  EXPECT_EQ(c_->StreamLength("sd:jobs"), 1);
  ASSERT_TRUE(OutcomesReach(*c_, 1)) << c_->DaemonLog();
  c_->StopDaemon();
  ExpectExactlyOneOutcomePerEntry(*c_);
}

TEST_F(ApiEndToEnd, TlsListenerWithCurlAndPython) {
  Boot(true);
  const Key both = MakeKey("both", {"--auth", "both"});
  Start();
  const auto [status, body] =
      Curl("Bearer " + both.id + ":" + both.secret_hex, Message("+4915100123450"));
  EXPECT_EQ(status, 202) << body.dump();
  const auto r = Py(both, {"--body", Message("+4915100123460")});
  EXPECT_EQ(r.at(0)["status"], 202);
  // Plain HTTP to the TLS port gets no answer.
  const std::string log = c_->dir() + "/plain.out";
  Process plain({"/usr/bin/curl", "-sS", "-m", "5", "-o", "/dev/null", "-w", "%{http_code}", "-d", "{}",
                 "http://127.0.0.1:" + std::to_string(port_) + "/v1/messages"},
                log);
  EXPECT_NE(plain.Wait(30s), 0);
  ASSERT_TRUE(OutcomesReach(*c_, 2)) << c_->DaemonLog();
  c_->StopDaemon();
  ExpectExactlyOneOutcomePerEntry(*c_);
}

// Mutual TLS: a key bound to a client certificate (keys create --client-cert) is accepted only
// with it; other keys connect without one; a certificate from another CA fails the handshake.
TEST_F(ApiEndToEnd, KeysBoundToAClientCertificateNeedIt) {
  Boot(true, "client_ca_file = \"" + pki_.ca() + "\"\n");
  const Key bound = MakeKey("bound", {"--auth", "bearer", "--client-cert", pki_.client().cert});
  const Key open = MakeKey("open", {"--auth", "bearer"});
  Start();
  const std::vector<std::string> cert{"--cert", pki_.client().cert, "--key", pki_.client().key};
  auto [no_cert, refused] = Curl("Bearer " + bound.id + ":" + bound.secret_hex,
                                 Message("+4915100123450"));
  EXPECT_EQ(no_cert, 401);
  EXPECT_EQ(refused["reason"], "client_cert_required") << refused.dump();
  auto [with_cert, accepted] = Curl("Bearer " + bound.id + ":" + bound.secret_hex,
                                    Message("+4915100123451"), cert);
  EXPECT_EQ(with_cert, 202) << accepted.dump();
  auto [open_status, open_body] = Curl("Bearer " + open.id + ":" + open.secret_hex,
                                       Message("+4915100123452"));
  EXPECT_EQ(open_status, 202) << open_body.dump();
  const std::vector<std::string> foreign{"--cert", pki_.other_server().cert, "--key",
                                         pki_.other_server().key};
  EXPECT_LE(Curl("Bearer " + bound.id + ":" + bound.secret_hex, Message("+4915100123453"),
                 foreign).first,
            0);  // handshake refused: no HTTP answer at all
  ASSERT_TRUE(OutcomesReach(*c_, 2)) << c_->DaemonLog();
  c_->StopDaemon();
  ExpectExactlyOneOutcomePerEntry(*c_);
  bool audited = false;
  for (const auto& a : c_->ReadStream("sd:audit")) {
    audited |= a.at("reason") == "client_cert_required" && a.at("kid") == bound.id;
  }
  EXPECT_TRUE(audited);
}

// PROXY protocol v2 from a load balancer: a trusted peer's header names the client the key's
// allow-ips are checked against; a connection without the header gets no answer; an
// untrusted peer's header is not believed.
std::string ViaProxy(int port, const std::string& src, const std::string& auth,
                     const std::string& body, bool header = true) {
  TempDir dir("sd-proxy-client");
  std::vector<std::string> argv{"/usr/bin/python3",
                                SD_SOURCE_DIR "/tests/integration/proxy_client.py",
                                "--port", std::to_string(port), "--src", src, "--auth", auth,
                                "--body", body};
  if (!header) argv.push_back("--no-header");
  Process p(argv, dir.File("out"));
  EXPECT_EQ(p.Wait(60s), 0) << ReadFile(dir.File("out"));
  const std::string out = ReadFile(dir.File("out"));
  return out.substr(0, out.find('\n'));
}

TEST_F(ApiEndToEnd, ProxyProtocolFromATrustedBalancerNamesTheClient) {
  Boot(false, "proxy_protocol = true\ntrusted_proxies = [\"127.0.0.1\"]\n");
  const Key k = MakeKey("branch", {"--auth", "bearer", "--allow-ips", "203.0.113.0/24"});
  Start();
  const std::string auth = "Bearer " + k.id + ":" + k.secret_hex;
  EXPECT_EQ(ViaProxy(port_, "203.0.113.7", auth, Message("+4915100123450")), "202");
  EXPECT_EQ(ViaProxy(port_, "198.51.100.9", auth, Message("+4915100123451")), "403");
  EXPECT_EQ(ViaProxy(port_, "", auth, Message("+4915100123452"), false), "closed");
  ASSERT_TRUE(OutcomesReach(*c_, 1)) << c_->DaemonLog();
  c_->StopDaemon();
  EXPECT_EQ(c_->StreamLength("sd:jobs"), 1);
  bool audited = false;
  for (const auto& a : c_->ReadStream("sd:audit")) {
    audited |= a.at("reason") == "ip_not_allowed" &&
               a.at("detail").find("198.51.100.9") != std::string::npos;
  }
  EXPECT_TRUE(audited);
}

TEST_F(ApiEndToEnd, ProxyHeaderFromAnUntrustedPeerIsNotBelieved) {
  Boot(false, "proxy_protocol = true\ntrusted_proxies = [\"10.0.0.0/8\"]\n");
  const Key k = MakeKey("branch", {"--auth", "bearer", "--allow-ips", "203.0.113.0/24"});
  Start();
  EXPECT_EQ(ViaProxy(port_, "203.0.113.7", "Bearer " + k.id + ":" + k.secret_hex,
                     Message("+4915100123450")),
            "403");  // the peer, 127.0.0.1, is the client: outside allow-ips
  c_->StopDaemon();
  EXPECT_EQ(c_->StreamLength("sd:jobs"), 0);
}

// A producer streams submits with an Idempotency-Key each, retrying what gets no answer; the
// daemon is killed with SIGKILL in the middle and started again. Every 202 is exactly one
// job on the stream, with one outcome, and the stream holds no job without a 202.
TEST_F(ApiEndToEnd, KillNineDuringAStreamOfSubmitsLosesAndDuplicatesNothing) {
  Boot();
  const Key acme = MakeKey("acme");
  Start();
  constexpr int kMessages = 300;
  const std::string record = c_->dir() + "/accepted.txt";
  const std::string log = c_->dir() + "/stream.out";
  Process producer({"/usr/bin/python3", kClient, "--url", Url(), "--kid", acme.id, "--secret",
                    acme.secret_hex, "--stream", std::to_string(kMessages), "--record", record,
                    "--idempotency-key", "kill9"},
                   log);
  auto accepted = [&] {
    const std::string s = ReadFile(record);
    return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
  };
  ASSERT_TRUE(WaitUntil([&] { return accepted() >= 80; }, 60s)) << ReadFile(log);
  c_->KillDaemon();
  c_->StartDaemon();
  EXPECT_EQ(producer.Wait(180s), 0) << ReadFile(log);
  ASSERT_EQ(accepted(), kMessages);
  std::map<int, std::string> id_of;
  std::istringstream in(ReadFile(record));
  for (int i; in >> i;) {
    std::string id;
    in >> id;
    EXPECT_EQ(id_of.count(i), 0u) << "message " << i << " recorded twice";
    id_of[i] = id;
  }
  ASSERT_TRUE(OutcomesReach(*c_, kMessages, 120s)) << c_->DaemonLog();
  c_->StopDaemon();
  ExpectExactlyOneOutcomePerEntry(*c_);
  std::multiset<std::string> on_stream;
  for (const auto& e : c_->ReadStream("sd:jobs")) {
    auto job = DecodeJob(e.at("job"));
    ASSERT_TRUE(job.ok());
    on_stream.insert(job->id);
  }
  std::multiset<std::string> answered;
  for (const auto& [i, id] : id_of) answered.insert(id);
  EXPECT_EQ(on_stream, answered);
}

// The Python producer library (clients/python) against this daemon: both ways in, both
// schemes, idempotent retries, batches, refusals, status and outcomes.
TEST_F(ApiEndToEnd, ClientLibrariesPythonAgainstTheDaemon) {
  Boot();
  const Key hmac = MakeKey("py");
  const Key bearer = MakeKey("pyb", {"--auth", "bearer"});
  Start();
  const std::string log = c_->dir() + "/python.out";
  Process p({"/usr/bin/python3", SD_SOURCE_DIR "/clients/python/tests/live_test.py", "-v"}, log,
            LibraryEnv(hmac, bearer));
  EXPECT_EQ(p.Wait(120s), 0) << ReadFile(log);
  EXPECT_NE(ReadFile(log).find("Ran 4 tests"), std::string::npos) << ReadFile(log);
  c_->StopDaemon();
  ExpectExactlyOneOutcomePerEntry(*c_);
}

// The Node library (clients/node) the same way, with Node's fetch.
TEST_F(ApiEndToEnd, ClientLibrariesNodeAgainstTheDaemon) {
  Boot();
  const Key hmac = MakeKey("js");
  const Key bearer = MakeKey("jsb", {"--auth", "bearer"});
  Start();
  const std::string log = c_->dir() + "/node.out";
  auto env = LibraryEnv(hmac, bearer);
  env.emplace_back("NODE_PATH", SD_CLIENTS_NODE_MODULES);
  Process p({"/usr/bin/node", "--test", SD_SOURCE_DIR "/clients/node/test/live.test.js"}, log,
            env);
  EXPECT_EQ(p.Wait(120s), 0) << ReadFile(log);
  const std::string out = ReadFile(log);
  EXPECT_NE(out.find("# pass 4"), std::string::npos) << out;  // the suite and its three steps
  EXPECT_NE(out.find("# fail 0"), std::string::npos) << out;
  c_->StopDaemon();
  ExpectExactlyOneOutcomePerEntry(*c_);
}

}  // namespace
}  // namespace sd::testing
