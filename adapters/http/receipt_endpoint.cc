#include "adapters/http/receipt_endpoint.h"

#include "adapters/loop/uv_kit.h"
#include "core/safe_text.h"

namespace sd::http {
namespace {

constexpr std::string_view kPrefix = "/v1/receipts/";
constexpr std::string_view kInboundPrefix = "/v1/inbound/";

HttpServerResponse Json(int status, const std::string& body) {
  HttpServerResponse r;
  r.status = status;
  r.body = body;
  return r;
}

}  // namespace

ReceiptEndpoint::ReceiptEndpoint(uv_loop_t* loop, HttpServerOptions server,
                                 int64_t ack_timeout_ms, const Clock& clock)
    : loop_(loop),
      server_(loop, std::move(server),
              [this](HttpServerRequest r, HttpServer::Respond respond) {
                Handle(std::move(r), std::move(respond));
              }),
      ack_timeout_ms_(ack_timeout_ms),
      clock_(clock) {
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
}

ReceiptEndpoint::~ReceiptEndpoint() = default;

void ReceiptEndpoint::AddCarrier(HttpCarrier* carrier, ReceiptWebhookConfig config) {
  auto [it, added] = routes_.emplace(carrier->name(), Route{carrier, config, {}, {}});
  if (added) return;
  // A reload replaced the carrier: the new one and its webhook settings; the webhook ids seen
  // stay, so a receipt the provider posts again is still recognised.
  it->second.carrier = carrier;
  it->second.config = std::move(config);
}

int ReceiptEndpoint::Start() {
  const int rc = server_.Listen();
  if (rc != 0) return rc;
  uv_timer_start(
      &timer_, [](uv_timer_t* t) { static_cast<ReceiptEndpoint*>(t->data)->OnTimer(); }, 250,
      250);
  return 0;
}

void ReceiptEndpoint::Refuse(const HttpServerRequest& request, const std::string& carrier,
                             Reason reason, const std::string& problem) {
  if (audit_ == nullptr) return;
  AuditEvent e;
  e.reason = reason;
  e.action = "rejected";
  const bool inbound = request.Path().compare(0, kInboundPrefix.size(), kInboundPrefix) == 0;
  e.detail = PlainOrEscaped(std::string(inbound ? "inbound" : "receipt") + " webhook for carrier " +
                                carrier + " from " + request.peer_address + ": " + problem,
                            kMaxOutcomeDetailBytes);
  e.ts_ms = clock_.NowMs();
  audit_->Emit(std::move(e));
}

bool ReceiptEndpoint::Seen(Route& route, const std::string& id) {
  auto it = route.seen.find(id);
  return it != route.seen.end() && it->second > uv_now(loop_);
}

void ReceiptEndpoint::Remember(Route& route, const std::string& id) {
  const uint64_t now = uv_now(loop_);
  // Bounded: expired ids and, past the cap, the oldest go first.
  while (!route.seen_order.empty() &&
         (route.seen.size() >= route.config.dedup_max_ids ||
          route.seen[route.seen_order.front()] <= now)) {
    route.seen.erase(route.seen_order.front());
    route.seen_order.pop_front();
  }
  if (route.seen.emplace(id, now + static_cast<uint64_t>(route.config.dedup_window_ms)).second) {
    route.seen_order.push_back(id);
  }
}

ReceiptEndpoint::Route* ReceiptEndpoint::Admit(const HttpServerRequest& request,
                                               const HttpServer::Respond& respond,
                                               std::string* webhook_id, bool* inbound) {
  const std::string path = request.Path();
  *inbound = path.compare(0, kInboundPrefix.size(), kInboundPrefix) == 0;
  if (!*inbound && path.compare(0, kPrefix.size(), kPrefix) != 0) {
    respond(Json(404, R"({"error":"not found"})"));
    return nullptr;
  }
  ++counters_.received;
  const std::string name = path.substr((*inbound ? kInboundPrefix : kPrefix).size());
  auto it = routes_.find(name);
  if (it == routes_.end() || (*inbound && !it->second.config.inbound.enabled())) {
    ++counters_.unknown_carrier;
    respond(Json(404, R"({"error":"unknown carrier"})"));
    return nullptr;
  }
  if (request.method != "POST") {
    HttpServerResponse r = Json(405, R"({"error":"POST only"})");
    r.headers.emplace_back("Allow", "POST");
    respond(std::move(r));
    return nullptr;
  }
  Route& route = it->second;
  if (!route.config.allow_ips.empty() &&
      !AddressAllowed(request.peer_address, route.config.allow_ips)) {
    ++counters_.forbidden;
    Refuse(request, name, Reason::kIpNotAllowed, "address not allowed");
    respond(Json(403, R"({"error":"ip_not_allowed"})"));
    return nullptr;
  }
  WebhookCheck check;
  if (*inbound && !route.config.inbound_url.empty()) {
    WebhookAuth auth = route.config.auth;  // the same secrets, the URL replies are posted to
    auth.signed_url = route.config.inbound_url;
    check = VerifyWebhook(auth, request, clock_.NowMs());
  } else {
    check = VerifyWebhook(route.config.auth, request, clock_.NowMs());
  }
  if (!check.ok) {
    ++counters_.bad_signature;
    Refuse(request, name, Reason::kBadSignature, check.problem);
    respond(Json(401, R"({"error":"bad_signature"})"));
    return nullptr;
  }
  if (!check.webhook_id.empty() && Seen(route, check.webhook_id)) {
    ++counters_.duplicates;  // stored already: the provider lost our 200
    respond(Json(200, R"({"status":"duplicate"})"));
    return nullptr;
  }
  *webhook_id = check.webhook_id;
  return &route;
}

std::function<void()> ReceiptEndpoint::AnswerWhenDurable(HttpServer::Respond respond,
                                                         std::string carrier,
                                                         std::string webhook_id, bool inbound) {
  const uint64_t key = next_pending_++;
  pending_.emplace(
      key, Pending{std::move(respond), uv_now(loop_) + static_cast<uint64_t>(ack_timeout_ms_)});
  return [this, key, inbound, name = std::move(carrier), id = std::move(webhook_id)] {
    if (!id.empty()) {
      auto r = routes_.find(name);
      if (r != routes_.end()) Remember(r->second, id);
    }
    auto p = pending_.find(key);
    if (p == pending_.end()) return;  // answered 503 already; the store has it now
    ++(inbound ? counters_.inbound_stored : counters_.stored);
    auto answer = std::move(p->second.respond);
    pending_.erase(p);
    answer(Json(200, R"({"status":"stored"})"));
  };
}

void ReceiptEndpoint::HandleInbound(Route& route, const HttpServerRequest& request,
                                    HttpServer::Respond respond, std::string webhook_id) {
  auto parsed = ParseInboundWebhook(route.config.inbound, request.body);
  if (auto* problem = std::get_if<std::string>(&parsed)) {
    ++counters_.bad_bodies;
    respond(Json(400, "{\"error\":\"" + EscapeBytes(*problem, 200) + "\"}"));
    return;
  }
  if (closing_) {
    respond(Json(503, R"({"error":"not ready"})"));
    return;
  }
  if (inbound_ == nullptr) {
    ++counters_.inbound_not_kept;
    respond(Json(200, R"({"status":"not kept"})"));
    return;
  }
  WebhookInbound& w = std::get<WebhookInbound>(parsed);
  InboundPart part;
  part.carrier = route.carrier->name();
  part.from = std::move(w.from);
  part.to = std::move(w.to);
  part.coding = MoCoding::kUtf8;
  part.body = std::move(w.text);
  part.received_ms = clock_.NowMs();
  inbound_->Put(std::move(part), AnswerWhenDurable(std::move(respond), route.carrier->name(),
                                                   std::move(webhook_id), true));
}

void ReceiptEndpoint::Handle(HttpServerRequest request, HttpServer::Respond respond) {
  std::string webhook_id;
  bool inbound = false;
  Route* route = Admit(request, respond, &webhook_id, &inbound);
  if (route == nullptr) return;
  if (inbound) {
    HandleInbound(*route, request, std::move(respond), std::move(webhook_id));
    return;
  }
  auto parsed = ParseReceiptWebhook(route->config.shape, request.body);
  if (auto* problem = std::get_if<std::string>(&parsed)) {
    ++counters_.bad_bodies;
    respond(Json(400, "{\"error\":\"" + EscapeBytes(*problem, 200) + "\"}"));
    return;
  }
  const auto& handler = route->carrier->receipt_handler();
  if (!handler || closing_) {
    respond(Json(503, R"({"error":"not ready"})"));
    return;
  }
  const WebhookReceipt& w = std::get<WebhookReceipt>(parsed);
  Receipt receipt;
  receipt.carrier = route->carrier->name();
  receipt.message_id = w.message_id;
  receipt.state = w.state;
  receipt.carrier_status = w.carrier_status;
  receipt.error_code = w.error_code;
  handler(std::move(receipt), AnswerWhenDurable(std::move(respond), route->carrier->name(),
                                                std::move(webhook_id), false));
}

void ReceiptEndpoint::OnTimer() {
  const uint64_t now = uv_now(loop_);
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.deadline_ms > now) {
      ++it;
      continue;
    }
    ++counters_.ack_timeouts;
    HttpServerResponse r = Json(503, R"({"error":"not stored yet"})");
    r.headers.emplace_back("Retry-After", "5");
    auto respond = std::move(it->second.respond);
    it = pending_.erase(it);
    respond(std::move(r));
  }
}

void ReceiptEndpoint::Close(std::function<void()> done) {
  closing_ = true;
  pending_.clear();  // the provider sends again what it got no answer for
  server_.Close([this, done = std::move(done)]() mutable {
    loop::CloseAll({loop::AsHandle(&timer_)}, std::move(done));
  });
}

}  // namespace sd::http
