// smsc-sim over TLS (--tls-cert, --tls-key, --tls-client-ca), end to end: the real binary with
// certificates generated at test time, and ESMEs on sd_net's StreamConnection, the client
// the daemon's carriers use. A session over TLS behaves as over TCP; a client that does not
// trust the simulator's CA, a client without a certificate under mutual TLS, and a plaintext
// client are refused before any PDU is handled, and counted.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/net/stream_connection.h"
#include "adapters/net/tls_context.h"
#include "adapters/smpp/pdu.h"
#include "tests/adapters/smpp/sim_harness.h"
#include "tests/support/test_pki.h"
#include "tests/support/uv_test_loop.h"

namespace sd::smpp {
namespace {

using namespace sim_harness;
using sd::testing::TestPki;
using sd::testing::UvTestLoop;

// One PKI for the whole suite (generating keys is the slow part), removed with its files
// when the suite ends.
const TestPki* g_pki = nullptr;
const TestPki& Pki() { return *g_pki; }

std::shared_ptr<const net::TlsContext> ClientContext(const std::string& ca,
                                                     const std::string& cert = "",
                                                     const std::string& key = "") {
  net::TlsConfig c;
  c.role = net::TlsRole::kClient;
  c.ca_file = ca;
  c.cert_file = cert;
  c.key_file = key;
  auto ctx = net::TlsContext::Create(c);
  EXPECT_TRUE(ctx.ok()) << ctx.error().detail;
  return ctx.ok() ? ctx.value() : nullptr;
}

// An ESME on a StreamConnection, driven by the test's loop.
class StreamEsme {
 public:
  StreamEsme(UvTestLoop* loop, int port, std::shared_ptr<const net::TlsContext> tls,
             size_t max_queued_bytes = 16 * 1024 * 1024)
      : loop_(loop) {
    net::StreamOptions options;
    options.max_queued_bytes = max_queued_bytes;
    options.tls = std::move(tls);
    options.server_name = "localhost";  // the test server certificate's DNS name
    net::StreamCallbacks cb;
    cb.on_connected = [this](int st, const std::string& d) {
      status_ = st;
      detail_ = d;
    };
    cb.on_read = [this](std::string_view b) { in_.append(b); };
    cb.on_closed = [this](const std::string& r) { closed_ = r; };
    conn_ = std::make_unique<net::StreamConnection>(loop->get(), std::move(options), cb);
    start_rc_ = conn_->Connect("127.0.0.1", port, 10'000);
  }

  // Runs the loop until the connection is up or has failed; its on_connected status.
  int WaitConnected() {
    if (start_rc_ != 0) return start_rc_;
    loop_->RunUntil([&] { return status_.has_value(); });
    return status_.value_or(UV_ETIMEDOUT);
  }
  const std::string& detail() const { return detail_; }
  const std::optional<std::string>& closed() const { return closed_; }
  std::string tls_protocol() const { return conn_->tls_protocol(); }

  bool Send(const Pdu& p) {
    const auto bytes = Encode(p);
    return bytes && SendRaw(*bytes);
  }
  bool SendRaw(const std::string& bytes) { return conn_->Write(bytes) == 0; }

  // The next whole PDU, or nullopt when the connection ended or the bytes do not decode.
  std::optional<Pdu> Read() {
    // RunUntil may evaluate its condition several times: it only looks, never consumes.
    loop_->RunUntil([&] {
      return Decode(Unread()).status != DecodeStatus::kNeedMore || closed_.has_value() ||
             (status_.has_value() && *status_ != 0);
    });
    DecodeResult r = Decode(Unread());
    if (r.status != DecodeStatus::kOk) return std::nullopt;
    // Consumed bytes are dropped in bulk: erasing at the front per PDU is quadratic when a
    // test reads hundreds of thousands of them from one buffer.
    used_ += r.consumed;
    if (used_ > 1024 * 1024 || used_ == in_.size()) {
      in_.erase(0, used_);
      used_ = 0;
    }
    return std::move(r.pdu);
  }

  // Waits until the simulator ends the connection (or the handshake fails).
  bool WaitEnded() {
    return loop_->RunUntil(
        [&] { return closed_.has_value() || (status_.has_value() && *status_ != 0); });
  }

  uint32_t BindAs(CommandId id) {
    Pdu p = MakeHeaderOnly(id, seq_++);
    p.bind.emplace();
    p.bind->system_id = "sim";
    p.bind->password = "simpw";
    if (!Send(p)) return 0xFFFFFFFF;
    const auto resp = Read();
    if (!resp || resp->header.command_id != (static_cast<uint32_t>(id) | 0x80000000u)) {
      return 0xFFFFFFFF;
    }
    return resp->header.command_status;
  }

  void Close() { conn_->Close(); }
  void PauseReading() { conn_->PauseReading(); }
  void ResumeReading() { conn_->ResumeReading(); }

 private:
  UvTestLoop* loop_;
  std::unique_ptr<net::StreamConnection> conn_;
  int start_rc_ = 0;
  std::optional<int> status_;
  std::string detail_;
  std::optional<std::string> closed_;
  std::string_view Unread() const { return std::string_view(in_).substr(used_); }

  std::string in_;
  size_t used_ = 0;  // bytes of in_ already decoded
  uint32_t seq_ = 1;
};

class SmscSimTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { g_pki = new TestPki(); }
  static void TearDownTestSuite() {
    delete g_pki;
    g_pki = nullptr;
  }

  void SetUp() override {
    if (kSimBinary == nullptr) GTEST_SKIP() << "smsc-sim not built (SD_SMSC_SIM undefined)";
  }

  static std::vector<std::string> TlsArgs(bool mutual) {
    std::vector<std::string> a{"--tls-cert", Pki().server().cert, "--tls-key", Pki().server().key};
    if (mutual) a.insert(a.end(), {"--tls-client-ca", Pki().ca()});
    return a;
  }
};

TEST_F(SmscSimTlsTest, BindSubmitReceiptAndUnbindOverTls) {
  Simulator sim(TlsArgs(false));
  ASSERT_NE(sim.port(), 0) << sim.Log();
  // The port file appears just before the start line is logged.
  EXPECT_TRUE(WaitUntil([&] { return sim.Log().find("(TLS)") != std::string::npos; })) << sim.Log();
  UvTestLoop loop;
  StreamEsme esme(&loop, sim.port(), ClientContext(Pki().ca()));
  ASSERT_EQ(esme.WaitConnected(), 0) << esme.detail();
  EXPECT_FALSE(esme.tls_protocol().empty());
  ASSERT_EQ(esme.BindAs(CommandId::kBindTransceiver), status::kOk);

  ASSERT_TRUE(esme.Send(Submit(10, "4915112345678", "hello over tls")));
  std::optional<Pdu> resp, receipt;
  for (int i = 0; i < 2; ++i) {
    auto p = esme.Read();
    ASSERT_TRUE(p) << sim.Log();
    (p->command() == CommandId::kDeliverSm ? receipt : resp) = *p;
  }
  ASSERT_TRUE(resp && receipt);
  EXPECT_EQ(resp->header.command_status, status::kOk);
  EXPECT_EQ(TlvValue(*receipt->sm, tag::kReceiptedMessageId),
            resp->submit_resp->message_id + std::string(1, '\0'));
  ASSERT_TRUE(esme.Send(DeliverSmResp(receipt->header.sequence_number)));

  // unbind: answered, then the simulator flushes and ends the session (close_notify).
  ASSERT_TRUE(esme.Send(MakeHeaderOnly(CommandId::kUnbind, 11)));
  auto unbind_resp = esme.Read();
  ASSERT_TRUE(unbind_resp);
  EXPECT_EQ(unbind_resp->command(), CommandId::kUnbindResp);
  ASSERT_TRUE(esme.WaitEnded());
  esme.Close();
  EXPECT_EQ(loop.RunToCompletionAndClose(), 0);

  auto c = sim.Counters();
  EXPECT_EQ(c["tls_handshakes"], 1);
  EXPECT_EQ(c["tls_handshake_failures"], 0);
  EXPECT_EQ(c["binds_trx"], 1);
  EXPECT_EQ(c["submits"], 1);
  EXPECT_EQ(c["accepted_submits"], 1);
  EXPECT_EQ(c["receipts_acked"], 1);
  EXPECT_EQ(c["unbinds"], 1);
  EXPECT_EQ(sim.Terminate(), 0) << sim.Log();
}

// Many PDUs in one write cross TLS record boundaries (16 KiB) mid-PDU both ways; every one
// is answered, in order.
TEST_F(SmscSimTlsTest, PipelinedSubmitsAcrossTlsRecordsAreAllAnsweredInOrder) {
  Simulator sim(TlsArgs(false));
  ASSERT_NE(sim.port(), 0) << sim.Log();
  UvTestLoop loop;
  StreamEsme esme(&loop, sim.port(), ClientContext(Pki().ca()));
  ASSERT_EQ(esme.WaitConnected(), 0) << esme.detail();
  ASSERT_EQ(esme.BindAs(CommandId::kBindTransmitter), status::kOk);
  constexpr uint32_t kCount = 3000;  // about 150 KiB of submits, 100 KiB of responses
  std::string batch;
  for (uint32_t i = 0; i < kCount; ++i) batch += *Encode(Submit(100 + i, "4930", "pipelined", 0));
  ASSERT_TRUE(esme.SendRaw(batch));
  uint32_t in_order = 0;
  for (uint32_t i = 0; i < kCount; ++i) {
    auto r = esme.Read();
    if (!r) break;
    if (r->header.sequence_number == 100 + i && r->header.command_status == status::kOk) ++in_order;
  }
  EXPECT_EQ(in_order, kCount);
  esme.Close();
  EXPECT_EQ(loop.RunToCompletionAndClose(), 0);
  EXPECT_EQ(sim.Counters()["accepted_submits"], kCount);
  EXPECT_EQ(sim.Terminate(), 0) << sim.Log();
}

// The write-queue bound holds over TLS: a client that submits without reading makes the
// simulator stop reading it (read_pauses) instead of buffering without limit; once the client
// reads again every response arrives, in order.
TEST_F(SmscSimTlsTest, AClientThatDoesNotReadIsPausedOverTlsToo) {
  Simulator sim(TlsArgs(false));
  ASSERT_NE(sim.port(), 0) << sim.Log();
  UvTestLoop loop;
  StreamEsme esme(&loop, sim.port(), ClientContext(Pki().ca()), 64 * 1024 * 1024);
  ASSERT_EQ(esme.WaitConnected(), 0) << esme.detail();
  ASSERT_EQ(esme.BindAs(CommandId::kBindTransmitter), status::kOk);
  esme.PauseReading();
  // Enough responses (33 bytes each) to fill both kernel buffers and the 4 MiB queue.
  constexpr uint32_t kCount = 400000;
  std::string batch;
  for (uint32_t i = 0; i < kCount; ++i) batch += *Encode(Submit(i + 1, "4930", "x", 0));
  ASSERT_TRUE(esme.SendRaw(batch));
  const bool paused = loop.RunUntil([&] { return sim.Counters()["read_pauses"] >= 1; });
  esme.ResumeReading();
  uint32_t got = 0;
  bool in_order = true;
  for (; got < kCount; ++got) {
    auto r = esme.Read();
    if (!r) break;
    in_order = in_order && r->header.sequence_number == got + 1;
  }
  EXPECT_TRUE(paused);
  EXPECT_EQ(got, kCount);
  EXPECT_TRUE(in_order);
  esme.Close();
  EXPECT_EQ(loop.RunToCompletionAndClose(), 0);
  EXPECT_EQ(sim.Counters()["submit_resps"], kCount);
  EXPECT_EQ(sim.Terminate(), 0) << sim.Log();
}

TEST_F(SmscSimTlsTest, ClientThatDoesNotTrustTheCaFails) {
  Simulator sim(TlsArgs(false));
  ASSERT_NE(sim.port(), 0) << sim.Log();
  UvTestLoop loop;
  StreamEsme esme(&loop, sim.port(), ClientContext(Pki().other_ca()));
  EXPECT_EQ(esme.WaitConnected(), UV_EPROTO) << esme.detail();
  esme.Close();
  EXPECT_EQ(loop.RunToCompletionAndClose(), 0);
  // The simulator sees the client's alert (or its close) during the handshake.
  EXPECT_TRUE(WaitUntil([&] { return sim.Counters()["tls_handshake_failures"] == 1; }));
  auto c = sim.Counters();
  EXPECT_EQ(c["tls_handshakes"], 0);
  EXPECT_EQ(c["binds"], 0);
  EXPECT_EQ(sim.Terminate(), 0) << sim.Log();
}

TEST_F(SmscSimTlsTest, MutualTlsRefusesAClientWithoutCertificate) {
  Simulator sim(TlsArgs(true));
  ASSERT_NE(sim.port(), 0) << sim.Log();
  EXPECT_TRUE(WaitUntil([&] {
    return sim.Log().find("(TLS, client certificates required)") != std::string::npos;
  })) << sim.Log();
  UvTestLoop loop;
  StreamEsme esme(&loop, sim.port(), ClientContext(Pki().ca()));
  // Under TLS 1.3 the client finishes its side before the server has checked for a client
  // certificate, so the refusal shows either as a failed connect or as the session ending
  // before the bind is answered. Either way no bind gets through.
  if (esme.WaitConnected() == 0) {
    EXPECT_EQ(esme.BindAs(CommandId::kBindTransceiver), 0xFFFFFFFF);
    EXPECT_TRUE(esme.WaitEnded());
  }
  esme.Close();
  EXPECT_EQ(loop.RunToCompletionAndClose(), 0);
  EXPECT_TRUE(WaitUntil([&] { return sim.Counters()["tls_handshake_failures"] == 1; }));
  auto c = sim.Counters();
  EXPECT_EQ(c["tls_handshakes"], 0);
  EXPECT_EQ(c["binds"], 0);
  EXPECT_EQ(sim.Terminate(), 0) << sim.Log();
}

TEST_F(SmscSimTlsTest, MutualTlsAcceptsAClientCertificateFromTheCa) {
  Simulator sim(TlsArgs(true));
  ASSERT_NE(sim.port(), 0) << sim.Log();
  UvTestLoop loop;
  StreamEsme esme(&loop, sim.port(),
                  ClientContext(Pki().ca(), Pki().client().cert, Pki().client().key));
  ASSERT_EQ(esme.WaitConnected(), 0) << esme.detail();
  EXPECT_EQ(esme.BindAs(CommandId::kBindTransmitter), status::kOk);
  esme.Close();
  EXPECT_EQ(loop.RunToCompletionAndClose(), 0);
  auto c = sim.Counters();
  EXPECT_EQ(c["tls_handshakes"], 1);
  EXPECT_EQ(c["binds_tx"], 1);
  EXPECT_EQ(sim.Terminate(), 0) << sim.Log();
}

TEST_F(SmscSimTlsTest, PlaintextClientOnATlsPortGetsNoAnswer) {
  Simulator sim(TlsArgs(false));
  ASSERT_NE(sim.port(), 0) << sim.Log();
  Esme esme(sim.port());
  ASSERT_TRUE(esme.connected());
  // A plaintext bind is not a TLS ClientHello: no bind_resp, only (at most) an alert.
  ASSERT_TRUE(esme.Send(esme.Bind(CommandId::kBindTransceiver, "sim", "simpw")));
  const auto answer = esme.Read();
  EXPECT_FALSE(answer && answer->command() == CommandId::kBindTransceiverResp);
  EXPECT_TRUE(WaitUntil([&] { return sim.Counters()["tls_handshake_failures"] == 1; }));
  EXPECT_EQ(sim.Counters()["binds"], 0);
  EXPECT_EQ(sim.Terminate(), 0) << sim.Log();
}

TEST_F(SmscSimTlsTest, IncompleteOrUnreadableTlsOptionsStopTheSimulator) {
  const std::string log = Pki().File("sim-options.log");
  EXPECT_EQ(RunToExit({kSimBinary, "--port", "0", "--tls-cert", Pki().server().cert}, log), 2);
  EXPECT_EQ(RunToExit({kSimBinary, "--port", "0", "--tls-client-ca", Pki().ca()}, log), 2);
  const std::string missing = Pki().File("no-such-cert.pem");
  EXPECT_EQ(
      RunToExit({kSimBinary, "--port", "0", "--tls-cert", missing, "--tls-key", Pki().server().key},
                log),
      2);
  EXPECT_NE(ReadFile(log).find("no-such-cert.pem"), std::string::npos) << ReadFile(log);
  // A key that does not belong to the certificate.
  EXPECT_EQ(RunToExit({kSimBinary, "--port", "0", "--tls-cert", Pki().server().cert, "--tls-key",
                       Pki().client().key},
                      log),
            2);
}

}  // namespace
}  // namespace sd::smpp
