#pragma once
// POST /v1/receipts/<carrier>: delivery receipts from HTTP carriers, on the daemon's listener.
// In order, each step refusing what fails it, and nothing written for a refused request:
//
//   1. the path names a configured HTTP carrier with webhooks on           else 404 / 405
//   2. the TCP peer is in the carrier's allow_ips (when set)               else 403, audited
//   3. the signature verifies (webhook_auth.h), before the body is read    else 401, audited
//   4. a Standard Webhooks id seen and stored within the window            200, nothing written
//   5. the body parses into a receipt (receipt_webhook.h)                  else 400
//   6. the receipt goes the way SMPP receipts go (the carrier's receipt handler: correlation,
//      de-duplication, multipart, quarantine of unknown ids) and the answer is 200 only once
//      it is durable on Redis; if that takes longer than ack_timeout, 503 with Retry-After,
//      so the provider sends it again (the store de-duplicates).
//
// POST /v1/inbound/<carrier>: replies recipients send (docs/inbound.md), with steps 1-4 the
// same (the carrier's webhook secrets, allow_ips and id window); the body (the carrier's
// inbound shape) becomes an inbound part for the InboundSink, and the answer is 200 once it is
// durable, 503 with Retry-After after ack_timeout (the inbound store keeps a reply posted
// again once).
//
// Audit events name the carrier and the peer, never the body or a signature.
#include <uv.h>

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/cidr.h"
#include "adapters/http/http_carrier.h"
#include "adapters/http/http_server.h"
#include "adapters/http/receipt_webhook.h"
#include "adapters/http/webhook_auth.h"
#include "core/clock.h"
#include "core/ports.h"

namespace sd::http {

struct ReceiptWebhookConfig {
  WebhookAuth auth;
  std::vector<Cidr> allow_ips;  // empty: any address
  ReceiptWebhookShape shape;
  InboundWebhookShape inbound;  // disabled (no fields): /v1/inbound/<carrier> is 404
  // The URL the provider posts replies to, for schemes that sign the URL (form-hmac-sha1);
  // empty: auth.signed_url.
  std::string inbound_url;
  int64_t dedup_window_ms = 3'600'000;
  size_t dedup_max_ids = 100'000;
};

struct ReceiptEndpointCounters {
  uint64_t received = 0;        // requests to a receipt path
  uint64_t stored = 0;          // answered 200 after the receipt was durable
  uint64_t duplicates = 0;      // webhook id already stored: 200, nothing written
  uint64_t unknown_carrier = 0;
  uint64_t forbidden = 0;       // peer outside allow_ips
  uint64_t bad_signature = 0;
  uint64_t bad_bodies = 0;      // body did not parse (400)
  uint64_t ack_timeouts = 0;    // 503: not durable in time
  uint64_t inbound_stored = 0;  // replies answered 200 once durable
  uint64_t inbound_not_kept = 0;  // replies answered 200 with [inbound] off (only counted)
  template <typename F>
  void ForEach(F&& f) const {
    f("received", received);
    f("stored", stored);
    f("duplicates", duplicates);
    f("unknown_carrier", unknown_carrier);
    f("forbidden", forbidden);
    f("bad_signature", bad_signature);
    f("bad_bodies", bad_bodies);
    f("ack_timeouts", ack_timeouts);
    f("inbound_stored", inbound_stored);
    f("inbound_not_kept", inbound_not_kept);
  }
};

class ReceiptEndpoint {
 public:
  ReceiptEndpoint(uv_loop_t* loop, HttpServerOptions server, int64_t ack_timeout_ms,
                  const Clock& clock);
  // Close() must have completed before destruction.
  ~ReceiptEndpoint();
  ReceiptEndpoint(const ReceiptEndpoint&) = delete;
  ReceiptEndpoint& operator=(const ReceiptEndpoint&) = delete;

  // Before Start(), or on a reload (a carrier of the same name is replaced). `carrier` must
  // outlive the endpoint.
  void AddCarrier(HttpCarrier* carrier, ReceiptWebhookConfig config);
  void SetAuditSink(AuditSink* audit) { audit_ = audit; }
  // Where replies go; null ([inbound] enabled = false): answered 200 and only counted.
  void SetInboundSink(InboundSink* sink) { inbound_ = sink; }
  [[nodiscard]] int Start();
  int port() const { return server_.port(); }
  const std::string& error() const { return server_.error(); }
  void Close(std::function<void()> done);

  const ReceiptEndpointCounters& counters() const { return counters_; }
  const HttpServerCounters& server_counters() const { return server_.counters(); }

 private:
  struct Route {
    HttpCarrier* carrier;
    ReceiptWebhookConfig config;
    std::unordered_map<std::string, uint64_t> seen;  // webhook id -> expiry (uv_now ms)
    std::deque<std::string> seen_order;
  };

  void Handle(HttpServerRequest request, HttpServer::Respond respond);
  // Steps 1-4: the route of a request that may go on (and its webhook id), or null once it
  // has been answered.
  // `inbound` says which path it was.
  Route* Admit(const HttpServerRequest& request, const HttpServer::Respond& respond,
               std::string* webhook_id, bool* inbound);
  void HandleInbound(Route& route, const HttpServerRequest& request, HttpServer::Respond respond,
                     std::string webhook_id);
  // Answers 200 once `stored` is called, or 503 after ack_timeout; `stored` counts the kind.
  std::function<void()> AnswerWhenDurable(HttpServer::Respond respond, std::string carrier,
                                          std::string webhook_id, bool inbound);
  void Refuse(const HttpServerRequest& request, const std::string& carrier, Reason reason,
              const std::string& problem);
  bool Seen(Route& route, const std::string& id);
  void Remember(Route& route, const std::string& id);

  uv_loop_t* loop_;
  HttpServer server_;
  int64_t ack_timeout_ms_;
  const Clock& clock_;
  AuditSink* audit_ = nullptr;
  InboundSink* inbound_ = nullptr;
  std::map<std::string, Route> routes_;
  ReceiptEndpointCounters counters_;
  // Receipts handed on and not yet durable, with their answer deadline.
  struct Pending {
    HttpServer::Respond respond;
    uint64_t deadline_ms;
  };
  std::map<uint64_t, Pending> pending_;
  uint64_t next_pending_ = 1;
  uv_timer_t timer_;
  bool closing_ = false;
  void OnTimer();
};

}  // namespace sd::http
