#include "bench/e2e/job_load.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <thread>

#include "bench/e2e/redis_sync.h"
#include "core/envelope.h"
#include "core/shard_rule.h"

namespace sd::bench {

std::vector<std::string> XaddArgv(const std::string& stream, const SignedJob& j) {
  return {"XADD", stream, "*", "v", "sd1", "kid", j.kid, "job", j.job, "sig", j.sig};
}

SignedJob JobSource::Make(uint64_t i) {
  const auto& [kid, secret] = keys_[i % keys_.size()];
  Job j;
  j.id = "b" + std::to_string(seed_) + "-" + std::to_string(i);
  j.created_ms = now_ms_;
  j.expires_ms = now_ms_ + 3'600'000;
  char num[32];
  snprintf(num, sizeof num, "+4915%09llu",
           static_cast<unsigned long long>(rng_() % o_.destinations));
  j.destination = num;
  j.sender = "BENCH";
  j.kind = JobKind::kOtp;
  MixedText t = texts_.Next();
  j.text = std::move(t.text);
  SignedJob s{kid, EncodeJob(j), "", u_(rng_) < o_.bad_share, MixedText{t.kind, {}, t.segments}};
  // With --cluster every job is signed for shard 0's stream and goes to its own shard's.
  s.sig = SignJob(mac_, s.bad ? std::string(32, 'x') : secret, kid,
                  o_.cluster > 0 ? "sd:{0}:jobs" : "sd:jobs", s.job);
  s.shard = JobShard(j.id, static_cast<uint32_t>(std::max(o_.cluster, 1)));
  return s;
}

void Produce(redisContext* c, const std::string& stream, JobSource& src, double rate,
             Clock::time_point stop_at, ProducerState& st) {
  Produce(std::vector<redisContext*>{c}, std::vector<std::string>{stream}, src, rate, stop_at, st);
}

void Produce(const std::vector<redisContext*>& cs, const std::vector<std::string>& streams,
             JobSource& src, double rate, Clock::time_point stop_at, ProducerState& st) {
  // One connection: every job goes to it, whatever its shard.
  const auto at = [&cs](const SignedJob& j) { return cs.size() == 1 ? 0 : j.shard; };
  std::vector<uint32_t> sent_to;
  const auto start = Clock::now();
  const double wall_start_ms =
      static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count()) /
      1000.0;
  if (rate > 0)
    st.intended.reserve(static_cast<size_t>(std::min<uint64_t>(src.limit(), 50'000'000)));
  uint64_t i = 0;
  while (i < src.limit() && Clock::now() < stop_at && !st.stop.load(std::memory_order_relaxed)) {
    uint64_t due = src.limit();
    if (rate > 0) {
      const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
      due = std::min(src.limit(), static_cast<uint64_t>(elapsed * rate) + 1);
    } else if (st.max_backlog > 0) {
      due = std::min(due, st.outcomes.load(std::memory_order_relaxed) + st.max_backlog);
    }
    if (due <= i) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      continue;
    }
    const uint64_t end = std::min(due, i + 256);
    sent_to.clear();
    for (uint64_t k = i; k < end; ++k) {
      const SignedJob& j = src.Get(k);
      sent_to.push_back(at(j));
      AppendArgv(cs[sent_to.back()], XaddArgv(streams[sent_to.back()], j));
    }
    for (uint64_t k = i; k < end; ++k) {
      void* r = nullptr;
      if (redisGetReply(cs[sent_to[k - i]], &r) != REDIS_OK) break;
      auto* reply = static_cast<redisReply*>(r);
      if (rate > 0 && reply->type == REDIS_REPLY_STRING) {
        // "<shard>/<entry id>": entry ids are per shard.
        st.intended.emplace_back(
            std::to_string(sent_to[k - i]) + "/" + std::string(reply->str, reply->len),
            static_cast<int64_t>(
                std::floor(wall_start_ms + 1000.0 * static_cast<double>(k) / rate)));
      }
      freeReplyObject(reply);
    }
    i = end;
    st.sent.store(i, std::memory_order_relaxed);
  }
  st.done.store(true);
}

}  // namespace sd::bench
