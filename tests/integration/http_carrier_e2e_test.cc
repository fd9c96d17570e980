// HTTP carriers through the real daemon: a route to a provider reached over HTTPS
// (provider_server.py, Python's http.server, with certificates made here) beside the
// simulator's SMPP route; SMPP down fails over to HTTP; kill -9 during HTTP submits stays
// within the documented duplicate bound and every job gets one outcome.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>

#include "tests/adapters/http/provider_server.h"
#include "tests/integration/harness.h"
#include "tests/support/test_pki.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;

class HttpCarrierEndToEnd : public ::testing::Test {
 protected:
  HttpCarrierEndToEnd() : provider_({pki_.server().cert, pki_.server().key, "", {}}) {}

  // The [[carrier]] "rest" on provider path `path`, then `rest` ([[route]]s, ...).
  std::string RestCarrier(Cluster& c, const std::string& path, const std::string& more,
                          const std::string& rest) {
    WriteFile(c.dir() + "/rest.secret", "rest-secret\n");
    return "[[carrier]]\nname = \"rest\"\nprotocol = \"http\"\npreset = \"messages-form\"\n"
           "url = \"" + provider_.Url(path) + "\"\nusername = \"AC1\"\n"
           "secret_file = \"rest.secret\"\nidempotency_header = \"Idempotency-Key\"\n"
           "retry_initial_ms = 20\nretry_max_ms = 100\n" + more +
           "[carrier.tls]\nca_file = \"" + pki_.ca() + "\"\n" + rest +
           "[policy]\nnumber_check = false\n";
  }

  TestPki pki_;
  ProviderServer provider_;
};

TEST_F(HttpCarrierEndToEnd, JobsRoutedToTheProviderAreSentOnceEachWithItsAnswerAsMessageId) {
  ASSERT_TRUE(provider_.ok()) << provider_.Log();
  Cluster::Options o;
  o.receipt_delay_ms = 0;
  Cluster c(o);
  c.SetExtraConfig(RestCarrier(c, "/ok", "",
                               "[[route]]\nprefixes = [\"+4915\"]\ncarriers = [\"sim\"]\n"
                               "[[route]]\nprefixes = [\"+4917\"]\ncarriers = [\"rest\"]\n"));
  c.StartDaemon();
  ASSERT_EQ(c.Enqueue({"--count", "10", "--to-prefix", "+4915100", "--from", "ACME", "--text",
                       "via smpp"}),
            0);
  ASSERT_EQ(c.Enqueue({"--count", "10", "--to-prefix", "+4917100", "--from", "ACME", "--text",
                       "via http"}),
            0);
  ASSERT_TRUE(OutcomesReach(c, 20)) << c.DaemonLog();
  c.StopDaemon();
  ExpectExactlyOneOutcomePerEntry(c);
  std::set<std::string> rest_ids;
  for (const auto& out : c.ReadStream("sd:outcomes")) {
    ASSERT_EQ(out.at("status"), "submitted") << out.at("reason") << " " << out.at("detail");
    if (out.at("carrier") == "rest") {
      EXPECT_EQ(out.at("message_id").rfind("SM", 0), 0u) << out.at("message_id");
      rest_ids.insert(out.at("message_id"));
    } else {
      EXPECT_EQ(out.at("carrier"), "sim");
    }
  }
  EXPECT_EQ(rest_ids.size(), 10u);
  const auto requests = provider_.Requests();
  ASSERT_EQ(requests.size(), 10u);
  std::set<std::string> keys;
  for (const auto& q : requests) {
    EXPECT_EQ(q["headers"]["authorization"], "Basic QUMxOnJlc3Qtc2VjcmV0");  // AC1:rest-secret
    EXPECT_NE(q["body"].get<std::string>().find("To=%2B4917100"), std::string::npos) << q["body"];
    EXPECT_NE(q["body"].get<std::string>().find("Body=via+http"), std::string::npos);
    keys.insert(q["headers"]["idempotency-key"].get<std::string>());
  }
  EXPECT_EQ(keys.size(), 10u) << "one idempotency key per job";
  EXPECT_EQ(c.SimulatorStats()["submits"], 10);
  EXPECT_EQ(c.DaemonLog().find("rest-secret"), std::string::npos) << "credentials never logged";
}

// Receipts come back as signed webhooks from the provider (Python, signing the Twilio way) to
// the daemon's [listener] over TLS, and land on sd:receipts matched to their jobs; forged,
// foreign and unknown-id webhooks are refused or quarantined.
class HttpReceiptsEndToEnd : public HttpCarrierEndToEnd {
 protected:
  HttpReceiptsEndToEnd()
      : webhook_provider_({pki_.server().cert, pki_.server().key, "",
                           {"--webhook-secret", "hook-secret", "--webhook-ca", pki_.ca(),
                            "--webhook-copies", "2"}}) {}

  std::string Config(Cluster& c, int listen_port, const std::string& allow) {
    WriteFile(c.dir() + "/rest.secret", "rest-secret\n");
    WriteFile(c.dir() + "/hook.secret", "hook-secret\n");
    const std::string callback =
        "https://localhost:" + std::to_string(listen_port) + "/v1/receipts/rest";
    return "[[carrier]]\nname = \"rest\"\nprotocol = \"http\"\npreset = \"messages-form\"\n"
           "url = \"" + webhook_provider_.Url("/ok") + "\"\nusername = \"AC1\"\n"
           "secret_file = \"rest.secret\"\ncallback_url = \"" + callback + "\"\n"
           "[carrier.tls]\nca_file = \"" + pki_.ca() + "\"\n"
           "[carrier.webhook]\nsecret_files = [\"hook.secret\"]\nallow_ips = [" + allow + "]\n"
           "[[route]]\nprefixes = [\"+4915\"]\ncarriers = [\"sim\"]\n"
           "[[route]]\nprefixes = [\"+4917\"]\ncarriers = [\"rest\"]\n"
           "[listener]\nlisten = \"127.0.0.1:" + std::to_string(listen_port) + "\"\n"
           "tls_cert_file = \"" + pki_.server().cert + "\"\ntls_key_file = \"" +
           pki_.server().key + "\"\n[policy]\nnumber_check = false\n";
  }

  // Python signs `params` as the provider does (HMAC-SHA1 over the URL and the sorted
  // parameters, X-Twilio-Signature) and posts them as a form; the HTTP status it got.
  std::string PostSigned(Cluster& c, const std::string& url,
                         const std::map<std::string, std::string>& params,
                         const std::string& secret) {
    const std::string script =
        "import base64,hashlib,hmac,json,ssl,sys,urllib.parse,urllib.request\n"
        "url,secret,ca,params=sys.argv[1:5]\n"
        "p=json.loads(params)\n"
        "s=url+''.join(k+p[k] for k in sorted(p))\n"
        "sig=base64.b64encode(hmac.new(secret.encode(),s.encode(),hashlib.sha1).digest()).decode()"
        "\n"
        "r=urllib.request.Request(url,data=urllib.parse.urlencode(p).encode(),"
        "headers={'X-Twilio-Signature':sig})\n"
        "try:\n  "
        "print(urllib.request.urlopen(r,context=ssl.create_default_context(cafile=ca)).status)\n"
        "except urllib.error.HTTPError as e:\n  print(e.code)\n";
    WriteFile(c.dir() + "/post.py", script, 0600);
    Process p({"/usr/bin/python3", c.dir() + "/post.py", url, secret, pki_.ca(),
               nlohmann::json(params).dump()},
              c.dir() + "/post.out");
    EXPECT_TRUE(WaitUntil([&] { return !ReadFile(c.dir() + "/post.out").empty(); }, 10s));
    const std::string out = ReadFile(c.dir() + "/post.out");
    std::remove((c.dir() + "/post.out").c_str());
    return out.substr(0, 3);
  }

  std::vector<nlohmann::json> Webhooks() {
    std::vector<nlohmann::json> out;
    for (auto& e : webhook_provider_.Requests()) {
      if (e.contains("webhook")) out.push_back(e);
    }
    return out;
  }

  ProviderServer webhook_provider_;
};

TEST_F(HttpReceiptsEndToEnd, SignedWebhooksBecomeReceiptsMatchedToTheirJobsOnce) {
  ASSERT_TRUE(webhook_provider_.ok()) << webhook_provider_.Log();
  Cluster c(Cluster::Options{});
  const int port = FreePort();
  c.SetExtraConfig(Config(c, port, "\"127.0.0.1\", \"::1\""));
  c.StartDaemon();
  ASSERT_EQ(c.Enqueue({"--count", "10", "--to-prefix", "+4917100", "--from", "ACME", "--text",
                       "receipt please"}),
            0);
  ASSERT_TRUE(OutcomesReach(c, 10)) << c.DaemonLog();
  // Each receipt is posted twice (a provider redelivering); both are answered 200.
  ASSERT_TRUE(WaitUntil([&] { return Webhooks().size() == 20; }, 30s)) << webhook_provider_.Log();
  for (const auto& w : Webhooks()) EXPECT_EQ(w["status"], 200) << w.dump();
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:receipts") >= 10; }, 30s))
      << c.DaemonLog();
  c.StopDaemon();
  std::map<std::string, std::string> job_of_outcome;
  for (const auto& o : c.ReadStream("sd:outcomes")) job_of_outcome[o.at("message_id")] = o.at("job");
  const auto receipts = c.ReadStream("sd:receipts");
  EXPECT_EQ(receipts.size(), 10u) << "a redelivered receipt is written once";
  std::set<std::string> jobs;
  for (const auto& r : receipts) {
    EXPECT_EQ(r.at("carrier"), "rest");
    EXPECT_EQ(r.at("status"), "delivered");
    EXPECT_EQ(r.at("job"), job_of_outcome[r.at("message_id")]) << r.at("message_id");
    jobs.insert(r.at("job"));
  }
  EXPECT_EQ(jobs.size(), 10u);
  EXPECT_EQ(c.StreamLength("sd:receipts:unmatched"), 0);
}

TEST_F(HttpReceiptsEndToEnd, ForgedForeignAndUnknownWebhooksAreRefusedOrQuarantined) {
  ASSERT_TRUE(webhook_provider_.ok());
  Cluster c(Cluster::Options{});
  const int port = FreePort();
  c.SetExtraConfig(Config(c, port, "\"127.0.0.1\""));
  c.StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return c.DaemonLog().find("listening for receipt webhooks") !=
                                     std::string::npos; }, 10s));
  const std::string url = "https://localhost:" + std::to_string(port) + "/v1/receipts/rest";
  // A forged signature, then a correctly signed unknown message id.
  const auto post = [&](const std::string& sid, const std::string& secret) {
    return PostSigned(
        c, url, {{"MessageSid", sid}, {"MessageStatus", "delivered"}, {"ErrorCode", "0"}}, secret);
  };
  EXPECT_EQ(post("SM999", "not-the-secret"), "401");
  EXPECT_EQ(post("SM999", "hook-secret"), "200");
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:receipts:unmatched") >= 1; }, 30s))
      << c.DaemonLog();
  c.StopDaemon();
  EXPECT_EQ(c.StreamLength("sd:receipts"), 0);
  bool audited = false;
  for (const auto& a : c.ReadStream("sd:audit")) {
    audited = audited || a.at("detail").find("receipt webhook for carrier rest") != std::string::npos;
  }
  EXPECT_TRUE(audited);
}

// Replies the provider posts (form From, To, Body, signed like its receipts) land on
// sd:inbound once each, decoded, and a STOP among them opts the number out: the job sent to
// it afterwards is refused. A forged or unknown-carrier post changes nothing.
TEST_F(HttpReceiptsEndToEnd, RepliesTheProviderPostsAreKeptOnceAndAStopOptsOut) {
  ASSERT_TRUE(webhook_provider_.ok());
  Cluster c(Cluster::Options{});
  const int port = FreePort();
  c.SetExtraConfig(Config(c, port, "\"127.0.0.1\""));
  c.StartDaemon();
  ASSERT_TRUE(WaitUntil(
      [&] { return c.DaemonLog().find("listening for receipt webhooks") != std::string::npos; },
      10s));
  const std::string base = "https://localhost:" + std::to_string(port);
  const std::string url = base + "/v1/inbound/rest";
  const std::map<std::string, std::string> stop = {
      {"From", "+4917100000001"}, {"To", "+4930555"}, {"Body", "Stop"}, {"MessageSid", "SM1"}};
  EXPECT_EQ(PostSigned(c, url, stop, "not-the-secret"), "401");
  EXPECT_EQ(PostSigned(c, base + "/v1/inbound/nope", stop, "hook-secret"), "404");
  EXPECT_EQ(PostSigned(c, url, stop, "hook-secret"), "200");
  EXPECT_EQ(PostSigned(c, url, stop, "hook-secret"), "200") << "posted again: kept once";
  EXPECT_EQ(
      PostSigned(c, url,
                 {{"From", "+4917100000002"}, {"To", "+4930555"}, {"Body", "Caf\u00e9 \u2615 ok"}},
                 "hook-secret"),
      "200");
  EXPECT_EQ(PostSigned(c, url, {{"To", "+4930555"}, {"Body", "x"}}, "hook-secret"), "400");
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:inbound") >= 2; }, 10s));
  std::this_thread::sleep_for(1s);  // every daemon applies the opt-out within a second
  ASSERT_EQ(c.Enqueue({"--to", "+4917100000001", "--from", "+4930555", "--text", "offer", "--kind",
                       "marketing"}),
            0);
  ASSERT_TRUE(OutcomesReach(c, 1)) << c.DaemonLog();
  c.StopDaemon();
  const auto in = c.ReadStream("sd:inbound");
  ASSERT_EQ(in.size(), 2u);
  EXPECT_EQ(in[0].at("carrier"), "rest");
  EXPECT_EQ(in[0].at("coding"), "utf8");
  EXPECT_EQ(in[0].at("optout"), "stop s:4930555");
  EXPECT_EQ(in[1].at("text"), "Caf\xc3\xa9 \xe2\x98\x95 ok");
  const auto outcomes = c.ReadStream("sd:outcomes");
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].at("reason"), "opted_out");
  bool audited = false;
  for (const auto& a : c.ReadStream("sd:audit")) {
    audited =
        audited || a.at("detail").find("inbound webhook for carrier rest") != std::string::npos;
  }
  EXPECT_TRUE(audited) << "the forged post";
}

TEST_F(HttpCarrierEndToEnd, AListenerThatCannotListenStopsStartUp) {
  Cluster c(Cluster::Options{});
  WriteFile(c.dir() + "/rest.secret", "rest-secret\n");
  // The provider's port: taken.
  const std::string taken = std::to_string(provider_.port());
  c.SetExtraConfig(RestCarrier(c, "/ok", "",
                               "[[route]]\nprefixes = [\"+49\"]\ncarriers = [\"sim\", \"rest\"]\n"
                               "[listener]\nlisten = \"127.0.0.1:" + taken + "\"\nplain = true\n"));
  c.StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return !c.daemon()->running(); }, 10s)) << c.DaemonLog();
  EXPECT_EQ(c.daemon()->Wait(std::chrono::seconds(1)), 1);
  EXPECT_NE(c.DaemonLog().find("[listener]: listen on 127.0.0.1:" + taken + ": address already in use"),
            std::string::npos)
      << c.DaemonLog();
}

// The same through http-sim, the project's HTTP provider simulator, with its faults injected.
class HttpSimEndToEnd : public ::testing::Test {
 protected:
  // http-sim on a free port (plain HTTP on loopback) with `args`; receipts go to `listen`.
  int StartHttpSim(Cluster& c, const std::vector<std::string>& args) {
    std::vector<std::string> argv{SD_HTTP_SIM, "--port", "0", "--port-file",
                                  c.dir() + "/http.port", "--username", "AC1", "--password",
                                  "rest-secret", "--webhook-secret", "hook-secret",
                                  "--stats-file", c.dir() + "/http.json"};
    argv.insert(argv.end(), args.begin(), args.end());
    sim_ = std::make_unique<Process>(argv, c.dir() + "/http-sim.log");
    EXPECT_TRUE(WaitUntil([&] { return !ReadFile(c.dir() + "/http.port").empty(); }, 10s));
    return std::stoi(ReadFile(c.dir() + "/http.port"));
  }
  std::string Config(Cluster& c, int sim_port, int listen_port, const std::string& routes) {
    WriteFile(c.dir() + "/rest.secret", "rest-secret\n");
    WriteFile(c.dir() + "/hook.secret", "hook-secret\n");
    const std::string listen = "127.0.0.1:" + std::to_string(listen_port);
    return "[[carrier]]\nname = \"rest\"\nprotocol = \"http\"\npreset = \"messages-form\"\n"
           "url = \"http://127.0.0.1:" + std::to_string(sim_port) + "/Messages.json\"\n"
           "username = \"AC1\"\nsecret_file = \"rest.secret\"\n"
           "idempotency_header = \"Idempotency-Key\"\ntimeout_ms = 500\nconnect_timeout_ms = 200\n"
           "retry_initial_ms = 20\nretry_max_ms = 100\nmax_temporary_attempts = 4\n"
           "callback_url = \"http://" + listen + "/v1/receipts/rest\"\n"
           "[carrier.webhook]\nsecret_files = [\"hook.secret\"]\n" + routes +
           "[listener]\nlisten = \"" + listen + "\"\nplain = true\n[policy]\nnumber_check = false\n";
  }
  std::map<std::string, long long> SimStats(Cluster& c) {
    std::remove((c.dir() + "/http.json").c_str());
    sim_->Signal(SIGUSR1);
    EXPECT_TRUE(WaitUntil([&] { return !ReadFile(c.dir() + "/http.json").empty(); }, 5s));
    std::map<std::string, long long> out;
    const auto j = nlohmann::json::parse(ReadFile(c.dir() + "/http.json"), nullptr, false);
    if (j.is_object()) {
      for (const auto& [k, v] : j.items()) out[k] = v.get<long long>();
    }
    return out;
  }
  std::unique_ptr<Process> sim_;
};

TEST_F(HttpSimEndToEnd, WithThrottlingErrorsAndLostAnswersEveryJobIsTakenOnceAndReceipted) {
  Cluster c(Cluster::Options{});
  const int sim_port = StartHttpSim(c, {"--throttle-every", "7", "--retry-after-s", "1",
                                        "--error-every", "5", "--hang-every", "11"});
  c.SetExtraConfig(Config(c, sim_port, FreePort(),
                          "[[route]]\nprefixes = [\"+4915\"]\ncarriers = [\"sim\"]\n"
                          "[[route]]\nprefixes = [\"+4417\"]\ncarriers = [\"rest\"]\n"));
  c.StartDaemon();
  ASSERT_EQ(c.Enqueue({"--count", "60", "--to-prefix", "+4417100", "--from", "ACME", "--text",
                       "faults"}),
            0);
  ASSERT_TRUE(OutcomesReach(c, 60, 120s)) << c.DaemonLog();
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:receipts") >= 60; }, 60s))
      << c.DaemonLog();
  const auto stats = SimStats(c);
  c.StopDaemon();
  ExpectExactlyOneOutcomePerEntry(c);
  for (const auto& o : c.ReadStream("sd:outcomes")) {
    EXPECT_EQ(o.at("status"), "submitted") << o.at("reason") << " " << o.at("detail");
  }
  EXPECT_EQ(stats.at("accepted"), 60) << "each job taken once: a resend carries its key";
  EXPECT_GT(stats.at("throttled"), 0);
  EXPECT_GT(stats.at("errors"), 0);
  EXPECT_GT(stats.at("hung"), 0);
  EXPECT_GT(stats.at("duplicates") + stats.at("hung"), 0);
  EXPECT_EQ(c.StreamLength("sd:receipts"), 60);
  EXPECT_EQ(c.StreamLength("sd:receipts:unmatched"), 0);
}

// A reload that changes the HTTP carrier reopens it (its client built anew) once nothing is at
// it; its webhook path then hands receipts to the new carrier, so every job keeps its receipt.
TEST_F(HttpSimEndToEnd, AReloadThatChangesTheHttpCarrierKeepsItsWebhooksWorking) {
  Cluster c(Cluster::Options{});
  const int sim_port = StartHttpSim(c, {});
  const std::string config =
      Config(c, sim_port, FreePort(), "[[route]]\nprefixes = [\"+4417\"]\ncarriers = [\"rest\"]\n");
  c.SetExtraConfig(config);
  c.StartDaemon();
  ASSERT_EQ(
      c.Enqueue({"--count", "30", "--to-prefix", "+4417100", "--from", "ACME", "--text", "before"}),
      0);
  ASSERT_TRUE(OutcomesReach(c, 30, 60s)) << c.DaemonLog();
  std::string changed = ReadFile(c.ConfigPath());
  changed.replace(changed.find("timeout_ms = 500"), 16, "timeout_ms = 900");
  WriteFile(c.ConfigPath(), changed, 0644);
  c.daemon()->Signal(SIGHUP);
  ASSERT_TRUE(WaitUntil(
      [&] { return c.DaemonLog().find("carrier rest: reopened") != std::string::npos; }, 30s))
      << c.DaemonLog();
  ASSERT_EQ(
      c.Enqueue({"--count", "30", "--to-prefix", "+4417200", "--from", "ACME", "--text", "after"}),
      0);
  ASSERT_TRUE(OutcomesReach(c, 60, 60s)) << c.DaemonLog();
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:receipts") >= 60; }, 60s)) << c.DaemonLog();
  const auto stats = SimStats(c);
  c.StopDaemon();
  ExpectExactlyOneOutcomePerEntry(c);
  for (const auto& o : c.ReadStream("sd:outcomes")) {
    EXPECT_EQ(o.at("status"), "submitted") << o.at("reason") << " " << o.at("detail");
  }
  EXPECT_EQ(stats.at("accepted"), 60);
  EXPECT_EQ(c.StreamLength("sd:receipts"), 60);
  EXPECT_EQ(c.StreamLength("sd:receipts:unmatched"), 0);
}

TEST_F(HttpSimEndToEnd, AProviderThatOnlyFailsHandsItsJobsToTheSmppBackup) {
  Cluster c(Cluster::Options{});
  const int sim_port = StartHttpSim(c, {"--error-every", "1"});
  c.SetExtraConfig(Config(c, sim_port, FreePort(),
                          "[[route]]\nprefixes = [\"+4417\"]\ncarriers = [\"rest\", \"sim\"]\n"
                          "[[route]]\ncarriers = [\"sim\"]\n"));
  c.StartDaemon();
  ASSERT_EQ(c.Enqueue({"--count", "20", "--to-prefix", "+4417100", "--from", "ACME", "--text",
                       "x"}),
            0);
  ASSERT_TRUE(OutcomesReach(c, 20, 60s)) << c.DaemonLog();
  c.StopDaemon();
  ExpectExactlyOneOutcomePerEntry(c);
  for (const auto& o : c.ReadStream("sd:outcomes")) {
    EXPECT_EQ(o.at("status"), "submitted") << o.at("reason") << " " << o.at("detail");
    EXPECT_EQ(o.at("carrier"), "sim");
  }
  EXPECT_EQ(c.SimulatorStats()["submits"], 20);
}

TEST_F(HttpCarrierEndToEnd, WithTheSmppCarrierDownJobsFailOverToTheHttpCarrier) {
  Cluster c(Cluster::Options{});
  c.KillSimulator();
  c.SetExtraConfig(RestCarrier(c, "/ok", "",
                               "[[route]]\nprefixes = [\"+4915\"]\ncarriers = [\"sim\", \"rest\"]\n"));
  c.StartDaemon();
  ASSERT_EQ(c.Enqueue({"--count", "20", "--to-prefix", "+4915100", "--from", "ACME", "--text",
                       "x"}),
            0);
  ASSERT_TRUE(OutcomesReach(c, 20)) << c.DaemonLog();
  c.StopDaemon();
  ExpectExactlyOneOutcomePerEntry(c);
  for (const auto& out : c.ReadStream("sd:outcomes")) {
    EXPECT_EQ(out.at("status"), "submitted") << out.at("reason") << " " << out.at("detail");
    EXPECT_EQ(out.at("carrier"), "rest");
  }
  EXPECT_EQ(provider_.Requests().size(), 20u);
}

TEST_F(HttpCarrierEndToEnd, KillNineDuringHttpSubmitsResendsAtMostMaxUnsettledJobs) {
  Cluster::Options o;
  o.max_inflight = 64;
  Cluster c(o);
  // 100 ms per answer, 8 jobs held at most: a kill catches up to 8 jobs at the provider.
  c.SetExtraConfig(RestCarrier(c, "/slow/100", "window = 8\n",
                               "[[route]]\nprefixes = [\"+4917\"]\ncarriers = [\"rest\"]\n"));
  c.StartDaemon();
  ASSERT_EQ(c.Enqueue({"--count", "100", "--to-prefix", "+4917100", "--from", "ACME", "--text",
                       "k"}),
            0);
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:outcomes") >= 20; }, 60s))
      << c.DaemonLog();
  c.KillDaemon();
  c.StartDaemon();
  ASSERT_TRUE(OutcomesReach(c, 100, 120s)) << c.DaemonLog();
  c.StopDaemon();
  ExpectExactlyOneOutcomePerEntry(c);
  const auto requests = provider_.Requests();
  std::set<std::string> keys;
  for (const auto& q : requests) keys.insert(q["headers"]["idempotency-key"].get<std::string>());
  EXPECT_EQ(keys.size(), 100u);
  EXPECT_LE(requests.size(), 100u + 8u) << "duplicates <= max_unsettled (= window)";
  EXPECT_EQ(c.PendingCount(), 0);
}

}  // namespace
}  // namespace sd::testing
