// smsdispatch-bench: starts redis-server, smsc-sim and smsdispatchd on free loopback ports,
// measures the Redis ceiling (the same Redis operations per job, no daemon) and what the
// simulator sinks alone, then drives signed jobs at fixed rates (a sweep) or as fast as
// possible, and writes JSON, markdown and SVG charts. bench/README.md explains how to run it
// and read it.
//
// bench_options.cc: the command line; bench_env.cc: the processes of a run; job_load.cc: the
// jobs and the producer; run_loop.cc: the measurements; bench_report.cc: the reports.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "adapters/crypto/random.h"
#include "bench/e2e/bench_env.h"
#include "bench/e2e/bench_options.h"
#include "bench/e2e/bench_report.h"
#include "bench/e2e/job_load.h"
#include "bench/e2e/run_loop.h"
#include "bench/e2e/sink_ceiling.h"
#include "bench/e2e/streams_loop.h"

namespace sd::bench {
namespace {

std::string Fmt(const char* fmt, double v) {
  char b[64];
  snprintf(b, sizeof b, fmt, v);
  return b;
}

// The commit of the source tree the binaries were built from (not of the directory the tool
// runs in: a side-by-side run of two builds must label each with its own), "-dirty" when that
// tree has uncommitted changes.
std::string Commit() {
  FILE* p = popen(
      "git -C '" SD_BENCH_SOURCE_DIR "' describe --always --dirty --abbrev=7 2>/dev/null", "r");
  char buf[64] = {};
  if (p) {
    if (!fgets(buf, sizeof buf, p)) buf[0] = '\0';
    pclose(p);
  }
  std::string s = buf;
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s.empty() ? "unknown" : s;
}

std::string Machine() {
  std::string model;
  std::istringstream in(ReadFile("/proc/cpuinfo"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  return std::to_string(sysconf(_SC_NPROCESSORS_ONLN)) + " cores, " + model;
}

// With --redis/--redis-socket: never destroy what this tool did not create. If the daemon's or
// the bench's keys are there, they are someone's data (or an earlier run's), and a run would
// mix with them. Returns -1 to go on, or the exit code.
int RefuseForeignKeys(const Options& o) {
  Env probe_env;
  probe_env.redis_host = o.redis_host;
  probe_env.redis_port = o.redis_port;
  probe_env.redis_sock = o.redis_socket;
  Redis probe;
  if (!ConnectRedis(probe, probe_env, !o.redis_socket.empty())) {
    fprintf(stderr, "smsdispatch-bench: cannot reach redis at %s\n",
            o.redis_socket.empty() ? (o.redis_host + ":" + std::to_string(o.redis_port)).c_str()
                                   : o.redis_socket.c_str());
    return 1;
  }
  const std::set<std::string> existing = ScanKeys(probe.c, kOurKeys);
  if (existing.empty() || o.reuse) return -1;
  std::string names;
  int shown = 0;
  for (const std::string& k : existing) {
    if (shown++ == 10) {
      names += ", ...";
      break;
    }
    names += (names.empty() ? "" : ", ") + k;
  }
  fprintf(stderr,
          "smsdispatch-bench: the redis server already holds %zu key(s) the daemon and the bench "
          "use: %s. Not touching them: delete them, use another server, or pass --reuse to run "
          "alongside them (they are then never deleted; the bench adds entries to them).\n",
          existing.size(), names.c_str());
  return 2;
}

// The report's header: when, which build, which machine, every parameter.
Report NewReport(const Options& o) {
  Report report;
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char d[32];
  strftime(d, sizeof d, "%Y-%m-%d %H:%M:%S", gmtime(&now));
  report.date = d;
  report.commit = Commit();
  report.machine = Machine();
  report.window = o.window;
  report.binds = o.binds;
  report.daemons = o.daemons;
  report.shards = std::max(1, o.cluster);
  report.smsc_latency_ms = o.smsc_latency_ms;
  report.parameters = {
      {"jobs", o.duration_s > 0 ? "timed" : std::to_string(o.jobs)},
      {"duration_s", o.duration_s > 0 ? Fmt("%g", o.duration_s) : "none"},
      {"carrier", o.carrier},
      {"window", std::to_string(o.window)},
      {"binds", std::to_string(o.binds)},
      {"batch", std::to_string(o.batch)},
      {"linger_ms", std::to_string(o.linger_ms)},
      {"plain_writes", o.plain_writes ? "true" : "false"},
      {"replicas", std::to_string(o.replicas)},
      {"wait_replicas", std::to_string(o.wait_replicas)},
      {"max_inflight", std::to_string(o.max_inflight)},
      {"max_unsettled", o.max_unsettled < 0 ? "window x binds" : std::to_string(o.max_unsettled)},
      {"smsc_latency_ms", std::to_string(o.smsc_latency_ms)},
      {"receipt_delay_ms", std::to_string(o.receipt_delay_ms)},
      {"mix", MixLabel(o.mix)},
      {"bad_share", std::to_string(o.bad_share)},
      {"keys", std::to_string(o.keys)},
      {"destinations", std::to_string(o.destinations)},
      {"redis", o.connect()    ? (o.redis_socket.empty() ? "connect tcp" : "connect unix")
                : o.redis_unix ? "unix"
                               : "tcp"},
      {"aof", o.aof ? "on" : "off"},
      {"daemons", std::to_string(o.daemons)},
      {"cluster",
       o.cluster > 0 ? std::to_string(o.cluster) + " masters, shards = " + std::to_string(o.cluster)
                     : "none"}};
  if (!o.daemon_binary.empty()) report.parameters["daemon_binary"] = o.daemon_binary;
  return report;
}

using Keys = std::vector<std::pair<std::string, std::string>>;

// 1. The Redis ceiling, on its own fresh redis-server (with --cluster too: it is the one-core
// reference the shards are compared with).
bool RunCeiling(const Options& cluster_o, const std::string& work, const Keys& keys,
                Report& report) {
  Options o = cluster_o;
  o.cluster = 0;
  Env e;
  e.dir = work + "/ceiling";
  mkdir(e.dir.c_str(), 0700);
  e.keys = keys;
  if (!StartRedis(e, o)) {
    fprintf(stderr, "smsdispatch-bench: redis-server did not start (%s/redis.log)\n",
            e.dir.c_str());
    return false;
  }
  // A count even when the runs are timed (--duration): the ceiling is a rate, and o.jobs
  // (20,000 unless given) is enough to measure it.
  JobSource jobs(o, keys, 1, o.jobs, /*lazy=*/false);
  fprintf(stderr, "redis ceiling: %llu jobs...\n", static_cast<unsigned long long>(o.jobs));
  report.ceiling = MeasureCeiling(o, e, jobs);
  fprintf(stderr, "redis ceiling: %.0f jobs/s\n", report.ceiling.jobs_per_second);
  JobSource loop_jobs(o, keys, 2, o.jobs, /*lazy=*/false);
  report.streams_loop = MeasureStreamsLoop(o, e, loop_jobs);
  fprintf(stderr, "bare streams loop: %.0f jobs/s, Redis CPU %.1f us/job\n",
          report.streams_loop.jobs_per_second, report.streams_loop.redis_cpu_us_per_job);
  StopRun(e);
  return true;
}

// 1b. What the simulator sinks on its own (same binds, window, latency, receipts; no Redis,
// no daemon), so the claim that it outruns the daemon is measured, not assumed.
bool RunSink(const Options& o, const std::string& work, Report& report) {
  if (o.carrier == "http") {
    fprintf(stderr, "http-sim alone: not measured (the sink ceiling drives SMPP binds)\n");
    return true;
  }
  Env e;
  e.dir = work + "/sink";
  mkdir(e.dir.c_str(), 0700);
  if (!StartSim(e, o)) {
    fprintf(stderr, "smsdispatch-bench: smsc-sim did not start (%s/sim.log)\n", e.dir.c_str());
    return false;
  }
  SinkSetup sink;
  sink.port = e.sim_port;
  sink.binds = o.binds * o.daemons;
  sink.window = o.window;
  sink.jobs = o.jobs;
  sink.receipts = o.receipt_delay_ms >= 0;
  sink.mix = o.mix;
  fprintf(stderr, "smsc-sim alone: %llu submits...\n", static_cast<unsigned long long>(sink.jobs));
  report.sink = MeasureSinkCeiling(sink);
  fprintf(stderr, "smsc-sim alone: %.0f submits/s, %.0f receipts/s (%llu of %llu accepted)\n",
          report.sink.submits_per_second, report.sink.receipts_per_second,
          static_cast<unsigned long long>(report.sink.accepted),
          static_cast<unsigned long long>(report.sink.jobs));
  e.sim->Stop(std::chrono::seconds(5));
  return true;
}

void PrintRun(int n, const RunResult& r) {
  fprintf(stderr, "run %d: %.0f jobs/s, submit p50 %.1f p99 %.1f ms, receipt p99 %.1f ms\n", n,
          r.jobs_per_second, r.enqueue_to_submit.p50, r.enqueue_to_submit.p99,
          r.enqueue_to_receipt.p99);
  const auto u = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  fprintf(stderr,
          "run %d: %llu jobs (%llu gsm, %llu ucs2, %llu long), %llu segments made, %llu submitted "
          "by the daemon, %llu accepted by the smsc; %llu job receipts (%llu unmatched), %llu "
          "smsc receipts; %llu binds open\n",
          n, u(r.jobs), u(r.jobs_gsm), u(r.jobs_ucs2), u(r.jobs_long), u(r.segments_generated),
          u(r.segments_submitted), u(r.smsc_segments), u(r.receipts), u(r.receipts_unmatched),
          u(r.smsc_receipts), u(r.binds_open));
}

// 2. One daemon run at `rate` (0: max) with fresh processes. False when they did not start;
// *complete turns false when an outcome is missing.
bool RunDaemon(const Options& o, const std::string& work, const Keys& keys, double rate, int n,
               Report& report, bool* complete) {
  Env e;
  e.dir = work + "/run" + std::to_string(n);
  mkdir(e.dir.c_str(), 0700);
  e.keys = keys;
  if (!StartRedis(e, o) || !StartSimAndDaemon(e, o)) {
    fprintf(stderr, "smsdispatch-bench: could not start the processes (logs in %s)\n",
            e.dir.c_str());
    return false;
  }
  // A timed run at a fixed rate knows its count (rate x time) and makes the jobs first; a
  // timed run at max rate makes them as it sends.
  const bool timed = o.duration_s > 0;
  const uint64_t limit = !timed     ? o.jobs
                         : rate > 0 ? static_cast<uint64_t>(std::ceil(rate * o.duration_s))
                                    : kMaxTimedJobs;
  JobSource jobs(o, keys, static_cast<uint64_t>(100 + n), limit, /*lazy=*/timed && rate == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // bind and group creation
  const std::string what = timed ? Fmt("%.1f s", o.duration_s) : std::to_string(o.jobs) + " jobs";
  fprintf(
      stderr, "run %d: %s, %s\n", n,
      rate > 0 ? (std::to_string(static_cast<long long>(rate)) + " jobs/s").c_str() : "max rate",
      what.c_str());
  RunResult r = MeasureRun(o, e, jobs, rate);
  if (timed && rate > 0) {
    r.scheduled = limit;
    if (r.jobs < limit) {
      fprintf(stderr,
              "run %d: the producer sent %llu of %llu scheduled jobs in the time (behind its "
              "schedule: see intended->submit)\n",
              n, static_cast<unsigned long long>(r.jobs), static_cast<unsigned long long>(limit));
    }
  }
  if (r.outcomes < r.jobs) {
    *complete = false;
    fprintf(stderr, "smsdispatch-bench: only %llu of %llu outcomes (logs in %s)\n",
            static_cast<unsigned long long>(r.outcomes), static_cast<unsigned long long>(r.jobs),
            e.dir.c_str());
  }
  PrintRun(n, r);
  report.runs.push_back(std::move(r));
  StopRun(e);
  return true;
}

// 3. results/<date>-<time>/: bench.json, bench.md and the charts; the markdown also to stdout.
bool WriteResults(const Options& o, const Report& report) {
  std::string stamp = report.date;
  for (char& c : stamp) c = (c == ' ' || c == ':') ? '-' : c;
  const std::string out = o.results + "/" + stamp;
  const std::string mk = "mkdir -p '" + out + "'";
  if (system(mk.c_str()) != 0) {
    fprintf(stderr, "smsdispatch-bench: cannot create %s\n", out.c_str());
    return false;
  }
  WriteFile(out + "/bench.json", ToJson(report), 0644);
  const std::string md = ToMarkdown(report);
  WriteFile(out + "/bench.md", md, 0644);
  const std::string svg = LatencySvg(report);
  if (!svg.empty()) WriteFile(out + "/latency.svg", svg, 0644);
  const std::string backlog_svg = BacklogSvg(report);
  if (!backlog_svg.empty()) WriteFile(out + "/backlog.svg", backlog_svg, 0644);
  printf("%s\nresults: %s/\n", md.c_str(), out.c_str());
  return true;
}

}  // namespace

int Main(int argc, char** argv) {
  Options o;
  if (const int rc = ParseOptions(argc, argv, &o); rc >= 0) return rc;
  signal(SIGPIPE, SIG_IGN);
  if (o.connect()) {
    if (const int rc = RefuseForeignKeys(o); rc >= 0) return rc;
  }
  char tmpl[] = "/tmp/smsdispatch-bench.XXXXXX";
  const std::string work = mkdtemp(tmpl);
  Report report = NewReport(o);
  Keys keys;
  for (int k = 0; k < o.keys; ++k) {
    keys.emplace_back("bench" + std::to_string(k) + ".v1", RandomBytes(32));
  }
  if (!RunCeiling(o, work, keys, report) || !RunSink(o, work, report)) return 1;
  const std::vector<double> rates = o.rates.empty() ? std::vector<double>{0} : o.rates;
  bool complete = true;
  for (size_t n = 0; n < rates.size(); ++n) {
    if (!RunDaemon(o, work, keys, rates[n], static_cast<int>(n), report, &complete)) return 1;
  }
  if (!WriteResults(o, report)) return 1;
  const std::string rm = "rm -rf '" + work + "'";
  if (complete && system(rm.c_str()) != 0) fprintf(stderr, "could not remove %s\n", work.c_str());
  return complete ? 0 : 1;
}

}  // namespace sd::bench

int main(int argc, char** argv) { return sd::bench::Main(argc, argv); }
