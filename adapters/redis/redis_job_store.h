#pragma once
// The job store on Redis Streams: consumer-group intake with backpressure, crash recovery
// (own pending first, XAUTOCLAIM of dead consumers, dead-lettering), and atomic Lua writes for
// claims, outcomes and receipts. Implements core's JobStore port. See docs/redis.md.
#include <uv.h>

#include <cstdint>
#include <cstdlib>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "adapters/loop/uv_kit.h"
#include "adapters/redis/audit_burst.h"
#include "adapters/redis/redis_connection.h"
#include "core/backoff.h"
#include "core/ports.h"

namespace sd::redis {

struct LuaScript;

// This host's name: the default consumer name. Consumer names must be unique among running
// daemons (two daemons with one name would drain each other's pending entries), so set one
// explicitly when several run on one host.
std::string DefaultConsumerName();

struct RedisStoreOptions {
  RedisEndpoint endpoint;  // host/port or unix socket, ACL user + password, reconnect backoff
  std::string jobs_stream = "sd:jobs";
  std::string group = "smsdispatch";
  std::string consumer = DefaultConsumerName();
  std::string outcomes_stream = "sd:outcomes";
  std::string receipts_stream = "sd:receipts";
  std::string dead_letter_stream = "sd:dead";
  std::string quarantine_stream = "sd:receipts:unmatched";
  std::string key_prefix = "sd:";
  size_t batch = 256;                 // XREADGROUP / XAUTOCLAIM COUNT (at most; credit caps it)
  int64_t block_ms = 1000;            // XREADGROUP BLOCK; also the longest a reclaim waits
  int64_t claim_idle_ms = 60'000;     // entries idle this long belong to a dead consumer
  int64_t claim_interval_ms = 5'000;  // how often to reclaim, and to keep our own entries fresh
  int64_t max_deliveries = 5;         // then the entry goes to the dead-letter stream; 0 = never
  int64_t correlation_ttl_ms = 3 * 86'400'000LL;  // receipts come at most this late
  // A receipt can overtake its own submit_sm_resp when they travel on different binds (or the
  // SMSC is quick and the response sits in another read): one whose correlation is not there
  // yet is asked again (100 ms, doubling) for this long before it goes to quarantine. Its
  // deliver_sm_resp waits meanwhile, so a crash loses nothing (the SMSC sends it again).
  int64_t unmatched_receipt_wait_ms = 5'000;
  int64_t outcome_maxlen = 1'000'000;  // approximate trim of outcome/receipt streams; 0 = off
  int64_t retry_delay_ms = 200;  // first delay before re-sending after an error reply; doubles
                                 // up to endpoint.reconnect_max_ms
  // Batching at moderate rates. Redis pays per call (a script's set-up, a blocked reader's
  // wake-up) about as much as for the work of a small batch: at half the maximum rate each
  // XREADGROUP otherwise returns one or two entries and each commit script carries one or two
  // outcomes. read_linger_ms: after a read that returned entries but fewer than it asked for,
  // wait this long before the next read. write_linger_ms: commits and receipts wait this long
  // (or until a full script call's worth is pending) before they go out. 0 = next loop turn.
  // Each adds at most its value to a job's latency.
  int64_t read_linger_ms = 0;
  int64_t write_linger_ms = 0;
  // Commit and receipt batches as plain commands (WATCH, read, MULTI/EXEC) where they can be,
  // instead of their scripts (redis_job_store_plain.cc): about a quarter less work for Redis
  // per job and about a quarter more for the daemon (bench/README.md). For Redis shared by
  // several daemon hosts, where Redis is the limit. Off: the scripts, always.
  bool plain_writes = false;
  // Durability across a master crash (adapters/redis/replica_gate.cc). Redis replicates
  // asynchronously: a write the master confirmed can be lost when the master dies and a
  // replica that had not received it takes over. With wait_replicas = N > 0, every write
  // that must succeed (claims, outcome commits, receipts, deferrals, dead letters, audit
  // events) is followed by `WAIT N wait_timeout_ms`, and its completion (the claim's answer
  // that lets a job go to a carrier, the commit that settles it, the receipt's
  // acknowledgement to the SMSC) runs only once N replicas have it. Fewer: WAIT again, for as
  // long as it takes (dispatch stops rather than send what a failover could forget). The
  // connection lost meanwhile: the writes are sent again (all idempotent). 0 = off.
  int64_t wait_replicas = 0;
  int64_t wait_timeout_ms = 1'000;

  // Security audit (AuditSink, adapters/redis/audit_log.cc). Config [redis] audit_stream,
  // audit_maxlen, audit_queue_max, audit_burst_per_minute.
  std::string audit_stream = "sd:audit";
  int64_t audit_maxlen = 1'000'000;  // approximate trim (MAXLEN ~); 0 = off
  // Events waiting for Redis (queued or unanswered) beyond this: the oldest queued one is
  // dropped and counted. 10k events of ~200 bytes bound the queue near 2 MB while Redis is away.
  size_t audit_queue_max = 10'000;
  // More events of one reason than this within a sliding minute log a warning and count a
  // burst (a key being brute-forced, a producer gone wrong). 0 = off.
  int64_t audit_burst_per_minute = 100;

  // Delay queue (DeferQueue, adapters/redis/delay_queue.cc). Config [redis] delayed_set,
  // defer_move_interval_ms, defer_move_batch.
  std::string delayed_set = "sd:delayed";
  // How often this daemon moves due jobs back onto the jobs stream (also right after each
  // writer connect). Every daemon may run it: one script call moves a member exactly once.
  // 0 = this daemon never moves (another one must).
  int64_t defer_move_interval_ms = 100;
  // Members moved per script call (bounds how long one call holds Redis); a full chunk runs
  // the next call at once.
  int64_t defer_move_batch = 100;
};

struct RedisStoreCounters {
  uint64_t entries_read = 0;         // handed to the batch handler
  uint64_t pending_redelivered = 0;  // own pending entries read again after a (re)start
  uint64_t reclaimed = 0;            // taken over from other consumers by XAUTOCLAIM
  uint64_t dead_lettered = 0;
  uint64_t deleted_entries = 0;  // pending ids whose entry was gone from the stream
  uint64_t claims = 0;
  uint64_t commits = 0;              // commits confirmed by Redis
  uint64_t outcomes_written = 0;     // commits that wrote an outcome (not only acked)
  uint64_t receipts = 0;             // receipts confirmed by Redis
  uint64_t unmatched_receipts = 0;   // of those, quarantined
  uint64_t duplicate_receipts = 0;   // of those, dropped as exact duplicates
  uint64_t unparsable_receipts = 0;  // of the quarantined: the carrier could not read them
  uint64_t part_receipts = 0;        // of those, parts of a multipart job (aggregated)
  uint64_t receipt_retries = 0;      // receipts asked again because their submit was not in yet
  uint64_t write_retries = 0;        // writes re-sent after a lost connection or error reply
  uint64_t script_calls = 0;         // script calls sent (a batch of commits is one; re-sends too)
  uint64_t transactions = 0;         // MULTI/EXEC batches sent (claims; re-sends too)
  uint64_t claim_conflicts = 0;      // claims whose record existed: settled by the claim script
  uint64_t plain_commits = 0;        // commit batches written by plain commands (WATCH, MULTI)
  uint64_t commit_rechecks = 0;      // of those, checked again: a watched record changed
  uint64_t plain_receipts = 0;       // receipt batches written by plain commands
  uint64_t receipt_rechecks = 0;     // of those, checked again: a watched record changed
  uint64_t job_reads = 0;            // XREADGROUP / XAUTOCLAIM calls sent
  uint64_t reconnects = 0;           // connections (reader or writer) lost after being ready
  uint64_t auth_failures = 0;
  uint64_t touch_rounds = 0;  // idle-time refreshes of our in-process entries
  uint64_t errors = 0;        // error replies of any kind
  // Audit (AuditSink).
  uint64_t audit_events = 0;   // events confirmed written to the audit stream
  uint64_t audit_dropped = 0;  // oldest events dropped because audit_queue_max were waiting
  uint64_t audit_bursts = 0;   // a reason crossed audit_burst_per_minute (once per burst)
  // Delay queue (DeferQueue).
  uint64_t deferred = 0;       // entries moved to the delay queue and acknowledged
  uint64_t defer_skipped = 0;  // Defer found the entry no longer pending for us (done twice)
  uint64_t defer_moved = 0;    // due jobs this daemon put back onto the jobs stream
  uint64_t defer_corrupt = 0;  // undecodable members put back raw (rejected as malformed)
  // Replication (wait_replicas).
  uint64_t replica_waits = 0;        // WAIT calls sent
  uint64_t replica_waits_short = 0;  // of those, answered with fewer replicas than asked
  uint64_t replica_resends = 0;      // writes sent again: the connection went before their WAIT
  // Shards ([redis] shards > 1, sharded_job_store.h).
  uint64_t shard_pointers = 0;        // pointer records written (a submitted part's message id)
  uint64_t shard_lookups = 0;         // receipts' pointer reads
  uint64_t shard_lookup_retries = 0;  // of those, asked again: the pointer was not there yet
  // Every counter by name, in declaration order: the one list every reporter (log line,
  // the stats hash, `smsdispatch stats`) reads, so a new counter shows up everywhere.
  template <typename F>
  void ForEach(F&& f) const {
    Fields(*this, f);
  }
  // Adds another store's counters (a sharded store reports its shards' sum).
  void Add(const RedisStoreCounters& o) {
    std::vector<uint64_t> v;
    o.ForEach([&](const char*, uint64_t n) { v.push_back(n); });
    size_t i = 0;
    Fields(*this, [&](const char*, uint64_t& n) { n += v[i++]; });
  }

 private:
  template <typename Self, typename F>
  static void Fields(Self& s, F&& f) {
    f("entries_read", s.entries_read);
    f("pending_redelivered", s.pending_redelivered);
    f("reclaimed", s.reclaimed);
    f("dead_lettered", s.dead_lettered);
    f("deleted_entries", s.deleted_entries);
    f("claims", s.claims);
    f("commits", s.commits);
    f("outcomes_written", s.outcomes_written);
    f("receipts", s.receipts);
    f("unmatched_receipts", s.unmatched_receipts);
    f("duplicate_receipts", s.duplicate_receipts);
    f("unparsable_receipts", s.unparsable_receipts);
    f("part_receipts", s.part_receipts);
    f("receipt_retries", s.receipt_retries);
    f("write_retries", s.write_retries);
    f("script_calls", s.script_calls);
    f("transactions", s.transactions);
    f("claim_conflicts", s.claim_conflicts);
    f("plain_commits", s.plain_commits);
    f("commit_rechecks", s.commit_rechecks);
    f("plain_receipts", s.plain_receipts);
    f("receipt_rechecks", s.receipt_rechecks);
    f("job_reads", s.job_reads);
    f("reconnects", s.reconnects);
    f("auth_failures", s.auth_failures);
    f("touch_rounds", s.touch_rounds);
    f("errors", s.errors);
    f("audit_events", s.audit_events);
    f("audit_dropped", s.audit_dropped);
    f("audit_bursts", s.audit_bursts);
    f("deferred", s.deferred);
    f("defer_skipped", s.defer_skipped);
    f("defer_moved", s.defer_moved);
    f("defer_corrupt", s.defer_corrupt);
    f("replica_waits", s.replica_waits);
    f("replica_waits_short", s.replica_waits_short);
    f("replica_resends", s.replica_resends);
    f("shard_pointers", s.shard_pointers);
    f("shard_lookups", s.shard_lookups);
    f("shard_lookup_retries", s.shard_lookup_retries);
  }
};

// Also the AuditSink and the DeferQueue: both must be ordered with the store's other writes
// (an audit event after the outcome it explains; a deferral after the claim it releases), be
// retried while Redis is away, and reuse the writer connection and the idempotency key names.
class RedisJobStore final : public JobStore, public AuditSink, public DeferQueue {
 public:
  RedisJobStore(uv_loop_t* loop, RedisStoreOptions options);
  // Close() must have completed before destruction.
  ~RedisJobStore() override;
  RedisJobStore(const RedisJobStore&) = delete;
  RedisJobStore& operator=(const RedisJobStore&) = delete;

  // Connects both connections; reading starts once credit is granted.
  void Start();
  // Stops reading, waits (at most `timeout_ms`) for queued writes, then disconnects; `done`
  // runs once every handle is closed. Writes not confirmed by then are dropped (their
  // entries stay pending in Redis and are redelivered); their callbacks are never called.
  void Close(int64_t timeout_ms, std::function<void()> done);

  void SetBatchHandler(BatchHandler handler) override { handler_ = std::move(handler); }
  void GrantCredit(size_t credit) override;
  void StopReading() override;
  void Claim(std::vector<ClaimRequest> reqs,
             std::function<void(std::vector<ClaimState>)> done) override;
  void Commit(Outcome outcome, std::function<void()> done) override;

  // Replaces the hash <key_prefix>stats:<consumer> with these field/value pairs, expiring
  // after ttl_ms (so a daemon that stopped leaves nothing behind). Best effort: skipped while
  // Redis is away or the previous one is still outstanding; never holds up Close.
  void PublishStats(std::vector<std::string> field_values, int64_t ttl_ms);
  void PutReceipt(Receipt receipt, std::function<void()> done) override;
  // The same, for a receipt someone already held for `waited_ms` (the sharded store, looking
  // for its pointer): that counts against unmatched_receipt_wait_ms.
  void PutReceipt(Receipt receipt, std::function<void()> done, int64_t waited_ms);

  // Pointer records of a sharded deployment (sharded_job_store.h, redis_job_store_pointers.cc):
  // "<key_prefix>mid:<carrier>:<id>" = the shard whose correlation record has that message id,
  // kept as long as correlations (correlation_ttl_ms). Writes are must-succeed and in order
  // with the other writes (and replicated like them), in MULTIs of up to 256; `done` once all
  // are durable. Counted in shard_pointers / shard_lookups.
  struct MessagePointer {
    std::string carrier;
    std::string id;
    uint32_t shard = 0;  // PutMessageShards: the value; ignored by GetMessageShards
  };
  void PutMessageShards(std::vector<MessagePointer> pointers, std::function<void()> done);
  // Reads pointers (retried while Redis is away): per lookup the shard, or nullopt when there
  // is none (not written yet, or expired) or it is not a shard number.
  void GetMessageShards(std::vector<MessagePointer> lookups,
                        std::function<void(std::vector<std::optional<uint32_t>>)> done);

  // The consumer group's backlog on the jobs stream, as XINFO GROUPS last told it (-1: not
  // known yet, or Redis cannot tell the lag). SampleBacklog asks again (stream_backlog.cc);
  // the daemon calls it once per stats interval. Best effort, like PublishStats.
  struct Backlog {
    int64_t lag = -1;      // entries not yet delivered to the group
    int64_t pending = -1;  // delivered to some consumer and not yet acknowledged
  };
  void SampleBacklog();
  Backlog backlog() const { return backlog_; }
  // Send -> reply of every command on the writer connection (scripts, transactions, XACK):
  // what Redis takes to answer, queueing in it included.
  const LatencyHistogram& write_round_trips() const { return write_round_trips_; }

  // AuditSink (adapters/redis/audit_log.cc): XADD to audit_stream, in order with the other
  // writes, retried while Redis is away, bounded by audit_queue_max (oldest dropped).
  void Emit(AuditEvent event) override;
  // DeferQueue (adapters/redis/delay_queue.cc): one atomic script puts the entry's fields in
  // delayed_set at score `due_ms` (Unix ms, compared with Redis' clock), releases the
  // "<key_prefix>idem:<job_id>" record if it names this entry, and XACKs the entry. `done`
  // once durable (also when the entry turned out to be handled already). The entry comes
  // back on jobs_stream with a new id once due.
  void Defer(StreamEntry entry, std::string job_id, int64_t due_ms,
             std::function<void()> done) override;

  const RedisStoreCounters& counters() const;
  // Tests only: runs between a commit or receipt batch's check and its writes (to change a
  // watched key).
  void SetPlainCheckHookForTest(std::function<void()> fn) { plain_check_hook_ = std::move(fn); }
  bool connected() const { return writer_.ready() && reader_.ready(); }
  // Writes not yet confirmed by Redis (queued for a connection, or sent and unanswered).
  // Writes (claims, outcomes, receipts) not yet confirmed by Redis, counting each outcome of a
  // batched call.
  size_t queued_writes() const {
    size_t n = pending_writes_.size() + outstanding_items_ + gated_items_;
    for (const auto& [seq, op] : queue_) n += op->items;
    return n;
  }
  // Entries handed out (or being checked) and not yet committed.
  size_t in_process() const { return in_process_.size(); }
  size_t credit() const { return credit_; }
  // Why a connection is not ready (e.g. "AUTH failed: WRONGPASS ..."), empty when both are.
  std::string last_error() const;

 private:
  // A script call. Must-succeed ops (claim, commit, receipt, dead-letter) are re-sent after
  // lost connections and error replies until Redis confirms them; best-effort ops (touch)
  // get a null reply instead.
  struct WriteOp {
    uint64_t seq = 0;  // issue order: re-sends keep it, so a receipt never overtakes the
                       // commit that wrote its correlation record because of a reconnect
    const LuaScript* script = nullptr;
    std::vector<std::string> keys;
    std::vector<std::string> args;
    // Instead of the script, plain commands in one MULTI/EXEC (`done` gets EXEC's reply;
    // `script` then only names the op in logs): kSetNx `SET keys[i] args[2i] NX PX
    // args[2i+1]` for every key (claims), kSet the same without NX, kGet `GET keys[i]`.
    enum class Commands : uint8_t { kScript, kSetNx, kSet, kGet };
    Commands commands = Commands::kScript;
    bool read_only = false;  // reads only: its completion needs no WAIT (wait_replicas)
    // Must-succeed: a non-error reply, exactly once. Best-effort: the reply, null when the
    // connection was lost, or an error reply.
    std::function<void(redisReply*)> done;
    bool must_succeed = true;
    bool use_eval = false;  // NOSCRIPT seen: send the body (which also caches it)
    size_t items = 1;       // writes this call carries (a batch carries many)
    bool audit = false;     // an audit event: counted against audit_queue_max (audit_log.cc)
    // A batch of commits: kCommitManyScript's keys and args, plus where each entry's part
    // starts in them (guard key index, entry arg index). Sent as plain commands after a
    // WATCHed check when it can be (redis_job_store_commit.cc), else as the script.
    std::vector<std::pair<uint32_t, uint32_t>> commits;
    std::vector<uint8_t> written;  // per entry: an outcome this op wrote (kept across re-sends)
    std::function<void(const std::vector<uint8_t>& written)> commits_done;
    // A batch of receipts: kReceiptScript's layout, and where each receipt's part starts
    // (correlation key index, state arg index); plain commands when it can be
    // (redis_job_store_receipt.cc). The completion gets one kReceipt* code per receipt.
    std::vector<std::pair<uint32_t, uint32_t>> receipts;
    std::function<void(const std::vector<long long>& codes)> receipts_done;
  };

  // A write issued this loop turn, sent by FlushPendingWrites on the next: consecutive
  // commits become one commit_many call; any other op keeps its place in the order.
  struct PendingWrite {
    Outcome outcome;
    std::function<void()> done;
    std::optional<Receipt> receipt;  // set for a receipt (batched with its neighbours)
    int64_t first_try_ms = 0;        // receipts: when it was first sent (uv_now)
    int64_t wait_ms = 0;             // receipts: the next wait if still unmatched
    std::optional<WriteOp> op;       // set for any other write that must keep its place
  };

  enum class ReadKind : uint8_t { kOwnPending, kNew, kReclaim };

  void AppendCommitArgs(Outcome& o, WriteOp& op) const;
  // The plain paths of commit and receipt batches: WATCH and read, then MULTI/EXEC of the
  // writes, or the script when a batch needs its other cases. Shared steps in
  // redis_job_store_plain.cc; the commits' in redis_job_store_commit.cc, the receipts' in
  // redis_job_store_receipt.cc.
  struct PlainCheck {
    bool plain = true;     // false: the script must decide
    bool lost = false;     // a null reply: the connection went
    bool refused = false;  // WATCH got an error (an ACL without it)
    std::string refusal;
  };
  struct CommitCheck;
  struct ReceiptCheck;
  void SendCommitCheck(const std::shared_ptr<WriteOp>& op);
  bool SendApiStatusChecks(const WriteOp& op, const std::shared_ptr<CommitCheck>& c);
  bool SendPlainCommit(const std::shared_ptr<WriteOp>& op, const std::shared_ptr<CommitCheck>& c);
  void OnPlainCommitReply(const std::shared_ptr<WriteOp>& op, const CommitCheck& c, redisReply* r);
  // Marks op->written from the script's reply (null: the plain path marked them already).
  void MarkCommitsWritten(const std::shared_ptr<WriteOp>& op, redisReply* script_reply);
  // The completions of a must-succeed write Redis confirmed, from its reply (a copy when
  // they wait for replicas), once Replicated says so.
  void CompleteWrite(const std::shared_ptr<WriteOp>& op, redisReply* r);
  // Replication gate (replica_gate.cc): `complete` runs at once without wait_replicas, else
  // once a WAIT sent after the write's reply counted enough replicas.
  void Replicated(const std::shared_ptr<WriteOp>& op, std::function<void()> complete);
  void SendWait();
  void OnWaitReply(redisReply* r);
  void ResendGated();
  void SendReceiptCheck(const std::shared_ptr<WriteOp>& op);
  bool SendPlainReceipts(const std::shared_ptr<WriteOp>& op,
                         const std::shared_ptr<ReceiptCheck>& c);
  void OnPlainReceiptsReply(const std::shared_ptr<WriteOp>& op, const ReceiptCheck& c,
                            redisReply* r);
  // Arguments for the writer, where they lie: Arg adds one; SendArgs sends those added since
  // `from` as one command; EndCommand closes a command of the MULTI SendArgsTransaction sends.
  void ArgsClear();
  void Arg(std::string_view s) {
    send_ptrs_.push_back(s.data());
    send_lens_.push_back(s.size());
  }
  bool SendArgs(size_t from, RedisConnection::ReplyFn fn);
  void EndCommand();
  bool SendArgsTransaction(RedisConnection::ReplyFn fn);
  // Step 1's first command (WATCH of the args since `from`) and last (TYPE of the stream the
  // writes go to, whose reply runs `checked`); the caller's reads go between them.
  bool SendWatch(size_t from, const std::shared_ptr<PlainCheck>& c);
  bool SendTypeCheck(const std::string& stream, const std::shared_ptr<PlainCheck>& c,
                     std::function<void()> checked);
  void HoldOrRequeue(const std::shared_ptr<WriteOp>& op, bool sent);
  // Step 1 answered: `send_plain` sends step 2 (false: the batch needs the script).
  void OnPlainChecked(const std::shared_ptr<WriteOp>& op, const PlainCheck& c,
                      const std::function<bool()>& send_plain);
  // Step 2 answered: true when EXEC ran (the caller reads its replies), else handled here
  // (lost, an error reply, abandoned, or a watched key changed: checked again).
  bool PlainExecRan(const std::shared_ptr<WriteOp>& op, redisReply* r, uint64_t& rechecks);
  void NotePlainRefused(const std::string& refusal);
  void Requeue(const std::shared_ptr<WriteOp>& op, bool backoff);
  void SendOpScript(const std::shared_ptr<WriteOp>& op);  // the script, or queued again
  // Whether an XADD with this MAXLEN argument trims (as the scripts' tonumber(maxlen) > 0).
  static bool Trims(const std::string& maxlen) { return std::atoll(maxlen.c_str()) > 0; }
  size_t command_start_ = 0;  // where EndCommand's command began in send_ptrs_
  // While a check awaits its replies nothing else may go out on the writer: the next command
  // must be its MULTI (any EXEC in between would drop the WATCH).
  bool writer_held_ = false;
  // The ACL refused the plain paths' WATCH: every commit and receipt batch takes the script
  // until the writer reconnects (the ACL may have been fixed by then); logged once.
  bool plain_refused_ = false;
  bool plain_refused_logged_ = false;
  std::function<void()> plain_check_hook_;
  std::vector<size_t> send_argcs_;  // the commands' argument counts of a MULTI being sent
  bool SendScript(const WriteOp& op, RedisConnection::ReplyFn on_reply);
  bool SendCommands(const WriteOp& op, RedisConnection::ReplyFn on_reply);
  std::vector<const char*> send_ptrs_;  // Send's argument pointers and lengths, reused
  std::vector<size_t> send_lens_;
  struct ClaimBatch;
  void ClaimConflicts(std::shared_ptr<ClaimBatch> batch, std::vector<size_t> conflicts);
  void FlushPendingWrites();
  void ScheduleFlush();  // before a commit or receipt joins pending_writes_
  // One receipt script call for `run` (consecutive receipts); clears it.
  void FlushReceipts(std::vector<PendingWrite*>& run);
  void RetryUnmatched(PendingWrite w);
  void OnReceiptRetryTimer();
  void OnWriterReady();
  void OnReaderReady();
  void CreateGroup();
  void MaybeRead();
  void OnReadReply(redisReply* reply, ReadKind kind, size_t asked);  // asked: the COUNT sent
  void ScheduleReadRetry();
  void Accept(std::vector<StreamEntry> entries, ReadKind kind);
  void CheckDeliveries(std::vector<StreamEntry> entries);
  void HandOut(std::vector<StreamEntry> entries);
  void AckDeleted(const std::vector<std::string>& ids);
  void DeadLetter(const StreamEntry& e, int64_t deliveries);
  void OnClaimTick();
  void Touch();
  bool stats_outstanding_ = false;
  bool backlog_outstanding_ = false;
  Backlog backlog_;
  LatencyHistogram write_round_trips_;
  void Enqueue(WriteOp op);
  void SendQueued();
  void Send(std::shared_ptr<WriteOp> op);
  void OnWriteReply(const std::shared_ptr<WriteOp>& op, redisReply* reply);
  void ScheduleWriteRetry();
  // Runs `fn` on the next loop turn, never inline; nothing runs once the store shuts down.
  void Later(std::function<void()> fn);
  // A timer delay in libuv's unit from a configured or computed ms value: at least 1, so a
  // configured 0 never becomes a busy loop.
  static uint64_t TimerMs(int64_t v);
  void MaybeFinishClose();
  void FinishClose();
  void PartClosed();
  std::string Key(const std::string& suffix) const { return options_.key_prefix + suffix; }
  std::string PointerKey(const std::string& carrier, const std::string& id) const {
    return options_.key_prefix + "mid:" + carrier + ":" + id;
  }
  std::string CorrelationKey(const std::string& carrier, const std::string& id) const {
    return options_.key_prefix + "corr:" + carrier + ":" + id;
  }
  // Audit and delay queue (audit_log.cc, delay_queue.cc).
  void EnqueueInOrder(WriteOp op);
  void OnAuditQueued(uint64_t seq);
  void OnAuditWritten(uint64_t seq);
  void MoveDue();

  uv_loop_t* loop_;
  RedisStoreOptions options_;
  RedisConnection reader_;  // XREADGROUP (BLOCK holds it) and XAUTOCLAIM, one at a time
  RedisConnection writer_;  // scripts, XGROUP, XPENDING, XACK: pipelined
  BatchHandler handler_;

  // Intake. Only one reader command is outstanding at a time and its COUNT is at most
  // credit_, so the handler never gets more entries than were granted.
  size_t credit_ = 0;              // entries the dispatcher can take now
  bool reading_ = true;            // false after StopReading / Close
  bool read_outstanding_ = false;  // an XREADGROUP or XAUTOCLAIM awaits its reply
  bool group_ready_ = false;       // XGROUP CREATE answered (created or BUSYGROUP)
  bool group_create_outstanding_ = false;
  bool reclaim_due_ = false;  // claim tick fired: the reader's next turn is XAUTOCLAIM
  ReadKind phase_ = ReadKind::kOwnPending;  // kOwnPending until the drain reads an empty page
  std::string drain_cursor_ = "0";          // last own-pending id read in the drain
  std::string claim_cursor_ = "0-0";        // XAUTOCLAIM scan position
  Backoff read_backoff_;  // retry_delay_ms .. reconnect_max_ms; reset by a good read
  // Entries read by this process and not finished (committed or dead-lettered): the drain
  // after a reconnect and XAUTOCLAIM skip them so nothing is handed out twice, and the touch
  // keeps their idle time low so no other consumer reclaims them while we work on them.
  std::unordered_set<std::string> in_process_;

  // Writes waiting for the writer connection (or for a retry after an error), in issue order.
  std::map<uint64_t, std::shared_ptr<WriteOp>> queue_;
  uint64_t next_seq_ = 0;
  size_t outstanding_writes_ = 0;                // must-succeed writes sent and not yet answered
  size_t outstanding_items_ = 0;                 // the writes those calls carry
  Backoff write_backoff_;                        // the same schedule, for writes
  std::mt19937_64 rng_{std::random_device{}()};  // backoff jitter
  bool touch_outstanding_ = false;
  bool script_load_refused_logged_ = false;
  bool touch_failure_logged_ = false;

  loop::NextTurn next_turn_;                  // completions that must not run inline (Later)
  std::vector<PendingWrite> pending_writes_;  // commits (and receipts behind them) of this turn
  uv_timer_t claim_timer_;
  uv_timer_t write_retry_timer_;
  uv_timer_t read_retry_timer_;
  uv_timer_t close_timer_;
  uv_timer_t move_timer_;           // delay queue mover
  uv_timer_t receipt_retry_timer_;  // receipts not matched yet, asked again
  uv_timer_t read_linger_timer_;    // read_linger_ms after a short read
  uv_timer_t write_linger_timer_;   // write_linger_ms after the first pending write
  std::vector<std::pair<int64_t, PendingWrite>> unmatched_;  // (due ms, receipt), due order

  bool started_ = false;
  bool closing_ = false;         // Close called: no new reads; writes drain
  bool shutting_down_ = false;   // connections and timers are being closed
  bool abandon_writes_ = false;  // Close timed out: unconfirmed writes are dropped
  int parts_left_ = 0;           // the two connections and the group of handles still closing
  bool closed_done_ = false;
  std::function<void()> closed_;
  mutable RedisStoreCounters counters_;

  // Audit events issued and not confirmed, by write seq, oldest first: those still in queue_
  // are the ones the bound may drop (the ones on the wire come back to queue_ if lost).
  std::deque<uint64_t> audit_seqs_;
  bool audit_drop_logged_ = false;  // one log line per burst of drops
  AuditBurstDetector audit_bursts_;
  bool move_outstanding_ = false;  // one mover call at a time
  bool move_failure_logged_ = false;

  // Replication gate (wait_replicas): writes Redis confirmed whose completions wait for a WAIT
  // (gate_next_: for the next one; gate_waiting_: counted by the one in flight).
  struct Gated {
    std::shared_ptr<WriteOp> op;
    std::function<void()> complete;
  };
  std::vector<Gated> gate_next_;
  std::vector<Gated> gate_waiting_;
  size_t gated_items_ = 0;  // the writes those carry
  bool wait_outstanding_ = false;
  bool wait_short_logged_ = false;  // one warning per spell of too few replicas
};

}  // namespace sd::redis
