// Two TlsEngines wired back to back in memory: no sockets, every byte split we like.
#include "adapters/net/tls_engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "tests/support/test_pki.h"

namespace sd::net {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;

class TlsEngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { pki_ = new sd::testing::TestPki(); }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }

  static std::shared_ptr<const TlsContext> Ctx(const TlsConfig& c) {
    auto ctx = TlsContext::Create(c);
    EXPECT_TRUE(ctx.ok()) << ctx.error().detail;
    return ctx.ok() ? ctx.value() : nullptr;
  }
  static TlsConfig ClientConfig() {
    TlsConfig c;
    c.ca_file = pki_->ca();
    return c;
  }
  static TlsConfig ServerConfig(const sd::testing::TestCertFiles& files = pki_->server()) {
    TlsConfig c;
    c.role = TlsRole::kServer;
    c.cert_file = files.cert;
    c.key_file = files.key;
    return c;
  }
  static std::unique_ptr<TlsEngine> Engine(std::shared_ptr<const TlsContext> ctx,
                                           const std::string& name = "localhost") {
    auto e = TlsEngine::Create(std::move(ctx), name);
    EXPECT_TRUE(e.ok()) << e.error().detail;
    return e.ok() ? std::move(e).value() : nullptr;
  }

  // Moves ciphertext both ways until neither side has anything to send. `split`: deliver in
  // pieces of at most that many bytes.
  static void Pump(TlsEngine& a, TlsEngine& b, size_t split = 0) {
    for (int rounds = 0; rounds < 1000 && (a.HasCiphertext() || b.HasCiphertext()); ++rounds) {
      Deliver(a, b, split);
      Deliver(b, a, split);
    }
  }
  static void Deliver(TlsEngine& from, TlsEngine& to, size_t split) {
    const std::string bytes = from.TakeCiphertext();
    std::string_view rest = bytes;
    while (!rest.empty()) {
      const size_t n = split == 0 ? rest.size() : std::min(split, rest.size());
      (void)to.OnCiphertext(rest.substr(0, n));
      rest.remove_prefix(n);
    }
  }

  static sd::testing::TestPki* pki_;
};
sd::testing::TestPki* TlsEngineTest::pki_ = nullptr;

TEST_F(TlsEngineTest, HandshakeThenEchoBothWays) {
  auto client = Engine(Ctx(ClientConfig()));
  auto server = Engine(Ctx(ServerConfig()));
  ASSERT_TRUE(client && server);
  EXPECT_TRUE(client->HasCiphertext());  // the ClientHello, produced by Create()
  Pump(*client, *server);
  ASSERT_TRUE(client->established()) << client->error();
  ASSERT_TRUE(server->established()) << server->error();
  EXPECT_EQ(client->protocol(), "TLSv1.3");
  EXPECT_EQ(client->verify_result(), X509_V_OK);

  ASSERT_TRUE(client->WritePlaintext("bind_transceiver"));
  Pump(*client, *server);
  EXPECT_EQ(server->TakePlaintext(), "bind_transceiver");
  ASSERT_TRUE(server->WritePlaintext("bind_transceiver_resp"));
  Pump(*client, *server);
  EXPECT_EQ(client->TakePlaintext(), "bind_transceiver_resp");
}

TEST_F(TlsEngineTest, OneByteSplitsAndLargeTransfer) {
  auto client = Engine(Ctx(ClientConfig()));
  auto server = Engine(Ctx(ServerConfig()));
  ASSERT_TRUE(client && server);
  Pump(*client, *server, 1);  // every handshake byte on its own
  ASSERT_TRUE(client->established() && server->established()) << client->error();
  std::string big(1 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131 + 7);
  ASSERT_TRUE(client->WritePlaintext(big));
  Pump(*client, *server, 1000);
  EXPECT_EQ(server->TakePlaintext(), big);
  ASSERT_TRUE(server->WritePlaintext(big));
  Pump(*client, *server, 4093);  // records cut at odd places
  EXPECT_EQ(client->TakePlaintext(), big);
  // Records fed one byte at a time (64 KiB: four full records and then some).
  const std::string part = big.substr(0, 64 * 1024 + 17);
  ASSERT_TRUE(server->WritePlaintext(part));
  Pump(*client, *server, 1);
  EXPECT_EQ(client->TakePlaintext(), part);
}

TEST_F(TlsEngineTest, PlaintextWrittenBeforeHandshakeIsSentAfterIt) {
  auto client = Engine(Ctx(ClientConfig()));
  auto server = Engine(Ctx(ServerConfig()));
  ASSERT_TRUE(client && server);
  ASSERT_TRUE(client->WritePlaintext("early "));
  ASSERT_TRUE(client->WritePlaintext("bytes"));
  EXPECT_EQ(client->pending_plaintext(), 11u);
  Pump(*client, *server);
  ASSERT_TRUE(server->established());
  EXPECT_EQ(client->pending_plaintext(), 0u);
  EXPECT_EQ(server->TakePlaintext(), "early bytes");
}

TEST_F(TlsEngineTest, UnknownCaFailsWithVerificationReason) {
  auto client = Engine(Ctx(ClientConfig()));
  auto server = Engine(Ctx(ServerConfig(pki_->other_server())));
  ASSERT_TRUE(client && server);
  Pump(*client, *server);
  ASSERT_TRUE(client->failed());
  EXPECT_EQ(client->verify_result(), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  EXPECT_THAT(client->error(), HasSubstr("unable to get local issuer certificate"));
  EXPECT_FALSE(client->WritePlaintext("x"));
  // The alert reached the server, which fails too rather than hanging in the handshake.
  EXPECT_TRUE(server->failed());
  EXPECT_THAT(server->error(), HasSubstr("unknown ca"));
}

TEST_F(TlsEngineTest, HostNameMismatchFails) {
  auto client = Engine(Ctx(ClientConfig()), "carrier.example");
  auto server = Engine(Ctx(ServerConfig()));
  ASSERT_TRUE(client && server);
  Pump(*client, *server);
  ASSERT_TRUE(client->failed());
  EXPECT_EQ(client->verify_result(), X509_V_ERR_HOSTNAME_MISMATCH);
  EXPECT_THAT(client->error(), HasSubstr("hostname mismatch"));
}

TEST_F(TlsEngineTest, IpAddressIsMatchedAgainstIpSans) {
  auto ok_client = Engine(Ctx(ClientConfig()), "127.0.0.1");
  auto server = Engine(Ctx(ServerConfig()));
  Pump(*ok_client, *server);
  EXPECT_TRUE(ok_client->established()) << ok_client->error();

  auto bad_client = Engine(Ctx(ClientConfig()), "127.0.0.2");
  auto server2 = Engine(Ctx(ServerConfig()));
  Pump(*bad_client, *server2);
  ASSERT_TRUE(bad_client->failed());
  EXPECT_EQ(bad_client->verify_result(), X509_V_ERR_IP_ADDRESS_MISMATCH);
}

TEST_F(TlsEngineTest, InsecureOptionSkipsOnlyTheNameCheck) {
  TlsConfig c = ClientConfig();
  c.insecure_skip_hostname_verification = true;
  auto client = Engine(Ctx(c), "carrier.example");
  auto server = Engine(Ctx(ServerConfig()));
  Pump(*client, *server);
  EXPECT_TRUE(client->established()) << client->error();
  // The chain is still verified.
  auto client2 = Engine(Ctx(c), "carrier.example");
  auto other = Engine(Ctx(ServerConfig(pki_->other_server())));
  Pump(*client2, *other);
  EXPECT_TRUE(client2->failed());
}

TEST_F(TlsEngineTest, ClientWithoutServerNameIsRefused) {
  auto e = TlsEngine::Create(Ctx(ClientConfig()), "");
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(e.error().detail, HasSubstr("server name"));
}

TEST_F(TlsEngineTest, ExpiredCertificateFails) {
  auto client = Engine(Ctx(ClientConfig()));
  auto server = Engine(Ctx(ServerConfig(pki_->expired())));
  Pump(*client, *server);
  ASSERT_TRUE(client->failed());
  EXPECT_EQ(client->verify_result(), X509_V_ERR_CERT_HAS_EXPIRED);
  EXPECT_THAT(client->error(), HasSubstr("certificate has expired"));
}

// A peer that speaks at most TLS 1.1, built directly because TlsConfig cannot describe one.
std::shared_ptr<const TlsContext> Tls11Server(const sd::testing::TestCertFiles& files) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
  SSL_CTX_set_max_proto_version(ctx, TLS1_1_VERSION);
  SSL_CTX_set_security_level(ctx, 0);  // OpenSSL 3 refuses TLS 1.1 at the default level
  SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
  EXPECT_EQ(SSL_CTX_use_certificate_chain_file(ctx, files.cert.c_str()), 1);
  EXPECT_EQ(SSL_CTX_use_PrivateKey_file(ctx, files.key.c_str(), SSL_FILETYPE_PEM), 1);
  return TlsContext::Adopt(ctx, TlsRole::kServer, false);
}

TEST_F(TlsEngineTest, Tls11OnlyPeerIsRefused) {
  auto client = Engine(Ctx(ClientConfig()));
  auto server = Engine(Tls11Server(pki_->server()));
  ASSERT_TRUE(client && server);
  Pump(*client, *server);
  EXPECT_FALSE(client->established());
  ASSERT_TRUE(client->failed());
  EXPECT_THAT(client->error(),
              AnyOf(HasSubstr("protocol version"), HasSubstr("unsupported protocol")));
}

TEST_F(TlsEngineTest, MinimumTls13RefusesTls12Peer) {
  TlsConfig c = ClientConfig();
  c.min_version = TlsMinVersion::kTls13;
  auto client = Engine(Ctx(c));
  auto server_ctx = Ctx(ServerConfig());
  SSL_CTX_set_max_proto_version(server_ctx->native(), TLS1_2_VERSION);
  auto server = Engine(server_ctx);
  Pump(*client, *server);
  ASSERT_TRUE(client->failed());
  EXPECT_THAT(client->error(),
              AnyOf(HasSubstr("protocol version"), HasSubstr("unsupported protocol")));
  // The same TLS 1.2 server is fine for the default minimum.
  auto client12 = Engine(Ctx(ClientConfig()));
  auto server12 = Engine(server_ctx);
  Pump(*client12, *server12);
  ASSERT_TRUE(client12->established()) << client12->error();
  EXPECT_EQ(client12->protocol(), "TLSv1.2");
}

TEST_F(TlsEngineTest, RequiredClientCertificate) {
  TlsConfig sc = ServerConfig();
  sc.ca_file = pki_->ca();
  sc.require_client_cert = true;
  auto server_ctx = Ctx(sc);

  auto anonymous = Engine(Ctx(ClientConfig()));
  auto server1 = Engine(server_ctx);
  Pump(*anonymous, *server1);
  ASSERT_TRUE(server1->failed());
  EXPECT_THAT(server1->error(), HasSubstr("certificate"));
  // With TLS 1.3 the client finishes first and learns of the refusal from the alert.
  EXPECT_TRUE(anonymous->failed());

  TlsConfig cc = ClientConfig();
  cc.cert_file = pki_->client().cert;
  cc.key_file = pki_->client().key;
  auto client = Engine(Ctx(cc));
  auto server2 = Engine(server_ctx);
  Pump(*client, *server2);
  ASSERT_TRUE(server2->established()) << server2->error();
  ASSERT_TRUE(client->WritePlaintext("hi"));
  Pump(*client, *server2);
  EXPECT_EQ(server2->TakePlaintext(), "hi");
  EXPECT_FALSE(server2->failed());

  // A client certificate from another CA is refused as well.
  TlsConfig oc = ClientConfig();
  oc.cert_file = pki_->other_server().cert;
  oc.key_file = pki_->other_server().key;
  auto stranger = Engine(Ctx(oc));
  auto server3 = Engine(server_ctx);
  Pump(*stranger, *server3);
  ASSERT_TRUE(server3->failed());
  EXPECT_NE(server3->verify_result(), X509_V_OK);
}

TEST_F(TlsEngineTest, GarbageFromPeerFails) {
  auto client = Engine(Ctx(ClientConfig()));
  (void)client->TakeCiphertext();
  EXPECT_FALSE(client->OnCiphertext("220 smsc.example ESMTP ready\r\n"));
  EXPECT_TRUE(client->failed());
  EXPECT_FALSE(client->error().empty());
}

TEST_F(TlsEngineTest, CloseNotifyReachesPeer) {
  auto client = Engine(Ctx(ClientConfig()));
  auto server = Engine(Ctx(ServerConfig()));
  Pump(*client, *server);
  ASSERT_TRUE(client->established());
  client->Shutdown();
  EXPECT_EQ(client->state(), TlsEngine::State::kClosed);
  EXPECT_FALSE(client->WritePlaintext("late"));
  Pump(*client, *server);
  EXPECT_TRUE(server->peer_closed());
  EXPECT_FALSE(server->failed());
}

}  // namespace
}  // namespace sd::net
