// The HTTP client on a libuv loop against provider_server.py (Python's http.server, over TLS
// with certificates made at test time): connection reuse, limits, every transport failure
// mapped, TLS verified, and Close with requests in flight.
#include "adapters/http/curl_multi.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <optional>
#include <set>
#include <thread>

#include "tests/adapters/http/provider_server.h"
#include "tests/support/test_pki.h"
#include "tests/support/uv_test_loop.h"

namespace sd::http {
namespace {

using ::sd::testing::ProviderServer;

class CurlMultiTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (client_ == nullptr) return;
    bool closed = false;
    client_->Close([&] { closed = true; });
    EXPECT_TRUE(loop_.RunUntil([&] { return closed; }));
    EXPECT_EQ(loop_.RunToCompletionAndClose(std::chrono::seconds(5)), 0) << "a handle is open";
  }

  ProviderServer& Server(const std::string& cert = "", const std::string& key = "",
                         const std::string& client_ca = "") {
    server_.emplace(::sd::testing::ProviderServerOptions{
        cert.empty() ? pki_.server().cert : cert, key.empty() ? pki_.server().key : key,
        client_ca});
    EXPECT_TRUE(server_->ok()) << server_->Log();
    return *server_;
  }

  CurlMulti& Client(HttpClientOptions options = {}) {
    if (client_ != nullptr) {  // the previous one first (a test may try several settings)
      bool closed = false;
      client_->Close([&] { closed = true; });
      EXPECT_TRUE(loop_.RunUntil([&] { return closed; }));
    }
    if (options.ca_file.empty()) options.ca_file = pki_.ca();
    client_ = std::make_unique<CurlMulti>(loop_.get(), std::move(options));
    return *client_;
  }

  // Sends and runs the loop until the answer is in.
  HttpResponse Exchange(HttpRequest request) {
    std::optional<HttpResponse> got;
    EXPECT_TRUE(client_->Send(std::move(request), [&](HttpResponse r) { got = std::move(r); }));
    EXPECT_TRUE(loop_.RunUntil([&] { return got.has_value(); }));
    return got.value_or(HttpResponse{});
  }

  static HttpRequest Post(const std::string& url, std::string body = "To=%2B4915112345678") {
    HttpRequest r;
    r.url = url;
    r.body = std::move(body);
    r.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
    return r;
  }

  ::sd::testing::UvTestLoop loop_;
  ::sd::testing::TestPki pki_;
  std::optional<ProviderServer> server_;
  std::unique_ptr<CurlMulti> client_;
};

TEST_F(CurlMultiTest, SequentialRequestsReuseOneKeptAliveConnection) {
  ProviderServer& server = Server();
  Client();
  for (int i = 0; i < 5; ++i) {
    const HttpResponse r = Exchange(Post(server.Url("/ok")));
    ASSERT_EQ(r.error, TransportError::kNone) << r.error_text;
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "{\"sid\": \"SM" + std::to_string(i + 1) + "\"}");
    EXPECT_EQ(r.Header("content-type"), "application/json");
    EXPECT_EQ(r.reused_connection, i > 0) << i;
    EXPECT_EQ(r.http_version, 11);
  }
  EXPECT_EQ(client_->connections_opened(), 1u);
  std::set<int> ports;
  for (const auto& req : server.Requests()) ports.insert(req["peer_port"].get<int>());
  EXPECT_EQ(ports.size(), 1u);
}

TEST_F(CurlMultiTest, ConcurrentRequestsStayWithinTheConnectionLimit) {
  ProviderServer& server = Server();
  HttpClientOptions options;
  options.max_host_connections = 2;
  Client(options);
  int done = 0;
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(client_->Send(Post(server.Url("/slow/150")), [&](HttpResponse r) {
      EXPECT_EQ(r.status, 200) << r.error_text;
      ++done;
    }));
  }
  EXPECT_EQ(client_->in_flight(), 6u);
  ASSERT_TRUE(loop_.RunUntil([&] { return done == 6; }));
  std::set<int> ports;
  for (const auto& req : server.Requests()) ports.insert(req["peer_port"].get<int>());
  EXPECT_LE(ports.size(), 2u);
  EXPECT_EQ(server.Requests().size(), 6u);
}

TEST_F(CurlMultiTest, RequestsBeyondMaxInFlightWaitTheirTurnInOrder) {
  ProviderServer& server = Server();
  HttpClientOptions options;
  options.max_in_flight = 2;
  Client(options);
  std::vector<std::string> answered;
  for (int i = 0; i < 6; ++i) {
    HttpRequest r = Post(server.Url("/slow/100"), "n=" + std::to_string(i));
    ASSERT_TRUE(client_->Send(std::move(r), [&, i](HttpResponse a) {
      EXPECT_EQ(a.status, 200) << a.error_text;
      answered.push_back(std::to_string(i));
    }));
  }
  EXPECT_EQ(client_->in_flight(), 6u);
  ASSERT_TRUE(loop_.RunUntil([&] { return answered.size() == 6; }));
  EXPECT_EQ(client_->in_flight(), 0u);
  const auto requests = server.Requests();
  ASSERT_EQ(requests.size(), 6u);
  // Never more than two at the server: each request arrived after the one two before it was
  // answered (100 ms each).
  for (size_t i = 2; i < requests.size(); ++i) {
    EXPECT_GE(requests[i]["time"].get<double>() - requests[i - 2]["time"].get<double>(), 0.09)
        << i;
  }
  // Handed over in order: the server sees them in pairs (0 and 1, then 2 and 3, then 4 and 5),
  // in either order within a pair (two connections, a threaded server).
  for (size_t pair = 0; pair < 3; ++pair) {
    const std::set<std::string> got{requests[2 * pair]["body"], requests[2 * pair + 1]["body"]};
    const std::set<std::string> want{"n=" + std::to_string(2 * pair),
                                     "n=" + std::to_string(2 * pair + 1)};
    EXPECT_EQ(got, want) << "pair " << pair;
  }
}

// nghttpd (nghttp2's server, a peer we did not write) speaks HTTP/2 over TLS: concurrent
// requests share one connection as streams.
TEST_F(CurlMultiTest, ConcurrentRequestsToAnHttp2ServerAreStreamsOnOneConnection) {
  ASSERT_EQ(access("/usr/sbin/nghttpd", X_OK), 0) << "nghttpd missing: scripts/deps.sh test";
  const int port = ::sd::testing::PickFreeLoopbackPort();
  ::sd::testing::TempDir dir("sd-h2");
  ::sd::testing::Subprocess h2;
  ASSERT_TRUE(h2.Start({{"/usr/sbin/nghttpd", "--address=127.0.0.1", "--echo-upload",
                         "--htdocs=" + dir.path(), std::to_string(port), pki_.server().key,
                         pki_.server().cert},
                        dir.File("nghttpd.log"),
                        {},
                        {}}));
  Client();
  // Wait until it listens: a request that does not fail to connect.
  HttpResponse probe;
  for (int i = 0; i < 100; ++i) {
    probe = Exchange(Post("https://localhost:" + std::to_string(port) + "/echo", "probe"));
    if (probe.error != TransportError::kConnect) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(probe.error, TransportError::kNone) << probe.error_text;
  const uint64_t connections_before = client_->connections_opened();
  std::vector<HttpResponse> answers;
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(client_->Send(
        Post("https://localhost:" + std::to_string(port) + "/echo", "body-" + std::to_string(i)),
        [&](HttpResponse r) { answers.push_back(std::move(r)); }));
  }
  ASSERT_TRUE(loop_.RunUntil([&] { return answers.size() == 8; }));
  std::set<std::string> bodies;
  for (const HttpResponse& r : answers) {
    EXPECT_EQ(r.error, TransportError::kNone) << r.error_text;
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.http_version, 20);
    bodies.insert(r.body);
  }
  EXPECT_EQ(bodies.size(), 8u) << "each stream got its own answer";
  EXPECT_EQ(client_->connections_opened(), connections_before) << "no new connection";
}

TEST_F(CurlMultiTest, MethodHeadersAndBodyReachTheServerAsGiven) {
  ProviderServer& server = Server();
  Client();
  HttpRequest put = Post(server.Url("/ok"), "{\"to\":\"+4915112345678\"}");
  put.method = "PUT";
  put.headers = {{"Content-Type", "application/json"}, {"Idempotency-Key", "job-1"}};
  ASSERT_EQ(Exchange(put).status, 200);
  const auto requests = server.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0]["method"], "PUT");
  EXPECT_EQ(requests[0]["path"], "/ok");
  EXPECT_EQ(requests[0]["headers"]["idempotency-key"], "job-1");
  EXPECT_EQ(requests[0]["headers"]["content-type"], "application/json");
  EXPECT_FALSE(requests[0]["headers"].contains("expect"));
  EXPECT_EQ(requests[0]["body"], "{\"to\":\"+4915112345678\"}");
}

TEST_F(CurlMultiTest, StatusAndRetryAfterComeBackAsSent) {
  ProviderServer& server = Server();
  Client();
  const HttpResponse r = Exchange(Post(server.Url("/status/429?retry_after=7")));
  EXPECT_EQ(r.error, TransportError::kNone);
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.Header("retry-after"), "7");
  EXPECT_FALSE(r.HasHeader("x-not-sent"));
}

TEST_F(CurlMultiTest, CertificatesFromAnotherCaExpiredOrForAnotherNameAreRefusedBeforeSending) {
  {
    ProviderServer& server = Server(pki_.other_server().cert, pki_.other_server().key);
    Client();
    const HttpResponse r = Exchange(Post(server.Url("/ok")));
    EXPECT_EQ(r.error, TransportError::kTls) << r.error_text;
    EXPECT_TRUE(server.Requests().empty());
  }
  {
    ProviderServer& server = Server(pki_.expired().cert, pki_.expired().key);
    Client();
    const HttpResponse r = Exchange(Post(server.Url("/ok")));
    EXPECT_EQ(r.error, TransportError::kTls) << r.error_text;
    EXPECT_TRUE(server.Requests().empty());
  }
  {
    ProviderServer& server = Server();
    HttpClientOptions options;
    options.connect_to = "127.0.0.1:" + std::to_string(server.port());
    Client(options);
    // The right server and CA, but the URL names a host the certificate is not for.
    const HttpResponse r =
        Exchange(Post("https://sms.example.net:" + std::to_string(server.port()) + "/ok"));
    EXPECT_EQ(r.error, TransportError::kTls) << r.error_text;
    EXPECT_TRUE(server.Requests().empty());
  }
}

TEST_F(CurlMultiTest, ClientCertificateWhenTheServerAsksForOne) {
  ProviderServer& server = Server("", "", pki_.ca());
  HttpClientOptions options;
  options.client_cert_file = pki_.client().cert;
  options.client_key_file = pki_.client().key;
  Client(options);
  const HttpResponse r = Exchange(Post(server.Url("/ok")));
  EXPECT_EQ(r.error, TransportError::kNone) << r.error_text;
  EXPECT_EQ(r.status, 200);
}

TEST_F(CurlMultiTest, WithoutTheClientCertificateTheServerNeverSeesTheRequest) {
  ProviderServer& server = Server("", "", pki_.ca());
  Client();
  const HttpResponse r = Exchange(Post(server.Url("/ok")));
  EXPECT_NE(r.error, TransportError::kNone);
  EXPECT_TRUE(server.Requests().empty());
}

TEST_F(CurlMultiTest, ATimeoutIsReportedAsMaybeSent) {
  ProviderServer& server = Server();
  Client();
  HttpRequest slow = Post(server.Url("/slow/3000"));
  slow.total_timeout_ms = 300;
  const HttpResponse r = Exchange(slow);
  EXPECT_EQ(r.error, TransportError::kTimeout) << r.error_text;
  EXPECT_EQ(server.Requests().size(), 1u) << "the provider got it: the answer was lost";
}

TEST_F(CurlMultiTest, ARefusedConnectionAndADroppedOneAreTransportErrors) {
  Client();
  const int closed_port = ::sd::testing::PickFreeLoopbackPort();
  HttpResponse r = Exchange(Post("https://localhost:" + std::to_string(closed_port) + "/ok"));
  EXPECT_EQ(r.error, TransportError::kConnect) << r.error_text;
  ProviderServer& server = Server();
  r = Exchange(Post(server.Url("/drop")));
  EXPECT_EQ(r.error, TransportError::kReceive) << r.error_text;
  EXPECT_EQ(server.Requests().size(), 1u);
}

TEST_F(CurlMultiTest, AResponseLargerThanTheBoundFailsTheRequest) {
  ProviderServer& server = Server();
  HttpClientOptions options;
  options.max_response_bytes = 1000;
  Client(options);
  EXPECT_EQ(Exchange(Post(server.Url("/big/1000"))).status, 200);
  const HttpResponse r = Exchange(Post(server.Url("/big/100000")));
  EXPECT_EQ(r.error, TransportError::kTooLarge) << r.error_text;
  EXPECT_LE(r.body.size(), 1000u);
}

TEST_F(CurlMultiTest, CloseWithRequestsInFlightRunsNoCallbackAndClosesEverything) {
  ProviderServer& server = Server();
  Client();
  bool called = false;
  ASSERT_TRUE(client_->Send(Post(server.Url("/slow/2000")), [&](HttpResponse) { called = true; }));
  ASSERT_TRUE(loop_.RunUntil([&] { return !server.Requests().empty(); }));
  bool closed = false;
  client_->Close([&] { closed = true; });
  EXPECT_FALSE(client_->Send(Post(server.Url("/ok")), [&](HttpResponse) { called = true; }));
  ASSERT_TRUE(loop_.RunUntil([&] { return closed; }));
  EXPECT_FALSE(called);
  EXPECT_EQ(loop_.RunToCompletionAndClose(std::chrono::seconds(5)), 0);
  client_.reset();
}

}  // namespace
}  // namespace sd::http
