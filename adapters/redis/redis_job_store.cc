#include "adapters/redis/redis_job_store.h"

#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <unordered_map>

#include "adapters/redis/lua_scripts.h"

namespace sd::redis {
namespace {

// Parses [id, [field, value, ...]] into a StreamEntry; `deleted` when the body is nil (the
// entry was removed from the stream while pending).
bool ParseEntry(const redisReply* r, StreamEntry& e, bool& deleted) {
  deleted = false;
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements != 2) return false;
  e.entry_id = ReplyString(r->element[0]);
  const redisReply* f = r->element[1];
  if (f == nullptr || f->type == REDIS_REPLY_NIL) {
    deleted = true;
    return true;
  }
  if (f->type != REDIS_REPLY_ARRAY || f->elements % 2 != 0) return false;
  // Exactly the four envelope fields, each once; anything else is malformed (and rejected
  // with an outcome by the dispatcher, never dropped).
  int seen = 0;
  e.fields_ok = f->elements == 8;
  for (size_t i = 0; i + 1 < f->elements; i += 2) {
    const std::string name = ReplyString(f->element[i]);
    std::string value = ReplyString(f->element[i + 1]);
    int bit = 0;
    if (name == "v") { bit = 1; e.version = std::move(value); }
    else if (name == "kid") { bit = 2; e.key_id = std::move(value); }
    else if (name == "job") { bit = 4; e.job = std::move(value); }
    else if (name == "sig") { bit = 8; e.sig = std::move(value); }
    else { e.fields_ok = false; continue; }
    if (seen & bit) e.fields_ok = false;
    seen |= bit;
  }
  if (seen != 15) e.fields_ok = false;
  return true;
}

}  // namespace

namespace {
RedisEndpoint ReaderEndpoint(RedisEndpoint e, int64_t block_ms) {
  // The reader's PING waits behind a blocking XREADGROUP.
  e.heartbeat_timeout_ms = std::max(e.heartbeat_timeout_ms, 3 * block_ms);
  return e;
}
}  // namespace

RedisJobStore::RedisJobStore(uv_loop_t* loop, RedisStoreOptions options)
    : loop_(loop),
      options_(std::move(options)),
      reader_(loop, ReaderEndpoint(options_.endpoint, options_.block_ms), "reader"),
      writer_(loop, options_.endpoint, "writer") {
  ComputeScriptHashes();
  for (uv_timer_t* t : {&claim_timer_, &retry_timer_, &close_timer_}) {
    uv_timer_init(loop_, t);
    t->data = this;
  }
}

RedisJobStore::~RedisJobStore() = default;

void RedisJobStore::Start() {
  writer_.SetOnReady([this] { OnWriterReady(); });
  reader_.SetOnReady([this] { OnReaderReady(); });
  reader_.SetOnDown([this] { read_outstanding_ = false; });
  writer_.Start();
  reader_.Start();
  uv_timer_start(
      &claim_timer_, [](uv_timer_t* t) { static_cast<RedisJobStore*>(t->data)->Reclaim(); },
      static_cast<uint64_t>(options_.claim_interval_ms), static_cast<uint64_t>(options_.claim_interval_ms));
}

void RedisJobStore::OnWriterReady() {
  // Group from the start of the stream, so jobs enqueued before the first daemon ran count.
  writer_.Command({"XGROUP", "CREATE", options_.jobs_stream, options_.group, "0", "MKSTREAM"},
                  [this](redisReply* r) {
                    if (r == nullptr) return;  // reconnect brings us back here
                    if (ReplyIsError(r) && ReplyString(r).rfind("BUSYGROUP", 0) != 0) {
                      ++counters_.errors;
                      spdlog::error("redis: XGROUP CREATE: {}", ReplyString(r));
                      return;
                    }
                    group_ready_ = true;
                    MaybeRead();
                  });
  SendQueued();
}

void RedisJobStore::OnReaderReady() {
  // After any (re)connect, first re-read our own pending entries: they were delivered to us
  // before a crash or disconnect and have no outcome yet.
  phase_ = ReadPhase::kDrainOwn;
  drain_cursor_ = "0";
  read_outstanding_ = false;
  MaybeRead();
}

void RedisJobStore::GrantCredit(size_t credit) {
  credit_ += credit;
  MaybeRead();
}

void RedisJobStore::StopReading() {
  reading_ = false;
  uv_timer_stop(&claim_timer_);
}

void RedisJobStore::MaybeRead() {
  if (!reading_ || closing_ || read_outstanding_ || !group_ready_ || credit_ == 0 || !reader_.ready()) {
    return;
  }
  const std::string count = std::to_string(std::min(credit_, options_.batch));
  const bool history = phase_ == ReadPhase::kDrainOwn;
  std::vector<std::string> argv{"XREADGROUP", "GROUP", options_.group, options_.consumer, "COUNT", count};
  if (!history) {
    argv.push_back("BLOCK");
    argv.push_back(std::to_string(options_.block_ms));
  }
  argv.push_back("STREAMS");
  argv.push_back(options_.jobs_stream);
  argv.push_back(history ? drain_cursor_ : ">");
  read_outstanding_ = reader_.Command(argv, [this, history](redisReply* r) { OnReadReply(r, history); });
}

void RedisJobStore::OnReadReply(redisReply* r, bool history) {
  read_outstanding_ = false;
  if (r == nullptr) return;  // connection lost; OnReaderReady restarts reading
  if (r->type == REDIS_REPLY_ERROR) {
    ++counters_.errors;
    const std::string err = ReplyString(r);
    spdlog::warn("redis: XREADGROUP: {}", err);
    if (err.rfind("NOGROUP", 0) == 0) {
      group_ready_ = false;  // e.g. Redis restarted empty: recreate the group
      OnWriterReady();
    } else {
      uv_timer_start(&retry_timer_, [](uv_timer_t* t) {
        auto* self = static_cast<RedisJobStore*>(t->data);
        self->SendQueued();
        self->MaybeRead();
      }, static_cast<uint64_t>(options_.retry_delay_ms), 0);
    }
    return;
  }
  std::vector<StreamEntry> entries;
  std::vector<std::string> deleted;
  size_t raw = 0;  // entries in the reply, including ones we skip
  if (r->type == REDIS_REPLY_ARRAY) {
    for (size_t s = 0; s < r->elements; ++s) {
      const redisReply* stream = r->element[s];
      if (stream->type != REDIS_REPLY_ARRAY || stream->elements != 2) continue;
      const redisReply* list = stream->element[1];
      if (list->type != REDIS_REPLY_ARRAY) continue;
      raw += list->elements;
      for (size_t i = 0; i < list->elements; ++i) {
        StreamEntry e;
        bool gone = false;
        if (!ParseEntry(list->element[i], e, gone)) continue;
        if (history) drain_cursor_ = e.entry_id;
        if (handed_out_.count(e.entry_id)) continue;  // still being processed by us
        if (gone) {
          deleted.push_back(e.entry_id);
        } else {
          entries.push_back(std::move(e));
        }
      }
    }
  }
  const bool drained_empty = history && raw == 0;  // an empty page ends the drain
  if (!reading_) return;  // stopping: these stay pending and are redelivered on restart
  for (const std::string& id : deleted) {
    Outcome o;
    o.entry_id = id;
    o.status = OutcomeStatus::kRejected;
    o.reason = Reason::kMalformed;
    o.detail = "entry was deleted from the stream before it was processed";
    handed_out_.insert(id);
    Commit(std::move(o), [] {});
  }
  if (drained_empty) {
    phase_ = ReadPhase::kNew;
  } else if (history) {
    counters_.pending_redelivered += entries.size();
  }
  if (!entries.empty()) OnEntries(std::move(entries), history);
  MaybeRead();
}

void RedisJobStore::OnEntries(std::vector<StreamEntry> entries, bool redelivered) {
  if (!redelivered || options_.max_deliveries <= 0) {
    HandOut(std::move(entries));
    return;
  }
  // Redelivered entries: check delivery counts (one XPENDING for the batch) so a job that
  // keeps killing its consumer ends on the dead-letter stream instead of looping forever.
  for (const StreamEntry& e : entries) handed_out_.insert(e.entry_id);  // reserve meanwhile
  const std::string first = entries.front().entry_id;
  const std::string last = entries.back().entry_id;
  auto shared = std::make_shared<std::vector<StreamEntry>>(std::move(entries));
  const bool sent = writer_.Command(
      {"XPENDING", options_.jobs_stream, options_.group, first, last, std::to_string(shared->size() * 4 + 16)},
      [this, shared](redisReply* r) {
        for (const StreamEntry& e : *shared) handed_out_.erase(e.entry_id);
        std::unordered_map<std::string, int64_t> counts;
        if (r != nullptr && r->type == REDIS_REPLY_ARRAY) {
          for (size_t i = 0; i < r->elements; ++i) {
            const redisReply* p = r->element[i];
            if (p->type == REDIS_REPLY_ARRAY && p->elements == 4) {
              counts[ReplyString(p->element[0])] = p->element[3]->integer;
            }
          }
        }
        std::vector<StreamEntry> keep;
        for (StreamEntry& e : *shared) {
          auto it = counts.find(e.entry_id);
          if (it != counts.end() && it->second > options_.max_deliveries) {
            DeadLetter(e, it->second);
          } else {
            keep.push_back(std::move(e));
          }
        }
        if (!reading_) return;
        if (!keep.empty()) HandOut(std::move(keep));
        MaybeRead();
      });
  if (!sent) {
    for (const StreamEntry& e : *shared) handed_out_.erase(e.entry_id);
    HandOut(std::move(*shared));
  }
}

void RedisJobStore::HandOut(std::vector<StreamEntry> entries) {
  if (entries.empty()) return;
  for (const StreamEntry& e : entries) handed_out_.insert(e.entry_id);
  counters_.entries_read += entries.size();
  credit_ -= std::min(credit_, entries.size());
  if (handler_) handler_(std::move(entries));
}

void RedisJobStore::Reclaim() {
  if (!reading_ || closing_ || reclaim_outstanding_ || !group_ready_ || credit_ == 0 || !writer_.ready()) {
    return;
  }
  const std::string count = std::to_string(std::min(credit_, options_.batch));
  reclaim_outstanding_ = writer_.Command(
      {"XAUTOCLAIM", options_.jobs_stream, options_.group, options_.consumer,
       std::to_string(options_.claim_idle_ms), claim_cursor_, "COUNT", count},
      [this](redisReply* r) {
        reclaim_outstanding_ = false;
        if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements < 2) {
          if (r != nullptr && r->type == REDIS_REPLY_ERROR) {
            ++counters_.errors;
            spdlog::warn("redis: XAUTOCLAIM: {}", ReplyString(r));
          }
          return;
        }
        claim_cursor_ = ReplyString(r->element[0]);
        std::vector<StreamEntry> entries;
        const redisReply* list = r->element[1];
        for (size_t i = 0; list->type == REDIS_REPLY_ARRAY && i < list->elements; ++i) {
          StreamEntry e;
          bool gone = false;
          if (!ParseEntry(list->element[i], e, gone) || handed_out_.count(e.entry_id)) continue;
          if (gone) continue;  // Redis 7 lists deleted ids separately (below)
          entries.push_back(std::move(e));
        }
        if (r->elements >= 3 && r->element[2]->type == REDIS_REPLY_ARRAY) {
          for (size_t i = 0; i < r->element[2]->elements; ++i) {
            const std::string id = ReplyString(r->element[2]->element[i]);
            if (handed_out_.count(id)) continue;
            Outcome o;
            o.entry_id = id;
            o.reason = Reason::kMalformed;
            o.detail = "entry was deleted from the stream before it was processed";
            handed_out_.insert(id);
            Commit(std::move(o), [] {});
          }
        }
        if (!reading_ || entries.empty()) return;
        counters_.reclaimed += entries.size();
        spdlog::info("redis: reclaimed {} entries idle for over {} ms", entries.size(), options_.claim_idle_ms);
        OnEntries(std::move(entries), true);
      });
}

void RedisJobStore::DeadLetter(const StreamEntry& e, int64_t deliveries) {
  ++counters_.dead_lettered;
  spdlog::warn("redis: entry {} delivered {} times without an outcome: dead-lettered", e.entry_id, deliveries);
  WriteOp op;
  op.script = &kDeadLetterScript;
  op.keys = {options_.jobs_stream, options_.dead_letter_stream, options_.outcomes_stream, Key("out:" + e.entry_id)};
  op.args = {e.entry_id, options_.group, std::to_string(options_.correlation_ttl_ms),
             std::to_string(options_.outcome_maxlen), std::to_string(deliveries),
             "v", e.version, "kid", e.key_id, "job", e.job, "sig", e.sig};
  op.done = [](redisReply*) {};
  Enqueue(std::move(op));
}

void RedisJobStore::Claim(std::vector<ClaimRequest> reqs,
                          std::function<void(std::vector<ClaimState>)> done) {
  struct Collector {
    std::vector<ClaimState> states;
    size_t remaining;
    std::function<void(std::vector<ClaimState>)> done;
  };
  auto c = std::make_shared<Collector>(Collector{std::vector<ClaimState>(reqs.size()), reqs.size(), std::move(done)});
  counters_.claims += reqs.size();
  for (size_t i = 0; i < reqs.size(); ++i) {
    WriteOp op;
    op.script = &kClaimScript;
    op.keys = {Key("idem:" + reqs[i].job_id), Key("out:" + reqs[i].entry_id)};
    op.args = {reqs[i].entry_id, std::to_string(std::max<int64_t>(reqs[i].ttl_ms, 1000))};
    op.done = [c, i](redisReply* r) {
      switch (r->type == REDIS_REPLY_INTEGER ? r->integer : 1) {
        case 0: c->states[i] = ClaimState::kNew; break;
        case 2: c->states[i] = ClaimState::kAlreadyDone; break;
        case 3: c->states[i] = ClaimState::kReplay; break;
        default: c->states[i] = ClaimState::kResume; break;
      }
      if (--c->remaining == 0) c->done(std::move(c->states));
    };
    Enqueue(std::move(op));
  }
}

void RedisJobStore::Commit(Outcome o, std::function<void()> done) {
  const bool submitted = o.status == OutcomeStatus::kSubmitted;
  WriteOp op;
  op.script = &kCommitScript;
  op.keys = {Key("out:" + o.entry_id), options_.outcomes_stream, options_.jobs_stream};
  std::string corr_value;
  if (submitted) {
    op.keys.push_back(Key("corr:" + o.carrier + ":" + o.message_id));
    corr_value = o.entry_id + "\n" + o.job_id + "\n" + o.client_ref + "\n" + o.key_id;
  }
  op.args = {o.entry_id, options_.group, std::to_string(options_.correlation_ttl_ms),
             std::to_string(options_.outcome_maxlen), std::to_string(options_.correlation_ttl_ms),
             corr_value,
             "entry", o.entry_id, "job", o.job_id, "kid", o.key_id, "ref", o.client_ref,
             "status", submitted ? "submitted" : "rejected",
             "reason", std::string(ReasonName(o.reason)), "detail", o.detail,
             "carrier", o.carrier, "message_id", o.message_id,
             "segments", std::to_string(o.segments), "ts", std::to_string(o.ts_ms)};
  op.done = [this, entry = o.entry_id, done = std::move(done)](redisReply* r) {
    ++counters_.commits;
    if (r->type == REDIS_REPLY_INTEGER && r->integer == 1) ++counters_.outcomes_written;
    handed_out_.erase(entry);
    done();
  };
  Enqueue(std::move(op));
}

void RedisJobStore::PutReceipt(Receipt rc, std::function<void()> done) {
  WriteOp op;
  op.script = &kReceiptScript;
  const std::string status(ReceiptStateName(rc.state));
  op.keys = {Key("corr:" + rc.carrier + ":" + rc.message_id), options_.receipts_stream,
             options_.quarantine_stream, Key("rcpt:" + rc.carrier + ":" + rc.message_id + ":" + status)};
  op.args = {std::to_string(options_.outcome_maxlen), std::to_string(options_.correlation_ttl_ms),
             "carrier", rc.carrier, "message_id", rc.message_id, "status", status,
             "carrier_status", rc.carrier_status, "err", rc.error_code, "ts", std::to_string(rc.ts_ms)};
  op.done = [this, done = std::move(done)](redisReply* r) {
    ++counters_.receipts;
    if (r->type == REDIS_REPLY_INTEGER && r->integer == 0) ++counters_.unmatched_receipts;
    if (r->type == REDIS_REPLY_INTEGER && r->integer == 2) ++counters_.duplicate_receipts;
    done();
  };
  Enqueue(std::move(op));
}

void RedisJobStore::Enqueue(WriteOp op) {
  auto shared = std::make_shared<WriteOp>(std::move(op));
  if (writer_.ready() && queue_.empty()) {
    Send(std::move(shared));
  } else {
    queue_.push_back(std::move(shared));
  }
}

void RedisJobStore::SendQueued() {
  while (!queue_.empty() && writer_.ready()) {
    auto op = std::move(queue_.front());
    queue_.pop_front();
    Send(std::move(op));
  }
}

void RedisJobStore::Send(std::shared_ptr<WriteOp> op) {
  std::vector<std::string> argv;
  argv.reserve(3 + op->keys.size() + op->args.size());
  if (op->use_eval) {
    argv.push_back("EVAL");
    argv.push_back(op->script->body);
  } else {
    argv.push_back("EVALSHA");
    argv.push_back(op->script->sha1);
  }
  argv.push_back(std::to_string(op->keys.size()));
  argv.insert(argv.end(), op->keys.begin(), op->keys.end());
  argv.insert(argv.end(), op->args.begin(), op->args.end());
  ++outstanding_writes_;
  const bool sent = writer_.Command(argv, [this, op](redisReply* r) {
    --outstanding_writes_;
    if (r == nullptr) {
      // Connection lost before the reply: the script may or may not have run. Every script
      // is idempotent (guards), so sending it again after reconnect is safe.
      ++counters_.write_retries;
      queue_.push_back(op);
    } else if (r->type == REDIS_REPLY_ERROR) {
      const std::string err = ReplyString(r);
      if (err.rfind("NOSCRIPT", 0) == 0) {
        op->use_eval = true;  // Redis lost its script cache (restart): send the body
        Send(op);
        return;
      }
      ++counters_.errors;
      ++counters_.write_retries;
      // One line per second at most: a misconfigured ACL fails every write the same way.
      if (uv_now(loop_) >= next_error_log_ms_) {
        next_error_log_ms_ = uv_now(loop_) + 1000;
        spdlog::error("redis: {} script: {} (retrying; {} errors so far)", op->script->name, err,
                      counters_.errors);
      }
      queue_.push_back(op);
      uv_timer_start(&retry_timer_, [](uv_timer_t* t) {
        auto* self = static_cast<RedisJobStore*>(t->data);
        self->SendQueued();
        self->MaybeRead();
      }, static_cast<uint64_t>(options_.retry_delay_ms), 0);
    } else {
      op->use_eval = false;
      op->done(r);
    }
    MaybeFinishClose();
  });
  if (!sent) {
    --outstanding_writes_;
    queue_.push_front(std::move(op));
  }
}

void RedisJobStore::Close(int64_t timeout_ms, std::function<void()> done) {
  if (closing_) return;
  closing_ = true;
  reading_ = false;
  closed_ = std::move(done);
  uv_timer_stop(&claim_timer_);
  uv_timer_start(&close_timer_, [](uv_timer_t* t) {
    auto* self = static_cast<RedisJobStore*>(t->data);
    if (!self->queue_.empty() || self->outstanding_writes_ > 0) {
      spdlog::warn("redis: closing with {} writes not confirmed; their entries stay pending",
                   self->queue_.size() + self->outstanding_writes_);
    }
    self->queue_.clear();
    self->outstanding_writes_ = 0;
    self->MaybeFinishClose();
  }, static_cast<uint64_t>(timeout_ms), 0);
  MaybeFinishClose();
}

void RedisJobStore::MaybeFinishClose() {
  if (!closing_ || closed_parts_ > 0 || !queue_.empty() || outstanding_writes_ > 0) return;
  closed_parts_ = 1;  // closing started
  auto part_done = [this] {
    if (++closed_parts_ == 1 + 5 && closed_) {
      auto cb = std::move(closed_);
      closed_ = nullptr;
      cb();
    }
  };
  reader_.Close(false, part_done);
  writer_.Close(true, part_done);
  for (uv_timer_t* t : {&claim_timer_, &retry_timer_, &close_timer_}) {
    uv_close(reinterpret_cast<uv_handle_t*>(t), [](uv_handle_t* h) {
      auto* self = static_cast<RedisJobStore*>(h->data);
      if (++self->closed_parts_ == 1 + 5 && self->closed_) {
        auto cb = std::move(self->closed_);
        self->closed_ = nullptr;
        cb();
      }
    });
  }
}

}  // namespace sd::redis
