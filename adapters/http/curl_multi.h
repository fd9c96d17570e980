#pragma once
// HTTP client on the daemon's libuv loop: libcurl's multi-socket API driven by uv_poll (one
// per socket libcurl asks about) and one uv_timer (libcurl's timeout), so no thread and no
// blocking call. Connections are kept alive and reused; HTTP/2 is negotiated over TLS (ALPN)
// and its streams multiplexed when the server offers it. TLS is always verified (peer and
// host name), at least TLS 1.2.
#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "adapters/http/http_exchange.h"
#include "adapters/loop/uv_kit.h"

namespace sd::http {

namespace detail {
struct CurlTransfer;  // one request in flight (curl_multi.cc)
struct CurlSocket;    // one socket libcurl asked us to watch (curl_multi.cc)
}  // namespace detail

struct HttpClientOptions {
  // Connections per host and in all; 0 = libcurl's default (no limit per host). Requests over
  // the limit wait inside libcurl for a connection (or an HTTP/2 stream) to come free.
  long max_host_connections = 0;   // NOLINT(google-runtime-int): libcurl's type
  long max_total_connections = 0;  // NOLINT(google-runtime-int)
  bool http2 = true;               // offer h2 over TLS; HTTP/1.1 otherwise
  std::string ca_file;             // "" = the system's CA store
  std::string client_cert_file;    // PEM; with client_key_file, for mutual TLS
  std::string client_key_file;
  size_t max_response_bytes = 64 * 1024;  // a larger body fails the request (kTooLarge)
  size_t max_response_headers = 100;
  // Requests handed to libcurl at once; more wait in order here and are handed over as earlier
  // ones finish (their timeouts start then). libcurl's removal of a finished request walks its
  // pending ones, so tens of thousands queued inside it cost quadratic time.
  size_t max_in_flight = 512;
  // Test hook: connect every request's host:port here instead (like curl --connect-to), e.g.
  // "127.0.0.1:8443", so a certificate for a host name can be tested without DNS.
  std::string connect_to;
};

class CurlMulti {
 public:
  CurlMulti(uv_loop_t* loop, HttpClientOptions options);
  // Close() must have completed before destruction.
  ~CurlMulti();
  CurlMulti(const CurlMulti&) = delete;
  CurlMulti& operator=(const CurlMulti&) = delete;

  using Done = std::function<void(HttpResponse)>;
  // Starts the request; `done` runs exactly once, on a later loop turn, unless Close() ran
  // first (then never: the owner is going away). False if the request could not be set up
  // (closed, or libcurl refused an option); `done` is then dropped.
  bool Send(HttpRequest request, Done done);
  // Aborts what is in flight (their callbacks never run), closes every handle; `done` once
  // they are closed.
  void Close(std::function<void()> done);

  // Requests sent or waiting to be (Send called, `done` not yet run).
  size_t in_flight() const { return transfers_.size() + waiting_.size(); }
  // Connections libcurl opened so far (to tell reuse from a new connection in tests/stats).
  uint64_t connections_opened() const { return connections_opened_; }

  // libcurl's and libuv's callbacks (curl_multi.cc), public only so they can be plain functions.
  void OnSocketEvent(int fd, int curl_select_flags);
  void OnTimeout();
  void Watch(int fd, int curl_what, detail::CurlSocket* known);
  void ArmTimer(long timeout_ms);  // NOLINT(google-runtime-int): libcurl's type

 private:
  void Collect();  // finished transfers: their callbacks
  void Finish(detail::CurlTransfer* t, int curl_code);
  // To libcurl; false (and `t` still owns the request) if it refused.
  bool Add(std::unique_ptr<detail::CurlTransfer>& t);

  uv_loop_t* loop_;
  HttpClientOptions options_;
  void* multi_;  // CURLM*
  uv_timer_t timer_;
  std::unordered_map<detail::CurlTransfer*, std::unique_ptr<detail::CurlTransfer>> transfers_;
  std::unordered_set<detail::CurlSocket*> sockets_;
  std::deque<std::unique_ptr<detail::CurlTransfer>> waiting_;  // beyond max_in_flight
  uint64_t connections_opened_ = 0;
  bool closing_ = false;
};

}  // namespace sd::http
