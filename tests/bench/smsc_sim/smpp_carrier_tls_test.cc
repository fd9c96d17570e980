// The daemon's SMPP carrier (SmppCarrier, TLS binds over sd_net) against smsc-sim serving
// TLS, with certificates made at test time: several mutual-TLS binds carry GSM submits and a
// long UCS-2 message in parts, with their receipts; a carrier that does not trust the
// simulator's CA, or has no client certificate where one is required, never binds.
#include <gtest/gtest.h>
#include <signal.h>

#include <memory>
#include <string>
#include <vector>

#include "adapters/net/tls_context.h"
#include "adapters/smpp/smpp_carrier.h"
#include "core/sms_text.h"
#include "tests/adapters/smpp/sim_harness.h"
#include "tests/support/test_pki.h"
#include "tests/support/uv_test_loop.h"

namespace sd::smpp {
namespace {

using namespace sim_harness;
using sd::testing::TestPki;
using sd::testing::UvTestLoop;

const TestPki* g_pki = nullptr;

std::shared_ptr<const net::TlsContext> CarrierTls(const std::string& ca, bool client_cert) {
  net::TlsConfig c;
  c.role = net::TlsRole::kClient;
  c.ca_file = ca;
  if (client_cert) {
    c.cert_file = g_pki->client().cert;
    c.key_file = g_pki->client().key;
  }
  auto ctx = net::TlsContext::Create(c);
  EXPECT_TRUE(ctx.ok()) << ctx.error().detail;
  return ctx.ok() ? ctx.value() : nullptr;
}

class SmppCarrierTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { g_pki = new TestPki(); }
  static void TearDownTestSuite() {
    delete g_pki;
    g_pki = nullptr;
  }
  void SetUp() override {
    if (kSimBinary == nullptr) GTEST_SKIP() << "smsc-sim not built (SD_SMSC_SIM undefined)";
    // As the daemon does: the simulator hanging up on a refused client mid-write is an error
    // return for the connection, not a signal that kills the test binary.
    signal(SIGPIPE, SIG_IGN);
  }

  static std::vector<std::string> SimTls(bool mutual) {
    std::vector<std::string> a{"--tls-cert", g_pki->server().cert, "--tls-key",
                               g_pki->server().key};
    if (mutual) a.insert(a.end(), {"--tls-client-ca", g_pki->ca()});
    return a;
  }

  static SmppCarrierOptions Options(int port, std::shared_ptr<const net::TlsContext> tls,
                                    int binds) {
    SmppCarrierOptions o;
    o.name = "sim";
    o.host = "127.0.0.1";
    o.port = port;
    o.tls = std::move(tls);
    o.tls_server_name = "localhost";
    o.transmit_binds = binds;
    o.session.system_id = "sim";
    o.session.password = "simpw";
    o.session.window = 16;
    o.session.response_timeout_ms = 60'000;  // a slow machine must not turn into timeouts
    o.reconnect_initial_ms = 20;
    o.reconnect_max_ms = 200;
    o.tick_ms = 20;
    return o;
  }

  void CloseAndCheck(SmppCarrier& carrier) {
    bool closed = false;
    carrier.Close([&] { closed = true; });
    EXPECT_EQ(loop_.RunToCompletionAndClose(), 0) << "a handle was left open";
    EXPECT_TRUE(closed);
  }

  UvTestLoop loop_;
};

SubmitRequest Request(const std::string& dest, const std::string& text) {
  SubmitRequest r;
  r.destination = dest;
  r.sender = "ACME";
  r.text_utf8 = text;
  auto enc = EncodeText(text);
  EXPECT_TRUE(enc.ok()) << text;
  if (enc.ok()) r.text = enc.value();
  return r;
}

TEST_F(SmppCarrierTlsTest, MutualTlsBindsCarrySubmitsLongUcs2PartsAndReceipts) {
  Simulator sim(SimTls(/*mutual=*/true));
  ASSERT_NE(sim.port(), 0) << sim.Log();
  SmppCarrier carrier(loop_.get(),
                      Options(sim.port(), CarrierTls(g_pki->ca(), /*client_cert=*/true), 2));
  std::vector<SubmitResult> results;
  std::vector<Receipt> receipts;
  carrier.SetReceiptHandler([&](Receipt r, std::function<void()> ack) {
    receipts.push_back(std::move(r));
    ack();
  });
  carrier.Start();
  ASSERT_TRUE(loop_.RunUntil([&] { return carrier.bound_binds() == 2; })) << sim.Log();

  constexpr int kSingle = 20;
  for (int i = 0; i < kSingle; ++i) {
    carrier.Submit(Request("+4915100" + std::to_string(100000 + i), "code " + std::to_string(i)),
                   [&](SubmitResult r) { results.push_back(std::move(r)); });
  }
  // 100 Cyrillic characters: UCS-2, two parts of at most 67 units.
  std::string long_text;
  for (int i = 0; i < 100; ++i) long_text += "Ж";
  const SubmitRequest long_req = Request("+4915100999999", long_text);
  ASSERT_EQ(long_req.text.segments, 2);
  // Two binds: the long job may finish before some single ones, so it keeps its own result.
  SubmitResult long_result;
  carrier.Submit(long_req, [&](SubmitResult r) {
    long_result = r;
    results.push_back(std::move(r));
  });

  // One receipt per part: 20 singles and 2 parts.
  ASSERT_TRUE(loop_.RunUntil([&] {
    return results.size() == kSingle + 1 && receipts.size() == 22;
  })) << results.size()
      << " results, " << receipts.size() << " receipts\n"
      << sim.Log();
  for (const SubmitResult& r : results) {
    EXPECT_EQ(r.kind, SubmitResult::Kind::kAccepted) << r.detail;
  }
  EXPECT_EQ(long_result.part_ids.size(), 2u);

  auto c = sim.Counters();
  EXPECT_EQ(c["tls_handshakes"], 2);
  EXPECT_EQ(c["tls_handshake_failures"], 0);
  EXPECT_EQ(c["binds"], 2);
  EXPECT_EQ(c["accepted_submits"], kSingle + 2);
  EXPECT_EQ(c["reassembled_messages"], 1);
  EXPECT_EQ(c["reassembly_errors"], 0);
  CloseAndCheck(carrier);
  EXPECT_EQ(sim.Terminate(), 0) << sim.Log();
}

// The simulator's certificate does not chain to what the carrier trusts, or the simulator
// wants a client certificate the carrier does not have: the carrier keeps trying (with
// backoff) and never binds; every attempt is a failed handshake at the simulator.
void ExpectNeverBinds(UvTestLoop& loop, SmppCarrier& carrier, Simulator& sim) {
  carrier.Start();
  EXPECT_TRUE(loop.RunUntil([&] { return carrier.counters().connect_attempts >= 3; }));
  EXPECT_EQ(carrier.bound_binds(), 0u);
  EXPECT_EQ(carrier.counters().binds, 0u);
  EXPECT_TRUE(WaitUntil([&] { return sim.Counters()["tls_handshake_failures"] >= 2; }));
  auto c = sim.Counters();
  EXPECT_EQ(c["binds"], 0);
  EXPECT_EQ(c["tls_handshakes"], 0);
}

TEST_F(SmppCarrierTlsTest, CarrierTrustingAnotherCaNeverBinds) {
  Simulator sim(SimTls(/*mutual=*/false));
  ASSERT_NE(sim.port(), 0) << sim.Log();
  SmppCarrier carrier(loop_.get(),
                      Options(sim.port(), CarrierTls(g_pki->other_ca(), /*client_cert=*/false), 1));
  ExpectNeverBinds(loop_, carrier, sim);
  CloseAndCheck(carrier);
  EXPECT_EQ(sim.Terminate(), 0) << sim.Log();
}

TEST_F(SmppCarrierTlsTest, CarrierWithoutClientCertificateNeverBindsUnderMutualTls) {
  Simulator sim(SimTls(/*mutual=*/true));
  ASSERT_NE(sim.port(), 0) << sim.Log();
  SmppCarrier carrier(loop_.get(),
                      Options(sim.port(), CarrierTls(g_pki->ca(), /*client_cert=*/false), 1));
  ExpectNeverBinds(loop_, carrier, sim);
  CloseAndCheck(carrier);
  EXPECT_EQ(sim.Terminate(), 0) << sim.Log();
}

}  // namespace
}  // namespace sd::smpp
