#include "bench/e2e/run_loop.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "bench/process/proc_usage.h"

namespace sd::bench {
namespace {

// The ceiling's streams are its own, so that it never feeds the daemon's stream (which, with
// --reuse, may outlive the ceiling); they are in our namespace and deleted afterwards.
constexpr char kCeilingJobs[] = "sd:bench:ceiling:jobs";
constexpr char kCeilingOutcomes[] = "sd:bench:ceiling:outcomes";
constexpr char kCeilingReceipts[] = "sd:bench:ceiling:receipts";

// Submitted outcomes so far: each gets exactly one receipt from the daemon (for a multipart
// job, one aggregated receipt once every part is final), rejected ones none.
uint64_t CountSubmitted(redisContext* c, const std::string& after) {
  uint64_t n = 0;
  ScanStream(
      c, "sd:outcomes",
      [&](const std::string&, const std::map<std::string, std::string>& f) {
        auto it = f.find("status");
        if (it != f.end() && it->second == "submitted") ++n;
      },
      after);
  return n;
}

// What the result streams held before a run (nothing, unless --reuse): lengths to subtract
// and the last ids to read after.
struct Baseline {
  long long outcomes = 0, receipts = 0, unmatched = 0;
  std::string outcomes_last, receipts_last;
};

Baseline TakeBaseline(redisContext* c) {
  Baseline b;
  b.outcomes = RedisInt(c, "XLEN %s", "sd:outcomes");
  b.receipts = RedisInt(c, "XLEN %s", "sd:receipts");
  b.unmatched = RedisInt(c, "XLEN %s", "sd:receipts:unmatched");
  b.outcomes_last = LastId(c, "sd:outcomes");
  b.receipts_last = LastId(c, "sd:receipts");
  return b;
}

// CPU seconds at the start of a run, to subtract at its end.
struct UsageStart {
  std::map<std::string, pid_t> pids;  // smsc-sim and each daemon
  std::map<std::string, double> cpu;
  double redis_cpu = 0;  // from INFO cpu: works for a server this tool did not start
};

UsageStart TakeUsageStart(Env& e, redisContext* mon) {
  UsageStart u;
  u.pids["smsc-sim"] = e.sim->pid();
  for (size_t k = 0; k < e.daemons.size(); ++k) u.pids[DaemonName(k)] = e.daemons[k]->pid();
  for (auto& [n, p] : u.pids) u.cpu[n] = process::CpuSeconds(p);
  u.redis_cpu = RedisCpuSeconds(mon);
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

// Samples the streams and the group every 50 ms until every outcome and receipt is in, a
// daemon exits, or the drain deadline passes; feeds the producer's backlog bound.
void WatchRun(const Options& o, Env& e, redisContext* mon, const Baseline& base, ProducerState& ps,
              RunResult& res) {
  const auto start = Clock::now();
  auto last_print = start;
  // Known once every outcome is in: the submitted ones (none without receipts at all).
  std::optional<uint64_t> expected_receipts;
  // Sending is bounded by count or time; once it is over, the rest drains for at most 30 s
  // plus a second per 1,000 jobs.
  std::optional<Clock::time_point> deadline;
  while (!deadline || Clock::now() < *deadline) {
    if (ADaemonExited(e)) break;
    const uint64_t sent = ps.sent.load();
    const auto outcomes =
        static_cast<uint64_t>(RedisInt(mon, "XLEN %s", "sd:outcomes") - base.outcomes);
    // Receipts the daemon could not match (say one that overtook its own submit_sm_resp on
    // another bind) are quarantined, not written: they end the wait as well.
    const auto receipts =
        static_cast<uint64_t>(RedisInt(mon, "XLEN %s", "sd:receipts") - base.receipts +
                              RedisInt(mon, "XLEN %s", "sd:receipts:unmatched") - base.unmatched);
    const double t = std::chrono::duration<double>(Clock::now() - start).count();
    BacklogSample b = GroupBacklog(mon);
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
    if (ps.done.load() && !deadline) {
      deadline = Clock::now() + std::chrono::seconds(30 + static_cast<int>(sent / 1000));
    }
    if (ps.done.load() && outcomes >= sent) {
      if (!expected_receipts) {
        expected_receipts = o.receipt_delay_ms < 0 ? 0 : CountSubmitted(mon, base.outcomes_last);
      }
      if (receipts >= *expected_receipts) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// CPU per 1,000 jobs and peak RSS of every process. "smsdispatchd" is the daemons' sum (CPU
// per job of all of them, RSS added up), what the sizing model reads; each is kept too.
void CollectUsage(Env& e, redisContext* mon, const UsageStart& start, RunResult& res) {
  const auto per_1000 = [&res](double cpu_seconds) {
    return res.jobs == 0 ? 0 : cpu_seconds * 1e6 / static_cast<double>(res.jobs);
  };
  for (const auto& [n, p] : start.pids) {
    ProcessUsage u;
    u.cpu_seconds = process::CpuSeconds(p) - start.cpu.at(n);
    u.cpu_ms_per_1000_jobs = per_1000(u.cpu_seconds);
    u.peak_rss_mib = process::PeakRssMib(p);
    res.usage[n] = u;
  }
  ProcessUsage redis;
  redis.cpu_seconds = RedisCpuSeconds(mon) - start.redis_cpu;
  redis.cpu_ms_per_1000_jobs = per_1000(redis.cpu_seconds);
  redis.peak_rss_mib = e.redis ? process::PeakRssMib(e.redis->pid()) : RedisRssMib(mon);
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

// Outcomes, rejections by reason and latencies from the streams: enqueue time is the job
// entry id's milliseconds; intended time is the producer's schedule (rate > 0).
void CollectOutcomes(redisContext* mon, const Baseline& base,
                     const std::vector<std::pair<std::string, int64_t>>& intended, RunResult& res) {
  std::vector<double> to_submit, to_receipt, intended_to_submit;
  std::unordered_map<std::string, int64_t> intended_at(intended.begin(), intended.end());
  int64_t first_enqueue = INT64_MAX, last_outcome = 0;
  ScanStream(
      mon, "sd:outcomes",
      [&](const std::string&, const std::map<std::string, std::string>& f) {
        ++res.outcomes;
        const int64_t enq = EntryMs(f.at("entry"));
        const int64_t ts = std::stoll(f.at("ts"));
        first_enqueue = std::min(first_enqueue, enq);
        last_outcome = std::max(last_outcome, ts);
        if (f.at("status") == "submitted") {
          ++res.submitted;
          to_submit.push_back(static_cast<double>(ts - enq));
          auto in = intended_at.find(f.at("entry"));
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
      base.outcomes_last);
  // Receipts per job: the daemon writes one per submitted job (aggregated over a multipart
  // job's parts); should a job get more, it counts once, at its last receipt. The
  // simulator's per-part receipts are reported apart (smsc_receipts).
  std::unordered_map<std::string, int64_t> receipt_at;  // job entry -> last receipt ms
  int64_t last_receipt = 0;
  ScanStream(
      mon, "sd:receipts",
      [&](const std::string& id, const std::map<std::string, std::string>& f) {
        ++res.receipt_entries;
        int64_t& at = receipt_at[f.at("entry")];
        at = std::max(at, EntryMs(id));
        last_receipt = std::max(last_receipt, EntryMs(id));
      },
      base.receipts_last);
  res.receipts = receipt_at.size();
  res.receipts_unmatched =
      static_cast<uint64_t>(RedisInt(mon, "XLEN %s", "sd:receipts:unmatched") - base.unmatched);
  for (const auto& [entry, at] : receipt_at) {
    to_receipt.push_back(static_cast<double>(at - EntryMs(entry)));
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
  Redis prod, mon;
  ConnectRedis(prod, e, e.load_over_socket);
  ConnectRedis(mon, e, false);
  // With --reuse the streams may hold entries from before: count and read only what follows.
  const Baseline base = TakeBaseline(mon.c);
  const UsageStart usage = TakeUsageStart(e, mon.c);
  const auto commands_before = RedisCommandStats(mon.c);
  ProducerState ps;
  // At max rate for a set time: a backlog of a few seconds of the daemon's work is plenty.
  if (rate == 0 && o.duration_s > 0) ps.max_backlog = 50'000;
  const auto stop_at = o.duration_s > 0
                           ? Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                std::chrono::duration<double>(o.duration_s))
                           : Clock::time_point::max();
  std::thread producer([&] { Produce(prod.c, "sd:jobs", jobs, rate, stop_at, ps); });
  WatchRun(o, e, mon.c, base, ps, res);
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
  CollectUsage(e, mon.c, usage, res);
  res.redis_commands = CommandStatsDelta(commands_before, RedisCommandStats(mon.c));
  CollectOutcomes(mon.c, base, ps.intended, res);
  CollectSimStats(e, res);
  return res;
}

}  // namespace sd::bench
