// The daemon to the SMSC over TLS, configured only through [carrier.tls]: certificates made
// at test time (tests/support/test_pki), the simulator as a TLS SMSC that demands a client
// certificate. Jobs go through and receipts come back; a daemon trusting the wrong CA never
// binds and sends nothing in plaintext, and its jobs wait in Redis, not lost.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "tests/integration/harness.h"
#include "tests/support/test_pki.h"

namespace sd::testing {
namespace {

using namespace std::chrono_literals;

Cluster::Options TlsOptions(const TestPki& pki, const std::string& ca) {
  Cluster::Options o;
  o.receipt_delay_ms = 0;
  o.sim_args = {"--tls-cert", pki.server().cert, "--tls-key", pki.server().key,
                "--tls-client-ca", pki.ca()};
  o.extra_config = "[carrier.tls]\nca_file = \"" + ca + "\"\nserver_name = \"localhost\"\n" +
                   "cert_file = \"" + pki.client().cert + "\"\nkey_file = \"" +
                   pki.client().key + "\"\n[policy]\nmobile_required = false\n";
  return o;
}

TEST(TlsEndToEnd, JobsAndReceiptsOverMutualTls) {
  TestPki pki;
  Cluster c(TlsOptions(pki, pki.ca()));
  c.StartDaemon();
  ASSERT_EQ(c.Enqueue({"--count", "50", "--to-prefix", "+4915100", "--from", "ACME", "--text",
                       "code 1234"}),
            0);
  ASSERT_TRUE(WaitUntil([&] { return c.StreamLength("sd:receipts") >= 50; }, 60s))
      << c.DaemonLog();
  for (const auto& out : c.ReadStream("sd:outcomes")) EXPECT_EQ(out.at("status"), "submitted");
  auto st = c.SimulatorStats();
  EXPECT_GE(st["tls_handshakes"], 1);
  EXPECT_EQ(st["tls_handshake_failures"], 0);
  EXPECT_NE(c.DaemonLog().find("TLSv1.3"), std::string::npos) << c.DaemonLog();
  c.StopDaemon();
}

TEST(TlsEndToEnd, WrongCaNeverBindsAndTheJobsWait) {
  TestPki pki;
  Cluster c(TlsOptions(pki, pki.other_ca()));
  c.StartDaemon();
  ASSERT_EQ(c.Enqueue({"--count", "5", "--to-prefix", "+4915100", "--from", "ACME", "--text",
                       "code 1234"}),
            0);
  ASSERT_TRUE(WaitUntil([&] { return c.SimulatorStats()["tls_handshake_failures"] >= 2; }, 30s))
      << c.DaemonLog();
  auto st = c.SimulatorStats();
  EXPECT_EQ(st["binds"], 0);
  EXPECT_EQ(st["submits"], 0);
  EXPECT_NE(c.DaemonLog().find("certificate"), std::string::npos) << c.DaemonLog();
  // Nothing was sent and nothing is lost: the jobs are still in Redis, pending or unread.
  EXPECT_EQ(c.StreamLength("sd:outcomes"), 0);
  c.StopDaemon();
  EXPECT_EQ(c.StreamLength("sd:jobs"), 5);
}

}  // namespace
}  // namespace sd::testing
