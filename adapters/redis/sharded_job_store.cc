#include "adapters/redis/sharded_job_store.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <utility>

#include "adapters/redis/cluster_slots.h"
#include "core/shard_rule.h"

namespace sd::redis {

RedisStoreOptions ShardOptions(const RedisStoreOptions& base, uint32_t shard) {
  RedisStoreOptions o = base;
  for (std::string* name :
       {&o.jobs_stream, &o.outcomes_stream, &o.receipts_stream, &o.dead_letter_stream,
        &o.quarantine_stream, &o.delayed_set, &o.audit_stream, &o.key_prefix}) {
    *name = ShardName(*name, shard);
  }
  if (!o.endpoint.cluster_seeds.empty()) o.endpoint.cluster_slot = KeySlot(o.key_prefix + "a");
  return o;
}

// A receipt looking for its pointer.
struct ShardedJobStore::Lookup {
  Receipt receipt;
  std::function<void()> done;
  std::string match;   // the id its correlation is keyed by
  uint32_t shard = 0;  // where the pointer lives
  int64_t first_ms = 0;
  int64_t wait_ms = 0;
};

ShardedJobStore::ShardedJobStore(uv_loop_t* loop, const RedisStoreOptions& base, uint32_t shards,
                                 std::vector<uint32_t> read)
    : loop_(loop),
      read_(std::move(read)),
      shard_credit_(std::max<uint32_t>(shards, 1)),
      unmatched_wait_ms_(base.unmatched_receipt_wait_ms),
      next_turn_(loop),
      batches_(std::max<uint32_t>(shards, 1)) {
  const uint32_t n = std::max<uint32_t>(shards, 1);
  for (uint32_t i = 0; i < n; ++i) {
    stores_.push_back(std::make_unique<RedisJobStore>(loop, n == 1 ? base : ShardOptions(base, i)));
  }
  if (read_.empty()) {
    for (uint32_t i = 0; i < n; ++i) read_.push_back(i);
  }
  uv_timer_init(loop, &retry_timer_);
  retry_timer_.data = this;
}

ShardedJobStore::~ShardedJobStore() = default;

void ShardedJobStore::Start() {
  for (auto& s : stores_) s->Start();
}

void ShardedJobStore::Close(int64_t timeout_ms, std::function<void()> done) {
  closing_ = true;
  retries_.clear();  // never acknowledged: the SMSC sends them again after the next bind
  auto all = std::make_shared<std::function<void()>>(std::move(done));
  closes_left_ = static_cast<int>(stores_.size()) + 1;
  auto one = [this, all] {
    if (--closes_left_ == 0) (*all)();
  };
  loop::CloseAll({loop::AsHandle(&retry_timer_), next_turn_.handle()}, one);
  for (auto& s : stores_) s->Close(timeout_ms, one);
}

void ShardedJobStore::SetBatchHandler(BatchHandler handler) {
  handler_ = std::move(handler);
  for (uint32_t i = 0; i < stores_.size(); ++i) {
    stores_[i]->SetBatchHandler(
        [this, i](std::vector<StreamEntry> e) { OnBatch(i, std::move(e)); });
  }
}

void ShardedJobStore::OnBatch(uint32_t shard, std::vector<StreamEntry> entries) {
  if (stores_.size() > 1) {
    shard_credit_[shard] -= std::min(shard_credit_[shard], entries.size());
    const std::string prefix = std::to_string(shard) + "/";
    for (StreamEntry& e : entries) e.entry_id.insert(0, prefix);
  }
  handler_(std::move(entries));
}

void ShardedJobStore::GrantCredit(size_t credit) {
  if (stores_.size() == 1) {
    stores_[0]->GrantCredit(credit);
    return;
  }
  // Least-held shards first, each up to an even share of what all will hold: shares stay even
  // and an idle shard's reader keeps at most its share waiting.
  const size_t n = read_.size();
  size_t total = credit;
  for (uint32_t i : read_) total += shard_credit_[i];
  const size_t share = (total + n - 1) / n;
  std::vector<uint32_t> order = read_;
  std::sort(order.begin(), order.end(),
            [this](uint32_t a, uint32_t b) { return shard_credit_[a] < shard_credit_[b]; });
  for (uint32_t i : order) {
    const size_t give = std::min(credit, share > shard_credit_[i] ? share - shard_credit_[i] : 0);
    if (give == 0) continue;
    credit -= give;
    shard_credit_[i] += give;
    stores_[i]->GrantCredit(give);
  }
}

void ShardedJobStore::StopReading() {
  for (auto& s : stores_) s->StopReading();
}

std::optional<uint32_t> ShardedJobStore::TakeShard(std::string& entry_id) const {
  const size_t slash = entry_id.find('/');
  if (slash == std::string::npos) return std::nullopt;
  uint32_t shard = 0;
  auto [ptr, ec] = std::from_chars(entry_id.data(), entry_id.data() + slash, shard);
  if (ec != std::errc() || ptr != entry_id.data() + slash || shard >= stores_.size()) {
    return std::nullopt;
  }
  entry_id.erase(0, slash + 1);
  return shard;
}

void ShardedJobStore::Claim(std::vector<ClaimRequest> reqs,
                            std::function<void(std::vector<ClaimState>)> done) {
  if (stores_.size() == 1) {
    stores_[0]->Claim(std::move(reqs), std::move(done));
    return;
  }
  struct Join {
    std::vector<ClaimState> states;
    size_t left = 0;
    std::function<void(std::vector<ClaimState>)> done;
  };
  auto join = std::make_shared<Join>();
  join->states.assign(reqs.size(), ClaimState::kWrongShard);
  join->done = std::move(done);
  const uint32_t n = shards();
  std::vector<std::vector<ClaimRequest>> per(n);
  std::vector<std::vector<size_t>> where(n);
  for (size_t i = 0; i < reqs.size(); ++i) {
    const std::optional<uint32_t> s = TakeShard(reqs[i].entry_id);
    if (!s || JobShard(reqs[i].job_id, n) != *s) continue;  // stays kWrongShard
    where[*s].push_back(i);
    per[*s].push_back(std::move(reqs[i]));
  }
  for (uint32_t s = 0; s < n; ++s) join->left += per[s].empty() ? 0 : 1;
  if (join->left == 0) {
    next_turn_.Post([join] { join->done(std::move(join->states)); });
    return;
  }
  for (uint32_t s = 0; s < n; ++s) {
    if (per[s].empty()) continue;
    stores_[s]->Claim(std::move(per[s]),
                      [join, idx = std::move(where[s])](std::vector<ClaimState> states) {
                        for (size_t k = 0; k < idx.size() && k < states.size(); ++k) {
                          join->states[idx[k]] = states[k];
                        }
                        if (--join->left == 0) join->done(std::move(join->states));
                      });
  }
}

void ShardedJobStore::Commit(Outcome o, std::function<void()> done) {
  if (stores_.size() == 1) {
    stores_[0]->Commit(std::move(o), std::move(done));
    return;
  }
  const std::optional<uint32_t> s = TakeShard(o.entry_id);
  if (!s) {
    // Only this store names entries: a wiring bug. Nothing is acknowledged, so the entry is
    // read again (and dead-lettered if this repeats).
    spdlog::error("redis: an outcome for entry '{}' names no shard: not written", o.entry_id);
    next_turn_.Post(std::move(done));
    return;
  }
  if (o.status != OutcomeStatus::kSubmitted) {
    stores_[*s]->Commit(std::move(o), std::move(done));
    return;
  }
  // The pointers first: once a receipt can find the commit's correlation record, its pointer
  // is there. The commit waits one round trip for them (all shards' in parallel, each shard's
  // batched with the loop turn's others).
  const uint32_t n = shards();
  std::vector<std::vector<RedisJobStore::MessagePointer>> per(n);
  const uint32_t own = *s;
  auto add = [&](const std::string& id) {
    per[MessageShard(o.carrier, id, n)].push_back({o.carrier, id, own});
  };
  if (o.match_keys.empty()) add(o.message_id);
  for (const std::string& id : o.match_keys) add(id);
  auto left = std::make_shared<size_t>(0);
  for (const auto& ptrs : per) *left += ptrs.empty() ? 0 : 1;
  auto commit =
      std::make_shared<std::pair<Outcome, std::function<void()>>>(std::move(o), std::move(done));
  for (uint32_t h = 0; h < n; ++h) {
    if (per[h].empty()) continue;
    Batch& b = batches_[h];
    for (auto& p : per[h]) b.puts.push_back(std::move(p));
    b.put_done.push_back([this, left, commit, own] {
      if (--*left == 0) stores_[own]->Commit(std::move(commit->first), std::move(commit->second));
    });
  }
  ScheduleFlush();
}

void ShardedJobStore::ScheduleFlush() {
  if (flush_posted_) return;
  flush_posted_ = next_turn_.Post([this] { Flush(); });
}

void ShardedJobStore::Flush() {
  flush_posted_ = false;
  for (uint32_t h = 0; h < batches_.size(); ++h) {
    Batch b = std::move(batches_[h]);
    batches_[h] = Batch();
    if (!b.puts.empty()) {
      stores_[h]->PutMessageShards(std::move(b.puts), [done = std::move(b.put_done)] {
        for (const auto& d : done) d();
      });
    }
    if (!b.gets.empty()) {
      stores_[h]->GetMessageShards(
          std::move(b.gets),
          [this, ls = std::move(b.get_for)](std::vector<std::optional<uint32_t>> shards) {
            for (size_t i = 0; i < ls.size(); ++i) {
              OnPointer(ls[i], i < shards.size() ? shards[i] : std::nullopt);
            }
          });
    }
  }
}

void ShardedJobStore::PutReceipt(Receipt rc, std::function<void()> done) {
  const bool unparsable = rc.message_id.empty() && rc.match_key.empty();
  if (stores_.size() == 1 || unparsable) {
    stores_[0]->PutReceipt(std::move(rc), std::move(done));  // unparsable: quarantined at once
    return;
  }
  auto l = std::make_shared<Lookup>();
  l->match = rc.match_key.empty() ? rc.message_id : rc.match_key;
  l->shard = MessageShard(rc.carrier, l->match, shards());
  l->receipt = std::move(rc);
  l->done = std::move(done);
  l->first_ms = static_cast<int64_t>(uv_now(loop_));
  Find(std::move(l));
}

void ShardedJobStore::Find(std::shared_ptr<Lookup> l) {
  Batch& b = batches_[l->shard];
  b.gets.push_back({l->receipt.carrier, l->match, 0});
  b.get_for.push_back(std::move(l));
  ScheduleFlush();
}

void ShardedJobStore::OnPointer(std::shared_ptr<Lookup> l, std::optional<uint32_t> s) {
  if (closing_) return;  // not acknowledged: the SMSC sends it again
  if (s && *s < stores_.size()) {
    stores_[*s]->PutReceipt(std::move(l->receipt), std::move(l->done));
    return;
  }
  const int64_t waited = static_cast<int64_t>(uv_now(loop_)) - l->first_ms;
  if (waited >= unmatched_wait_ms_) {
    // Still no pointer: no commit names this id. The pointer's shard files it (its
    // correlation lookup finds nothing there either, so it goes to quarantine now).
    stores_[l->shard]->PutReceipt(std::move(l->receipt), std::move(l->done),
                                  std::max<int64_t>(waited, 1));
    return;
  }
  RetryLater(std::move(l));
}

void ShardedJobStore::RetryLater(std::shared_ptr<Lookup> l) {
  ++lookup_retries_;
  l->wait_ms = l->wait_ms == 0 ? 100 : l->wait_ms * 2;
  const int64_t now = static_cast<int64_t>(uv_now(loop_));
  const int64_t due = std::min(now + l->wait_ms, l->first_ms + unmatched_wait_ms_);
  retries_.emplace(due, std::move(l));
  uv_timer_start(
      &retry_timer_, [](uv_timer_t* t) { static_cast<ShardedJobStore*>(t->data)->OnRetryTimer(); },
      static_cast<uint64_t>(std::max<int64_t>(retries_.begin()->first - now, 0)), 0);
}

void ShardedJobStore::OnRetryTimer() {
  const int64_t now = static_cast<int64_t>(uv_now(loop_));
  std::vector<std::shared_ptr<Lookup>> due;
  while (!retries_.empty() && retries_.begin()->first <= now) {
    due.push_back(std::move(retries_.begin()->second));
    retries_.erase(retries_.begin());
  }
  for (auto& l : due) Find(std::move(l));
  if (!retries_.empty()) {
    uv_timer_start(
        &retry_timer_,
        [](uv_timer_t* t) { static_cast<ShardedJobStore*>(t->data)->OnRetryTimer(); },
        static_cast<uint64_t>(std::max<int64_t>(retries_.begin()->first - now, 1)), 0);
  }
}

void ShardedJobStore::Emit(AuditEvent event) {
  if (stores_.size() > 1) {
    std::string id = event.entry_id;
    if (TakeShard(id)) event.entry_id = std::move(id);
  }
  stores_[0]->Emit(std::move(event));
}

void ShardedJobStore::Defer(StreamEntry entry, std::string job_id, int64_t due_ms,
                            std::function<void()> done) {
  uint32_t s = 0;
  if (stores_.size() > 1) {
    const std::optional<uint32_t> named = TakeShard(entry.entry_id);
    if (!named) {
      spdlog::error("redis: a deferral for entry '{}' names no shard: not written", entry.entry_id);
      next_turn_.Post(std::move(done));
      return;
    }
    s = *named;
  }
  stores_[s]->Defer(std::move(entry), std::move(job_id), due_ms, std::move(done));
}

void ShardedJobStore::PublishStats(std::vector<std::string> field_values, int64_t ttl_ms) {
  stores_[0]->PublishStats(std::move(field_values), ttl_ms);
}

void ShardedJobStore::SampleBacklog() {
  for (auto& s : stores_) s->SampleBacklog();
}

RedisJobStore::Backlog ShardedJobStore::backlog() const {
  RedisJobStore::Backlog sum{0, 0};
  for (const auto& s : stores_) {
    const RedisJobStore::Backlog b = s->backlog();
    sum.lag = sum.lag < 0 || b.lag < 0 ? -1 : sum.lag + b.lag;
    sum.pending = sum.pending < 0 || b.pending < 0 ? -1 : sum.pending + b.pending;
  }
  return sum;
}

const LatencyHistogram& ShardedJobStore::write_round_trips() const {
  if (stores_.size() == 1) return stores_[0]->write_round_trips();
  round_trips_ = LatencyHistogram();
  for (const auto& s : stores_) round_trips_.Merge(s->write_round_trips());
  return round_trips_;
}

const RedisStoreCounters& ShardedJobStore::counters() const {
  if (stores_.size() == 1) return stores_[0]->counters();
  counters_ = RedisStoreCounters();
  for (const auto& s : stores_) counters_.Add(s->counters());
  counters_.shard_lookup_retries = lookup_retries_;
  return counters_;
}

bool ShardedJobStore::connected() const {
  return std::all_of(stores_.begin(), stores_.end(), [](const auto& s) { return s->connected(); });
}

size_t ShardedJobStore::Sum(size_t (RedisJobStore::*of)() const) const {
  size_t n = 0;
  for (const auto& s : stores_) n += ((*s).*of)();
  return n;
}

std::string ShardedJobStore::last_error() const {
  for (uint32_t i = 0; i < stores_.size(); ++i) {
    std::string e = stores_[i]->last_error();
    if (e.empty()) continue;
    return stores_.size() == 1 ? e : "shard " + std::to_string(i) + ": " + e;
  }
  return "";
}

}  // namespace sd::redis
