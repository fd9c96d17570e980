#pragma once
// The simulated provider: answers submits in the two preset shapes (a form POST answered
// {"sid"}, a JSON POST answered {"messages": [...]}) on adapters/http's HttpServer, with
// latency and injected 429 / 500 / hung requests, recognises a resent request by its
// Idempotency-Key (same id back, counted, no second receipt), and posts signed receipt
// webhooks to the callback URL each message names, through adapters/http's CurlMulti.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "adapters/http/curl_multi.h"
#include "adapters/http/http_server.h"
#include "bench/http_sim/http_sim_options.h"

namespace sd::http_sim {

struct SimCounters {
  uint64_t requests = 0;
  uint64_t accepted = 0;     // messages taken (first time)
  uint64_t duplicates = 0;   // a resend of an accepted message (same Idempotency-Key)
  uint64_t throttled = 0;    // 429
  uint64_t errors = 0;       // 500
  uint64_t hung = 0;         // never answered
  uint64_t rejected = 0;     // 400 by --reject-prefix or a bad request
  uint64_t unauthorized = 0; // 401
  uint64_t webhooks_posted = 0;
  uint64_t webhooks_ok = 0;      // answered 2xx
  uint64_t webhooks_failed = 0;  // any other answer, or no answer (each attempt)
  uint64_t webhooks_retried = 0;
  uint64_t webhooks_given_up = 0;  // failed on every attempt
  template <typename F>
  void ForEach(F&& f) const {
    f("requests", requests);
    f("accepted", accepted);
    f("duplicates", duplicates);
    f("throttled", throttled);
    f("errors", errors);
    f("hung", hung);
    f("rejected", rejected);
    f("unauthorized", unauthorized);
    f("webhooks_posted", webhooks_posted);
    f("webhooks_ok", webhooks_ok);
    f("webhooks_failed", webhooks_failed);
    f("webhooks_retried", webhooks_retried);
    f("webhooks_given_up", webhooks_given_up);
  }
};

class HttpSim {
 public:
  HttpSim(uv_loop_t* loop, Options options);
  ~HttpSim();
  HttpSim(const HttpSim&) = delete;
  HttpSim& operator=(const HttpSim&) = delete;

  [[nodiscard]] int Start();
  int port() const { return server_.port(); }
  const std::string& error() const { return server_.error(); }
  void Close(std::function<void()> done);

  const SimCounters& counters() const { return counters_; }
  std::string StatsJson() const;

 struct Submit;  // one parsed submit request (http_sim.cc)

 private:
  void Handle(http::HttpServerRequest request, http::HttpServer::Respond respond);
  bool Authorized(const http::HttpServerRequest& request, const Submit& submit) const;
  // The answer a submit meets instead of being taken (an injected 429 / 500, a refused
  // destination), or nullopt; *hang when it is never to be answered.
  std::optional<http::HttpServerResponse> Refusal(const Submit& submit, uint64_t n, bool* hang);
  void Later(uint64_t delay_ms, std::function<void()> fn);
  void OnTimer();
  void ScheduleReceipt(const std::string& callback, const std::string& id, bool json);
  void PostReceipt(const std::string& callback, const std::string& id, bool json);
  // Posts one signed webhook; one not answered 2xx is posted again after 1 s, as providers do.
  void PostWebhook(http::HttpRequest request, int64_t attempts_left);

  uv_loop_t* loop_;
  Options options_;
  http::HttpServer server_;
  http::CurlMulti client_;
  uv_timer_t timer_;
  std::multimap<uint64_t, std::function<void()>> due_;  // uv_now ms -> work
  std::unordered_map<std::string, std::string> id_by_key_;
  uint64_t next_id_ = 0;
  uint64_t webhook_seq_ = 0;
  SimCounters counters_;
  bool closing_ = false;
};

}  // namespace sd::http_sim
