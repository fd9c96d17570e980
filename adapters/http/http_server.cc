#include "adapters/http/http_server.h"

#include <http_parser.h>

#include <algorithm>
#include <cctype>

#include "adapters/loop/uv_kit.h"
#include "adapters/net/stream_connection.h"

namespace sd::http {

namespace {

std::string Serialize(const HttpServerResponse& r, bool keep_alive) {
  const char* reason = http_status_str(static_cast<http_status>(r.status));
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " +
                    (reason != nullptr ? reason : "Status") + "\r\n";
  out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  if (!r.body.empty()) out += "Content-Type: " + r.content_type + "\r\n";
  for (const auto& [n, v] : r.headers) out += n + ": " + v + "\r\n";
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  out += r.body;
  return out;
}

HttpServerResponse Error(int status, const std::string& what) {
  HttpServerResponse r;
  r.status = status;
  r.body = "{\"error\":\"" + what + "\"}";
  return r;
}

}  // namespace

struct HttpServer::Connection : std::enable_shared_from_this<Connection> {
  enum class State { kHandshake, kIdle, kReading, kBusy, kClosing };

  HttpServer* server;
  uint64_t id;
  std::unique_ptr<net::StreamConnection> stream;
  HttpRequestParser parser;
  std::string inbuf;  // bytes read and not yet parsed (while busy, or after a pause)
  State state = State::kHandshake;
  uint64_t deadline_ms = 0;
  uint64_t request_seq = 0;  // which request a Respond belongs to (keep-alive reuses us)

  Connection(HttpServer* s, uint64_t i)
      : server(s), id(i), parser(s->options_.max_header_bytes, s->options_.max_body_bytes) {}

  const HttpServerOptions& options() const { return server->options_; }
  uint64_t Now() const { return uv_now(server->loop_); }

  void Start() {
    net::StreamOptions so;
    so.tls = options().tls;
    so.proxy_header = options().proxy_protocol;
    so.max_queued_bytes = 1024 * 1024;
    so.read_buffer_bytes = 16 * 1024;
    net::StreamCallbacks cb;
    cb.on_connected = [this](int status, const std::string&) {
      if (status != 0) return Gone();
      state = State::kIdle;
      deadline_ms = Now() + static_cast<uint64_t>(options().idle_timeout_ms);
      Feed();
    };
    cb.on_read = [this](std::string_view bytes) {
      inbuf.append(bytes);
      // While the handler works, unparsed bytes wait; a peer that keeps sending is paused.
      if (inbuf.size() > options().max_header_bytes + options().max_body_bytes) {
        stream->PauseReading();
      }
      Feed();
    };
    cb.on_closed = [this](const std::string&) { Gone(); };
    stream = std::make_unique<net::StreamConnection>(server->loop_, so, std::move(cb));
    deadline_ms = Now() + static_cast<uint64_t>(options().handshake_timeout_ms);
  }

  void Feed() {
    while (state == State::kIdle || state == State::kReading) {
      if (inbuf.empty()) return;
      if (state == State::kIdle) {
        state = State::kReading;
        deadline_ms = Now() + static_cast<uint64_t>(options().request_timeout_ms);
      }
      size_t n = 0;
      const HttpRequestParser::Result r = parser.Parse(inbuf, &n);
      inbuf.erase(0, n);
      if (r == HttpRequestParser::Result::kRequest) {
        Dispatch();
        return;
      }
      if (r == HttpRequestParser::Result::kError) {
        ++(parser.error_status() == 400 ? server->counters_.bad_requests
                                        : server->counters_.too_large);
        Fail(Error(parser.error_status(), parser.error()));
        return;
      }
    }
  }

  void Dispatch() {
    state = State::kBusy;
    ++server->counters_.requests;
    std::weak_ptr<Connection> weak = shared_from_this();
    const bool keep_alive = parser.keep_alive();
    const uint64_t seq = ++request_seq;
    HttpServerRequest req = parser.TakeRequest();
    req.peer_address = stream->peer_address();
    req.tls = options().tls != nullptr;
    if (req.tls) req.client_cert_sha256 = stream->tls_peer_cert_sha256();
    req.proxied_address = stream->proxied_address();
    server->handler_(std::move(req), [weak, keep_alive, seq](HttpServerResponse r) {
      if (auto self = weak.lock()) self->Answer(std::move(r), keep_alive, seq);
    });
  }

  // Only the first answer to the request under way counts: a late or second Respond (the
  // connection has moved on to its next request) is dropped.
  void Answer(const HttpServerResponse& r, bool keep_alive, uint64_t seq) {
    if (state != State::kBusy || seq != request_seq) return;
    if (stream->Write(Serialize(r, keep_alive)) != 0 || !keep_alive) return Hangup();
    state = State::kIdle;
    deadline_ms = Now() + static_cast<uint64_t>(options().idle_timeout_ms);
    stream->ResumeReading();
    Feed();
  }

  // A refused request: the answer, then no more from this connection.
  void Fail(const HttpServerResponse& r) {
    if (stream->Write(Serialize(r, false)) != 0) return Gone();
    Hangup();
  }

  void Hangup() {
    state = State::kClosing;
    stream->PauseReading();
    if (stream->Shutdown([this](int) { Gone(); }) != 0) Gone();
  }

  // The connection ends; the server forgets it (this may be the last reference).
  void Gone() { server->Drop(id); }

  void OnTick(uint64_t now) {
    if (state == State::kBusy || deadline_ms == 0 || now < deadline_ms) return;
    if (state == State::kReading) {
      ++server->counters_.timeouts;
      Fail(Error(408, "request took too long"));
    } else if (state == State::kHandshake) {
      ++server->counters_.timeouts;
      Gone();
    } else {
      Gone();  // idle keep-alive, or a hang-up the peer never completed
    }
  }

};

HttpServer::HttpServer(uv_loop_t* loop, HttpServerOptions options, Handler handler)
    : loop_(loop), options_(std::move(options)), handler_(std::move(handler)) {
  uv_tcp_init(loop_, &listener_);
  listener_.data = this;
  uv_timer_init(loop_, &tick_);
  tick_.data = this;
}

HttpServer::~HttpServer() = default;

int HttpServer::Listen() {
  sockaddr_storage addr{};
  int rc = uv_ip4_addr(options_.host.c_str(), options_.port, reinterpret_cast<sockaddr_in*>(&addr));
  if (rc != 0) rc = uv_ip6_addr(options_.host.c_str(), options_.port,
                                reinterpret_cast<sockaddr_in6*>(&addr));
  if (rc != 0) {
    error_ = "listen address " + options_.host + " is not an IP address";
    return rc;
  }
  rc = uv_tcp_bind(&listener_, reinterpret_cast<const sockaddr*>(&addr), 0);
  if (rc == 0) {
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), 128,
                   [](uv_stream_t* s, int status) {
                     if (status == 0) static_cast<HttpServer*>(s->data)->OnConnection();
                   });
  }
  if (rc != 0) {
    error_ = "listen on " + options_.host + ":" + std::to_string(options_.port) + ": " +
             uv_strerror(rc);
    return rc;
  }
  sockaddr_storage bound{};
  int len = sizeof bound;
  uv_tcp_getsockname(&listener_, reinterpret_cast<sockaddr*>(&bound), &len);
  bound_port_ = bound.ss_family == AF_INET6
                    ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                    : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  listening_ = true;
  const auto tick = static_cast<uint64_t>(options_.tick_ms);
  uv_timer_start(
      &tick_, [](uv_timer_t* t) { static_cast<HttpServer*>(t->data)->OnTick(); }, tick, tick);
  return 0;
}

void HttpServer::OnConnection() {
  if (closing_) return;
  auto c = std::make_shared<Connection>(this, next_id_++);
  c->Start();
  const int rc = c->stream->Accept(reinterpret_cast<uv_stream_t*>(&listener_),
                                   options_.handshake_timeout_ms);
  if (rc != 0) return;  // nothing to keep; the socket was not taken or is closed
  if (connections_.size() >= options_.max_connections) {
    ++counters_.refused_connections;  // accepted only to be closed: the backlog drains
    return;
  }
  ++counters_.connections;
  connections_.emplace(c->id, std::move(c));
}

void HttpServer::OnTick() {
  dying_.clear();  // dropped during earlier callbacks, which have all returned
  const uint64_t now = uv_now(loop_);
  std::vector<std::shared_ptr<Connection>> all;
  for (auto& [id, c] : connections_) all.push_back(c);
  for (auto& c : all) c->OnTick(now);
}

void HttpServer::Drop(uint64_t id) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  // Freed after the current callback returns: the connection may be on the stack.
  std::shared_ptr<Connection> c = std::move(it->second);
  connections_.erase(it);
  c->state = Connection::State::kClosing;
  c->stream->Close();
  dying_.push_back(std::move(c));
}

void HttpServer::Close(std::function<void()> done) {
  closing_ = true;
  for (auto& [id, c] : connections_) {
    c->state = Connection::State::kClosing;
    c->stream->Close();
  }
  connections_.clear();
  dying_.clear();
  loop::CloseAll({loop::AsHandle(&listener_), loop::AsHandle(&tick_)}, std::move(done));
}

}  // namespace sd::http
