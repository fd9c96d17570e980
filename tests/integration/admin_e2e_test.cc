// The admin listener end to end (docs/operations.md): a real daemon, redis-server and smsc-sim;
// /metrics read with curl and checked by Prometheus' own promtool, its numbers against what
// Redis holds and the stats hash says; /healthz and /readyz as the carrier goes away; the
// bearer token over TLS.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <unistd.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "tests/integration/harness.h"
#include "tests/support/test_pki.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;

struct Answer {
  int status = 0;  // 0: curl could not get an answer
  std::string body;
};

class AdminEndToEnd : public ::testing::Test {
 protected:
  void Boot(const std::string& admin_lines, bool tls = false) {
    port_ = FreePort();
    tls_ = tls;
    Cluster::Options o;
    o.extra_config =
        "\n[admin]\nlisten = \"127.0.0.1:" + std::to_string(port_) + "\"\n" + admin_lines;
    c_ = std::make_unique<Cluster>(o);
    c_->StartDaemon();
    ASSERT_TRUE(WaitUntil(
        [&] {
          const std::string log = c_->DaemonLog();
          return log.find("admin listener") != std::string::npos &&
                 log.find("ready:") != std::string::npos;
        },
        30s))
        << c_->DaemonLog();
  }

  Answer Get(const std::string& path, const std::string& authorization = "") {
    const std::string out = c_->dir() + "/curl.out";
    unlink(out.c_str());
    std::vector<std::string> argv{"/usr/bin/curl", "-sS", "-o", "-", "-w", "\n%{http_code}"};
    if (tls_) argv.insert(argv.end(), {"--cacert", pki_.ca()});
    if (!authorization.empty()) argv.insert(argv.end(), {"-H", "Authorization: " + authorization});
    argv.push_back(std::string(tls_ ? "https://localhost:" : "http://127.0.0.1:") +
                   std::to_string(port_) + path);
    Process p(argv, out);
    if (p.Wait(30s) != 0) return {};
    const std::string text = ReadFile(out);
    const size_t nl = text.rfind('\n');
    if (nl == std::string::npos) return {};
    return {std::atoi(text.c_str() + nl + 1), text.substr(0, nl)};
  }

  // promtool's verdict on an exposition: exit status, and what it printed.
  int Promtool(const std::string& exposition, std::string* said) {
    const std::string in = c_->dir() + "/metrics.txt";
    const std::string out = c_->dir() + "/promtool.out";
    WriteFile(in, exposition, 0644);
    Process p({"/bin/sh", "-c", "promtool check metrics < '" + in + "'"}, out);
    const int rc = p.Wait(60s);
    *said = ReadFile(out);
    return rc;
  }

  int port_ = 0;
  bool tls_ = false;
  TestPki pki_;
  std::unique_ptr<Cluster> c_;
};

// The value of one series ("name" or "name{labels}") in an exposition; -1 if absent.
double Series(const std::string& exposition, const std::string& series) {
  std::istringstream in(exposition);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

std::string HashField(redisContext* r, const std::string& field) {
  auto* reply = static_cast<redisReply*>(redisCommand(r, "HGET sd:stats:e2e %s", field.c_str()));
  std::string v = reply != nullptr && reply->type == REDIS_REPLY_STRING ? reply->str : "";
  freeReplyObject(reply);
  return v;
}

// Every smsdispatch_* name in the shipped dashboard and alert rules (docs/ops/), with the
// histogram suffixes taken off, as a set.
std::set<std::string> NamesIn(const std::string& path) {
  const std::string text = ReadFile(path);
  std::set<std::string> names;
  const std::regex name("smsdispatch_[a-z_]+");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), name); it != std::sregex_iterator();
       ++it) {
    std::string n = it->str();
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string s(suffix);
      if (n.size() > s.size() && n.compare(n.size() - s.size(), s.size(), s) == 0 &&
          n.find("_seconds") != std::string::npos) {
        n.resize(n.size() - s.size());
      }
    }
    names.insert(n);
  }
  return names;
}

TEST_F(AdminEndToEnd, MetricsPassPromtoolAndAgreeWithRedisAndTheStatsHash) {
  // A rate limit and a pumping rule, so their families are in the output too.
  ASSERT_NO_FATAL_FAILURE(
      Boot("\n[[limits]]\nname = \"per_key\"\nscope = \"key\"\nrate = 100000\n"
           "burst = 100000\n\n[[pumping]]\nname = \"otp_ranges\"\n"));
  ASSERT_EQ(c_->Enqueue({"--count", "40", "--to-prefix", "+4915100", "--from", "ACME", "--text",
                         "code 1234", "--kind", "otp"}),
            0);
  ASSERT_EQ(c_->Enqueue({"--to", "+4915112345678", "--from", "ACME", "--text", "x", "--corrupt",
                         "forged-signature"}),
            0);
  ASSERT_TRUE(OutcomesReach(*c_, 41)) << c_->DaemonLog();
  ASSERT_TRUE(WaitUntil([&] { return c_->StreamLength("sd:receipts") >= 40; }, 30s));
  // The stats hash is written every second; wait until it has caught up with the receipts.
  ASSERT_TRUE(WaitUntil([&] { return HashField(c_->redis(), "receipts") == "40"; }, 10s));

  const Answer m = Get("/metrics");
  ASSERT_EQ(m.status, 200) << m.body;
  std::string said;
  EXPECT_EQ(Promtool(m.body, &said), 0) << said << "\n" << m.body.substr(0, 4000);
  EXPECT_EQ(said.find("WARN"), std::string::npos) << said;

  EXPECT_EQ(Series(m.body, "smsdispatch_jobs_submitted_total"), 40);
  EXPECT_EQ(Series(m.body, "smsdispatch_jobs_rejected_total{reason=\"bad_signature\"}"), 1);
  EXPECT_EQ(Series(m.body, "smsdispatch_jobs_rejected_total{reason=\"rate_limited\"}"), 0);
  EXPECT_EQ(Series(m.body, "smsdispatch_jobs_receipts_total"), 40);
  EXPECT_EQ(Series(m.body, "smsdispatch_receipts_total{carrier=\"sim\",state=\"delivered\"}"), 40);
  EXPECT_EQ(Series(m.body, "smsdispatch_smpp_binds_up{carrier=\"sim\"}"), 1);
  EXPECT_EQ(Series(m.body, "smsdispatch_smpp_bind_up{carrier=\"sim\",bind=\"0\"}"), 1);
  EXPECT_EQ(Series(m.body, "smsdispatch_smpp_accepted_total{carrier=\"sim\"}"), 40);
  EXPECT_EQ(Series(m.body, "smsdispatch_redis_connected"), 1);
  EXPECT_EQ(Series(m.body, "smsdispatch_jobs_in_flight"), 0);
  EXPECT_EQ(Series(m.body, "smsdispatch_carrier_queued_jobs{carrier=\"sim\"}"), 0);
  // One observation per submitted job; one decision per entry.
  EXPECT_EQ(Series(m.body, "smsdispatch_enqueue_to_submit_seconds_count"), 40);
  EXPECT_EQ(Series(m.body, "smsdispatch_enqueue_to_submit_seconds_bucket{le=\"+Inf\"}"), 40);
  EXPECT_EQ(Series(m.body, "smsdispatch_decision_seconds_count"), 41);
  EXPECT_EQ(Series(m.body, "smsdispatch_submit_to_receipt_seconds_count"), 40);
  EXPECT_GT(Series(m.body, "smsdispatch_redis_write_round_trip_seconds_count"), 0);
  // Backlog from XINFO GROUPS: everything delivered and acknowledged.
  EXPECT_EQ(Series(m.body, "smsdispatch_jobs_stream_lag"), 0);
  EXPECT_EQ(Series(m.body, "smsdispatch_jobs_stream_pending"), 0);
  // The shipped dashboard and alert rules name only metrics that exist, and the rules load.
  for (const char* file :
       {"/docs/ops/smsdispatch-dashboard.json", "/docs/ops/smsdispatch-alerts.yml"}) {
    const std::set<std::string> names = NamesIn(std::string(SD_SOURCE_DIR) + file);
    EXPECT_GT(names.size(), 10u) << file;
    for (const std::string& n : names) {
      EXPECT_NE(m.body.find("# TYPE " + n + " "), std::string::npos) << file << " names " << n;
    }
  }
  {
    Process p({"/bin/sh", "-c",
               "promtool check rules '" SD_SOURCE_DIR "/docs/ops/smsdispatch-alerts.yml'"},
              c_->dir() + "/rules.out");
    EXPECT_EQ(p.Wait(60s), 0) << ReadFile(c_->dir() + "/rules.out");
  }
  EXPECT_EQ(Series(m.body, "smsdispatch_ready"), 1);
  // The stats hash holds the same numbers (one registry behind both).
  for (const auto& [field, series] : std::vector<std::pair<std::string, std::string>>{
           {"submitted", "smsdispatch_jobs_submitted_total"},
           {"rejected.bad_signature", "smsdispatch_jobs_rejected_total{reason=\"bad_signature\"}"},
           {"redis.commits", "smsdispatch_redis_commits_total"},
           {"carrier.sim.accepted", "smsdispatch_smpp_accepted_total{carrier=\"sim\"}"}}) {
    EXPECT_EQ(HashField(c_->redis(), field),
              std::to_string(static_cast<long long>(Series(m.body, series))))
        << field;
  }
  c_->StopDaemon();
}

TEST_F(AdminEndToEnd, ReadyzFollowsTheCarrierAndHealthzTheLoop) {
  ASSERT_NO_FATAL_FAILURE(Boot(""));
  Answer h = Get("/healthz");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body, "ok\n");
  ASSERT_TRUE(WaitUntil([&] { return Get("/readyz").status == 200; }, 20s));
  c_->KillSimulator();  // the only carrier's only bind goes down: nothing can be sent
  ASSERT_TRUE(WaitUntil([&] { return Get("/readyz").status == 503; }, 20s));
  const Answer r = Get("/readyz");
  EXPECT_NE(r.body.find("route 1: no carrier can send"), std::string::npos) << r.body;
  EXPECT_EQ(Get("/healthz").status, 200) << "alive, if not ready";
  c_->StartSimulator();
  EXPECT_TRUE(WaitUntil([&] { return Get("/readyz").status == 200; }, 20s)) << c_->DaemonLog();
  EXPECT_EQ(Get("/nope").status, 404);
  c_->StopDaemon();
}

TEST_F(AdminEndToEnd, TlsAndBearerTokenGuardMetricsButNotHealth) {
  const std::string token = "tok-" + std::string(40, 'z');
  WriteFile(pki_.File("admin.token"), token + "\n");
  ASSERT_NO_FATAL_FAILURE(Boot("tls_cert_file = \"" + pki_.server().cert + "\"\ntls_key_file = \"" +
                                   pki_.server().key + "\"\nbearer_token_file = \"" +
                                   pki_.File("admin.token") + "\"\n",
                               /*tls=*/true));
  EXPECT_EQ(Get("/metrics").status, 401);
  EXPECT_EQ(Get("/metrics", "Bearer " + token + "x").status, 401);
  EXPECT_EQ(Get("/metrics", "Bearer " + std::string(token.size(), 'z')).status, 401);
  const Answer ok = Get("/metrics", "Bearer " + token);
  EXPECT_EQ(ok.status, 200);
  EXPECT_NE(ok.body.find("smsdispatch_admin_unauthorized_total 3"), std::string::npos);
  EXPECT_EQ(Get("/healthz").status, 200);
  EXPECT_EQ(c_->DaemonLog().find(token), std::string::npos) << "the token is never logged";
  c_->StopDaemon();
}

}  // namespace
}  // namespace sd::testing
