#include "bench/http_sim/http_sim.h"

#include <chrono>
#include <nlohmann/json.hpp>
#include <random>

#include "adapters/crypto/base64.h"
#include "adapters/http/form_codec.h"
#include "adapters/http/webhook_auth.h"
#include "adapters/loop/uv_kit.h"

namespace sd::http_sim {

struct HttpSim::Submit {
  bool json = false;
  std::string to;
  std::string callback;
  std::string user;  // credentials found in the body (JSON: api_key / api_secret)
  std::string secret;
};

namespace {

http::HttpServerResponse Json(int status, nlohmann::json body) {
  http::HttpServerResponse r;
  r.status = status;
  r.body = body.dump();
  return r;
}


}  // namespace

// The submit's fields, from a form (To, StatusCallback) or JSON (to, callback, api_key,
// api_secret) body; nullopt when it is neither.
static std::optional<HttpSim::Submit> ParseSubmit(const http::HttpServerRequest& r) {
  HttpSim::Submit s;
  if (r.Header("content-type").rfind("application/json", 0) == 0) {
    const nlohmann::json doc = nlohmann::json::parse(r.body, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
    const auto str = [&](const char* k) {
      return doc.contains(k) && doc[k].is_string() ? doc[k].get<std::string>() : std::string();
    };
    s.json = true;
    s.to = str("to");
    s.callback = str("callback");
    s.user = str("api_key");
    s.secret = str("api_secret");
  } else {
    const auto form = http::ParseForm(r.body);
    if (!form) return std::nullopt;
    for (const auto& [k, v] : *form) {
      if (k == "To") s.to = v;
      if (k == "StatusCallback") s.callback = v;
    }
  }
  if (s.to.empty()) return std::nullopt;
  return s;
}

HttpSim::HttpSim(uv_loop_t* loop, Options options)
    : loop_(loop),
      options_(std::move(options)),
      server_(loop,
              [this] {
                http::HttpServerOptions so;
                so.host = options_.host;
                so.port = options_.port;
                if (!options_.tls_cert.empty()) {
                  net::TlsConfig tc;
                  tc.role = net::TlsRole::kServer;
                  tc.cert_file = options_.tls_cert;
                  tc.key_file = options_.tls_key;
                  auto ctx = net::TlsContext::Create(tc);
                  if (ctx) so.tls = std::move(ctx).value();
                }
                so.max_connections = 4096;
                return so;
              }(),
              [this](http::HttpServerRequest r, http::HttpServer::Respond respond) {
                Handle(std::move(r), std::move(respond));
              }),
      client_(loop,
              [this] {
                http::HttpClientOptions co;
                co.ca_file = options_.webhook_ca;
                co.max_host_connections = 16;
                return co;
              }()),
      next_id_(std::random_device{}() & 0xffffff) {
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
}

HttpSim::~HttpSim() = default;

int HttpSim::Start() {
  if (!options_.tls_cert.empty() && options_.tls_key.empty()) return UV_EINVAL;
  return server_.Listen();
}

void HttpSim::Later(uint64_t delay_ms, std::function<void()> fn) {
  if (delay_ms == 0) {
    fn();
    return;
  }
  due_.emplace(uv_now(loop_) + delay_ms, std::move(fn));
  uv_timer_start(
      &timer_, [](uv_timer_t* t) { static_cast<HttpSim*>(t->data)->OnTimer(); },
      due_.begin()->first - std::min(due_.begin()->first, uv_now(loop_)), 0);
}

void HttpSim::OnTimer() {
  const uint64_t now = uv_now(loop_);
  while (!due_.empty() && due_.begin()->first <= now && !closing_) {
    auto fn = std::move(due_.begin()->second);
    due_.erase(due_.begin());
    fn();
  }
  if (!due_.empty() && !closing_) {
    uv_timer_start(
        &timer_, [](uv_timer_t* t) { static_cast<HttpSim*>(t->data)->OnTimer(); },
        due_.begin()->first > now ? due_.begin()->first - now : 1, 0);
  }
}

namespace {

// The provider's acceptance in the submit's own shape.
http::HttpServerResponse Accepted(const HttpSim::Submit& submit, const std::string& id) {
  if (!submit.json) return Json(201, {{"sid", id}, {"status", "queued"}});
  return Json(200, {{"message-count", "1"},
                    {"messages", {{{"to", submit.to}, {"message-id", id}, {"status", "0"}}}}});
}

}  // namespace

bool HttpSim::Authorized(const http::HttpServerRequest& request, const Submit& submit) const {
  if (options_.username.empty()) return true;
  if (submit.json) return submit.user == options_.username && submit.secret == options_.password;
  return request.Header("authorization") ==
         "Basic " + Base64Encode(options_.username + ":" + options_.password);
}

std::optional<http::HttpServerResponse> HttpSim::Refusal(const Submit& submit, uint64_t n,
                                                         bool* hang) {
  const auto every = [n](int64_t k) { return k > 0 && n % static_cast<uint64_t>(k) == 0; };
  if (every(options_.hang_every)) {
    ++counters_.hung;  // never answered: the respond is dropped, the client times out
    *hang = true;
    return std::nullopt;
  }
  if (every(options_.throttle_every)) {
    ++counters_.throttled;
    http::HttpServerResponse r = Json(429, {{"code", 20429}, {"message", "Too Many Requests"}});
    r.headers.emplace_back("Retry-After", std::to_string(options_.retry_after_s));
    return r;
  }
  if (every(options_.error_every)) {
    ++counters_.errors;
    return Json(500, {{"code", 20500}, {"message", "Internal Server Error"}});
  }
  if (!options_.reject_prefix.empty() && submit.to.rfind(options_.reject_prefix, 0) == 0) {
    ++counters_.rejected;
    return Json(400, {{"code", 21211}, {"message", "Invalid 'To' Phone Number"}});
  }
  return std::nullopt;
}

void HttpSim::Handle(http::HttpServerRequest request, http::HttpServer::Respond respond) {
  if (request.method == "GET" && request.Path() == "/stats") {
    http::HttpServerResponse r;
    r.body = StatsJson();
    respond(std::move(r));
    return;
  }
  const uint64_t n = ++counters_.requests;
  const auto delay = static_cast<uint64_t>(options_.latency_ms);
  const auto answer = [this, delay, respond](http::HttpServerResponse r) {
    Later(delay, [respond, r = std::move(r)]() mutable { respond(std::move(r)); });
  };
  auto submit = ParseSubmit(request);
  if (!submit) {
    ++counters_.rejected;
    answer(Json(400, {{"code", 21602}, {"message", "no To in the request"}}));
    return;
  }
  if (!Authorized(request, *submit)) {
    ++counters_.unauthorized;
    answer(Json(401, {{"code", 20003}, {"message", "Authenticate"}}));
    return;
  }
  // A resend of a message already taken gets its id again (checked before any fault: the
  // provider has it, whatever this request would have met).
  const std::string key = request.Header("idempotency-key");
  if (auto it = id_by_key_.find(key); !key.empty() && it != id_by_key_.end()) {
    ++counters_.duplicates;
    answer(Accepted(*submit, it->second));
    return;
  }
  bool hang = false;
  if (auto refused = Refusal(*submit, n, &hang)) {
    answer(std::move(*refused));
    return;
  }
  if (hang) return;
  char id[24];
  snprintf(id, sizeof id, submit->json ? "%016llX" : "SM%016llx",
           static_cast<unsigned long long>(++next_id_));  // NOLINT(google-runtime-int)
  ++counters_.accepted;
  if (!key.empty()) id_by_key_.emplace(key, id);
  if (!submit->callback.empty() && options_.receipt_delay_ms >= 0) {
    ScheduleReceipt(submit->callback, id, submit->json);
  }
  answer(Accepted(*submit, id));
}

void HttpSim::ScheduleReceipt(const std::string& callback, const std::string& id, bool json) {
  Later(static_cast<uint64_t>(options_.receipt_delay_ms) + static_cast<uint64_t>(options_.latency_ms),
        [this, callback, id, json] { PostReceipt(callback, id, json); });
}

void HttpSim::PostReceipt(const std::string& callback, const std::string& id, bool json) {
  http::HttpRequest r;
  r.url = callback;
  if (json) {
    r.body = nlohmann::json{{"messageId", id}, {"status", options_.receipt_status}, {"err-code", "0"}}
                 .dump();
    r.headers.emplace_back("Content-Type", "application/json");
  } else {
    r.body = "MessageSid=" + http::FormEncode(id) + "&MessageStatus=" +
             http::FormEncode(options_.receipt_status) + "&ErrorCode=0";
    r.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  }
  http::WebhookAuth auth;
  auth.scheme = options_.webhook_scheme;
  auth.signed_url = callback;
  const std::string secret = options_.webhook_scheme == http::WebhookScheme::kStandardWebhooks
                                 ? http::DecodeWhsec(options_.webhook_secret)
                                 : options_.webhook_secret;
  const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  const std::string webhook_id = "msg_" + id + "_" + std::to_string(++webhook_seq_);
  for (auto& h : http::SignWebhook(auth, secret, r.body, webhook_id, now_s)) {
    r.headers.push_back(std::move(h));
  }
  r.total_timeout_ms = 30'000;  // waiting for a connection counts: many may be queued
  for (int64_t i = 0; i < options_.webhook_copies; ++i) {
    ++counters_.webhooks_posted;
    PostWebhook(r, options_.webhook_retries);
  }
}

void HttpSim::PostWebhook(http::HttpRequest request, int64_t attempts_left) {
  http::HttpRequest copy = request;
  const bool sent = client_.Send(std::move(copy), [this, request = std::move(request),
                                                   attempts_left](http::HttpResponse a) mutable {
    if (a.error == http::TransportError::kNone && a.status >= 200 && a.status < 300) {
      ++counters_.webhooks_ok;
      return;
    }
    ++counters_.webhooks_failed;
    if (attempts_left <= 0 || closing_) {
      ++counters_.webhooks_given_up;
      return;
    }
    ++counters_.webhooks_retried;
    Later(1'000, [this, request = std::move(request), attempts_left]() mutable {
      PostWebhook(std::move(request), attempts_left - 1);
    });
  });
  if (!sent) ++counters_.webhooks_given_up;
}

std::string HttpSim::StatsJson() const {
  nlohmann::json j = nlohmann::json::object();
  counters_.ForEach([&](std::string_view name, uint64_t v) { j[std::string(name)] = v; });
  return j.dump();
}

void HttpSim::Close(std::function<void()> done) {
  closing_ = true;
  due_.clear();
  server_.Close([this, done = std::move(done)]() mutable {
    client_.Close([this, done = std::move(done)]() mutable {
      loop::CloseAll({loop::AsHandle(&timer_)}, std::move(done));
    });
  });
}

}  // namespace sd::http_sim
