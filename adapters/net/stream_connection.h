#pragma once
// One TCP connection with optional TLS, for every hop that leaves the host. The only file
// in adapters/net that knows about uv_tcp_t; TLS itself is the socket-free TlsEngine.
//
// Contract, as cases:
// - Connect()/Accept() return a libuv error (and then no callback ever fires for it) or 0.
//   After 0, on_connected fires exactly once: status 0 when the stream is usable (for TLS:
//   after the handshake, with the peer verified), else a negative libuv code (UV_ETIMEDOUT,
//   UV_ECONNREFUSED, UV_EPROTO for every TLS failure) with a detail naming the reason.
// - A connection given a TLS context speaks only TLS: a plaintext peer or a failed
//   handshake ends it, it never falls back.
// - on_read delivers plaintext only after on_connected(0). on_closed fires at most once,
//   only after on_connected(0), when the peer or the network ends the connection.
// - Close() may be called at any time, also from inside a callback; no on_* callback fires
//   after it returns. Its own `closed` argument runs once, from the last libuv close
//   callback, when every handle is freed (the loop may then be closed). Destroying the
//   object implies Close(). Every connection must be closed (or destroyed), also after a
//   failure.
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "adapters/net/tls_context.h"

namespace sd::net {

struct StreamOptions {
  // Null: plain TCP. Otherwise the connection is TLS in the context's role (client contexts
  // for Connect, server contexts for Accept).
  std::shared_ptr<const TlsContext> tls;
  // Client TLS: the name the server's certificate must carry and the SNI; empty = the host
  // given to Connect().
  std::string server_name;
  // Upper bound on bytes accepted by Write() and not yet handed to the kernel: a peer that
  // stops reading cannot make us buffer without limit. 16 MiB = thousands of SMPP windows.
  size_t max_queued_bytes = 16 * 1024 * 1024;
  // One read's worth: 64 KiB holds one maximal SMPP PDU.
  size_t read_buffer_bytes = 64 * 1024;
  // Accepted connections: the peer (a load balancer) first sends a PROXY protocol v2 header
  // (proxy_header.h), before TLS; a connection without a valid one is closed. Its source
  // address is proxied_address(); whether to believe it is the caller's decision.
  bool proxy_header = false;
};

struct StreamCallbacks {
  std::function<void(int status, const std::string& detail)> on_connected;
  std::function<void(std::string_view plaintext)> on_read;
  std::function<void(const std::string& reason)> on_closed;
  // Optional: a write reached the kernel; `queued_bytes` is what is still waiting. With
  // PauseReading() this is backpressure: stop reading from a peer that does not read our
  // answers, resume once they drain (the simulator's kMaxWriteQueue rule).
  std::function<void(size_t queued_bytes)> on_written;
};

struct StreamCounters {
  uint64_t bytes_written = 0;   // plaintext accepted by Write()
  uint64_t bytes_read = 0;      // plaintext delivered to on_read
  uint64_t writes_refused = 0;  // Write() calls refused for the queue bound
};

class StreamConnection {
 public:
  StreamConnection(uv_loop_t* loop, StreamOptions options, StreamCallbacks callbacks);
  ~StreamConnection();  // Close() without a completion
  StreamConnection(const StreamConnection&) = delete;
  StreamConnection& operator=(const StreamConnection&) = delete;

  // Client: resolves `host` (synchronously: carrier hosts are configured addresses or names
  // in /etc/hosts, and numeric addresses never touch DNS), connects, and for TLS completes
  // the handshake, all within `timeout_ms`. Call at most once.
  [[nodiscard]] int Connect(const std::string& host, int port, int64_t timeout_ms);
  // Server: accepts one pending connection from `server` (call from its connection
  // callback); for TLS, the handshake must finish within `timeout_ms`. Call at most once.
  [[nodiscard]] int Accept(uv_stream_t* server, int64_t timeout_ms);

  // Queues bytes to send, in order. Before on_connected(0) they wait and go out right after
  // the handshake. Each call is one write to the socket: coalescing is the caller's job.
  // Returns 0; UV_ENOBUFS when queued_bytes() + size would exceed max_queued_bytes (nothing
  // is queued); UV_ENOTCONN after the connection failed or was closed.
  [[nodiscard]] int Write(std::string_view bytes);

  // Half-close, for a server that hangs up after its last answer: once every byte queued so
  // far has reached the kernel, tells the peer nothing more comes (TLS: close_notify, then a
  // TCP FIN) while reading goes on. The FIN leaves before the socket is closed, so input
  // that arrives meanwhile cannot turn the hang-up into a reset that costs the peer unread
  // answers. `done` runs once, from the loop, with 0 or a libuv error, unless Close() comes
  // first. Returns 0, UV_ENOTCONN unless connected, UV_EALREADY on a second call.
  [[nodiscard]] int Shutdown(std::function<void(int status)> done);

  // Ends the connection: sends a TLS close_notify when a session is up (best effort, never
  // waits), drops unsent bytes, closes the handles. See the contract above. Only the first
  // call counts: a later one is a no-op and its `closed` never runs.
  void Close(std::function<void()> closed = nullptr);

  // Stops / restarts reading from the socket (no on_read meanwhile). Meant for use after
  // on_connected(0); pausing during a TLS handshake stalls it until resumed.
  void PauseReading();
  void ResumeReading();

  bool connected() const;
  // Bytes accepted by Write() and not yet taken by the kernel (ciphertext once encrypted).
  size_t queued_bytes() const;
  // Accepted connections: the peer's IP address as text ("127.0.0.1", "::1"), what an
  // address allowlist is checked against. Clients: "host:port". Empty before Accept/Connect.
  std::string peer_address() const;
  // "TLSv1.3" etc. once connected over TLS, empty for plain TCP.
  std::string tls_protocol() const;
  // The TLS peer's certificate fingerprint (TlsEngine::peer_cert_sha256), "" without one.
  std::string tls_peer_cert_sha256() const;
  // With StreamOptions::proxy_header: the client address the PROXY header named ("" for a
  // LOCAL header or before it was read).
  std::string proxied_address() const;
  StreamCounters counters() const;
  // Why the last Connect()/Accept() returned an error, in words (e.g. the server name a TLS
  // client cannot use); empty otherwise.
  const std::string& last_error() const { return last_error_; }

 private:
  struct Impl;
  // Owns the libuv handles and is freed from their close callbacks, so it can outlive this
  // object; it sets impl_ to null (after copying counters_ here) when it goes first.
  Impl* impl_;
  StreamCounters final_counters_;
  std::string last_error_;
};

}  // namespace sd::net
