#include "adapters/http/api_endpoint.h"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "adapters/crypto/random.h"
#include "adapters/http/api_answers.h"
#include "adapters/http/api_auth.h"
#include "adapters/loop/uv_kit.h"
#include "core/audit.h"
#include "core/envelope.h"
#include "core/hex.h"
#include "core/safe_text.h"
#include "core/shard_rule.h"

namespace sd::http {

struct ApiEndpoint::Caller {
  std::shared_ptr<const PolicySnapshot> policy;
  const RegisteredKey* key = nullptr;
  std::string address;       // the client's, after trusted proxies
  std::string replay_token;  // the HMAC signature's first 128 bits; empty for bearer
  std::string signature_hex;  // the HMAC signature; empty for bearer
  int64_t signed_at_ms = 0;  // sd-timestamp
  int64_t now_ms = 0;
};

struct ApiEndpoint::Outcome {
  bool ok = false;
  Reason reason = Reason::kNone;
  std::string detail;
  int64_t retry_after_s = 0;
  std::string job_id;
  ApiJob job;
};

namespace {

constexpr size_t kMaxIdempotencyKeyBytes = 255;

HttpServerResponse Answer(int status, std::string body) {
  HttpServerResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

bool ValidIdempotencyKey(const std::string& k) {
  if (k.empty() || k.size() > kMaxIdempotencyKeyBytes) return false;
  return std::all_of(k.begin(), k.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

}  // namespace

ApiEndpoint::ApiEndpoint(uv_loop_t* loop, HttpServerOptions server, ApiEndpointOptions options,
                         const PolicySlot& policy, const MacAlgorithm& mac, const Clock& clock,
                         ApiJobSink* sink)
    : loop_(loop),
      server_(loop, std::move(server),
              [this](HttpServerRequest r, HttpServer::Respond respond) {
                Handle(std::move(r), std::move(respond));
              }),
      options_(std::move(options)),
      policy_(policy),
      mac_(mac),
      clock_(clock),
      sink_(sink) {
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
}

ApiEndpoint::~ApiEndpoint() = default;

int ApiEndpoint::Start() {
  const int rc = server_.Listen();
  if (rc != 0) return rc;
  uv_timer_start(
      &timer_, [](uv_timer_t* t) { static_cast<ApiEndpoint*>(t->data)->OnTimer(); }, 250, 250);
  return 0;
}

void ApiEndpoint::Audit(Reason reason, const std::string& key_id, const std::string& address,
                        const std::string& job_id, const std::string& destination,
                        const std::string& detail) {
  if (audit_ == nullptr) return;
  AuditEvent e;
  e.reason = reason;
  e.action = "rejected";
  e.key_id = PlainOrEscaped(key_id, KeyRecordLimits::kMaxKeyIdBytes);
  e.job_id = job_id;
  e.destination = destination.empty() ? "" : MaskNumber(destination);
  e.detail = PlainOrEscaped("https api from " + address + ": " + detail, kMaxOutcomeDetailBytes);
  e.ts_ms = clock_.NowMs();
  audit_->Emit(std::move(e));
}

bool ApiEndpoint::Authenticate(const HttpServerRequest& request,
                               const HttpServer::Respond& respond, Caller* c) {
  c->address = ApiClientAddress(request, options_.trusted_proxies);
  c->now_ms = clock_.NowMs();
  auto refuse = [&](Reason r, const std::string& detail, const std::string& key_id) {
    ++(r == Reason::kIpNotAllowed ? counters_.forbidden : counters_.auth_failures);
    Audit(r, key_id, c->address, "", "", detail);
    respond(ApiError(r, detail));
    return false;
  };
  ApiCredentials creds;
  ApiAuthProblem p = ParseApiCredentials(request, &creds);
  if (!p.ok()) return refuse(p.reason, p.detail, creds.key_id);
  c->policy = policy_.Current();
  const KeyRegistrySnapshot* keys = c->policy->parts().registry_keys.get();
  if (keys == nullptr) {  // [api] needs the registry (config): its first load is not in yet
    respond(ApiError(Reason::kUnavailable, "key registry not loaded yet", 1));
    return false;
  }
  Result<const RegisteredKey*> key = CheckKey(*keys, creds.key_id, c->now_ms);
  if (!key) return refuse(key.error().reason, key.error().detail, creds.key_id);
  p = VerifyApiAuth((*key)->record, creds, request, c->now_ms, options_.signature_window_ms,
                    PreparedKey(*c->policy, creds.key_id));
  if (!p.ok()) return refuse(p.reason, p.detail, creds.key_id);
  if (!(*key)->allow_ips.empty() && !AddressAllowed(c->address, (*key)->allow_ips)) {
    return refuse(Reason::kIpNotAllowed, "client address not in the key's allow_ips",
                  creds.key_id);
  }
  // Mutual TLS: a key bound to a client certificate is accepted only with that certificate
  // (the TLS layer verified it chains to [api] client_ca_file). Compared in constant time.
  const std::string& bound = (*key)->record.scopes.client_cert_sha256;
  if (!bound.empty() && (request.client_cert_sha256.size() != bound.size() ||
                         CRYPTO_memcmp(request.client_cert_sha256.data(), bound.data(),
                                       bound.size()) != 0)) {
    return refuse(Reason::kClientCertRequired,
                  request.client_cert_sha256.empty()
                      ? "this key needs its client certificate (mutual TLS)"
                      : "the client certificate is not the one bound to this key",
                  creds.key_id);
  }
  c->key = *key;
  // 128 bits of the signature name it in the replay record: a collision needs 2^64 requests.
  c->replay_token = creds.signature_hex.substr(0, 32);
  c->signature_hex = creds.signature_hex;
  c->signed_at_ms = creds.timestamp_ms;
  return true;
}

// The key's secret as the snapshot prepared it, when prepared with our MAC (else null: the
// callers then use the secret itself).
const PreparedMac* ApiEndpoint::PreparedKey(const PolicySnapshot& policy,
                                            std::string_view key_id) const {
  return policy.parts().mac == &mac_ ? policy.PreparedKeyOf(key_id) : nullptr;
}

// A signed request's jobs get ids derived from its signature and their place in the request:
// a replay of the request names the same ids, so the first one's status record refuses it
// (api_submit.lua) without a replay record of its own. The signature is an HMAC under the
// key's secret, so nobody without the secret or the request can tell an id ahead. Unsigned
// (bearer) requests get random ids. Either way, until one belongs to shard 0 (about `shards`
// tries of a CRC over 28 bytes).
std::string ApiEndpoint::NewJobId(const Caller& c, size_t index) {
  std::string id;
  for (uint32_t attempt = 0;; ++attempt) {
    if (c.signature_hex.empty()) {
      id = "api-" + HexEncode(ids_.Take(12));
    } else {
      std::string seed = "sd-api-job\n" + c.signature_hex + "\n" + std::to_string(index) + "\n" +
                         std::to_string(attempt);
      id = "api-" + Sha256Hex(seed).substr(0, 24);
    }
    if (JobShard(id, options_.shards) == 0) return id;
  }
}

ApiEndpoint::Outcome ApiEndpoint::Build(const Caller& c, const Result<ApiMessage>& m,
                                        size_t index) {
  Outcome o;
  if (!m) {
    o.reason = m.error().reason;
    o.detail = m.error().detail;
    ++counters_.rejected;
    return o;
  }
  Job job;
  job.id = NewJobId(c, index);
  job.created_ms = c.now_ms;
  const int64_t validity_s = m->validity_s != 0 ? m->validity_s : options_.default_validity_s;
  // A scheduled message's validity runs from when it is to be sent.
  const int64_t from_ms = std::max(m->send_at_ms, c.now_ms);
  job.expires_ms = m->expires_ms != 0 ? m->expires_ms : from_ms + validity_s * 1000;
  job.send_at_ms = m->send_at_ms;
  job.destination = m->to;
  job.sender = m->from;
  job.text = m->text;
  job.kind = m->kind;
  job.client_ref = m->client_ref;
  const KeyRecord& key = c.key->record;
  StreamEntry entry;
  entry.version = std::string(kEnvelopeVersion);
  entry.key_id = key.id;
  entry.job = EncodeJob(job);
  const PreparedMac* prepared = PreparedKey(*c.policy, key.id);
  entry.sig = prepared != nullptr
                  ? SignJob(*prepared, key.id, options_.jobs_stream, entry.job)
                  : SignJob(mac_, key.secret, key.id, options_.jobs_stream, entry.job);
  const Decision d =
      DecideBuilt(entry, job, *c.key, *c.policy, clock_, options_.carrier, LimitMode::kPeek);
  // A scheduled send, or one held for the recipient's quiet hours, passed every check but the
  // limits, which are charged when it is due (the dispatcher defers it).
  if (!d.result && !d.deferred) {
    o.reason = d.result.error().reason;
    o.detail = d.result.error().detail;
    if (d.retry_at_ms > c.now_ms) o.retry_after_s = (d.retry_at_ms - c.now_ms + 999) / 1000;
    ++counters_.rejected;
    Audit(o.reason, key.id, c.address, job.id, job.destination, o.detail);
    return o;
  }
  o.ok = true;
  o.job_id = job.id;
  o.job = ApiJob{key.id, std::move(entry.job), std::move(entry.sig), job.id, job.created_ms,
                 options_.status_retention_ms == 0
                     ? 0
                     : std::max<int64_t>(job.expires_ms - c.now_ms, 0) +
                           options_.status_retention_ms};
  return o;
}

void ApiEndpoint::Handle(HttpServerRequest request, HttpServer::Respond respond) {
  ++counters_.requests;
  const std::string path = request.Path();
  const bool batch = path == "/v1/messages/batch";
  constexpr std::string_view kStatusPrefix = "/v1/messages/";
  if (request.method == "GET" && path.size() > kStatusPrefix.size() &&
      path.compare(0, kStatusPrefix.size(), kStatusPrefix) == 0) {
    HandleStatus(request, path.substr(kStatusPrefix.size()), std::move(respond));
    return;
  }
  if (path != "/v1/messages" && !batch) {
    ++counters_.bad_requests;
    respond(Answer(404, R"({"status":"rejected","reason":"not_found"})"));
    return;
  }
  if (request.method != "POST") {
    ++counters_.bad_requests;
    HttpServerResponse r = Answer(405, R"({"status":"rejected","reason":"method_not_allowed"})");
    r.headers.emplace_back("Allow", "POST");
    respond(std::move(r));
    return;
  }
  if (closing_) {
    respond(ApiError(Reason::kUnavailable, "shutting down", 1));
    return;
  }
  Caller caller;
  if (!Authenticate(request, respond, &caller)) return;
  const std::string& idem = request.Header("idempotency-key");
  if (!idem.empty() && !ValidIdempotencyKey(idem)) {
    ++counters_.bad_requests;
    respond(ApiError(Reason::kMalformed, "Idempotency-Key must be 1-255 printable ASCII"));
    return;
  }
  std::vector<Outcome> outcomes;
  if (batch) {
    auto items = ParseApiBatch(request.body, options_.max_batch);
    if (!items) {
      ++counters_.bad_requests;
      HttpServerResponse r = ApiError(items.error().reason, items.error().detail);
      if (items.error().reason == Reason::kTooLarge) r.status = 413;
      respond(std::move(r));
      return;
    }
    for (size_t i = 0; i < items->size(); ++i) outcomes.push_back(Build(caller, (*items)[i], i));
  } else {
    outcomes.push_back(Build(caller, ParseApiMessage(request.body), 0));
    const Outcome& o = outcomes.front();
    if (!o.ok && idem.empty()) {
      respond(ApiError(o.reason, o.detail, o.retry_after_s));
      return;
    }  // with an Idempotency-Key the record may hold an earlier answer: Submit looks
  }
  Submit(request, caller, std::move(outcomes), batch, std::move(respond));
}

void ApiEndpoint::Submit(const HttpServerRequest& request, const Caller& caller,
                         std::vector<Outcome> outcomes, bool batch, HttpServer::Respond respond) {
  ApiWrite w;
  w.family = std::string(KeyFamily(caller.key->record.id));
  const std::string& idem = request.Header("idempotency-key");
  if (!idem.empty()) {
    w.idempotency_key = Sha256Hex(idem);
    w.body_hash = Sha256Hex(request.body);  // what a retry under the key must match
  }
  w.replay_token = caller.replay_token;
  // The signature is refused anyway once its timestamp leaves the window: the record need not
  // outlive that (a second of margin for the clocks of several daemons).
  w.replay_ttl_ms = std::max<int64_t>(
      caller.signed_at_ms + options_.signature_window_ms - caller.now_ms + 1'000, 1'000);
  nlohmann::json body;
  std::string answer;
  int status = 202;
  int64_t retry_after_s = 0;
  if (!batch && !outcomes.front().ok) {
    const Outcome& o = outcomes.front();
    status = ApiStatusFor(o.reason);
    retry_after_s = o.retry_after_s;
    body = nlohmann::json::parse(ApiErrorBody(o.reason, o.detail));
  } else if (batch) {
    status = 200;
    nlohmann::json results = nlohmann::json::array();
    size_t accepted = 0;
    for (size_t i = 0; i < outcomes.size(); ++i) {
      const Outcome& o = outcomes[i];
      nlohmann::json item{{"index", i}};
      if (o.ok) {
        item["status"] = 202;
        item["id"] = o.job_id;
        ++accepted;
      } else {
        item["status"] = ApiStatusFor(o.reason);
        item["reason"] = ReasonName(o.reason);
        item["detail"] = PlainOrEscaped(o.detail, kMaxOutcomeDetailBytes);
      }
      results.push_back(std::move(item));
    }
    body = {{"accepted", accepted}, {"rejected", outcomes.size() - accepted},
            {"results", std::move(results)}};
  } else {
    // The common answer without a JSON document: the id is ours ("api-" and hex), nothing in
    // it needs escaping.
    answer = R"({"status":"accepted","id":")" + outcomes.front().job_id + R"("})";
  }
  if (answer.empty()) answer = body.dump();
  // Kept for a retry under the same Idempotency-Key: the status's three digits, then the body.
  if (!idem.empty()) w.response = std::to_string(status) + answer;
  for (Outcome& o : outcomes) {
    if (o.ok) w.jobs.push_back(std::move(o.job));
  }
  // A request of which nothing was accepted leaves no record: the same request may pass later
  // (a rate limit, a key scope widened), and its signature may be sent again.
  w.record = !w.jobs.empty();
  if (w.jobs.empty()) w.replay_token.clear();
  const uint64_t key = next_pending_++;
  pending_.emplace(key, Pending{std::move(respond),
                                uv_now(loop_) + static_cast<uint64_t>(options_.ack_timeout_ms),
                                status, std::move(answer), w.jobs.size(), caller.key->record.id,
                                caller.address, retry_after_s});
  const std::string body_hash = w.body_hash;
  sink_->Write(std::move(w), [this, key, body_hash](ApiWriteResult r) { Finish(key, r, body_hash); });
}

void ApiEndpoint::Finish(uint64_t key, const ApiWriteResult& r, const std::string& body_hash) {
  auto it = pending_.find(key);
  if (it == pending_.end()) return;  // answered 503 already
  Pending p = std::move(it->second);
  pending_.erase(it);
  switch (r.kind) {
    case ApiWriteResult::Kind::kWritten: {
      counters_.accepted += p.jobs;
      HttpServerResponse a = Answer(p.status, std::move(p.response));
      if (p.retry_after_s > 0) a.headers.emplace_back("Retry-After", std::to_string(p.retry_after_s));
      p.respond(std::move(a));
      return;
    }
    case ApiWriteResult::Kind::kIdempotent: {
      if (r.stored_body_hash != body_hash) {
        ++counters_.conflicts;
        p.respond(ApiError(Reason::kIdempotencyConflict,
                           "Idempotency-Key was used before with another body"));
        return;
      }
      ++counters_.idempotent;
      const std::string& stored = r.stored_response;
      const int status = stored.size() >= 3 ? std::atoi(stored.substr(0, 3).c_str()) : 0;
      HttpServerResponse a = status >= 200 && status < 300
                                 ? Answer(status, stored.substr(3))
                                 : ApiError(Reason::kUnavailable, "stored answer unreadable", 1);
      a.headers.emplace_back("Idempotent-Replayed", "true");
      p.respond(std::move(a));
      return;
    }
    case ApiWriteResult::Kind::kReplay:
      ++counters_.replays;
      Audit(Reason::kReplay, p.key_id, p.address, "", "", "signature used before");
      p.respond(ApiError(Reason::kReplay, "this signature was used before: sign each request"));
      return;
    case ApiWriteResult::Kind::kFailed:
      ++counters_.unavailable;
      spdlog::warn("api: jobs not confirmed durable: {}", r.error);
      p.respond(ApiError(Reason::kUnavailable,
                         "not confirmed durable: retry with the same Idempotency-Key", 1));
      return;
  }
}

void ApiEndpoint::HandleStatus(const HttpServerRequest& request, const std::string& id,
                               HttpServer::Respond respond) {
  Caller caller;
  if (!Authenticate(request, respond, &caller)) return;
  ++counters_.status_reads;
  const std::string family(KeyFamily(caller.key->record.id));
  if (!ValidJobId(id)) {
    respond(Answer(404, R"({"status":"rejected","reason":"not_found"})"));
    return;
  }
  sink_->Status(id, [this, id, family, respond = std::move(respond)](bool ok, bool found,
                                                                     ApiStatus status) {
    if (!ok) {
      ++counters_.unavailable;
      respond(ApiError(Reason::kUnavailable, "status not readable now", 1));
      return;
    }
    // Another family's job answers exactly like one that does not exist.
    if (!found || StatusField(status, "fam") != family) {
      respond(Answer(404, R"({"status":"rejected","reason":"not_found"})"));
      return;
    }
    respond(Answer(200, ApiStatusBody(id, status)));
  });
}

void ApiEndpoint::OnTimer() {
  const uint64_t now = uv_now(loop_);
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.deadline_ms > now) {
      ++it;
      continue;
    }
    ++counters_.unavailable;
    auto respond = std::move(it->second.respond);
    it = pending_.erase(it);
    respond(ApiError(Reason::kUnavailable,
                     "not confirmed in time: retry with the same Idempotency-Key", 1));
  }
}

void ApiEndpoint::Close(std::function<void()> done) {
  closing_ = true;
  pending_.clear();
  server_.Close([this, done = std::move(done)]() mutable {
    loop::CloseAll({loop::AsHandle(&timer_)}, std::move(done));
  });
}

}  // namespace sd::http
