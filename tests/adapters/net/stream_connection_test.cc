// StreamConnection on loopback port 0: plain TCP and TLS, real sockets, real handshakes,
// certificates generated at test time. Every test ends with the loop closing cleanly.
#include "adapters/net/stream_connection.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <csignal>
#include <memory>
#include <optional>
#include <vector>

#include "tests/support/test_pki.h"
#include "tests/support/uv_test_loop.h"

namespace sd::net {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;

// What one end of a connection saw, plus the connection itself.
struct End {
  std::optional<int> status;  // from on_connected
  std::string detail;
  std::string received;
  std::optional<std::string> closed_reason;
  bool close_called = false;
  int callbacks_after_close = 0;
  int writes_done = 0;
  size_t last_queued = 0;
  std::unique_ptr<StreamConnection> conn;

  StreamCallbacks Callbacks(bool echo = false, std::string greeting = "") {
    StreamCallbacks cb;
    cb.on_connected = [this, greeting](int st, const std::string& d) {
      if (close_called) ++callbacks_after_close;
      status = st;
      detail = d;
      if (st == 0 && !greeting.empty()) {
        EXPECT_EQ(conn->Write(greeting), 0);
      }
    };
    cb.on_read = [this, echo](std::string_view b) {
      if (close_called) ++callbacks_after_close;
      received.append(b);
      if (echo) {
        EXPECT_EQ(conn->Write(b), 0);
      }
    };
    cb.on_closed = [this](const std::string& r) {
      if (close_called) ++callbacks_after_close;
      closed_reason = r;
    };
    cb.on_written = [this](size_t queued) {
      if (close_called) ++callbacks_after_close;
      ++writes_done;
      last_queued = queued;
    };
    return cb;
  }
  void Close() {
    close_called = true;
    if (conn) conn->Close();
  }
};

// A loopback listener on port 0 whose accepted connections are StreamConnections.
class Listener {
 public:
  Listener(uv_loop_t* loop, StreamOptions options, bool echo, std::string greeting = "",
           int64_t handshake_timeout_ms = 5000)
      : loop_(loop),
        options_(std::move(options)),
        echo_(echo),
        greeting_(std::move(greeting)),
        timeout_ms_(handshake_timeout_ms) {
    uv_tcp_init(loop_, &tcp_);
    tcp_.data = this;
    struct sockaddr_in addr {};
    uv_ip4_addr("127.0.0.1", 0, &addr);
    EXPECT_EQ(uv_tcp_bind(&tcp_, reinterpret_cast<sockaddr*>(&addr), 0), 0);
    EXPECT_EQ(uv_listen(reinterpret_cast<uv_stream_t*>(&tcp_), 16,
                        [](uv_stream_t* s, int st) {
                          ASSERT_EQ(st, 0);
                          static_cast<Listener*>(s->data)->OnConnection();
                        }),
              0);
    struct sockaddr_storage bound {};
    int len = sizeof bound;
    uv_tcp_getsockname(&tcp_, reinterpret_cast<sockaddr*>(&bound), &len);
    port_ = ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  }

  int port() const { return port_; }
  std::vector<std::unique_ptr<End>>& ends() { return ends_; }
  End* first() { return ends_.empty() ? nullptr : ends_.front().get(); }

  void Close() {
    for (auto& e : ends_) e->Close();
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), nullptr);
  }

 private:
  void OnConnection() {
    auto end = std::make_unique<End>();
    end->conn =
        std::make_unique<StreamConnection>(loop_, options_, end->Callbacks(echo_, greeting_));
    EXPECT_EQ(end->conn->Accept(reinterpret_cast<uv_stream_t*>(&tcp_), timeout_ms_), 0);
    ends_.push_back(std::move(end));
  }

  uv_loop_t* loop_;
  StreamOptions options_;
  bool echo_;
  std::string greeting_;
  int64_t timeout_ms_;
  uv_tcp_t tcp_;
  int port_ = 0;
  std::vector<std::unique_ptr<End>> ends_;
};

class StreamConnectionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    signal(SIGPIPE, SIG_IGN);  // as the daemon does: a write to a closed peer is an error
    pki_ = new sd::testing::TestPki();
  }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }

  static std::shared_ptr<const TlsContext> Ctx(const TlsConfig& c) {
    auto ctx = TlsContext::Create(c);
    EXPECT_TRUE(ctx.ok()) << ctx.error().detail;
    return ctx.ok() ? ctx.value() : nullptr;
  }
  static StreamOptions ClientTls(TlsConfig c = {}) {
    if (c.ca_file.empty()) c.ca_file = pki_->ca();
    StreamOptions o;
    o.tls = Ctx(c);
    return o;
  }
  static StreamOptions ServerTls(const sd::testing::TestCertFiles& files = pki_->server(),
                                 bool require_client_cert = false) {
    TlsConfig c;
    c.role = TlsRole::kServer;
    c.cert_file = files.cert;
    c.key_file = files.key;
    if (require_client_cert) {
      c.ca_file = pki_->ca();
      c.require_client_cert = true;
    }
    StreamOptions o;
    o.tls = Ctx(c);
    return o;
  }

  End& Connect(StreamOptions options, int port, const std::string& host = "127.0.0.1",
               int64_t timeout_ms = 5000) {
    client_.conn =
        std::make_unique<StreamConnection>(loop_.get(), std::move(options), client_.Callbacks());
    EXPECT_EQ(client_.conn->Connect(host, port, timeout_ms), 0);
    return client_;
  }

  // Closes everything and checks that the loop ends with no handle left open.
  void Finish(Listener& listener) {
    client_.Close();
    listener.Close();
    EXPECT_EQ(loop_.RunToCompletionAndClose(), 0);
    EXPECT_EQ(client_.callbacks_after_close, 0);
    for (auto& e : listener.ends()) EXPECT_EQ(e->callbacks_after_close, 0);
  }

  static std::string Pattern(size_t n) {
    std::string s(n, '\0');
    for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 7919) >> 3);
    return s;
  }

  sd::testing::UvTestLoop loop_;
  End client_;
  static sd::testing::TestPki* pki_;
};
sd::testing::TestPki* StreamConnectionTest::pki_ = nullptr;

TEST_F(StreamConnectionTest, PlainTcpEcho) {
  Listener server(loop_.get(), StreamOptions{}, /*echo=*/true);
  End& c = Connect(StreamOptions{}, server.port());
  ASSERT_TRUE(loop_.RunUntil([&] { return c.status.has_value(); }));
  ASSERT_EQ(*c.status, 0) << c.detail;
  EXPECT_TRUE(c.conn->connected());
  EXPECT_EQ(c.conn->tls_protocol(), "");
  ASSERT_EQ(c.conn->Write("enquire_link"), 0);
  ASSERT_TRUE(loop_.RunUntil([&] { return c.received.size() >= 12; }));
  EXPECT_EQ(c.received, "enquire_link");
  ASSERT_TRUE(server.first() && server.first()->status.has_value());
  EXPECT_EQ(*server.first()->status, 0);
  Finish(server);
}

TEST_F(StreamConnectionTest, TlsEchoOneMebibyteBothWays) {
  Listener server(loop_.get(), ServerTls(), /*echo=*/true);
  End& c = Connect(ClientTls(), server.port());
  // Written before the handshake: must be held back and sent after it.
  const std::string big = Pattern(1 << 20);
  ASSERT_EQ(c.conn->Write(big), 0);
  ASSERT_TRUE(
      loop_.RunUntil([&] { return c.received.size() >= big.size() || c.status.value_or(0) != 0; }));
  ASSERT_EQ(c.status.value_or(-1), 0) << c.detail;
  EXPECT_EQ(c.conn->tls_protocol(), "TLSv1.3");
  EXPECT_TRUE(c.received == big);
  EXPECT_TRUE(server.first()->received == big);
  EXPECT_EQ(c.conn->counters().bytes_written, big.size());
  EXPECT_EQ(c.conn->counters().bytes_read, big.size());
  ASSERT_TRUE(loop_.RunUntil([&] { return c.conn->queued_bytes() == 0; }));
  Finish(server);
}

TEST_F(StreamConnectionTest, TlsOneByteWrites) {
  Listener server(loop_.get(), ServerTls(), /*echo=*/true);
  End& c = Connect(ClientTls(), server.port());
  ASSERT_TRUE(loop_.RunUntil([&] { return c.status.has_value(); }));
  ASSERT_EQ(*c.status, 0) << c.detail;
  const std::string text = Pattern(3000);
  for (char ch : text) ASSERT_EQ(c.conn->Write(std::string_view(&ch, 1)), 0);
  ASSERT_TRUE(loop_.RunUntil([&] { return c.received.size() >= text.size(); }));
  EXPECT_TRUE(c.received == text);
  Finish(server);
}

TEST_F(StreamConnectionTest, ServerGreetingArrivesAfterHandshake) {
  Listener server(loop_.get(), ServerTls(), /*echo=*/false, "outbind");
  End& c = Connect(ClientTls(), server.port(), "localhost");
  ASSERT_TRUE(loop_.RunUntil([&] { return c.received.size() >= 7; }));
  EXPECT_EQ(c.status.value_or(-1), 0);
  EXPECT_EQ(c.received, "outbind");
  Finish(server);
}

TEST_F(StreamConnectionTest, UnknownCaFailsWithReason) {
  Listener server(loop_.get(), ServerTls(pki_->other_server()), true);
  End& c = Connect(ClientTls(), server.port());
  ASSERT_TRUE(loop_.RunUntil([&] { return c.status.has_value(); }));
  EXPECT_EQ(*c.status, UV_EPROTO);
  EXPECT_THAT(c.detail, HasSubstr("unable to get local issuer certificate"));
  EXPECT_FALSE(c.conn->connected());
  EXPECT_EQ(c.conn->Write("x"), UV_ENOTCONN);
  // The server hears about it (alert) instead of waiting for its handshake timeout.
  ASSERT_TRUE(loop_.RunUntil([&] { return server.first() && server.first()->status; }));
  EXPECT_NE(*server.first()->status, 0);
  Finish(server);
}

TEST_F(StreamConnectionTest, HostNameMismatchFails) {
  Listener server(loop_.get(), ServerTls(), true);
  StreamOptions o = ClientTls();
  o.server_name = "smsc.carrier.example";
  End& c = Connect(std::move(o), server.port());
  ASSERT_TRUE(loop_.RunUntil([&] { return c.status.has_value(); }));
  EXPECT_EQ(*c.status, UV_EPROTO);
  EXPECT_THAT(c.detail, HasSubstr("hostname mismatch"));
  Finish(server);
}

TEST_F(StreamConnectionTest, ExpiredCertificateFails) {
  Listener server(loop_.get(), ServerTls(pki_->expired()), true);
  End& c = Connect(ClientTls(), server.port());
  ASSERT_TRUE(loop_.RunUntil([&] { return c.status.has_value(); }));
  EXPECT_EQ(*c.status, UV_EPROTO);
  EXPECT_THAT(c.detail, HasSubstr("certificate has expired"));
  Finish(server);
}

TEST_F(StreamConnectionTest, Tls11OnlyPeerIsRefused) {
  SSL_CTX* old = SSL_CTX_new(TLS_server_method());
  SSL_CTX_set_min_proto_version(old, TLS1_VERSION);
  SSL_CTX_set_max_proto_version(old, TLS1_1_VERSION);
  SSL_CTX_set_security_level(old, 0);
  SSL_CTX_set_cipher_list(old, "DEFAULT:@SECLEVEL=0");
  ASSERT_EQ(SSL_CTX_use_certificate_chain_file(old, pki_->server().cert.c_str()), 1);
  ASSERT_EQ(SSL_CTX_use_PrivateKey_file(old, pki_->server().key.c_str(), SSL_FILETYPE_PEM), 1);
  StreamOptions so;
  so.tls = TlsContext::Adopt(old, TlsRole::kServer, false);
  Listener server(loop_.get(), std::move(so), true);
  End& c = Connect(ClientTls(), server.port());
  ASSERT_TRUE(loop_.RunUntil([&] { return c.status.has_value(); }));
  EXPECT_EQ(*c.status, UV_EPROTO);
  EXPECT_THAT(c.detail, AnyOf(HasSubstr("protocol version"), HasSubstr("unsupported protocol")));
  Finish(server);
}

TEST_F(StreamConnectionTest, ServerRequiringClientCertRefusesAnonymousClient) {
  Listener server(loop_.get(), ServerTls(pki_->server(), /*require_client_cert=*/true), true);
  End& c = Connect(ClientTls(), server.port());
  ASSERT_TRUE(loop_.RunUntil([&] { return server.first() && server.first()->status; }));
  EXPECT_EQ(*server.first()->status, UV_EPROTO);
  EXPECT_THAT(server.first()->detail, HasSubstr("certificate"));
  // TLS 1.3: the client may finish its side first; either way it learns of the refusal and
  // never receives application data.
  ASSERT_TRUE(loop_.RunUntil([&] { return c.status.value_or(0) != 0 || c.closed_reason; }));
  EXPECT_EQ(c.received, "");
  Finish(server);
}

TEST_F(StreamConnectionTest, ServerRequiringClientCertAcceptsOneFromItsCa) {
  Listener server(loop_.get(), ServerTls(pki_->server(), /*require_client_cert=*/true), true);
  TlsConfig cc;
  cc.cert_file = pki_->client().cert;
  cc.key_file = pki_->client().key;
  End& c = Connect(ClientTls(cc), server.port());
  ASSERT_EQ(c.conn->Write("submit_sm"), 0);
  ASSERT_TRUE(loop_.RunUntil([&] { return c.received.size() >= 9 || c.status.value_or(0) != 0; }));
  EXPECT_EQ(c.received, "submit_sm") << c.detail;
  EXPECT_EQ(server.first()->status.value_or(-1), 0);
  Finish(server);
}

TEST_F(StreamConnectionTest, PlaintextPeerNeverBecomesAPlaintextConnection) {
  // A plain SMPP-ish server that talks first: the TLS client must fail, not fall back.
  Listener server(loop_.get(), StreamOptions{}, false, "HELLO I AM A PLAINTEXT SMSC\r\n");
  End& c = Connect(ClientTls(), server.port());
  ASSERT_TRUE(loop_.RunUntil([&] { return c.status.has_value(); }));
  EXPECT_EQ(*c.status, UV_EPROTO);
  EXPECT_FALSE(c.detail.empty());
  EXPECT_EQ(c.received, "");
  EXPECT_FALSE(c.conn->connected());
  EXPECT_EQ(c.conn->Write("bind"), UV_ENOTCONN);
  Finish(server);
}

TEST_F(StreamConnectionTest, PlaintextClientToTlsServerFails) {
  Listener server(loop_.get(), ServerTls(), true);
  End& c = Connect(StreamOptions{}, server.port());
  ASSERT_TRUE(loop_.RunUntil([&] { return c.status.has_value(); }));
  ASSERT_EQ(c.conn->Write("bind_transmitter, in the clear\r\n"), 0);
  ASSERT_TRUE(loop_.RunUntil([&] { return server.first() && server.first()->status; }));
  EXPECT_EQ(*server.first()->status, UV_EPROTO);
  EXPECT_EQ(server.first()->received, "");
  Finish(server);
}

TEST_F(StreamConnectionTest, CloseWhileHandshakingLeavesNothingOpen) {
  // The server reads but never answers: the client is stuck in its handshake.
  Listener silent(loop_.get(), StreamOptions{}, /*echo=*/false);
  End& c = Connect(ClientTls(), silent.port());
  ASSERT_TRUE(loop_.RunUntil([&] { return silent.first() && !silent.first()->received.empty(); }));
  EXPECT_FALSE(c.status.has_value());
  ASSERT_EQ(c.conn->Write("queued during the handshake"), 0);
  bool closed = false;
  c.close_called = true;
  c.conn->Close([&] { closed = true; });
  ASSERT_TRUE(loop_.RunUntil([&] { return closed; }));
  EXPECT_FALSE(c.status.has_value());  // no callback after Close()
  Finish(silent);
}

TEST_F(StreamConnectionTest, CloseWhileConnectingLeavesNothingOpen) {
  Listener server(loop_.get(), ServerTls(), true);
  End& c = Connect(ClientTls(), server.port());
  c.Close();  // the TCP connect is still in flight
  Finish(server);
  EXPECT_FALSE(c.status.has_value());
}

TEST_F(StreamConnectionTest, HandshakeTimeout) {
  Listener silent(loop_.get(), StreamOptions{}, false);
  End& c = Connect(ClientTls(), silent.port(), "127.0.0.1", /*timeout_ms=*/100);
  ASSERT_TRUE(loop_.RunUntil([&] { return c.status.has_value(); }));
  EXPECT_EQ(*c.status, UV_ETIMEDOUT);
  EXPECT_THAT(c.detail, HasSubstr("TLS handshake"));
  Finish(silent);
}

TEST_F(StreamConnectionTest, ConnectionRefused) {
  int port;
  {
    Listener gone(loop_.get(), StreamOptions{}, false);
    port = gone.port();
    gone.Close();
    ASSERT_TRUE(loop_.RunUntil([] { return true; }));
  }
  uv_run(loop_.get(), UV_RUN_NOWAIT);
  client_.conn = std::make_unique<StreamConnection>(loop_.get(), ClientTls(), client_.Callbacks());
  ASSERT_EQ(client_.conn->Connect("127.0.0.1", port, 5000), 0);
  ASSERT_TRUE(loop_.RunUntil([&] { return client_.status.has_value(); }));
  EXPECT_EQ(*client_.status, UV_ECONNREFUSED);
  client_.Close();
  EXPECT_EQ(loop_.RunToCompletionAndClose(), 0);
}

TEST_F(StreamConnectionTest, QueueBoundRefusesWritesBeyondIt) {
  Listener server(loop_.get(), ServerTls(), true);
  StreamOptions o = ClientTls();
  o.max_queued_bytes = 1000;
  End& c = Connect(std::move(o), server.port());
  ASSERT_EQ(c.conn->Write(std::string(600, 'a')), 0);
  EXPECT_EQ(c.conn->queued_bytes(), 600u);
  EXPECT_EQ(c.conn->Write(std::string(600, 'b')), UV_ENOBUFS);
  EXPECT_EQ(c.conn->counters().writes_refused, 1u);
  ASSERT_EQ(c.conn->Write(std::string(400, 'c')), 0);
  ASSERT_TRUE(loop_.RunUntil([&] { return c.received.size() >= 1000; }));
  EXPECT_EQ(c.received, std::string(600, 'a') + std::string(400, 'c'));
  Finish(server);
}

TEST_F(StreamConnectionTest, PeerCloseNotifyEndsTheConnection) {
  Listener server(loop_.get(), ServerTls(), true);
  End& c = Connect(ClientTls(), server.port());
  ASSERT_TRUE(loop_.RunUntil([&] { return server.first() && server.first()->status; }));
  ASSERT_TRUE(loop_.RunUntil([&] { return c.status.has_value(); }));
  server.first()->Close();  // sends close_notify
  ASSERT_TRUE(loop_.RunUntil([&] { return c.closed_reason.has_value(); }));
  EXPECT_THAT(*c.closed_reason, HasSubstr("close_notify"));
  EXPECT_EQ(c.conn->Write("x"), UV_ENOTCONN);
  Finish(server);
}

// Shutdown(): what was queued arrives whole, then the peer sees the end of the stream (TLS:
// close_notify first); `done` runs once with 0; a second call and a call before the
// connection is up are refused.
void ShutdownDeliversEverythingThenEnds(sd::testing::UvTestLoop& loop, End& c, Listener& server,
                                        bool tls) {
  ASSERT_TRUE(loop.RunUntil([&] { return c.status && server.first() && server.first()->status; }));
  ASSERT_EQ(*c.status, 0) << c.detail;
  End& s = *server.first();
  std::string last(256 * 1024, 'a');
  for (size_t i = 0; i < last.size(); ++i) last[i] = static_cast<char>('a' + i % 26);
  ASSERT_EQ(s.conn->Write(last), 0);
  std::vector<int> done;
  ASSERT_EQ(s.conn->Shutdown([&](int st) { done.push_back(st); }), 0);
  EXPECT_EQ(s.conn->Shutdown([](int) {}), UV_EALREADY);
  ASSERT_TRUE(loop.RunUntil([&] { return c.closed_reason.has_value() && !done.empty(); }));
  EXPECT_EQ(c.received, last);
  EXPECT_THAT(*c.closed_reason, HasSubstr(tls ? "close_notify" : "peer closed"));
  EXPECT_EQ(done, std::vector<int>{0});
}

TEST_F(StreamConnectionTest, ShutdownOverTcpDeliversEverythingThenEnds) {
  Listener server(loop_.get(), StreamOptions{}, /*echo=*/false);
  End& c = Connect(StreamOptions{}, server.port());
  EXPECT_EQ(c.conn->Shutdown([](int) {}), UV_ENOTCONN);  // not connected yet
  ShutdownDeliversEverythingThenEnds(loop_, c, server, /*tls=*/false);
  Finish(server);
}

TEST_F(StreamConnectionTest, ShutdownOverTlsDeliversEverythingThenEnds) {
  Listener server(loop_.get(), ServerTls(), /*echo=*/false);
  End& c = Connect(ClientTls(), server.port());
  ShutdownDeliversEverythingThenEnds(loop_, c, server, /*tls=*/true);
  Finish(server);
}

TEST_F(StreamConnectionTest, DestroyingFromInsideACallbackIsSafe) {
  Listener server(loop_.get(), ServerTls(), true);
  bool destroyed = false;
  StreamCallbacks cb;
  cb.on_read = [&](std::string_view) {
    client_.conn.reset();  // implies Close()
    destroyed = true;
  };
  client_.conn = std::make_unique<StreamConnection>(loop_.get(), ClientTls(), cb);
  ASSERT_EQ(client_.conn->Connect("localhost", server.port(), 5000), 0);
  ASSERT_EQ(client_.conn->Write("ping"), 0);
  ASSERT_TRUE(loop_.RunUntil([&] { return destroyed; }));
  Finish(server);
}

TEST_F(StreamConnectionTest, PausedReadingHoldsDataUntilResumed) {
  Listener server(loop_.get(), ServerTls(), /*echo=*/false);
  End& c = Connect(ClientTls(), server.port());
  ASSERT_TRUE(loop_.RunUntil([&] { return c.status && server.first() && server.first()->status; }));
  ASSERT_EQ(*c.status, 0) << c.detail;
  c.conn->PauseReading();
  End& s = *server.first();
  ASSERT_EQ(s.conn->Write("deliver_sm"), 0);
  ASSERT_TRUE(loop_.RunUntil([&] { return s.writes_done > 0; }));
  EXPECT_EQ(s.last_queued, 0u);
  // A few more loop turns for the bytes to cross loopback: a paused reader must not see them.
  int turns = 0;
  ASSERT_TRUE(loop_.RunUntil([&] { return ++turns > 20; }));
  EXPECT_EQ(c.received, "");
  c.conn->ResumeReading();
  ASSERT_TRUE(loop_.RunUntil([&] { return c.received.size() >= 10; }));
  EXPECT_EQ(c.received, "deliver_sm");
  Finish(server);
}

TEST_F(StreamConnectionTest, ServerHandshakeTimeoutDropsSilentClients) {
  Listener server(loop_.get(), ServerTls(), true, "", /*handshake_timeout_ms=*/100);
  End& c = Connect(StreamOptions{}, server.port());  // plain TCP that never says a word
  ASSERT_TRUE(loop_.RunUntil([&] { return server.first() && server.first()->status; }));
  EXPECT_EQ(*server.first()->status, UV_ETIMEDOUT);
  EXPECT_THAT(server.first()->detail, HasSubstr("TLS handshake"));
  EXPECT_EQ(c.status.value_or(-1), 0);
  Finish(server);
}

TEST_F(StreamConnectionTest, SynchronousErrorsSayWhy) {
  StreamConnection wrong_role(loop_.get(), ServerTls(), {});
  EXPECT_EQ(wrong_role.Connect("127.0.0.1", 1, 1000), UV_EINVAL);
  EXPECT_THAT(wrong_role.last_error(), HasSubstr("client TLS context"));
  StreamConnection unresolvable(loop_.get(), ClientTls(), {});
  EXPECT_EQ(unresolvable.Connect("no-such-host.invalid", 2775, 1000), UV_EAI_NONAME);
  EXPECT_THAT(unresolvable.last_error(), HasSubstr("no-such-host.invalid"));
  StreamConnection idle(loop_.get(), StreamOptions{}, {});
  EXPECT_EQ(idle.Write("x"), UV_ENOTCONN);
  wrong_role.Close();
  unresolvable.Close();
  idle.Close();
  EXPECT_EQ(loop_.RunToCompletionAndClose(), 0);
}

}  // namespace
}  // namespace sd::net
