#include "adapters/redis/status_queue.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <memory>

#include "adapters/loop/uv_kit.h"
#include "adapters/redis/lua_scripts.h"

namespace sd::redis {
namespace {

bool IsString(const redisReply* r) {
  return r != nullptr && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS);
}

// One [id, [field, value, ...] | nil] element. False when it is not shaped like one.
bool ParseEntry(const redisReply* e, bool receipt, StatusEntry* out) {
  if (e == nullptr || e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
      !IsString(e->element[0])) {
    return false;
  }
  out->receipt = receipt;
  out->id.assign(e->element[0]->str, e->element[0]->len);
  const redisReply* f = e->element[1];
  if (f == nullptr || f->type == REDIS_REPLY_NIL) return true;  // trimmed: no fields
  if (f->type != REDIS_REPLY_ARRAY || f->elements % 2 != 0) return false;
  out->fields.reserve(f->elements / 2);
  for (size_t i = 0; i + 1 < f->elements; i += 2) {
    if (!IsString(f->element[i]) || !IsString(f->element[i + 1])) return false;
    out->fields.emplace_back(std::string(f->element[i]->str, f->element[i]->len),
                             std::string(f->element[i + 1]->str, f->element[i + 1]->len));
  }
  return true;
}

}  // namespace

StatusQueue::StatusQueue(uv_loop_t* loop, RedisEndpoint endpoint, StatusQueueOptions options)
    : loop_(loop), conn_(loop, std::move(endpoint), "callbacks"), options_(std::move(options)) {
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
  uv_timer_init(loop_, &ack_timer_);
  ack_timer_.data = this;
  // A reconnect may be to a Redis that lost its data (no persistence): make the groups again.
  conn_.SetOnReady([this] {
    groups_ok_ = false;
    EnsureGroups([](bool) {});
  });
}

StatusQueue::~StatusQueue() = default;

void StatusQueue::Start(std::function<void()> on_groups) {
  on_groups_ = std::move(on_groups);
  conn_.Start();
}

void StatusQueue::Close(std::function<void()> done) {
  closed_ = true;
  uv_timer_stop(&timer_);
  timer_got_ = nullptr;
  FlushAcks();  // graceful: the acks are written and answered before the connection goes
  conn_.Close(true, [this, done = std::move(done)]() mutable {
    loop::CloseAll({loop::AsHandle(&timer_), loop::AsHandle(&ack_timer_)}, std::move(done));
  });
}

void StatusQueue::Later(Got got) {
  if (closed_) return;
  timer_got_ = std::move(got);
  uv_timer_start(
      &timer_,
      [](uv_timer_t* t) {
        auto* self = static_cast<StatusQueue*>(t->data);
        Got g = std::move(self->timer_got_);
        self->timer_got_ = nullptr;
        if (g) g({});
      },
      static_cast<uint64_t>(options_.retry_read_ms), 0);
}

void StatusQueue::Read(size_t max, Got got) {
  if (closed_) return;
  if (!conn_.ready()) return Later(std::move(got));
  if (!groups_ok_) {
    auto shared = std::make_shared<Got>(std::move(got));
    return EnsureGroups([this, max, shared](bool ok) {
      if (!ok) return Later(std::move(*shared));
      Read(max, std::move(*shared));
    });
  }
  if (!own_pending_done_) return ReadOwnPending(max, std::move(got));
  const uint64_t now = uv_now(loop_);
  if (now - last_claim_ms_ >= static_cast<uint64_t>(options_.claim_interval_ms)) {
    last_claim_ms_ = now;
    return Claim(max, std::move(got), false);
  }
  ReadNew(max, std::move(got));
}

void StatusQueue::EnsureGroups(std::function<void(bool)> then) {
  auto left = std::make_shared<int>(2);
  auto ok = std::make_shared<bool>(true);
  auto done = [this, left, ok, then = std::move(then)](bool one_ok) {
    *ok = *ok && one_ok;
    if (--*left > 0) return;
    if (!*ok) ++counters_.errors;
    groups_ok_ = *ok;
    if (*ok && on_groups_) {
      auto first = std::move(on_groups_);
      on_groups_ = nullptr;
      first();
    }
    then(*ok);
  };
  auto shared = std::make_shared<decltype(done)>(std::move(done));
  for (const std::string* s : {&options_.outcomes_stream, &options_.receipts_stream}) {
    const bool sent =
        conn_.Command({"XGROUP", "CREATE", *s, options_.group, "$", "MKSTREAM"},
                      [shared](redisReply* r) {
                        (*shared)(r != nullptr &&
                                  (!ReplyIsError(r) || ReplyErrorIs(r, "BUSYGROUP")));
                      });
    if (!sent) (*shared)(false);
  }
}

std::vector<StatusEntry> StatusQueue::ParseRead(const redisReply* r) {
  std::vector<StatusEntry> out;
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY) return out;
  for (size_t s = 0; s < r->elements; ++s) {
    const redisReply* st = r->element[s];
    if (st == nullptr || st->type != REDIS_REPLY_ARRAY || st->elements != 2 ||
        !IsString(st->element[0]) || st->element[1]->type != REDIS_REPLY_ARRAY) {
      continue;
    }
    const bool receipt =
        std::string_view(st->element[0]->str, st->element[0]->len) == options_.receipts_stream;
    for (size_t i = 0; i < st->element[1]->elements; ++i) {
      StatusEntry e;
      if (!ParseEntry(st->element[1]->element[i], receipt, &e)) continue;
      if (e.fields.empty()) ++counters_.trimmed;
      out.push_back(std::move(e));
    }
  }
  counters_.read += out.size();
  return out;
}

void StatusQueue::ReadOwnPending(size_t max, Got got) {
  auto shared = std::make_shared<Got>(std::move(got));
  const bool sent = conn_.Command(
      {"XREADGROUP", "GROUP", options_.group, options_.consumer, "COUNT", std::to_string(max),
       "STREAMS", options_.outcomes_stream, options_.receipts_stream, own_after_[0],
       own_after_[1]},
      [this, shared](redisReply* r) {
        if (ReplyIsError(r)) {
          ++counters_.errors;
          if (ReplyErrorIs(r, "NOGROUP")) groups_ok_ = false;
          return Later(std::move(*shared));
        }
        std::vector<StatusEntry> got = ParseRead(r);
        if (got.empty()) own_pending_done_ = true;
        for (const StatusEntry& e : got) own_after_[e.receipt ? 1 : 0] = e.id;
        (*shared)(std::move(got));
      });
  if (!sent) Later(std::move(*shared));
}

void StatusQueue::ReadNew(size_t max, Got got) {
  auto shared = std::make_shared<Got>(std::move(got));
  const bool sent = conn_.Command(
      {"XREADGROUP", "GROUP", options_.group, options_.consumer, "COUNT", std::to_string(max),
       "BLOCK", std::to_string(options_.block_ms), "STREAMS", options_.outcomes_stream,
       options_.receipts_stream, ">", ">"},
      [this, shared](redisReply* r) {
        if (ReplyIsError(r)) {
          ++counters_.errors;
          if (ReplyErrorIs(r, "NOGROUP")) groups_ok_ = false;
          return Later(std::move(*shared));
        }
        (*shared)(ParseRead(r));
      });
  if (!sent) Later(std::move(*shared));
}

// XAUTOCLAIM over one stream, then the other; the cursor of each walks the pending list a
// batch per interval. Reply: [next cursor, [[id, fields], ...], [deleted ids]] (Redis 7).
void StatusQueue::Claim(size_t max, Got got, bool receipts) {
  auto shared = std::make_shared<Got>(std::move(got));
  const int s = receipts ? 1 : 0;
  const bool sent = conn_.Command(
      {"XAUTOCLAIM", receipts ? options_.receipts_stream : options_.outcomes_stream,
       options_.group, options_.consumer, std::to_string(options_.claim_idle_ms),
       claim_cursor_[s], "COUNT", std::to_string(max)},
      [this, shared, s, receipts, max](redisReply* r) {
        std::vector<StatusEntry> got;
        if (ReplyIsError(r) || r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
            !IsString(r->element[0]) || r->element[1]->type != REDIS_REPLY_ARRAY) {
          ++counters_.errors;
          if (ReplyErrorIs(r, "NOGROUP")) groups_ok_ = false;
        } else {
          claim_cursor_[s].assign(r->element[0]->str, r->element[0]->len);
          for (size_t i = 0; i < r->element[1]->elements; ++i) {
            StatusEntry e;
            if (ParseEntry(r->element[1]->element[i], receipts, &e)) got.push_back(std::move(e));
          }
          // Ids whose entries were trimmed: XAUTOCLAIM took them off the pending list itself.
          if (r->elements >= 3 && r->element[2]->type == REDIS_REPLY_ARRAY) {
            counters_.trimmed += r->element[2]->elements;
          }
        }
        counters_.read += got.size();
        counters_.claimed += got.size();
        if (!receipts && got.empty()) return Claim(max, std::move(*shared), true);
        (*shared)(std::move(got));
      });
  if (!sent) Later(std::move(*shared));
}

void StatusQueue::Ack(const StatusEntry& e) {
  acks_[e.receipt ? 1 : 0].push_back(e.id);
  if (acks_[0].size() + acks_[1].size() >= options_.ack_batch) {
    uv_timer_stop(&ack_timer_);
    FlushAcks();
    return;
  }
  if (uv_is_active(loop::AsHandle(&ack_timer_)) == 0 && !closed_) {
    uv_timer_start(
        &ack_timer_, [](uv_timer_t* t) { static_cast<StatusQueue*>(t->data)->FlushAcks(); },
        static_cast<uint64_t>(options_.ack_linger_ms), 0);
  }
}

void StatusQueue::FlushAcks() {
  constexpr size_t kMaxIds = 1'000;  // per XACK: bounds one command's size
  for (int s = 0; s < 2; ++s) {
    std::vector<std::string>& ids = acks_[s];
    for (size_t at = 0; at < ids.size(); at += kMaxIds) {
      const size_t n = std::min(kMaxIds, ids.size() - at);
      std::vector<std::string> argv{"XACK",
                                    s == 1 ? options_.receipts_stream : options_.outcomes_stream,
                                    options_.group};
      argv.insert(argv.end(), ids.begin() + static_cast<std::ptrdiff_t>(at),
                  ids.begin() + static_cast<std::ptrdiff_t>(at + n));
      counters_.acks += n;
      // Not sent (not connected) or lost: the entries stay pending and come back through the
      // claim of idle entries: delivered once more, never lost.
      conn_.Command(argv, [this](redisReply* r) {
        if (ReplyIsError(r)) ++counters_.errors;
      });
    }
    ids.clear();
  }
}

void StatusQueue::DeadLetter(const StatusEntry& e, std::string reason,
                             std::function<void(bool)> done) {
  std::vector<std::string> argv{"EVALSHA",
                                kCallbackDeadScript.sha1,
                                "2",
                                StreamOf(e),
                                options_.dead_stream,
                                options_.group,
                                e.id,
                                std::to_string(options_.dead_maxlen),
                                "event_stream",
                                StreamOf(e),
                                "event_id",
                                e.id,
                                "failure",
                                std::move(reason)};
  for (const auto& [k, v] : e.fields) {
    argv.push_back(k);
    argv.push_back(v);
  }
  SendDead(std::make_shared<std::vector<std::string>>(std::move(argv)), false,
           std::make_shared<std::function<void(bool)>>(std::move(done)));
}

void StatusQueue::SendDead(std::shared_ptr<std::vector<std::string>> args, bool eval,
                           std::shared_ptr<std::function<void(bool)>> done) {
  if (eval) (*args)[0] = "EVAL", (*args)[1] = kCallbackDeadScript.body;
  const bool sent = conn_.Command(*args, [this, args, eval, done](redisReply* r) {
    if (!eval && r != nullptr && ReplyErrorIs(r, "NOSCRIPT")) return SendDead(args, true, done);
    const bool ok = !ReplyIsError(r);
    if (ok && r->type == REDIS_REPLY_INTEGER && r->integer == 1) ++counters_.dead;
    if (!ok) ++counters_.errors;
    (*done)(ok);
  });
  if (!sent) (*done)(false);
}

void StatusQueue::Keep(const std::vector<const StatusEntry*>& held) {
  constexpr size_t kChunk = 1'000;  // ids per script call: bounds how long Redis is busy
  for (const bool receipts : {false, true}) {
    std::vector<std::string> argv;
    auto flush = [&] {
      if (argv.size() <= 6) return;
      conn_.Command(argv, [this](redisReply* r) {
        if (ReplyIsError(r)) ++counters_.errors;  // NOSCRIPT: next round loads it with EVAL
      });
      argv.clear();
    };
    for (const StatusEntry* e : held) {
      if (e->receipt != receipts) continue;
      if (argv.empty()) {
        argv = {"EVAL", kTouchScript.body, "1", StreamOf(*e), options_.group, options_.consumer};
      }
      argv.push_back(e->id);
      if (argv.size() - 6 >= kChunk) flush();
    }
    flush();
  }
}

}  // namespace sd::redis
