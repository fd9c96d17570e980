#pragma once
// Interfaces core declares and adapters implement (DESIGN: adapters do I/O behind ports).
// Contract for every asynchronous call (STYLE habit 1): the completion is called exactly
// once, on the loop thread, never from inside the call itself.
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/block_list.h"
#include "core/inbound.h"
#include "core/job.h"
#include "core/outcome.h"
#include "core/sms_text.h"
#include "core/submit_gate.h"

namespace sd {

// ---- Redis side -------------------------------------------------------------------------

// What the idempotency record says about a job id when an entry claims it.
enum class ClaimState : uint8_t {
  kNew,          // first time this job id is seen: go ahead and submit
  kResume,       // this same entry claimed it before (redelivery after a crash): submit again
  kAlreadyDone,  // this entry already has an outcome: just acknowledge it
  kReplay,       // another entry owns this job id: reject as replay
  kWrongShard,   // [redis] shards: the job id belongs to another shard's stream: reject
};

struct ClaimRequest {
  std::string entry_id;  // with [redis] shards, "<shard>/<id>" (adapters/redis/sharded_job_store.h)
  std::string job_id;
  int64_t ttl_ms = 0;  // how long the idempotency record lives (>= job validity)
};

class JobStore {
 public:
  virtual ~JobStore() = default;
  using BatchHandler = std::function<void(std::vector<StreamEntry>)>;
  // Entries arrive in batches: own pending first, then reclaimed, then new.
  virtual void SetBatchHandler(BatchHandler handler) = 0;
  // Backpressure: the store reads at most `credit` more entries until granted again.
  virtual void GrantCredit(size_t credit) = 0;
  // Stop reading new entries (shutdown); writes still complete.
  virtual void StopReading() = 0;

  virtual void Claim(std::vector<ClaimRequest> reqs,
                     std::function<void(std::vector<ClaimState>)> done) = 0;
  // Writes the outcome (at most once per entry), the receipt correlation for submitted
  // outcomes, and XACKs the entry, atomically. Retries internally while Redis is away;
  // `done` is called once it is durable.
  virtual void Commit(Outcome outcome, std::function<void()> done) = 0;
  // Matches a receipt to its job through the correlation record and appends it to the
  // receipt stream (or the quarantine stream when unmatched). `done` once durable.
  virtual void PutReceipt(Receipt receipt, std::function<void()> done) = 0;
};

// ---- Security audit and deferral ---------------------------------------------------------

// One security decision, for the audit stream (docs/keys.md). Never a secret, never the
// message text, destination masked.
struct AuditEvent {
  Reason reason = Reason::kNone;  // bad_signature, unknown_key, revoked_key, kind_not_allowed...
  std::string action;             // "rejected" | "deferred" | "flagged"
  std::string entry_id;
  std::string job_id;
  std::string key_id;
  std::string destination;  // masked (MaskNumber in core/audit.h): "+4477******89"
  std::string detail;       // names the rule / limit / scope; no text, no secret
  int64_t ts_ms = 0;
};

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  // Queued and written in order with retries while Redis is away; bounded (the oldest
  // event is counted and dropped, never the daemon's memory). Never blocks the caller.
  virtual void Emit(AuditEvent event) = 0;
};

// Where the dispatcher puts the blocks its pumping rules raise (adapters/redis/block_store.h):
// kept in Redis so every daemon, and every restart, refuses the prefix. Queued and retried
// while Redis is away; never blocks the caller (who already blocks locally at once).
class BlockSink {
 public:
  virtual ~BlockSink() = default;
  virtual void Raise(Block block) = 0;
};

// Where carriers hand what recipients send (adapters/redis/inbound_store.h). `durable` runs
// once the part is kept (in Redis); only then may the carrier acknowledge it, so a crash
// before that makes the SMSC deliver it again. It may never run (the store is full or
// closing): the carrier then leaves the message unacknowledged.
class InboundSink {
 public:
  virtual ~InboundSink() = default;
  virtual void Put(InboundPart part, std::function<void()> durable) = 0;
};

// ---- Producers' HTTPS API ------------------------------------------------------------------

// Jobs the API has built, signed and decided, to be put on the jobs stream together with the
// records that make the request safe to retry (docs/api.md, "Idempotency" and "Replay").
struct ApiJob {
  std::string key_id;  // the entry's kid
  std::string job;     // msgpack job map
  std::string sig;     // hex HMAC-SHA256 under the key's own secret (docs/jobs.md §3)
  std::string job_id;  // the job map's id: names its status record
  int64_t created_ms = 0;
  int64_t status_ttl_ms = 0;  // how long GET /v1/messages/<id> can find it
};

// A job's status record as GET /v1/messages/<id> reads it: field/value pairs (fam, kid,
// created, status, and once known the outcome's and the latest receipt's fields).
using ApiStatus = std::vector<std::pair<std::string, std::string>>;

struct ApiWrite {
  std::string family;           // the key's family: idempotency keys are per family
  std::string idempotency_key;  // hex SHA-256 of the Idempotency-Key header; "" = none
  std::string body_hash;        // hex SHA-256 of the request body; "" without an idempotency key
  // The request's signature; "" = not signed (bearer). A signed write's first job has an id
  // derived from the signature, so a replay names the same id: the store may refuse it by
  // that job's status record instead of a record of the token (docs/api.md, "Redis").
  std::string replay_token;
  int64_t replay_ttl_ms = 0;    // how long the signature stays refused
  std::string response;         // the answer to keep for an idempotent retry; "" without a key
  bool record = true;           // keep it; false: only look the key up (nothing accepted)
  std::vector<ApiJob> jobs;     // may be empty (a batch of which every item was refused)
};

struct ApiWriteResult {
  enum class Kind : uint8_t {
    kWritten,     // every job is on the stream (and the idempotency record, if any, kept)
    kIdempotent,  // the idempotency key was seen: nothing written; see stored_*
    kReplay,      // the signature was used before: nothing written
    kFailed,      // not known to be durable (Redis away, an error, too few replicas): 503
  };
  Kind kind = Kind::kFailed;
  std::string stored_body_hash;  // kIdempotent: the first request's body hash
  std::string stored_response;   // kIdempotent: its answer
  std::string error;             // kFailed: why, for the log
};

class ApiJobSink {
 public:
  virtual ~ApiJobSink() = default;
  // One atomic step: the idempotency check, the replay record, every XADD and the
  // idempotency record. `done` once, with what happened.
  virtual void Write(ApiWrite write, std::function<void(ApiWriteResult)> done) = 0;
  // The status record of `job_id`: `found` false when there is none (never made, or expired);
  // `ok` false when Redis could not be asked.
  virtual void Status(const std::string& job_id,
                      std::function<void(bool ok, bool found, ApiStatus status)> done) = 0;
};

// Status callbacks' durable queue (docs/api.md, "Status callbacks"): the outcome and receipt
// streams, read through a consumer group of their own, so an entry stays pending until it is
// acknowledged and one left by a daemon that died is taken over by another.
struct StatusEntry {
  bool receipt = false;  // from the receipts stream, else from the outcomes stream
  std::string id;        // the stream entry id, "<ms>-<seq>": the event's time and identity
  // Empty when the entry was trimmed off the stream before it could be read.
  std::vector<std::pair<std::string, std::string>> fields;
};

class StatusEntryQueue {
 public:
  virtual ~StatusEntryQueue() = default;
  // Up to `max` entries: first those this consumer left pending (after a restart), then new
  // ones, and now and then those other consumers left pending too long (a daemon that died).
  // `got` runs once, with nothing when none came within the poll time or Redis is away.
  virtual void Read(size_t max, std::function<void(std::vector<StatusEntry>)> got) = 0;
  // Done with it (delivered, or no callback wanted). Not retried: an ack lost with the
  // connection leaves the entry pending, to be delivered once more (at least once).
  virtual void Ack(const StatusEntry& entry) = 0;
  // Moves it to the dead-letter stream and acknowledges it in one step; `done(ok)`.
  virtual void DeadLetter(const StatusEntry& entry, std::string reason,
                          std::function<void(bool ok)> done) = 0;
  // Entries still held (waiting for a retry): claims them again so that no other consumer
  // takes them over as abandoned.
  virtual void Keep(const std::vector<const StatusEntry*>& held) = 0;
};

// Jobs a rate limit says "not yet" for: moved to a delay queue on Redis and acknowledged in one
// atomic step, then put back on the jobs stream (same fields, new entry id) when due. A
// deferred job is never lost: it is either still pending on the stream or in the queue.
class DeferQueue {
 public:
  virtual ~DeferQueue() = default;
  // `job_id` (may be empty) releases the job id's replay record if this entry holds it, so
  // the entry that comes back may claim it. `done` once durable.
  virtual void Defer(StreamEntry entry, std::string job_id, int64_t due_ms,
                     std::function<void()> done) = 0;
};

// ---- Carrier side -----------------------------------------------------------------------

struct SubmitRequest {
  std::string destination;  // E.164 with '+'
  std::string sender;
  EncodedText text;
  std::string text_utf8;  // the job's text, for carriers configured to re-encode it
  bool want_receipt = true;
  // The job's expiry (ms since the epoch) and signing key id: a carrier must not put the job
  // on the wire after the one, nor under the other once it is withdrawn, and may tell the
  // SMSC the first as the validity period.
  int64_t expires_ms = 0;
  std::string key_id;
  // The job's id and the producer's reference (docs/jobs.md §2): HTTP carriers send the id as
  // an idempotency key and may pass either to the provider.
  std::string job_id;
  std::string client_ref;
  JobKind kind = JobKind::kTransactional;  // for the submit gate's opt-out check
  ZoneSet zones = kNoZones;                // and its quiet-hours check

  // What the submit gate is asked about this job.
  GateQuery Gate() const { return {key_id, destination, sender, kind, expires_ms, zones}; }
};

struct SubmitResult {
  // kWithheld: nothing of the job was sent, because the SubmitGate refused it when its first
  // part was about to be written; `withheld` says why (kExpired, kRevokedKey), `detail` too,
  // and `retry_at_ms` when (quiet hours, GateVerdict::retry_at_ms) it may go after all.
  enum class Kind : uint8_t { kAccepted, kTemporaryFailure, kPermanentFailure, kWithheld };
  Kind kind = Kind::kTemporaryFailure;
  Reason withheld = Reason::kNone;
  int64_t retry_at_ms = 0;
  std::string message_id;  // when accepted: the first part's id
  // When accepted: every part's id in part order (message_id is part_ids[0]). Receipts come
  // per part; the store correlates each and aggregates them into one job status.
  std::vector<std::string> part_ids;
  // The same ids in the carrier's canonical form (core/message_id.h), what receipts are
  // matched by; empty when the carrier matches receipts by the raw id.
  std::vector<std::string> match_keys;
  uint32_t carrier_status = 0;  // e.g. SMPP command_status
  std::string detail;
  int segments = 0;
};

class Carrier {
 public:
  virtual ~Carrier() = default;
  virtual const std::string& name() const = 0;
  // True when a submit would be accepted into the window right now.
  virtual bool Ready() const = 0;
  // `done` is called exactly once (accepted, failed, or timed out).
  virtual void Submit(SubmitRequest req, std::function<void(SubmitResult)> done) = 0;
  // Receipts: the carrier answers the SMSC (deliver_sm_resp) only when `ack` is called,
  // which the daemon does after the receipt is durable on Redis.
  using ReceiptHandler = std::function<void(Receipt receipt, std::function<void()> ack)>;
  virtual void SetReceiptHandler(ReceiptHandler handler) = 0;
  // Called whenever Ready() may have turned true (window space freed, bound).
  virtual void SetReadyHandler(std::function<void()> handler) = 0;
  // Asked right before a job's first part is written (after the window and pace waits, and
  // again before a job none of whose parts is accepted or outstanding is sent again). A job it
  // refuses completes kWithheld with nothing sent. Null: no check. Must outlive the carrier's
  // use of it; set before the first Submit.
  virtual void SetSubmitGate(SubmitGate* gate) = 0;
};

}  // namespace sd
