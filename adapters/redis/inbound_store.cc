#include "adapters/redis/inbound_store.h"

#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "adapters/redis/lua_scripts.h"
#include "adapters/redis/optout_writes.h"
#include "adapters/redis/redis_reply.h"
#include "adapters/redis/replica_wait.h"
#include "core/siphash.h"

namespace sd::redis {
namespace {

// The seen key's hash of a message's bytes: the same in every daemon (a fixed key; it guards
// against redelivery, not against an adversary, who could only collide their own messages).
constexpr SipKey kSeenHashKey{0x736d73646973706bULL, 0x696e626f756e6421ULL};
constexpr size_t kSweepBatch = 100;

std::string Str(int64_t v) { return std::to_string(v); }

}  // namespace

InboundStore::InboundStore(uv_loop_t* loop, RedisEndpoint endpoint, InboundStoreOptions options,
                           const Clock& clock)
    : conn_(loop, std::move(endpoint), "inbound"), options_(std::move(options)), clock_(clock) {
  for (uv_timer_t* t : {&retry_timer_, &sweep_timer_}) {
    uv_timer_init(loop, t);
    t->data = this;
  }
}

InboundStore::~InboundStore() = default;

void InboundStore::Start() {
  conn_.SetOnReady([this] { Retry(); });
  conn_.Start();
  const auto retry = static_cast<uint64_t>(options_.retry_ms);
  uv_timer_start(
      &retry_timer_, [](uv_timer_t* t) { static_cast<InboundStore*>(t->data)->Retry(); }, retry,
      retry);
  const auto sweep = static_cast<uint64_t>(options_.sweep_ms);
  uv_timer_start(
      &sweep_timer_, [](uv_timer_t* t) { static_cast<InboundStore*>(t->data)->Sweep(); }, sweep,
      sweep);
}

std::string InboundStore::PartsKey(const InboundPart& p) const {
  return options_.key_prefix + "inbound:parts:" + InboundPartsKey(p);
}

std::string InboundStore::DoneKey(const std::string& parts_key) const {
  const std::string parts = options_.key_prefix + "inbound:parts:";
  return options_.key_prefix +
         "inbound:done:" + parts_key.substr(std::min(parts.size(), parts_key.size()));
}

OptOutPlan InboundStore::PlanOptOut(const InboundMessage& m) const {
  return options_.optout_rules != nullptr ? options_.optout_rules->Plan(m) : OptOutPlan{};
}

void InboundStore::AddOptOut(const InboundMessage& m, const OptOutPlan& plan, size_t keys_end,
                             std::vector<std::string>* argv) const {
  if (!plan.changes.empty()) {
    std::vector<std::string> keys;
    OptOutKeys::For(options_.key_prefix, options_.audit_stream).AppendTo(&keys);
    argv->insert(argv->begin() + static_cast<std::ptrdiff_t>(keys_end), keys.begin(), keys.end());
    (*argv)[2] = std::to_string(std::stoi((*argv)[2]) + static_cast<int>(keys.size()));
  }
  AppendOptOutBlock(plan.changes, {"mo:" + m.carrier, plan.keyword, m.received_ms},
                    options_.audit_maxlen, argv);
}

void InboundStore::CountOptOut(const OptOutPlan& plan) {
  if (plan.action == OptOutAction::kNone) return;
  if (plan.changes.empty()) {
    ++counters_.optout_unusable;
  } else {
    ++(plan.action == OptOutAction::kStart ? counters_.optout_starts : counters_.optout_stops);
  }
}

std::vector<std::string> InboundStore::Fields(const InboundMessage& m,
                                              const OptOutPlan& plan) const {
  std::vector<std::string> f = {"carrier",  m.carrier,
                                "from",     m.from,
                                "to",       m.to,
                                "coding",   std::string(MoCodingName(m.coding)),
                                "received", Str(m.received_ms),
                                "parts",    Str(m.parts)};
  if (!m.binary_hex.empty()) {
    f.insert(f.end(), {"binary", m.binary_hex});
  } else {
    f.insert(f.end(), {"text", m.text});
  }
  if (m.missing > 0) f.insert(f.end(), {"missing", Str(m.missing)});
  if (m.lossy) f.insert(f.end(), {"lossy", "1"});
  if (plan.action != OptOutAction::kNone) {
    // What the reply did: "stop g:acme", "start s:4915112345", or why it did nothing.
    f.insert(f.end(), {"optout", std::string(OptOutActionName(plan.action)) + " " + plan.scope});
    if (plan.changes.empty()) f.insert(f.end(), {"optout_skipped", "sender not international"});
  }
  return f;
}

void InboundStore::Put(InboundPart part, std::function<void()> durable) {
  if (closing_ || queue_.size() >= options_.max_queued) {
    ++counters_.refused;  // not acknowledged: the SMSC delivers it again later
    return;
  }
  if (part.part) {
    PutPart(std::move(part), std::move(durable));
  } else {
    PutOne(std::move(part), std::move(durable));
  }
}

void InboundStore::PutOne(InboundPart part, std::function<void()> durable) {
  const InboundMessage m = AssembleInbound(part, {part.body}, {true});
  const std::string seen = options_.key_prefix + "inbound:seen:" + InboundPartsKey(part) + ":" +
                           std::string(MoCodingName(part.coding)) + ":" +
                           std::to_string(SipHash24(kSeenHashKey, part.body));
  auto w = std::make_shared<Write>();
  w->argv = {"EVALSHA",
             kInboundScript.sha1,
             "2",
             options_.stream,
             seen,
             "one",
             Str(options_.dedupe_window_ms),
             Str(options_.maxlen)};
  const OptOutPlan plan = PlanOptOut(m);
  AddOptOut(m, plan, 5, &w->argv);
  for (std::string& f : Fields(m, plan)) w->argv.push_back(std::move(f));
  const bool lossy = m.lossy;
  w->on_reply = [this, lossy, plan, durable = std::move(durable)](redisReply* r) {
    if (r->integer == 1) {
      ++counters_.messages;
      if (lossy) ++counters_.lossy;
      CountOptOut(plan);
    } else {
      ++counters_.duplicates;
    }
    durable();
  };
  Send(std::move(w), false);
}

void InboundStore::PutPart(InboundPart part, std::function<void()> durable) {
  const std::string key = PartsKey(part);
  const int64_t now = clock_.NowMs();
  auto w = std::make_shared<Write>();
  w->argv = {"EVALSHA",
             kInboundScript.sha1,
             "3",
             key,
             DoneKey(key),
             options_.key_prefix + "inbound:pending",
             "part",
             Str(part.part->seq),
             Str(part.part->total),
             part.body,
             Str(now + options_.part_timeout_ms),
             Str(2 * options_.part_timeout_ms + 60'000),
             "carrier",
             part.carrier,
             "from",
             part.from,
             "to",
             part.to,
             "coding",
             std::string(MoCodingName(part.coding)),
             "received",
             Str(part.received_ms)};
  w->on_reply = [this, key, part = std::move(part), durable = std::move(durable)](redisReply* r) {
    if (r->type == REDIS_REPLY_INTEGER) {
      ++(r->integer == 0 ? counters_.duplicates : counters_.parts);
    } else {
      ++counters_.parts;
      // Every part is in: {2, body 1, ..., body N}.
      std::vector<std::string> bodies;
      for (size_t i = 1; i < r->elements; ++i) bodies.push_back(ReplyString(r->element[i]));
      const InboundMessage m =
          AssembleInbound(part, bodies, std::vector<bool>(bodies.size(), true));
      Commit(m, key);
    }
    durable();  // the part is kept: the SMSC may forget it
  };
  Send(std::move(w), false);
}

void InboundStore::Commit(const InboundMessage& m, const std::string& parts_key) {
  auto w = std::make_shared<Write>();
  w->argv = {"EVALSHA",
             kInboundScript.sha1,
             "4",
             options_.stream,
             parts_key,
             DoneKey(parts_key),
             options_.key_prefix + "inbound:pending",
             "commit",
             Str(options_.maxlen),
             Str(options_.dedupe_window_ms)};
  const OptOutPlan plan = PlanOptOut(m);
  AddOptOut(m, plan, 7, &w->argv);
  for (std::string& f : Fields(m, plan)) w->argv.push_back(std::move(f));
  const bool timed_out = m.missing > 0;
  const bool lossy = m.lossy;
  w->on_reply = [this, timed_out, lossy, plan](redisReply* r) {
    if (r->integer != 1) return;  // another daemon wrote it first
    ++counters_.messages;
    CountOptOut(plan);
    if (timed_out) ++counters_.timed_out;
    if (lossy) ++counters_.lossy;
  };
  Send(std::move(w), false);
}

void InboundStore::Send(std::shared_ptr<Write> w, bool eval) {
  if (eval) {
    w->argv[0] = "EVAL";
    w->argv[1] = kInboundScript.body;
  }
  const bool sent = conn_.Command(w->argv, [this, w, eval](redisReply* r) {
    if (!eval && r != nullptr && ReplyErrorIs(r, "NOSCRIPT")) {
      Send(w, true);  // Redis lost its script cache
      return;
    }
    const bool ok = r != nullptr && (r->type == REDIS_REPLY_INTEGER ||
                                     (r->type == REDIS_REPLY_ARRAY && r->elements >= 1));
    if (!ok) {
      ++counters_.write_errors;
      if (r != nullptr)
        spdlog::warn("inbound: Redis refused a write (retrying): {}", ReplyString(r));
      w->argv[0] = "EVALSHA";
      w->argv[1] = kInboundScript.sha1;
      queue_.push_back(w);  // every mode is idempotent: sent again as it was
      return;
    }
    if (options_.wait_replicas <= 0) {
      w->on_reply(r);
      return;
    }
    // Acknowledged only once replicated: the reply is read after this callback, from a copy.
    std::shared_ptr<redisReply> copy(CopyReply(r), freeReplyObject);
    AwaitReplicas(w, [w, copy] { w->on_reply(copy.get()); });
  });
  if (!sent) queue_.push_back(std::move(w));
}

void InboundStore::AwaitReplicas(std::shared_ptr<Write> w, std::function<void()> done) {
  WaitForReplicas(
      conn_, options_.wait_replicas, options_.wait_timeout_ms, [] { return true; }, nullptr,
      [this, w, done = std::move(done)](ReplicaWait r) mutable {
        if (r.outcome == ReplicaWait::Outcome::kReplicated) {
          done();
          return;
        }
        // Lost, or refused (an ACL without WAIT): written again (idempotent), waited again.
        ++counters_.write_errors;
        queue_.push_back(std::move(w));
      });
}

void InboundStore::Retry() {
  if (closing_ || !conn_.ready()) return;
  auto waiting = std::move(queue_);
  queue_.clear();
  for (auto& w : waiting) Send(std::move(w), false);
}

// Messages whose parts did not all come in time, written by whichever daemon sweeps first.
void InboundStore::Sweep() {
  if (closing_ || sweeping_ || !conn_.ready()) return;
  sweeping_ = true;
  const bool sent = conn_.Command({"ZRANGEBYSCORE", options_.key_prefix + "inbound:pending", "-inf",
                                   Str(clock_.NowMs()), "LIMIT", "0", std::to_string(kSweepBatch)},
                                  [this](redisReply* r) {
                                    sweeping_ = false;
                                    if (r == nullptr || r->type != REDIS_REPLY_ARRAY) return;
                                    for (size_t i = 0; i < r->elements; ++i)
                                      SweepOne(ReplyString(r->element[i]));
                                  });
  if (!sent) sweeping_ = false;
}

void InboundStore::SweepOne(const std::string& parts_key) {
  conn_.Command({"HGETALL", parts_key}, [this, parts_key](redisReply* r) {
    if (r == nullptr || r->type != REDIS_REPLY_ARRAY) return;
    if (r->elements == 0) {  // expired whole (no daemon swept in time): nothing left to write
      conn_.Command({"ZREM", options_.key_prefix + "inbound:pending", parts_key},
                    [](redisReply*) {});
      return;
    }
    InboundPart first;
    std::vector<std::pair<int, std::string>> parts;
    int total = 0;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
      const std::string f = ReplyString(r->element[i]);
      std::string v = ReplyString(r->element[i + 1]);
      if (f == "carrier")
        first.carrier = std::move(v);
      else if (f == "from")
        first.from = std::move(v);
      else if (f == "to")
        first.to = std::move(v);
      else if (f == "coding")
        first.coding = ParseMoCoding(v).value_or(MoCoding::kBinary);
      else if (f == "received")
        first.received_ms = std::atoll(v.c_str());
      else if (f.size() > 1 && f[0] == 'p')
        parts.emplace_back(std::atoi(f.c_str() + 1), std::move(v));
    }
    // The count is in the key ("...<ref>/<total>"): a hash may have lost its meta to nothing
    // but an expiry, which deletes it whole.
    const size_t slash = parts_key.rfind('/');
    if (slash != std::string::npos) total = std::atoi(parts_key.c_str() + slash + 1);
    total = std::clamp(total, 1, 255);
    std::vector<std::string> bodies(static_cast<size_t>(total));
    std::vector<bool> present(static_cast<size_t>(total), false);
    for (auto& [seq, body] : parts) {
      if (seq < 1 || seq > total) continue;
      bodies[static_cast<size_t>(seq - 1)] = std::move(body);
      present[static_cast<size_t>(seq - 1)] = true;
    }
    Commit(AssembleInbound(first, bodies, present), parts_key);
  });
}

void InboundStore::Close(std::function<void()> done) {
  if (closing_) return;
  closing_ = true;
  closed_ = std::move(done);
  pending_closes_ = 3;  // two timers and the connection
  for (uv_timer_t* t : {&retry_timer_, &sweep_timer_}) {
    uv_timer_stop(t);
    uv_close(reinterpret_cast<uv_handle_t*>(t),
             [](uv_handle_t* h) { static_cast<InboundStore*>(h->data)->OneClosed(); });
  }
  // Graceful: writes already sent are answered (and their parts acknowledged) first.
  conn_.Close(true, [this] { OneClosed(); });
}

void InboundStore::OneClosed() {
  if (--pending_closes_ != 0 || !closed_) return;
  auto cb = std::move(closed_);
  closed_ = nullptr;
  cb();
}

}  // namespace sd::redis
