#include "adapters/http/admin_endpoint.h"

#include <openssl/crypto.h>

#include <string_view>
#include <utility>

namespace sd::http {
namespace {

HttpServerResponse Text(int status, std::string body) {
  HttpServerResponse r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = "text/plain; charset=utf-8";
  return r;
}

}  // namespace

AdminEndpoint::AdminEndpoint(uv_loop_t* loop, AdminEndpointOptions options, MetricsFn metrics,
                             ReadinessFn readiness)
    : bearer_token_(std::move(options.bearer_token)),
      metrics_(std::move(metrics)),
      readiness_(std::move(readiness)),
      server_(loop, std::move(options.server),
              [this](HttpServerRequest request, HttpServer::Respond respond) {
                Handle(request, respond);
              }) {}

bool AdminEndpoint::Authorized(const HttpServerRequest& request) const {
  if (bearer_token_.empty()) return true;
  constexpr std::string_view kBearer = "Bearer ";
  const std::string& h = request.Header("authorization");
  if (h.size() != kBearer.size() + bearer_token_.size() ||
      h.compare(0, kBearer.size(), kBearer) != 0) {
    return false;
  }
  return CRYPTO_memcmp(h.data() + kBearer.size(), bearer_token_.data(), bearer_token_.size()) == 0;
}

void AdminEndpoint::Handle(const HttpServerRequest& request, const HttpServer::Respond& respond) {
  const std::string path = request.Path();
  const bool known = path == "/metrics" || path == "/healthz" || path == "/readyz";
  if (!known) {
    ++counters_.not_found;
    respond(Text(404, "not found: /metrics, /healthz and /readyz are served here\n"));
    return;
  }
  if (request.method != "GET") {
    ++counters_.not_found;
    HttpServerResponse r = Text(405, "method not allowed\n");
    r.headers.emplace_back("Allow", "GET");
    respond(std::move(r));
    return;
  }
  if (path == "/healthz") {
    ++counters_.health_checks;
    respond(Text(200, "ok\n"));  // answered from the loop: the loop is alive
    return;
  }
  if (path == "/readyz") {
    ++counters_.health_checks;
    const AdminReadiness r = readiness_();
    std::string body = r.ready ? "ready\n" : "not ready\n";
    for (const std::string& p : r.problems) body += p + "\n";
    respond(Text(r.ready ? 200 : 503, std::move(body)));
    return;
  }
  if (!Authorized(request)) {
    ++counters_.unauthorized;
    HttpServerResponse r = Text(401, "unauthorized: send Authorization: Bearer <token>\n");
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"smsdispatch-admin\"");
    respond(std::move(r));
    return;
  }
  ++counters_.scrapes;
  HttpServerResponse r = Text(200, metrics_());
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  respond(std::move(r));
}

}  // namespace sd::http
