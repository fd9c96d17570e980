#pragma once
// The producers' HTTPS API (docs/api.md): POST /v1/messages and POST /v1/messages/batch on a
// listener of its own. For each request, in order, each step answering what fails it:
//
//   1. the path and method                                         404 / 405
//   2. credentials that parse (api_auth.h)                         401 auth_required
//   3. the key: known, not revoked, within its validity            401 unknown_key, ...
//   4. the HMAC signature in its time window, or the bearer secret 401 bad_signature,
//      if the key allows that scheme                                   clock_skew, auth_scheme_...
//   5. the client address in the key's allow_ips                   403 ip_not_allowed
//   6. the body (api_message.h)                                    400 malformed / 413
//   7. per message: the job is built, signed with the key's own secret exactly as a Redis
//      producer signs it, and decided under the current policy as the dispatcher will decide
//      it (every check; rate limits looked at, not charged)        400 / 403 / 429 with reason
//   8. one script on Redis: Idempotency-Key seen (same body: the first answer again; another
//      body: 409), signature seen (401 replay), else every accepted job XADDed to the jobs
//      stream; the answer (202 with the job id) only once that is durable, 503 if it is not
//      within ack_timeout.
//
// Every refusal is counted, and audited with the key id and client address (never a secret,
// a signature or the text; numbers masked).
#include <uv.h>

#include <map>
#include <string>
#include <vector>

#include "adapters/crypto/random.h"
#include "adapters/http/api_message.h"
#include "adapters/http/http_server.h"
#include "core/cidr.h"
#include "core/clock.h"
#include "core/decision.h"
#include "core/policy_snapshot.h"
#include "core/ports.h"

namespace sd::http {

struct ApiEndpointOptions {
  std::string jobs_stream = "sd:jobs";  // what each job is signed for and written to
  std::string carrier;  // the carrier limits are looked at for without routes (the first one)
  int64_t signature_window_ms = 300'000;  // |now - sd-timestamp| at most this
  int64_t default_validity_s = 3'600;
  size_t max_batch = 100;
  int64_t ack_timeout_ms = 10'000;
  std::vector<Cidr> trusted_proxies;  // whose X-Forwarded-For is believed
  // A job's status record (GET /v1/messages/<id>) outlives its expiry by this; 0 = no records.
  int64_t status_retention_ms = 3'600'000;
  // [redis] shards: the API writes to shard 0's stream (its idempotency and status records
  // live there), so the ids it makes are ones JobShard puts in shard 0.
  uint32_t shards = 1;
};

struct ApiEndpointCounters {
  uint64_t requests = 0;
  uint64_t accepted = 0;        // jobs written to the stream
  uint64_t rejected = 0;        // jobs refused by the checks (400/403/429 per message)
  uint64_t auth_failures = 0;   // 401
  uint64_t forbidden = 0;       // 403 ip_not_allowed
  uint64_t bad_requests = 0;    // body did not parse, 404, 405
  uint64_t idempotent = 0;      // answered from the idempotency record
  uint64_t conflicts = 0;       // 409
  uint64_t replays = 0;
  uint64_t unavailable = 0;     // 503
  uint64_t status_reads = 0;    // GET /v1/messages/<id> authenticated
  template <typename F>
  void ForEach(F&& f) const {
    f("requests", requests);
    f("accepted", accepted);
    f("rejected", rejected);
    f("auth_failures", auth_failures);
    f("forbidden", forbidden);
    f("bad_requests", bad_requests);
    f("idempotent", idempotent);
    f("conflicts", conflicts);
    f("replays", replays);
    f("unavailable", unavailable);
    f("status_reads", status_reads);
  }
};

class ApiEndpoint {
 public:
  // `policy`, `mac`, `clock` and `sink` must outlive the endpoint.
  ApiEndpoint(uv_loop_t* loop, HttpServerOptions server, ApiEndpointOptions options,
              const PolicySlot& policy, const MacAlgorithm& mac, const Clock& clock,
              ApiJobSink* sink);
  ~ApiEndpoint();
  ApiEndpoint(const ApiEndpoint&) = delete;
  ApiEndpoint& operator=(const ApiEndpoint&) = delete;

  void SetAuditSink(AuditSink* audit) { audit_ = audit; }
  [[nodiscard]] int Start();
  int port() const { return server_.port(); }
  const std::string& error() const { return server_.error(); }
  void Close(std::function<void()> done);

  const ApiEndpointCounters& counters() const { return counters_; }
  const HttpServerCounters& server_counters() const { return server_.counters(); }

 private:
  struct Caller;   // an authenticated request: its key, policy and address (api_endpoint.cc)
  struct Outcome;  // one message's fate: job to write, or refusal

  void Handle(HttpServerRequest request, HttpServer::Respond respond);
  void HandleStatus(const HttpServerRequest& request, const std::string& id,
                    HttpServer::Respond respond);
  bool Authenticate(const HttpServerRequest& request, const HttpServer::Respond& respond,
                    Caller* caller);
  Outcome Build(const Caller& caller, const Result<ApiMessage>& message, size_t index);
  std::string NewJobId(const Caller& caller, size_t index);
  const PreparedMac* PreparedKey(const PolicySnapshot& policy, std::string_view key_id) const;
  void Submit(const HttpServerRequest& request, const Caller& caller,
              std::vector<Outcome> outcomes, bool batch, HttpServer::Respond respond);
  void Finish(uint64_t pending, const ApiWriteResult& result, const std::string& body_hash);
  void Audit(Reason reason, const std::string& key_id, const std::string& address,
             const std::string& job_id, const std::string& destination,
             const std::string& detail);
  void OnTimer();

  uv_loop_t* loop_;
  HttpServer server_;
  ApiEndpointOptions options_;
  PolicySlot::Reader policy_;
  const MacAlgorithm& mac_;
  RandomPool ids_;  // job ids
  const Clock& clock_;
  ApiJobSink* sink_;
  AuditSink* audit_ = nullptr;
  ApiEndpointCounters counters_;
  struct Pending {
    HttpServer::Respond respond;
    uint64_t deadline_ms;
    int status;            // the answer's status once written (202 / 200)
    std::string response;  // its body
    size_t jobs;
    std::string key_id;   // for the audit of a replay
    std::string address;
    int64_t retry_after_s;
  };
  std::map<uint64_t, Pending> pending_;
  uint64_t next_pending_ = 1;
  uv_timer_t timer_;
  bool closing_ = false;
};

}  // namespace sd::http
