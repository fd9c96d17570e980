#pragma once
// The load: signed jobs made in order from the options (mix, keys, destinations, forged
// share), and the producer that XADDs them at a fixed rate or as fast as pipelining allows.
#include <hiredis/hiredis.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "adapters/crypto/openssl_mac.h"
#include "bench/e2e/bench_options.h"
#include "bench/e2e/message_mix.h"

namespace sd::bench {

using Clock = std::chrono::steady_clock;

struct SignedJob {
  std::string kid, job, sig;
  bool bad = false;  // forged signature: will be rejected, gets no receipt
  MixedText shape;   // its text's kind and segments (the text itself is in `job`)
  uint32_t shard = 0;  // --cluster: the shard its id belongs to (core/shard_rule.h)
};

// The jobs of one run, made in order. A run of a known count makes them all before it starts
// (so making them costs the producer nothing); a run "as fast as possible for a set time" does
// not know its count and makes each one as it is sent (a few microseconds: far above what the
// daemon takes).
class JobSource {
 public:
  JobSource(const Options& o, const std::vector<std::pair<std::string, std::string>>& keys,
            uint64_t seed, uint64_t limit, bool lazy)
      : o_(o),
        keys_(keys),
        seed_(seed),
        limit_(limit),
        lazy_(lazy),
        rng_(seed),
        texts_(o.mix, seed),
        now_ms_(std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count()) {
    if (!lazy_) {
      made_.reserve(limit_);
      for (uint64_t i = 0; i < limit_; ++i) made_.push_back(Make(i));
    }
  }
  uint64_t limit() const { return limit_; }
  // Job i; the producer asks for them in order, once each. Counted as it is taken, so the mix
  // describes the jobs sent (a timed run may stop before its last one).
  const SignedJob& Get(uint64_t i) {
    if (lazy_) current_ = Make(i);
    const SignedJob& j = lazy_ ? current_ : made_[i];
    mix_.Add(j.shape);
    return j;
  }
  const MixCounts& mix() const { return mix_; }

 private:
  SignedJob Make(uint64_t i);

  const Options& o_;
  const std::vector<std::pair<std::string, std::string>>& keys_;
  uint64_t seed_, limit_;
  bool lazy_;
  OpenSslMac mac_;
  std::mt19937_64 rng_;
  TextMaker texts_;
  std::uniform_real_distribution<double> u_{0, 1};
  int64_t now_ms_;
  MixCounts mix_;
  std::vector<SignedJob> made_;
  SignedJob current_;
};

// The producer's command for one job: XADD to `stream` with the envelope's fields.
std::vector<std::string> XaddArgv(const std::string& stream, const SignedJob& j);

// What the producer shares with the thread that watches the run.
struct ProducerState {
  std::atomic<uint64_t> sent{0};
  std::atomic<bool> done{false};
  std::atomic<bool> stop{false};  // the watcher gave up (a daemon died): send no more
  // Outcomes seen so far (written by the watcher): at max rate for a set time the producer
  // keeps at most max_backlog jobs ahead of them, so that "as fast as possible" measures what
  // the daemon sustains instead of filling Redis's memory for the whole duration.
  std::atomic<uint64_t> outcomes{0};
  uint64_t max_backlog = 0;  // 0 = no bound (a run of a known count)
  // At a fixed rate, each job's "<shard>/<entry id>" and the wall-clock millisecond the schedule
  // meant to send it (start + i / rate). A producer that falls behind (Redis slow to answer, the
  // machine busy) sends late; the entry id then carries the late time and enqueue->submit
  // hides the wait: coordinated omission. intended->submit keeps it.
  std::vector<std::pair<std::string, int64_t>> intended;
};

// Sends jobs at `rate` per second (0 = as fast as pipelining allows) until the source is
// exhausted or `stop_at` has passed, whichever comes first.
void Produce(redisContext* c, const std::string& stream, JobSource& src, double rate,
             Clock::time_point stop_at, ProducerState& st);
// The same over shards: each job to streams[its shard] on connections[its shard].
void Produce(const std::vector<redisContext*>& connections, const std::vector<std::string>& streams,
             JobSource& src, double rate, Clock::time_point stop_at, ProducerState& st);

}  // namespace sd::bench
