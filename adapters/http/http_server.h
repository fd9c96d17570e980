#pragma once
// A small HTTP/1.1 server on the daemon's libuv loop for the endpoints providers call (receipt
// and inbound webhooks): requests parsed by request_parser.h (http-parser), TLS through
// adapters/net (the memory-BIO engine), keep-alive, and hard limits on what a peer may make us
// hold: header bytes, body bytes, connections, the time a request may take to arrive, and idle
// keep-alive time. Every malformed or oversized request gets a clean 4xx and the connection
// is closed; nothing of it reaches the handler.
//
// One request per connection at a time: while the handler has not answered, the connection is
// not read further (pipelined requests wait in order). The handler answers through the
// Respond it is given, at any later time (e.g. once a receipt is durable on Redis); a Respond
// for a connection that has gone meanwhile does nothing.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "adapters/http/request_parser.h"
#include "adapters/net/tls_context.h"

namespace sd::http {

struct HttpServerOptions {
  std::string host = "127.0.0.1";  // an address, never a name: listeners bind what is configured
  int port = 0;                    // 0 = an ephemeral port (port() after Listen)
  std::shared_ptr<const net::TlsContext> tls;  // server context; null = plain HTTP
  size_t max_header_bytes = 16 * 1024;         // request line and header fields together
  size_t max_body_bytes = 64 * 1024;
  size_t max_connections = 256;
  int64_t handshake_timeout_ms = 5'000;
  int64_t request_timeout_ms = 10'000;  // first byte of a request to its last
  int64_t idle_timeout_ms = 30'000;     // keep-alive connection with no request under way
  int64_t tick_ms = 250;                // how often deadlines are checked
  // Each connection starts with a PROXY protocol v2 header from a load balancer (before TLS);
  // its address is HttpServerRequest::proxied_address. A connection without one is closed.
  bool proxy_protocol = false;
};

struct HttpServerResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type = "application/json";
};

struct HttpServerCounters {
  uint64_t connections = 0;  // accepted
  uint64_t refused_connections = 0;  // over max_connections
  uint64_t requests = 0;     // handed to the handler
  uint64_t bad_requests = 0;  // 400: malformed, upgrade, CONNECT
  uint64_t too_large = 0;    // 413 / 431
  uint64_t timeouts = 0;     // 408, or a TLS handshake that never finished
  template <typename F>
  void ForEach(F&& f) const {
    f("connections", connections);
    f("refused_connections", refused_connections);
    f("requests", requests);
    f("bad_requests", bad_requests);
    f("too_large", too_large);
    f("timeouts", timeouts);
  }
};

class HttpServer {
 public:
  using Respond = std::function<void(HttpServerResponse)>;
  using Handler = std::function<void(HttpServerRequest, Respond)>;

  HttpServer(uv_loop_t* loop, HttpServerOptions options, Handler handler);
  // Close() must have completed before destruction.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens. 0, or a libuv error (e.g. UV_EADDRINUSE) with error() saying what.
  [[nodiscard]] int Listen();
  int port() const { return bound_port_; }
  const std::string& error() const { return error_; }
  // Stops listening, closes every connection (answers not yet given are dropped: the peer
  // retries), then `done`.
  void Close(std::function<void()> done);

  size_t open_connections() const { return connections_.size(); }
  const HttpServerCounters& counters() const { return counters_; }

  struct Connection;  // http_server.cc

 private:
  friend struct Connection;
  void OnConnection();
  void OnTick();
  void Drop(uint64_t id);

  uv_loop_t* loop_;
  HttpServerOptions options_;
  Handler handler_;
  uv_tcp_t listener_;
  uv_timer_t tick_;
  bool listening_ = false;
  bool closing_ = false;
  int bound_port_ = 0;
  std::string error_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::shared_ptr<Connection>> connections_;
  // Dropped connections, freed on the next tick: a drop happens inside their own callbacks.
  std::vector<std::shared_ptr<Connection>> dying_;
  HttpServerCounters counters_;
};

}  // namespace sd::http
