#include "adapters/net/stream_connection.h"

#include <netdb.h>

#include <string>
#include <utility>
#include <vector>

#include "adapters/loop/uv_kit.h"
#include "adapters/net/proxy_header.h"
#include "adapters/net/tls_engine.h"

namespace sd::net {

using loop::AsHandle;

struct StreamConnection::Impl {
  enum class Phase {
    kIdle,         // neither Connect() nor Accept() yet
    kConnecting,   // TCP connect in flight
    kHandshaking,  // TCP up, TLS handshake in flight
    kConnected,    // usable (plain accepted: on_connected may still be due, see reported)
    kDead,         // failed, ended by the peer, or closed: no more I/O, waits for Close()
  };

  struct WriteReq {
    uv_write_t req;  // the callback gets this back
    std::string data;
    Impl* impl;
  };

  uv_loop_t* loop;
  StreamOptions options;
  StreamCallbacks callbacks;  // kept until the Impl dies; `closing` gates every call
  StreamConnection* owner;    // null once the owner is gone
  uv_tcp_t tcp;
  uv_timer_t timer;  // connect + handshake deadline; a 0 ms turn for plain accepts
  uv_connect_t connect_req;
  bool tcp_initialized = false;
  int open_handles = 0;  // the Impl is freed when the last one's close callback ran
  bool closing = false;  // Close() was called: no callback fires any more
  bool paused = false;   // PauseReading(): the socket is not read until ResumeReading()
  std::function<void()> closed_done;
  Phase phase = Phase::kIdle;
  bool reported = false;  // on_connected has fired
  std::string peer;       // "host:port" for messages
  int64_t timeout_ms = 0;
  std::unique_ptr<TlsEngine> tls;
  std::string pending_plain;  // plain TCP: Write() before the connect completed
  size_t inflight_bytes = 0;  // in uv_write requests whose callback has not run
  // Shutdown(): the half-close, issued after the queued writes, and its completion.
  uv_shutdown_t shutdown_req;
  bool shutdown_started = false;
  std::function<void(int)> shutdown_done;
  std::vector<char> read_buf;
  StreamCounters counters;
  bool proxy_pending = false;  // StreamOptions::proxy_header and the header not read yet
  std::string proxy_buf;       // its bytes so far
  std::string proxied;         // the address it named

  Impl(uv_loop_t* l, StreamOptions o, StreamCallbacks c, StreamConnection* own)
      : loop(l), options(std::move(o)), callbacks(std::move(c)), owner(own) {
    uv_timer_init(loop, &timer);
    timer.data = this;
    open_handles = 1;
  }

  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&tcp); }

  void InitTcp() {
    uv_tcp_init(loop, &tcp);
    tcp.data = this;
    tcp_initialized = true;
    ++open_handles;
    read_buf.resize(options.read_buffer_bytes);
  }

  size_t Queued() const {
    return inflight_bytes + (tls ? tls->pending_plaintext() : pending_plain.size());
  }

  bool Reading() const { return phase == Phase::kHandshaking || phase == Phase::kConnected; }

  int StartReading() {
    if (paused) return 0;
    return uv_read_start(
        stream(),
        [](uv_handle_t* h, size_t, uv_buf_t* buf) {
          auto* self = static_cast<Impl*>(h->data);
          *buf = uv_buf_init(self->read_buf.data(), static_cast<unsigned>(self->read_buf.size()));
        },
        [](uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
          static_cast<Impl*>(s->data)->OnRead(nread, buf);
        });
  }

  void StartTimer(int64_t ms) {
    uv_timer_start(
        &timer, [](uv_timer_t* t) { static_cast<Impl*>(t->data)->OnTimer(); },
        static_cast<uint64_t>(ms), 0);
  }

  void OnConnect(int status) {
    if (closing || phase != Phase::kConnecting) return;  // UV_ECANCELED after Close()
    if (status != 0) {
      Fail(status, "connect to " + peer + " failed: " + uv_strerror(status), true);
      return;
    }
    uv_tcp_nodelay(&tcp, 1);
    if (const int rc = StartReading(); rc != 0) {
      Fail(rc, std::string("read: ") + uv_strerror(rc), true);
      return;
    }
    if (tls) {
      phase = Phase::kHandshaking;
      FlushCiphertext();  // the ClientHello (and nothing else until the handshake is done)
      return;
    }
    phase = Phase::kConnected;
    if (!pending_plain.empty()) WriteRaw(std::exchange(pending_plain, std::string()), true);
    if (phase == Phase::kConnected) ReportConnected();
  }

  void ReportConnected() {
    uv_timer_stop(&timer);
    reported = true;
    if (!closing && callbacks.on_connected) callbacks.on_connected(0, "");
  }

  void OnTimer() {
    if (closing) return;
    if (phase == Phase::kConnected && !reported) {
      ReportConnected();  // plain accepted connection: reported from a loop turn, not Accept
      return;
    }
    const std::string what =
        phase == Phase::kConnecting ? "connect to " + peer : "TLS handshake with " + peer;
    Fail(UV_ETIMEDOUT, what + " timed out after " + std::to_string(timeout_ms) + " ms", true);
  }

  void OnRead(ssize_t nread, const uv_buf_t* buf) {
    if (closing || phase == Phase::kDead || nread == 0) return;
    if (phase == Phase::kConnected && !reported) ReportConnected();
    if (closing) return;
    if (nread < 0) {
      std::string reason;
      if (nread != UV_EOF) {
        reason = std::string("read: ") + uv_strerror(static_cast<int>(nread));
      } else if (phase == Phase::kHandshaking) {
        reason = "peer closed the connection during the TLS handshake";
      } else if (tls) {
        // Without close_notify the stream may have been cut by someone other than the peer.
        reason = "peer closed the connection without TLS close_notify";
      } else {
        reason = "peer closed the connection";
      }
      Fail(static_cast<int>(nread), reason, true);
      return;
    }
    std::string_view bytes(buf->base, static_cast<size_t>(nread));
    std::string after_header;
    if (proxy_pending) {
      if (!TakeProxyHeader(bytes, &after_header)) return;
      bytes = after_header;
      if (bytes.empty()) return;
    }
    if (!tls) {
      counters.bytes_read += bytes.size();
      if (callbacks.on_read) callbacks.on_read(bytes);
      return;
    }
    const bool ok = tls->OnCiphertext(bytes);
    FlushCiphertext();  // handshake messages, buffered application data, or an alert
    if (closing || phase == Phase::kDead) return;
    if (!ok) {
      Fail(UV_EPROTO, tls->error(), true);
      return;
    }
    if (phase == Phase::kHandshaking && tls->established()) {
      phase = Phase::kConnected;
      ReportConnected();
      if (closing) return;
    }
    if (tls->HasPlaintext()) {
      const std::string plain = tls->TakePlaintext();
      counters.bytes_read += plain.size();
      if (callbacks.on_read) callbacks.on_read(plain);
      if (closing) return;
    }
    if (tls->peer_closed()) Fail(UV_EOF, "peer closed the TLS session (close_notify)", true);
  }

  // The PROXY header before anything else: false while it is incomplete or when it is invalid
  // (the connection then fails); true with what followed it in `rest`.
  bool TakeProxyHeader(std::string_view bytes, std::string* rest) {
    proxy_buf.append(bytes);
    const ProxyHeader h = ParseProxyV2(proxy_buf);
    if (h.status == ProxyHeader::Status::kNeedMore) return false;
    if (h.status == ProxyHeader::Status::kInvalid) {
      Fail(UV_EPROTO, h.problem, true);
      return false;
    }
    proxy_pending = false;
    proxied = h.source_address;
    *rest = proxy_buf.substr(h.consumed);
    proxy_buf.clear();
    proxy_buf.shrink_to_fit();
    return true;
  }

  void FlushCiphertext() {
    if (!tls || !tls->HasCiphertext() || phase == Phase::kConnecting) return;
    WriteRaw(tls->TakeCiphertext(), true);
  }

  // `data` to the socket: straight into the kernel when nothing is queued and it takes it all,
  // else (the rest) as one uv_write. The direct path matters under load: a uv_write that
  // completes still makes libuv re-arm the socket in epoll (an epoll_ctl per write). Not for
  // an owner that wants on_written, which reports each write from the loop.
  // `notify`: report a synchronous failure through the callbacks (false when called from
  // inside Write(), which returns the error instead).
  int WriteRaw(std::string data, bool notify) {
    if (inflight_bytes == 0 && !data.empty() && !callbacks.on_written) {
      uv_buf_t direct = uv_buf_init(data.data(), static_cast<unsigned>(data.size()));
      const int n = uv_try_write(stream(), &direct, 1);
      if (n == static_cast<int>(data.size())) return 0;
      if (n > 0) data.erase(0, static_cast<size_t>(n));
      // UV_EAGAIN (or a partial write): uv_write queues the rest. Any other error is met by
      // uv_write too, which reports it the usual way.
    }
    auto* w = new WriteReq{};
    w->data = std::move(data);
    w->impl = this;
    uv_buf_t b = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
    const int rc = uv_write(&w->req, stream(), &b, 1, [](uv_write_t* req, int status) {
      auto* wr = reinterpret_cast<WriteReq*>(req);
      Impl* self = wr->impl;
      self->inflight_bytes -= wr->data.size();
      delete wr;
      if (status < 0 && status != UV_ECANCELED) {
        self->Fail(status, std::string("write: ") + uv_strerror(status), true);
      } else if (status == 0 && !self->closing && self->phase != Phase::kDead &&
                 self->callbacks.on_written) {
        self->callbacks.on_written(self->Queued());
      }
    });
    if (rc != 0) {
      delete w;  // an error return means the callback is never called
      Fail(rc, std::string("write: ") + uv_strerror(rc), notify);
      return rc;
    }
    inflight_bytes += w->data.size();
    return 0;
  }

  // Sends a last small record (an alert, close_notify) if the socket takes it right now;
  // never queues, because closing the handle would cancel a queued write anyway.
  void TrySendLast(std::string data) {
    if (data.empty() || !tcp_initialized || uv_is_closing(AsHandle(&tcp))) return;
    uv_buf_t b = uv_buf_init(data.data(), static_cast<unsigned>(data.size()));
    (void)uv_try_write(stream(), &b, 1);
  }

  void Fail(int status, const std::string& detail, bool notify) {
    if (phase == Phase::kDead) return;
    const Phase was = phase;
    phase = Phase::kDead;
    uv_timer_stop(&timer);
    if (tcp_initialized && was != Phase::kConnecting) {
      uv_read_stop(stream());
      if (tls && tls->HasCiphertext()) TrySendLast(tls->TakeCiphertext());  // the alert
    }
    if (closing || !notify) return;
    if (!reported) {
      reported = true;
      if (callbacks.on_connected) callbacks.on_connected(status, detail);
    } else if (callbacks.on_closed) {
      callbacks.on_closed(detail);
    }
  }

  void Close(std::function<void()> done) {
    if (closing) return;
    closing = true;
    closed_done = std::move(done);
    if (tls && tcp_initialized && (phase == Phase::kConnected || tls->peer_closed())) {
      // close_notify when a session is up, also in answer to the peer's. During a handshake
      // or after a failure there is no session to close.
      tls->Shutdown();
      TrySendLast(tls->TakeCiphertext());
    }
    phase = Phase::kDead;
    auto on_closed = [](uv_handle_t* h) {
      auto* self = static_cast<Impl*>(h->data);
      if (--self->open_handles > 0) return;
      auto done = std::move(self->closed_done);
      if (self->owner != nullptr) {
        self->owner->final_counters_ = self->counters;
        self->owner->impl_ = nullptr;
      }
      delete self;
      if (done) done();
    };
    // Closing the TCP handle cancels a pending connect and queued writes: their callbacks
    // see UV_ECANCELED before these close callbacks run, while the Impl is alive.
    uv_close(AsHandle(&timer), on_closed);
    if (tcp_initialized) uv_close(AsHandle(&tcp), on_closed);
  }
};

StreamConnection::StreamConnection(uv_loop_t* loop, StreamOptions options,
                                   StreamCallbacks callbacks)
    : impl_(new Impl(loop, std::move(options), std::move(callbacks), this)) {}

StreamConnection::~StreamConnection() {
  if (impl_ == nullptr) return;
  impl_->owner = nullptr;
  impl_->Close(nullptr);
}

int StreamConnection::Connect(const std::string& host, int port, int64_t timeout_ms) {
  Impl* c = impl_;
  if (c == nullptr || c->closing || c->phase != Impl::Phase::kIdle) return UV_EINVAL;
  if (c->options.tls) {
    if (c->options.tls->role() != TlsRole::kClient) {
      last_error_ = "Connect() needs a client TLS context";
      return UV_EINVAL;
    }
    auto engine = TlsEngine::Create(c->options.tls,
                                    c->options.server_name.empty() ? host : c->options.server_name);
    if (!engine.ok()) {
      last_error_ = engine.error().detail;
      return UV_EINVAL;
    }
    c->tls = std::move(engine).value();
  }
  struct addrinfo hints {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  struct addrinfo* res = nullptr;
  const std::string port_text = std::to_string(port);
  if (const int gai = getaddrinfo(host.c_str(), port_text.c_str(), &hints, &res);
      gai != 0 || res == nullptr) {
    last_error_ = "cannot resolve " + host + ": " + gai_strerror(gai);
    return UV_EAI_NONAME;
  }
  c->peer = host + ":" + port_text;
  c->timeout_ms = timeout_ms;
  c->InitTcp();
  c->connect_req.data = c;
  const int rc = uv_tcp_connect(
      &c->connect_req, &c->tcp, res->ai_addr,
      [](uv_connect_t* req, int status) { static_cast<Impl*>(req->data)->OnConnect(status); });
  freeaddrinfo(res);
  if (rc != 0) {
    last_error_ = "connect to " + c->peer + ": " + uv_strerror(rc);
    c->phase = Impl::Phase::kDead;
    return rc;
  }
  c->phase = Impl::Phase::kConnecting;
  c->StartTimer(timeout_ms);
  return 0;
}

int StreamConnection::Accept(uv_stream_t* server, int64_t timeout_ms) {
  Impl* c = impl_;
  if (c == nullptr || c->closing || c->phase != Impl::Phase::kIdle) return UV_EINVAL;
  if (c->options.tls) {
    if (c->options.tls->role() != TlsRole::kServer) {
      last_error_ = "Accept() needs a server TLS context";
      return UV_EINVAL;
    }
    auto engine = TlsEngine::Create(c->options.tls, "");
    if (!engine.ok()) {
      last_error_ = engine.error().detail;
      return UV_EINVAL;
    }
    c->tls = std::move(engine).value();
  }
  c->InitTcp();
  c->proxy_pending = c->options.proxy_header;
  int rc = uv_accept(server, c->stream());
  if (rc == 0) {
    struct sockaddr_storage addr {};
    int len = sizeof addr;
    char name[64] = "peer";
    if (uv_tcp_getpeername(&c->tcp, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      uv_ip_name(reinterpret_cast<sockaddr*>(&addr), name, sizeof name);
    }
    c->peer = name;
    c->timeout_ms = timeout_ms;
    uv_tcp_nodelay(&c->tcp, 1);
    rc = c->StartReading();
  }
  if (rc != 0) {
    last_error_ = std::string("accept: ") + uv_strerror(rc);
    c->phase = Impl::Phase::kDead;
    return rc;
  }
  if (c->tls) {
    c->phase = Impl::Phase::kHandshaking;
    c->StartTimer(timeout_ms);
  } else {
    c->phase = Impl::Phase::kConnected;
    c->StartTimer(0);  // reports on_connected from the loop, never from inside Accept()
  }
  return 0;
}

int StreamConnection::Write(std::string_view bytes) {
  Impl* c = impl_;
  if (c == nullptr || c->closing || c->phase == Impl::Phase::kDead ||
      c->phase == Impl::Phase::kIdle) {
    return UV_ENOTCONN;
  }
  if (c->Queued() + bytes.size() > c->options.max_queued_bytes) {
    ++c->counters.writes_refused;
    return UV_ENOBUFS;
  }
  if (bytes.empty()) return 0;
  c->counters.bytes_written += bytes.size();
  if (c->tls) {
    if (!c->tls->WritePlaintext(bytes)) return UV_ENOTCONN;
    if (c->phase != Impl::Phase::kConnected || !c->tls->HasCiphertext()) return 0;
    return c->WriteRaw(c->tls->TakeCiphertext(), false);
  }
  if (c->phase != Impl::Phase::kConnected) {
    c->pending_plain.append(bytes);
    return 0;
  }
  return c->WriteRaw(std::string(bytes), false);
}

int StreamConnection::Shutdown(std::function<void(int status)> done) {
  Impl* c = impl_;
  if (c == nullptr || c->closing || c->phase != Impl::Phase::kConnected) return UV_ENOTCONN;
  if (c->shutdown_started) return UV_EALREADY;
  if (c->tls) {
    c->tls->Shutdown();  // close_notify, queued behind the data already written
    c->FlushCiphertext();
    if (c->phase != Impl::Phase::kConnected) return UV_ENOTCONN;  // that write failed
  }
  c->shutdown_req.data = c;
  const int rc = uv_shutdown(&c->shutdown_req, c->stream(), [](uv_shutdown_t* req, int status) {
    auto* self = static_cast<Impl*>(req->data);
    if (self->closing) return;  // UV_ECANCELED from Close(): no callback after it
    auto cb = std::move(self->shutdown_done);
    if (cb) cb(status);
  });
  if (rc != 0) return rc;  // an error return means the callback is never called
  c->shutdown_started = true;
  c->shutdown_done = std::move(done);
  return 0;
}

void StreamConnection::Close(std::function<void()> closed) {
  if (impl_ == nullptr) return;  // an earlier Close() already completed
  impl_->Close(std::move(closed));
}

void StreamConnection::PauseReading() {
  Impl* c = impl_;
  if (c == nullptr || c->closing || c->paused) return;
  c->paused = true;
  if (c->Reading()) uv_read_stop(c->stream());
}

void StreamConnection::ResumeReading() {
  Impl* c = impl_;
  if (c == nullptr || c->closing || !c->paused) return;
  c->paused = false;
  if (!c->Reading()) return;
  if (const int rc = c->StartReading(); rc != 0) {
    c->Fail(rc, std::string("read: ") + uv_strerror(rc), true);
  }
}

bool StreamConnection::connected() const {
  return impl_ != nullptr && !impl_->closing && impl_->phase == Impl::Phase::kConnected &&
         impl_->reported;
}

size_t StreamConnection::queued_bytes() const { return impl_ ? impl_->Queued() : 0; }

std::string StreamConnection::peer_address() const {
  return impl_ == nullptr ? std::string() : impl_->peer;
}

std::string StreamConnection::tls_protocol() const {
  return connected() && impl_->tls ? impl_->tls->protocol() : std::string();
}

std::string StreamConnection::proxied_address() const {
  return impl_ ? impl_->proxied : std::string();
}

std::string StreamConnection::tls_peer_cert_sha256() const {
  return connected() && impl_->tls ? impl_->tls->peer_cert_sha256() : std::string();
}

StreamCounters StreamConnection::counters() const {
  return impl_ ? impl_->counters : final_counters_;
}

}  // namespace sd::net
