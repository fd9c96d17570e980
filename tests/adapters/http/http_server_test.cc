// The webhook listener's HTTP server: real requests over TLS from libcurl (CurlMulti), raw
// bytes over plain TCP for what a well-behaved client never sends, and every limit.
#include "adapters/http/http_server.h"

#include <gtest/gtest.h>

#include <optional>

#include "adapters/http/curl_multi.h"
#include "adapters/net/stream_connection.h"
#include "tests/support/test_pki.h"
#include "tests/support/uv_test_loop.h"

namespace sd::http {
namespace {

// Raw bytes to the server and everything it answers until it hangs up.
class RawClient {
 public:
  RawClient(uv_loop_t* loop, int port) {
    net::StreamCallbacks cb;
    cb.on_connected = [this](int status, const std::string&) { connected = status == 0; };
    cb.on_read = [this](std::string_view b) { received.append(b); };
    cb.on_closed = [this](const std::string&) { closed = true; };
    stream_ = std::make_unique<net::StreamConnection>(loop, net::StreamOptions{}, std::move(cb));
    EXPECT_EQ(stream_->Connect("127.0.0.1", port, 2000), 0);
  }
  void Send(const std::string& bytes) { EXPECT_EQ(stream_->Write(bytes), 0); }
  void Close() { stream_->Close(); }

  bool connected = false;
  bool closed = false;
  std::string received;

 private:
  std::unique_ptr<net::StreamConnection> stream_;
};

class HttpServerTest : public ::testing::Test {
 protected:
  void TearDown() override {
    raw_.clear();
    if (client_) {
      bool c = false;
      client_->Close([&] { c = true; });
      EXPECT_TRUE(loop_.RunUntil([&] { return c; }));
    }
    if (server_) {
      bool c = false;
      server_->Close([&] { c = true; });
      EXPECT_TRUE(loop_.RunUntil([&] { return c; }));
    }
    EXPECT_EQ(loop_.RunToCompletionAndClose(std::chrono::seconds(5)), 0) << "a handle is open";
  }

  // A server answering every request with 200 and "<method> <target> <body>" unless the
  // test's handler is set.
  HttpServer& Serve(HttpServerOptions o = {}, bool tls = false) {
    if (tls) {
      net::TlsConfig tc;
      tc.role = net::TlsRole::kServer;
      tc.cert_file = pki_.server().cert;
      tc.key_file = pki_.server().key;
      o.tls = net::TlsContext::Create(tc).value();
    }
    o.tick_ms = 20;
    server_ = std::make_unique<HttpServer>(loop_.get(), o, [this](HttpServerRequest r,
                                                                  HttpServer::Respond respond) {
      seen_.push_back(r);
      if (hold_) {
        held_.push_back(std::move(respond));
        return;
      }
      HttpServerResponse a;
      a.body = r.method + " " + r.target + " " + r.body;
      a.content_type = "text/plain";
      respond(std::move(a));
    });
    EXPECT_EQ(server_->Listen(), 0) << server_->error();
    return *server_;
  }

  HttpResponse Fetch(HttpRequest req) {
    if (!client_) {
      HttpClientOptions co;
      co.ca_file = pki_.ca();
      client_ = std::make_unique<CurlMulti>(loop_.get(), co);
    }
    std::optional<HttpResponse> got;
    EXPECT_TRUE(client_->Send(std::move(req), [&](HttpResponse r) { got = std::move(r); }));
    EXPECT_TRUE(loop_.RunUntil([&] { return got.has_value(); }));
    return got.value_or(HttpResponse{});
  }

  RawClient& Raw() {
    raw_.push_back(std::make_unique<RawClient>(loop_.get(), server_->port()));
    return *raw_.back();
  }
  // Sends `bytes` on a new connection and returns what came back before the server hung up.
  std::string RawExchange(const std::string& bytes) {
    RawClient& c = Raw();
    c.Send(bytes);
    EXPECT_TRUE(loop_.RunUntil([&] { return c.closed; }, std::chrono::seconds(5)));
    return c.received;
  }

  ::sd::testing::UvTestLoop loop_;
  ::sd::testing::TestPki pki_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<CurlMulti> client_;
  std::vector<std::unique_ptr<RawClient>> raw_;
  std::vector<HttpServerRequest> seen_;
  bool hold_ = false;
  std::vector<HttpServer::Respond> held_;
};

TEST_F(HttpServerTest, RequestsOverTlsOnOneKeptAliveConnection) {
  Serve({}, /*tls=*/true);
  HttpRequest req;
  req.url = "https://localhost:" + std::to_string(server_->port()) + "/v1/receipts/rest?x=1";
  req.body = "MessageSid=SM1&MessageStatus=delivered";
  req.headers = {{"X-Twilio-Signature", "abc"}};
  for (int i = 0; i < 3; ++i) {
    const HttpResponse r = Fetch(req);
    ASSERT_EQ(r.error, TransportError::kNone) << r.error_text;
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "POST /v1/receipts/rest?x=1 MessageSid=SM1&MessageStatus=delivered");
  }
  EXPECT_EQ(client_->connections_opened(), 1u);
  ASSERT_EQ(seen_.size(), 3u);
  EXPECT_EQ(seen_[0].Path(), "/v1/receipts/rest");
  EXPECT_EQ(seen_[0].Header("x-twilio-signature"), "abc");
  EXPECT_EQ(seen_[0].peer_address, "127.0.0.1");
  EXPECT_TRUE(seen_[0].tls);
}

TEST_F(HttpServerTest, ALateAnswerIsDeliveredAndPipelinedRequestsWaitTheirTurn) {
  Serve();
  hold_ = true;
  RawClient& c = Raw();
  c.Send("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nA"
         "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nB");
  ASSERT_TRUE(loop_.RunUntil([&] { return held_.size() == 1; }));
  loop_.RunUntil([] { return false; }, std::chrono::milliseconds(100));
  EXPECT_EQ(held_.size(), 1u) << "the second waits until the first is answered";
  HttpServerResponse first;
  first.body = "one";
  held_[0](first);
  ASSERT_TRUE(loop_.RunUntil([&] { return held_.size() == 2; }));
  EXPECT_EQ(seen_[1].target, "/b");
  HttpServerResponse second;
  second.status = 503;
  held_[1](second);
  ASSERT_TRUE(loop_.RunUntil([&] { return c.received.find("503") != std::string::npos; }));
  EXPECT_LT(c.received.find("one"), c.received.find("503 Service Unavailable"));
}

TEST_F(HttpServerTest, OversizedOrMalformedRequestsGetA4xxAndNeverReachTheHandler) {
  HttpServerOptions o;
  o.max_body_bytes = 100;
  o.max_header_bytes = 1024;
  Serve(o);
  EXPECT_EQ(RawExchange("POST / HTTP/1.1\r\nContent-Length: 101\r\n\r\n").rfind(
                "HTTP/1.1 413 Payload Too Large\r\n", 0),
            0u);
  EXPECT_EQ(RawExchange("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "40\r\n" + std::string(64, 'a') + "\r\n40\r\n" + std::string(64, 'a') +
                        "\r\n0\r\n\r\n")
                .rfind("HTTP/1.1 413", 0),
            0u);
  EXPECT_EQ(RawExchange("GET / HTTP/1.1\r\nX-Big: " + std::string(2000, 'h') + "\r\n\r\n")
                .rfind("HTTP/1.1 431 Request Header Fields Too Large\r\n", 0),
            0u);
  EXPECT_EQ(RawExchange("NOT HTTP AT ALL\r\n\r\n").rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u);
  EXPECT_EQ(RawExchange("GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
                .rfind("HTTP/1.1 400", 0),
            0u);
  EXPECT_TRUE(seen_.empty());
  EXPECT_EQ(server_->counters().too_large, 3u);
  EXPECT_EQ(server_->counters().bad_requests, 2u);
}

TEST_F(HttpServerTest, ARequestThatTakesTooLongGets408AndAnIdleConnectionIsClosed) {
  HttpServerOptions o;
  o.request_timeout_ms = 200;
  o.idle_timeout_ms = 300;
  Serve(o);
  RawClient& slow = Raw();
  slow.Send("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc");
  ASSERT_TRUE(loop_.RunUntil([&] { return slow.closed; }, std::chrono::seconds(3)));
  EXPECT_EQ(slow.received.rfind("HTTP/1.1 408 Request Timeout\r\n", 0), 0u);
  RawClient& idle = Raw();
  ASSERT_TRUE(loop_.RunUntil([&] { return idle.closed; }, std::chrono::seconds(3)));
  EXPECT_TRUE(idle.received.empty());
  EXPECT_TRUE(seen_.empty());
}

TEST_F(HttpServerTest, ConnectionsOverTheLimitAreClosedAtOnce) {
  HttpServerOptions o;
  o.max_connections = 2;
  Serve(o);
  RawClient& a = Raw();
  RawClient& b = Raw();
  ASSERT_TRUE(loop_.RunUntil([&] { return server_->open_connections() == 2; }));
  RawClient& c = Raw();
  ASSERT_TRUE(loop_.RunUntil([&] { return c.closed; }, std::chrono::seconds(3)));
  EXPECT_FALSE(a.closed);
  EXPECT_FALSE(b.closed);
  EXPECT_EQ(server_->counters().refused_connections, 1u);
}

TEST_F(HttpServerTest, AnAnswerForAPeerThatLeftAndCloseWithRequestsHeldAreHarmless) {
  Serve();
  hold_ = true;
  RawClient& c = Raw();
  c.Send("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(loop_.RunUntil([&] { return held_.size() == 1; }));
  c.Close();
  ASSERT_TRUE(loop_.RunUntil([&] { return server_->open_connections() == 0; }));
  held_[0](HttpServerResponse{});  // the connection is gone: nothing happens
  RawClient& d = Raw();
  d.Send("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(loop_.RunUntil([&] { return held_.size() == 2; }));
  // TearDown closes the server with this request unanswered, then answers nothing.
}

TEST_F(HttpServerTest, APlaintextClientOfATlsListenerNeverReachesTheHandler) {
  Serve({}, /*tls=*/true);
  RawClient& c = Raw();
  c.Send("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(loop_.RunUntil([&] { return c.closed; }, std::chrono::seconds(6)));
  EXPECT_TRUE(seen_.empty());
}

}  // namespace
}  // namespace sd::http
