#include "bench/e2e/run_loop.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "bench/e2e/bench_cluster.h"
#include "bench/process/proc_usage.h"

namespace sd::bench {
namespace {

// The ceiling's streams are its own, so that it never feeds the daemon's stream (which, with
// --reuse, may outlive the ceiling); they are in our namespace and deleted afterwards.
constexpr char kCeilingJobs[] = "sd:bench:ceiling:jobs";
constexpr char kCeilingOutcomes[] = "sd:bench:ceiling:outcomes";
constexpr char kCeilingReceipts[] = "sd:bench:ceiling:receipts";

// One shard's streams with a watching connection on its master (the run's one server
// without --cluster).
struct Shard {
  ShardStreams names;
  Redis mon;
  // What the result streams held before the run (nothing, unless --reuse): lengths to
  // subtract and the last ids to read after.
  long long outcomes = 0, receipts = 0, unmatched = 0;
  std::string outcomes_last, receipts_last;
  double cpu_start = 0;  // INFO cpu: works for a server this tool did not start
  std::map<std::string, CommandCost> commands_before;
  long long Outcomes() { return RedisInt(mon.c, "XLEN %s", names.outcomes.c_str()) - outcomes; }
  long long Receipts() {
    return RedisInt(mon.c, "XLEN %s", names.receipts.c_str()) - receipts +
           RedisInt(mon.c, "XLEN %s", names.unmatched.c_str()) - unmatched;
  }
};
using Shards = std::vector<std::unique_ptr<Shard>>;

bool Connect(Redis& r, const Env& e, const ShardStreams& s, bool over_socket) {
  return s.port > 0 ? ConnectRedis(r, s.host, s.port, "") : ConnectRedis(r, e, over_socket);
}

// Connects the watchers and takes every shard's baseline.
Shards OpenShards(const Options& o, Env& e) {
  Shards shards;
  for (ShardStreams& names : RunShards(e, o)) {
    auto s = std::make_unique<Shard>();
    s->names = std::move(names);
    Connect(s->mon, e, s->names, false);
    redisContext* c = s->mon.c;
    s->outcomes = RedisInt(c, "XLEN %s", s->names.outcomes.c_str());
    s->receipts = RedisInt(c, "XLEN %s", s->names.receipts.c_str());
    s->unmatched = RedisInt(c, "XLEN %s", s->names.unmatched.c_str());
    s->outcomes_last = LastId(c, s->names.outcomes.c_str());
    s->receipts_last = LastId(c, s->names.receipts.c_str());
    s->cpu_start = RedisCpuSeconds(c);
    s->commands_before = RedisCommandStats(c);
    shards.push_back(std::move(s));
  }
  return shards;
}

// Submitted outcomes so far: each gets exactly one receipt from the daemon (for a multipart
// job, one aggregated receipt once every part is final), rejected ones none.
uint64_t CountSubmitted(Shards& shards) {
  uint64_t n = 0;
  for (auto& s : shards) {
    ScanStream(
        s->mon.c, s->names.outcomes.c_str(),
        [&](const std::string&, const std::map<std::string, std::string>& f) {
          auto it = f.find("status");
          if (it != f.end() && it->second == "submitted") ++n;
        },
        s->outcomes_last);
  }
  return n;
}

// CPU seconds of the processes at the start of a run, to subtract at its end.
struct UsageStart {
  std::map<std::string, pid_t> pids;  // smsc-sim and each daemon
  std::map<std::string, double> cpu;
};

UsageStart TakeUsageStart(Env& e) {
  UsageStart u;
  u.pids["smsc-sim"] = e.sim->pid();
  for (size_t k = 0; k < e.daemons.size(); ++k) u.pids[DaemonName(k)] = e.daemons[k]->pid();
  for (auto& [n, p] : u.pids) u.cpu[n] = process::CpuSeconds(p);
  return u;
}

// A daemon that refuses its configuration (say, a key this build does not know yet) or dies
// ends the run now, with its own words, instead of at the deadline.
bool ADaemonExited(Env& e) {
  bool exited = false;
  for (size_t k = 0; k < e.daemons.size(); ++k) {
    process::Subprocess& d = *e.daemons[k];
    if (d.pid() <= 0 || d.Running()) continue;
    const std::string log = e.dir + "/daemon" + std::to_string(k) + ".log";
    fprintf(stderr, "smsdispatch-bench: smsdispatchd %zu exited (status %d); %s:\n%s\n", k,
            d.exit_status().value_or(-1), log.c_str(), ReadFile(log).substr(0, 2000).c_str());
    exited = true;
  }
  return exited;
}

// The group's backlog over every shard (-1 while any shard's is unknown).
BacklogSample Backlog(Shards& shards) {
  BacklogSample sum;
  sum.lag = 0;
  sum.pending = 0;
  for (auto& s : shards) {
    const BacklogSample b = GroupBacklog(s->mon.c, s->names.jobs);
    sum.lag = sum.lag < 0 || b.lag < 0 ? -1 : sum.lag + b.lag;
    sum.pending = sum.pending < 0 || b.pending < 0 ? -1 : sum.pending + b.pending;
  }
  return sum;
}

// Samples the streams and the group every 50 ms until every outcome and receipt is in, a
// daemon exits, or the drain deadline passes; feeds the producer's backlog bound.
void WatchRun(const Options& o, Env& e, Shards& shards, ProducerState& ps, RunResult& res) {
  const auto start = Clock::now();
  auto last_print = start;
  // Known once every outcome is in: the submitted ones (none without receipts at all).
  std::optional<uint64_t> expected_receipts;
  // Sending is bounded by count or time; once it is over, the rest drains for at most 30 s
  // plus a second per 1,000 jobs.
  std::optional<Clock::time_point> deadline;
  while (!deadline || Clock::now() < *deadline) {
    if (ADaemonExited(e)) break;
    // `done` before `sent`: the producer stores its last count before done, so a done seen
    // here comes with the final count (read the other way round, a producer finishing between
    // the two loads would end the run with nothing counted as sent).
    const bool producer_done = ps.done.load();
    const uint64_t sent = ps.sent.load();
    // Receipts the daemon could not match (say one that overtook its own submit_sm_resp on
    // another bind) are quarantined, not written: they end the wait as well.
    long long outcome_sum = 0, receipt_sum = 0;
    for (auto& s : shards) {
      outcome_sum += s->Outcomes();
      receipt_sum += s->Receipts();
    }
    const auto outcomes = static_cast<uint64_t>(outcome_sum);
    const auto receipts = static_cast<uint64_t>(receipt_sum);
    const double t = std::chrono::duration<double>(Clock::now() - start).count();
    BacklogSample b = Backlog(shards);
    b.t = t;
    b.outstanding = static_cast<int64_t>(sent) - static_cast<int64_t>(outcomes);
    res.backlog.push_back(b);
    if (!o.quiet && Clock::now() - last_print >= std::chrono::seconds(1)) {
      last_print = Clock::now();
      fprintf(stderr,
              "  %s t=%.1fs enqueued=%llu outcomes=%llu receipts=%llu backlog=%lld (%.0f jobs/s)\n",
              res.label.c_str(), t, static_cast<unsigned long long>(sent),
              static_cast<unsigned long long>(outcomes), static_cast<unsigned long long>(receipts),
              static_cast<long long>(sent) - static_cast<long long>(outcomes),
              static_cast<double>(outcomes) / t);
    }
    ps.outcomes.store(outcomes, std::memory_order_relaxed);
    if (producer_done && !deadline) {
      deadline = Clock::now() + std::chrono::seconds(30 + static_cast<int>(sent / 1000));
    }
    if (producer_done && outcomes >= sent) {
      if (!expected_receipts) {
        expected_receipts = o.receipt_delay_ms < 0 ? 0 : CountSubmitted(shards);
      }
      if (receipts >= *expected_receipts) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// CPU per 1,000 jobs and peak RSS of every process. "smsdispatchd" is the daemons' sum (CPU
// per job of all of them, RSS added up), what the sizing model reads; each is kept too. So is
// "redis-server", over the shards' masters with --cluster; each shard's also per job of its
// own (res.shard_jobs).
void CollectUsage(Env& e, Shards& shards, const UsageStart& start, RunResult& res) {
  const auto per_1000 = [](double cpu_seconds, uint64_t jobs) {
    return jobs == 0 ? 0 : cpu_seconds * 1e6 / static_cast<double>(jobs);
  };
  for (const auto& [n, p] : start.pids) {
    ProcessUsage u;
    u.cpu_seconds = process::CpuSeconds(p) - start.cpu.at(n);
    u.cpu_ms_per_1000_jobs = per_1000(u.cpu_seconds, res.jobs);
    u.peak_rss_mib = process::PeakRssMib(p);
    res.usage[n] = u;
  }
  ProcessUsage redis;
  for (size_t i = 0; i < shards.size(); ++i) {
    redisContext* c = shards[i]->mon.c;
    ProcessUsage shard;
    shard.cpu_seconds = RedisCpuSeconds(c) - shards[i]->cpu_start;
    shard.peak_rss_mib = !e.nodes.empty() ? process::PeakRssMib(e.nodes[i]->pid())
                         : e.redis        ? process::PeakRssMib(e.redis->pid())
                                          : RedisRssMib(c);
    redis.cpu_seconds += shard.cpu_seconds;
    redis.peak_rss_mib += shard.peak_rss_mib;
    const auto jobs = static_cast<uint64_t>(std::max<long long>(0, shards[i]->Outcomes()));
    shard.cpu_ms_per_1000_jobs = per_1000(shard.cpu_seconds, jobs);
    if (!e.nodes.empty()) {
      res.shard_usage.push_back(shard);
      res.shard_jobs.push_back(jobs);
    }
  }
  redis.cpu_ms_per_1000_jobs = per_1000(redis.cpu_seconds, res.jobs);
  res.usage["redis-server"] = redis;
  ProcessUsage sum;
  for (size_t k = 0; k < e.daemons.size(); ++k) {
    auto it = res.usage.find(DaemonName(k));
    res.daemon_usage.push_back(it->second);
    sum.cpu_seconds += it->second.cpu_seconds;
    sum.cpu_ms_per_1000_jobs += it->second.cpu_ms_per_1000_jobs;
    sum.peak_rss_mib += it->second.peak_rss_mib;
    res.usage.erase(it);
  }
  res.usage["smsdispatchd"] = sum;
  res.daemons = static_cast<int>(e.daemons.size());
}

// Redis's own time per command over the run, summed over the shards' masters.
void CollectCommands(Shards& shards, RunResult& res) {
  for (auto& s : shards) {
    for (const auto& [name, cost] :
         CommandStatsDelta(s->commands_before, RedisCommandStats(s->mon.c))) {
      res.redis_commands[name].calls += cost.calls;
      res.redis_commands[name].usec += cost.usec;
    }
  }
}

// Outcomes, rejections by reason and latencies from the streams: enqueue time is the job
// entry id's milliseconds; intended time is the producer's schedule (rate > 0). Entry ids are
// per shard (two shards can have the same), so they are looked up per shard.
void CollectOutcomes(Shards& shards, const std::vector<std::pair<std::string, int64_t>>& intended,
                     RunResult& res) {
  std::vector<double> to_submit, to_receipt, intended_to_submit;
  std::unordered_map<std::string, int64_t> intended_at(intended.begin(), intended.end());
  int64_t first_enqueue = INT64_MAX, last_outcome = 0, last_receipt = 0;
  for (size_t i = 0; i < shards.size(); ++i) {
    Shard& sh = *shards[i];
    const std::string tag = std::to_string(i) + "/";
    uint64_t outcomes = 0;
    ScanStream(
        sh.mon.c, sh.names.outcomes.c_str(),
        [&](const std::string&, const std::map<std::string, std::string>& f) {
          ++outcomes;
          const int64_t enq = EntryMs(f.at("entry"));
          const int64_t ts = std::stoll(f.at("ts"));
          first_enqueue = std::min(first_enqueue, enq);
          last_outcome = std::max(last_outcome, ts);
          if (f.at("status") == "submitted") {
            ++res.submitted;
            to_submit.push_back(static_cast<double>(ts - enq));
            auto in = intended_at.find(tag + f.at("entry"));
            if (in != intended_at.end()) {
              intended_to_submit.push_back(
                  static_cast<double>(std::max<int64_t>(0, ts - in->second)));
            }
            auto seg = f.find("segments");
            res.segments_submitted +=
                seg == f.end() || seg->second.empty() ? 1 : std::stoull(seg->second);
          } else {
            ++res.rejected;
            auto reason = f.find("reason");
            ++res.rejected_by_reason[reason == f.end() ? std::string() : reason->second];
          }
        },
        sh.outcomes_last);
    res.outcomes += outcomes;
    // Receipts per job: the daemon writes one per submitted job (aggregated over a multipart
    // job's parts); should a job get more, it counts once, at its last receipt. The
    // simulator's per-part receipts are reported apart (smsc_receipts).
    std::unordered_map<std::string, int64_t> receipt_at;  // job entry -> last receipt ms
    ScanStream(
        sh.mon.c, sh.names.receipts.c_str(),
        [&](const std::string& id, const std::map<std::string, std::string>& f) {
          ++res.receipt_entries;
          int64_t& at = receipt_at[f.at("entry")];
          at = std::max(at, EntryMs(id));
          last_receipt = std::max(last_receipt, EntryMs(id));
        },
        sh.receipts_last);
    res.receipts += receipt_at.size();
    res.receipts_unmatched += static_cast<uint64_t>(
        RedisInt(sh.mon.c, "XLEN %s", sh.names.unmatched.c_str()) - sh.unmatched);
    for (const auto& [entry, at] : receipt_at) {
      to_receipt.push_back(static_cast<double>(at - EntryMs(entry)));
    }
  }
  res.seconds =
      first_enqueue == INT64_MAX ? 0 : static_cast<double>(last_outcome - first_enqueue) / 1000.0;
  res.jobs_per_second = res.seconds > 0 ? static_cast<double>(res.outcomes) / res.seconds : 0;
  const double rs = static_cast<double>(last_receipt - first_enqueue) / 1000.0;
  res.receipts_per_second = rs > 0 ? static_cast<double>(res.receipts) / rs : 0;
  res.enqueue_to_submit = ComputePercentiles(std::move(to_submit));
  res.intended_to_submit = ComputePercentiles(std::move(intended_to_submit));
  res.enqueue_to_receipt = ComputePercentiles(std::move(to_receipt));
}

// The SMSC's side: segments it accepted, receipts it sent (one per part), binds open now.
void CollectSimStats(Env& e, RunResult& res) {
  const auto sim = SimStats(e);
  auto stat = [&sim](const char* name) {
    auto it = sim.find(name);
    return it == sim.end() ? 0 : static_cast<uint64_t>(std::max<int64_t>(0, it->second));
  };
  // http-sim counts requests it accepted (one per job) and receipt webhooks answered 2xx.
  res.smsc_segments = sim.count("accepted") ? stat("accepted") : stat("accepted_submits");
  res.smsc_receipts = sim.count("webhooks_ok") ? stat("webhooks_ok") : stat("receipts_sent");
  res.binds_open = stat("bound_tx") + stat("bound_trx") + stat("bound_rx");
  res.bind_refusals = stat("bind_limit_refusals");
}

}  // namespace

CeilingResult MeasureCeiling(const Options& o, Env& e, JobSource& jobs) {
  Redis prod, cons;
  ConnectRedis(prod, e, e.load_over_socket);
  ConnectRedis(cons, e, e.load_over_socket);
  freeReplyObject(redisCommand(cons.c, "XGROUP CREATE %s ceiling $ MKSTREAM", kCeilingJobs));
  const double cpu_start = RedisCpuSeconds(cons.c);
  ProducerState st;
  const auto start = Clock::now();
  std::thread producer(
      [&] { Produce(prod.c, kCeilingJobs, jobs, 0, Clock::time_point::max(), st); });
  // The daemon's Redis work per job, without the daemon: read in batches, then per entry an
  // outcome XADD and an XACK, and a receipt XADD.
  uint64_t done = 0;
  while (done < jobs.limit()) {
    auto* r = static_cast<redisReply*>(
        redisCommand(cons.c, "XREADGROUP GROUP ceiling c COUNT %d BLOCK 100 STREAMS %s >", o.batch,
                     kCeilingJobs));
    if (!r) break;
    const std::vector<std::string> ids = ReadGroupEntryIds(r);
    for (const std::string& id : ids) {
      AppendArgv(cons.c, {"XADD", kCeilingOutcomes, "*", "entry", id, "status", "submitted",
                          "message_id", id});
      AppendArgv(cons.c, {"XACK", kCeilingJobs, "ceiling", id});
      AppendArgv(cons.c, {"XADD", kCeilingReceipts, "*", "entry", id, "status", "delivered"});
    }
    done += ids.size();
    const size_t cmds = 3 * ids.size();
    freeReplyObject(r);
    DrainReplies(cons.c, cmds);
  }
  producer.join();
  CeilingResult c;
  c.jobs = done;
  c.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  c.jobs_per_second = static_cast<double>(done) / c.seconds;
  if (done > 0) {
    c.redis_cpu_us_per_job = (RedisCpuSeconds(cons.c) - cpu_start) * 1e6 / static_cast<double>(done);
  }
  DeleteCreated(cons.c, e.keys_before);
  return c;
}

RunResult MeasureRun(const Options& o, Env& e, JobSource& jobs, double rate) {
  RunResult res;
  res.offered_rate = rate;
  res.label = rate > 0 ? "rate " + std::to_string(static_cast<long long>(rate)) + "/s" : "max";
  // With --reuse the streams may hold entries from before: count and read only what follows.
  Shards shards = OpenShards(o, e);
  // The producer's connections: one per shard, over the socket when the load uses it.
  std::vector<std::unique_ptr<Redis>> prods;
  std::vector<redisContext*> prod_cs;
  std::vector<std::string> streams;
  for (auto& s : shards) {
    prods.push_back(std::make_unique<Redis>());
    Connect(*prods.back(), e, s->names, e.load_over_socket);
    prod_cs.push_back(prods.back()->c);
    streams.push_back(s->names.jobs);
  }
  const UsageStart usage = TakeUsageStart(e);
  ProducerState ps;
  // At max rate for a set time: a backlog of a few seconds of the daemon's work is plenty.
  if (rate == 0 && o.duration_s > 0) ps.max_backlog = 50'000;
  const auto stop_at = o.duration_s > 0
                           ? Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                std::chrono::duration<double>(o.duration_s))
                           : Clock::time_point::max();
  std::thread producer([&] { Produce(prod_cs, streams, jobs, rate, stop_at, ps); });
  WatchRun(o, e, shards, ps, res);
  // scripts/bench_redis_instructions.sh stops counting Redis's instructions at this line,
  // before the scans below read the streams back.
  fprintf(stderr, "run %s: drained\n", res.label.c_str());
  ps.stop.store(true);
  producer.join();
  res.jobs = ps.sent.load();
  res.jobs_gsm = jobs.mix().gsm;
  res.jobs_ucs2 = jobs.mix().ucs2;
  res.jobs_long = jobs.mix().long_texts;
  res.segments_generated = jobs.mix().segments;
  // Before the scans below, which cost Redis CPU of their own.
  CollectUsage(e, shards, usage, res);
  CollectCommands(shards, res);
  CollectOutcomes(shards, ps.intended, res);
  CollectSimStats(e, res);
  return res;
}

}  // namespace sd::bench
