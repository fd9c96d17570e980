#include "adapters/http/curl_multi.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <utility>

namespace sd::http {
namespace detail {

// One request: the easy handle, what it owns while libcurl uses it, and what came back.
struct CurlTransfer {
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  curl_slist* connect_to = nullptr;
  HttpRequest request;  // the body is sent from here (CURLOPT_POSTFIELDS does not copy)
  HttpResponse response;
  size_t max_body = 0;
  size_t max_headers = 0;
  bool too_large = false;
  CurlMulti::Done done;
  std::chrono::steady_clock::time_point started;

  ~CurlTransfer() {
    if (easy != nullptr) curl_easy_cleanup(easy);
    curl_slist_free_all(headers);
    curl_slist_free_all(connect_to);
  }
};

struct CurlSocket {
  CurlMulti* owner = nullptr;
  int fd = -1;
  uv_poll_t poll;
};

}  // namespace detail

namespace {

using detail::CurlSocket;
using detail::CurlTransfer;

CURLM* M(void* multi) { return static_cast<CURLM*>(multi); }

TransportError ErrorOf(CURLcode code) {
  switch (code) {
    case CURLE_OK:
      return TransportError::kNone;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return TransportError::kConnect;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CRL_BADFILE:
      return TransportError::kTls;
    case CURLE_OPERATION_TIMEDOUT:
      return TransportError::kTimeout;
    case CURLE_SEND_ERROR:
      return TransportError::kSend;
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_BAD_CONTENT_ENCODING:
      return TransportError::kReceive;
    default:
      return TransportError::kOther;
  }
}

size_t OnBody(char* data, size_t size, size_t n, void* userp) {
  auto* t = static_cast<CurlTransfer*>(userp);
  const size_t len = size * n;
  if (t->response.body.size() + len > t->max_body) {
    t->too_large = true;
    return 0;  // CURLE_WRITE_ERROR: the transfer stops here
  }
  t->response.body.append(data, len);
  return len;
}

std::string Trim(std::string s) {
  const auto not_space = [](unsigned char c) { return std::isspace(c) == 0; };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

// Each header line of each response libcurl reads; a status line starts a new response (after
// 100 Continue), so only the final response's fields are kept.
size_t OnHeader(char* data, size_t size, size_t n, void* userp) {
  auto* t = static_cast<CurlTransfer*>(userp);
  const size_t len = size * n;
  const std::string_view line(data, len);
  if (line.substr(0, 5) == "HTTP/") {
    t->response.headers.clear();
    return len;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || t->response.headers.size() >= t->max_headers) return len;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  t->response.headers.emplace_back(Trim(std::move(name)),
                                   Trim(std::string(line.substr(colon + 1))));
  return len;
}

int SocketCallback(CURL*, curl_socket_t fd, int what, void* userp, void* socketp) {
  static_cast<CurlMulti*>(userp)->Watch(fd, what, static_cast<CurlSocket*>(socketp));
  return 0;
}

int TimerCallback(CURLM*, long timeout_ms, void* userp) {  // NOLINT(google-runtime-int)
  static_cast<CurlMulti*>(userp)->ArmTimer(timeout_ms);
  return 0;
}

void OnPoll(uv_poll_t* handle, int status, int events) {
  auto* s = static_cast<CurlSocket*>(handle->data);
  int flags = 0;
  if (status < 0) flags |= CURL_CSELECT_ERR;  // libcurl then meets the error on the socket
  if ((events & UV_READABLE) != 0) flags |= CURL_CSELECT_IN;
  if ((events & UV_WRITABLE) != 0) flags |= CURL_CSELECT_OUT;
  s->owner->OnSocketEvent(s->fd, flags);
}

void CloseSocket(CurlSocket* s) {
  uv_poll_stop(&s->poll);
  uv_close(loop::AsHandle(&s->poll),
           [](uv_handle_t* h) { delete static_cast<CurlSocket*>(h->data); });
}

}  // namespace

const char* TransportErrorName(TransportError e) {
  switch (e) {
    case TransportError::kNone:
      return "none";
    case TransportError::kConnect:
      return "connect";
    case TransportError::kTls:
      return "tls";
    case TransportError::kTimeout:
      return "timeout";
    case TransportError::kSend:
      return "send";
    case TransportError::kReceive:
      return "receive";
    case TransportError::kTooLarge:
      return "response_too_large";
    case TransportError::kOther:
      break;
  }
  return "other";
}

const std::string& HttpResponse::Header(const std::string& lower_name) const {
  static const std::string kEmpty;
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return kEmpty;
}

bool HttpResponse::HasHeader(const std::string& lower_name) const {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return h.first == lower_name; });
}

CurlMulti::CurlMulti(uv_loop_t* loop, HttpClientOptions options)
    : loop_(loop), options_(std::move(options)), multi_(curl_multi_init()) {
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
  curl_multi_setopt(M(multi_), CURLMOPT_SOCKETFUNCTION, SocketCallback);
  curl_multi_setopt(M(multi_), CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(M(multi_), CURLMOPT_TIMERFUNCTION, TimerCallback);
  curl_multi_setopt(M(multi_), CURLMOPT_TIMERDATA, this);
  curl_multi_setopt(M(multi_), CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  if (options_.max_host_connections > 0) {
    curl_multi_setopt(M(multi_), CURLMOPT_MAX_HOST_CONNECTIONS, options_.max_host_connections);
  }
  if (options_.max_total_connections > 0) {
    curl_multi_setopt(M(multi_), CURLMOPT_MAX_TOTAL_CONNECTIONS, options_.max_total_connections);
  }
}

CurlMulti::~CurlMulti() = default;

namespace {

// What every request gets: HTTP(S) only, no redirects (a carrier that redirects a submit is
// misconfigured, and following it could send the job elsewhere), no signals (one thread on a
// loop), TLS 1.2+ always verified, HTTP/2 offered, the timeouts.
bool SetConnection(CURL* e, const HttpClientOptions& o, const HttpRequest& r) {
  bool ok = curl_easy_setopt(e, CURLOPT_URL, r.url.c_str()) == CURLE_OK;
  ok = ok && curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK;
  ok = ok && curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK;
  ok = ok && curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
  ok = ok && curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK;
  ok = ok && curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK;
  ok = ok && curl_easy_setopt(e, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2) == CURLE_OK;
  if (!o.ca_file.empty()) {
    ok = ok && curl_easy_setopt(e, CURLOPT_CAINFO, o.ca_file.c_str()) == CURLE_OK;
  }
  if (!o.client_cert_file.empty()) {
    ok = ok && curl_easy_setopt(e, CURLOPT_SSLCERT, o.client_cert_file.c_str()) == CURLE_OK;
    ok = ok && curl_easy_setopt(e, CURLOPT_SSLKEY, o.client_key_file.c_str()) == CURLE_OK;
  }
  ok = ok && curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
                              o.http2 ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1) == CURLE_OK;
  // Wait for a connection that can multiplex rather than open another one.
  ok = ok && curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L) == CURLE_OK;
  ok = ok && curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                              static_cast<long>(r.connect_timeout_ms)) == CURLE_OK;  // NOLINT
  ok = ok && curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
                              static_cast<long>(r.total_timeout_ms)) == CURLE_OK;  // NOLINT
  return ok;
}

// The method and the body (sent from the transfer's own copy: POSTFIELDS does not copy).
bool SetMethodAndBody(CURL* e, const HttpRequest& r) {
  bool ok = true;
  if (r.method == "GET") return curl_easy_setopt(e, CURLOPT_HTTPGET, 1L) == CURLE_OK;
  if (r.method == "POST") {
    ok = curl_easy_setopt(e, CURLOPT_POST, 1L) == CURLE_OK;
  } else {
    ok = curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r.method.c_str()) == CURLE_OK;
    if (r.body.empty()) return ok;
  }
  ok = ok && curl_easy_setopt(e, CURLOPT_POSTFIELDS, r.body.data()) == CURLE_OK;
  ok = ok && curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                              static_cast<curl_off_t>(r.body.size())) == CURLE_OK;
  return ok;
}

// Headers (no "Expect: 100-continue" round trip before larger bodies), the test hook
// connect_to, and our callbacks with the transfer as their data.
bool SetHeadersAndCallbacks(CurlTransfer& t, const HttpClientOptions& o) {
  CURL* e = t.easy;
  for (const auto& [name, value] : t.request.headers) {
    t.headers = curl_slist_append(t.headers, (name + ": " + value).c_str());
  }
  t.headers = curl_slist_append(t.headers, "Expect:");
  bool ok = curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.headers) == CURLE_OK;
  if (!o.connect_to.empty()) {
    t.connect_to = curl_slist_append(nullptr, ("::" + o.connect_to).c_str());
    ok = ok && curl_easy_setopt(e, CURLOPT_CONNECT_TO, t.connect_to) == CURLE_OK;
  }
  ok = ok && curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, OnBody) == CURLE_OK;
  ok = ok && curl_easy_setopt(e, CURLOPT_WRITEDATA, &t) == CURLE_OK;
  ok = ok && curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, OnHeader) == CURLE_OK;
  ok = ok && curl_easy_setopt(e, CURLOPT_HEADERDATA, &t) == CURLE_OK;
  ok = ok && curl_easy_setopt(e, CURLOPT_PRIVATE, &t) == CURLE_OK;
  return ok;
}

}  // namespace

bool CurlMulti::Send(HttpRequest request, Done done) {
  if (closing_ || multi_ == nullptr) return false;
  auto t = std::make_unique<CurlTransfer>();
  t->easy = curl_easy_init();
  if (t->easy == nullptr) return false;
  t->request = std::move(request);
  t->done = std::move(done);
  t->max_body = options_.max_response_bytes;
  t->max_headers = options_.max_response_headers;
  if (!SetConnection(t->easy, options_, t->request) || !SetMethodAndBody(t->easy, t->request) ||
      !SetHeadersAndCallbacks(*t, options_)) {
    return false;
  }
  if (transfers_.size() >= options_.max_in_flight) {
    waiting_.push_back(std::move(t));
    return true;
  }
  return Add(t);
}

bool CurlMulti::Add(std::unique_ptr<CurlTransfer>& t) {
  t->started = std::chrono::steady_clock::now();
  if (curl_multi_add_handle(M(multi_), t->easy) != CURLM_OK) return false;  // t keeps it
  CurlTransfer* raw = t.get();
  transfers_.emplace(raw, std::move(t));
  return true;
}

void CurlMulti::Watch(int fd, int what, CurlSocket* known) {
  if (what == CURL_POLL_REMOVE) {
    if (known == nullptr) return;
    curl_multi_assign(M(multi_), fd, nullptr);
    sockets_.erase(known);
    CloseSocket(known);
    return;
  }
  CurlSocket* s = known;
  if (s == nullptr) {
    s = new CurlSocket{this, fd, {}};
    if (uv_poll_init_socket(loop_, &s->poll, fd) != 0) {
      delete s;
      return;  // libcurl times the transfer out
    }
    s->poll.data = s;
    sockets_.insert(s);
    curl_multi_assign(M(multi_), fd, s);
  }
  int events = 0;
  if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) events |= UV_READABLE;
  if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) events |= UV_WRITABLE;
  uv_poll_start(&s->poll, events, OnPoll);
}

void CurlMulti::ArmTimer(long timeout_ms) {  // NOLINT(google-runtime-int)
  if (timeout_ms < 0) {
    uv_timer_stop(&timer_);
    return;
  }
  // 0 means "now": the timer runs on this loop turn's timer phase or the next, never inside
  // the libcurl call that asked for it.
  uv_timer_start(
      &timer_, [](uv_timer_t* t) { static_cast<CurlMulti*>(t->data)->OnTimeout(); },
      static_cast<uint64_t>(timeout_ms), 0);
}

void CurlMulti::OnSocketEvent(int fd, int flags) {
  int running = 0;
  curl_multi_socket_action(M(multi_), fd, flags, &running);
  Collect();
}

void CurlMulti::OnTimeout() {
  int running = 0;
  curl_multi_socket_action(M(multi_), CURL_SOCKET_TIMEOUT, 0, &running);
  Collect();
}

void CurlMulti::Collect() {
  int left = 0;
  while (!closing_) {
    CURLMsg* msg = curl_multi_info_read(M(multi_), &left);
    if (msg == nullptr) break;
    if (msg->msg != CURLMSG_DONE) continue;
    CurlTransfer* t = nullptr;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
    Finish(t, msg->data.result);
  }
}

void CurlMulti::Finish(CurlTransfer* t, int curl_code) {
  auto it = transfers_.find(t);
  if (it == transfers_.end()) return;
  std::unique_ptr<CurlTransfer> owned = std::move(it->second);
  transfers_.erase(it);
  HttpResponse& r = owned->response;
  const auto code = static_cast<CURLcode>(curl_code);
  r.error = owned->too_large ? TransportError::kTooLarge : ErrorOf(code);
  if (r.error != TransportError::kNone) r.error_text = curl_easy_strerror(code);
  curl_easy_getinfo(owned->easy, CURLINFO_RESPONSE_CODE, &r.status);
  long connects = 0;  // NOLINT(google-runtime-int)
  curl_easy_getinfo(owned->easy, CURLINFO_NUM_CONNECTS, &connects);
  connections_opened_ += static_cast<uint64_t>(connects);
  r.reused_connection = connects == 0 && r.error == TransportError::kNone;
  long version = 0;  // NOLINT(google-runtime-int)
  curl_easy_getinfo(owned->easy, CURLINFO_HTTP_VERSION, &version);
  r.http_version = version == CURL_HTTP_VERSION_2_0 ? 20 : version == CURL_HTTP_VERSION_1_1 ? 11
                                                                                           : 10;
  r.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - owned->started)
                     .count();
  curl_multi_remove_handle(M(multi_), owned->easy);
  // The next waiting request takes the place (one that libcurl refuses fails at once).
  while (!waiting_.empty() && transfers_.size() < options_.max_in_flight) {
    std::unique_ptr<CurlTransfer> next = std::move(waiting_.front());
    waiting_.pop_front();
    if (!Add(next)) {
      HttpResponse refused;
      refused.error = TransportError::kOther;
      refused.error_text = "libcurl refused the request";
      Done cb = std::move(next->done);
      next.reset();
      cb(std::move(refused));
    }
  }
  Done done = std::move(owned->done);
  HttpResponse response = std::move(r);
  owned.reset();
  done(std::move(response));  // may Send again, or Close
}

void CurlMulti::Close(std::function<void()> done) {
  closing_ = true;
  for (auto& [t, owned] : transfers_) curl_multi_remove_handle(M(multi_), owned->easy);
  transfers_.clear();
  waiting_.clear();
  // Closes the cached connections; libcurl tells us (CURL_POLL_REMOVE) before each close.
  if (multi_ != nullptr) curl_multi_cleanup(M(multi_));
  multi_ = nullptr;
  for (CurlSocket* s : sockets_) CloseSocket(s);
  sockets_.clear();
  // Closed after the sockets' handles, so their close callbacks have run when `done` runs.
  loop::CloseAll({loop::AsHandle(&timer_)}, std::move(done));
}

}  // namespace sd::http
