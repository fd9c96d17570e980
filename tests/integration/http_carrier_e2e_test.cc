// HTTP carriers through the real daemon: a route to a provider reached over HTTPS
// (provider_server.py, Python's http.server, with certificates made here) beside the
// simulator's SMPP route; SMPP down fails over to HTTP; kill -9 during HTTP submits stays
// within the documented duplicate bound and every job gets one outcome.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "tests/adapters/http/provider_server.h"
#include "tests/integration/harness.h"
#include "tests/support/test_pki.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;

class HttpCarrierEndToEnd : public ::testing::Test {
 protected:
  HttpCarrierEndToEnd() : provider_({pki_.server().cert, pki_.server().key, ""}) {}

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
