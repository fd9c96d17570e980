#pragma once
// The operators' admin listener (docs/operations.md): GET /metrics (the Prometheus text
// exposition), GET /healthz (the loop answers: alive) and GET /readyz (ready to take traffic,
// or 503 with the reasons). The daemon supplies what they say through two functions, called
// on the loop at request time: nothing is computed unless someone asks.
//
// /metrics can require a bearer token (constant-time compared; never logged). The health
// endpoints need none: they say only ready or not, and why in fixed words, so probes and
// load balancers can call them without a secret.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "adapters/http/http_server.h"

namespace sd::http {

struct AdminEndpointOptions {
  HttpServerOptions server;
  std::string bearer_token;  // "" = /metrics open (the listener is on loopback then)
};

struct AdminReadiness {
  bool ready = false;
  std::vector<std::string> problems;  // why not, one per line (fixed words, config names)
};

struct AdminEndpointCounters {
  uint64_t scrapes = 0;       // /metrics answered 200
  uint64_t unauthorized = 0;  // /metrics without the right token (401)
  uint64_t health_checks = 0;
  uint64_t not_found = 0;  // other paths (404) and methods (405)
  template <typename F>
  void ForEach(F&& f) const {
    f("scrapes", scrapes);
    f("unauthorized", unauthorized);
    f("health_checks", health_checks);
    f("not_found", not_found);
  }
};

class AdminEndpoint {
 public:
  using MetricsFn = std::function<std::string()>;
  using ReadinessFn = std::function<AdminReadiness()>;

  AdminEndpoint(uv_loop_t* loop, AdminEndpointOptions options, MetricsFn metrics,
                ReadinessFn readiness);
  AdminEndpoint(const AdminEndpoint&) = delete;
  AdminEndpoint& operator=(const AdminEndpoint&) = delete;

  [[nodiscard]] int Start() { return server_.Listen(); }
  int port() const { return server_.port(); }
  const std::string& error() const { return server_.error(); }
  void Close(std::function<void()> done) { server_.Close(std::move(done)); }

  const AdminEndpointCounters& counters() const { return counters_; }
  const HttpServerCounters& server_counters() const { return server_.counters(); }

 private:
  void Handle(const HttpServerRequest& request, const HttpServer::Respond& respond);
  bool Authorized(const HttpServerRequest& request) const;

  std::string bearer_token_;
  MetricsFn metrics_;
  ReadinessFn readiness_;
  AdminEndpointCounters counters_;
  HttpServer server_;
};

}  // namespace sd::http
