#include "bench/e2e/bench_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bench/e2e/report_sections.h"

namespace sd::bench {
namespace {

double At(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  // Nearest-rank: the smallest sample with at least q of all samples at or below it.
  const size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
}

// Redis's own time by command over a run, per job as well.
nlohmann::json CommandsJson(const RunResult& run) {
  nlohmann::json out = nlohmann::json::object();
  const double jobs = run.jobs > 0 ? static_cast<double>(run.jobs) : 1;
  for (const auto& [name, cost] : run.redis_commands) {
    out[name] = {{"calls", cost.calls},
                 {"usec", cost.usec},
                 {"calls_per_job", static_cast<double>(cost.calls) / jobs},
                 {"usec_per_job", cost.usec / jobs}};
  }
  return out;
}

nlohmann::json CeilingJson(const CeilingResult& c) {
  return {{"jobs", c.jobs},
          {"seconds", c.seconds},
          {"jobs_per_second", c.jobs_per_second},
          {"redis_cpu_us_per_job", c.redis_cpu_us_per_job}};
}

nlohmann::json PJson(const Percentiles& p) {
  return {{"count", p.count}, {"p50_ms", p.p50},   {"p90_ms", p.p90},
          {"p99_ms", p.p99},  {"p999_ms", p.p999}, {"max_ms", p.max}};
}

}  // namespace

std::string Fmt(double v, int prec) {
  char b[64];
  snprintf(b, sizeof b, "%.*f", prec, v);
  return b;
}

Percentiles ComputePercentiles(std::vector<double> s) {
  Percentiles p;
  std::sort(s.begin(), s.end());
  p.count = s.size();
  p.p50 = At(s, 0.50);
  p.p90 = At(s, 0.90);
  p.p99 = At(s, 0.99);
  p.p999 = At(s, 0.999);
  p.max = s.empty() ? 0 : s.back();
  return p;
}

Sizing SizeRun(const Report& r, const RunResult& run) {
  Sizing s{};
  const double rtt_s = std::max(r.smsc_latency_ms, 0.05) / 1000.0;  // loopback adds ~50 us
  const int daemons = std::max(1, r.daemons);
  s.carrier_jobs_per_s = daemons * r.binds * r.window / rtt_s;
  auto it = run.usage.find("smsdispatchd");
  const double cpu_ms = it == run.usage.end() ? 0 : it->second.cpu_ms_per_1000_jobs;
  // Each daemon is one event loop: at most one core each. The summed CPU per job is what N of
  // them spend on one job together, so N cores carry N / (summed CPU per job).
  s.cpu_jobs_per_s = cpu_ms > 0 ? daemons * 1000.0 * 1000.0 / cpu_ms : 0;
  auto rd = run.usage.find("redis-server");
  const double redis_ms = rd == run.usage.end() ? 0 : rd->second.cpu_ms_per_1000_jobs;
  s.redis_cpu_jobs_per_s = redis_ms > 0 ? std::max(1, r.shards) * 1000.0 * 1000.0 / redis_ms : 0;
  s.redis_jobs_per_s = r.ceiling.jobs_per_second;
  s.sink_jobs_per_s = r.sink.submits_per_second;
  // The lowest limit binds; one not measured (0) cannot. The carrier window always is.
  auto or_inf = [](double v) { return v > 0 ? v : 1e18; };
  const double bind =
      std::min({s.carrier_jobs_per_s, or_inf(s.cpu_jobs_per_s), or_inf(s.redis_cpu_jobs_per_s),
                or_inf(s.redis_jobs_per_s), or_inf(s.sink_jobs_per_s)});
  s.binding = bind == s.carrier_jobs_per_s     ? SizingLimit::kCarrierWindow
              : bind == s.cpu_jobs_per_s       ? SizingLimit::kDaemonCpu
              : bind == s.redis_cpu_jobs_per_s ? SizingLimit::kRedisCpu
              : bind == s.redis_jobs_per_s     ? SizingLimit::kRedis
                                               : SizingLimit::kSmscSimulator;
  return s;
}

int64_t CheckedLag(int64_t reported, int64_t pending, int64_t xlen, bool read_to_end) {
  if (read_to_end) return 0;
  if (reported < 0) return -1;
  if (pending >= 0 && xlen >= 0 && reported > xlen - pending) return -1;
  return reported;
}

namespace {
bool ParseStreamId(std::string_view s, uint64_t* ms, uint64_t* seq) {
  const size_t dash = s.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == s.size()) return false;
  auto num = [](std::string_view d, uint64_t* out) {
    if (d.size() > 19) return false;
    uint64_t v = 0;
    for (char c : d) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    *out = v;
    return true;
  };
  return num(s.substr(0, dash), ms) && num(s.substr(dash + 1), seq);
}
}  // namespace

bool StreamIdAtOrAfter(std::string_view a, std::string_view b) {
  uint64_t am = 0, as = 0, bm = 0, bs = 0;
  if (!ParseStreamId(a, &am, &as) || !ParseStreamId(b, &bm, &bs)) return false;
  return am != bm ? am > bm : as >= bs;
}

namespace {

// One run's object in bench.json.
nlohmann::json RunJson(const Report& r, const RunResult& run) {
  nlohmann::json u;
  for (const auto& [name, pu] : run.usage) {
    u[name] = {{"cpu_seconds", pu.cpu_seconds},
               {"cpu_ms_per_1000_jobs", pu.cpu_ms_per_1000_jobs},
               {"peak_rss_mib", pu.peak_rss_mib}};
  }
  nlohmann::json per_daemon = nlohmann::json::array();
  for (const ProcessUsage& pu : run.daemon_usage) {
    per_daemon.push_back({{"cpu_seconds", pu.cpu_seconds},
                          {"cpu_us_per_job", pu.cpu_ms_per_1000_jobs},
                          {"peak_rss_mib", pu.peak_rss_mib}});
  }
  nlohmann::json per_shard = nlohmann::json::array();
  for (size_t k = 0; k < run.shard_usage.size(); ++k) {
    const ProcessUsage& pu = run.shard_usage[k];
    per_shard.push_back({{"jobs", k < run.shard_jobs.size() ? run.shard_jobs[k] : 0},
                         {"cpu_seconds", pu.cpu_seconds},
                         {"cpu_us_per_job", pu.cpu_ms_per_1000_jobs},
                         {"peak_rss_mib", pu.peak_rss_mib}});
  }
  nlohmann::json backlog = nlohmann::json::array();
  int64_t peak = 0, peak_group = -1;
  for (const BacklogSample& b : run.backlog) {
    backlog.push_back(
        {{"t", b.t}, {"outstanding", b.outstanding}, {"lag", b.lag}, {"pending", b.pending}});
    peak = std::max(peak, b.outstanding);
    if (b.lag >= 0 && b.pending >= 0) peak_group = std::max(peak_group, b.lag + b.pending);
  }
  const Sizing s = SizeRun(r, run);
  return {{"label", run.label},
          {"offered_rate", run.offered_rate},
          {"jobs", run.jobs},
          {"scheduled_jobs", run.scheduled},
          {"outcomes", run.outcomes},
          {"submitted", run.submitted},
          {"rejected", run.rejected},
          {"receipts", run.receipts},
          {"receipt_entries", run.receipt_entries},
          {"receipts_unmatched", run.receipts_unmatched},
          {"rejected_by_reason", run.rejected_by_reason},
          {"mix", {{"gsm", run.jobs_gsm}, {"ucs2", run.jobs_ucs2}, {"long", run.jobs_long}}},
          {"segments",
           {{"generated", run.segments_generated},
            {"submitted", run.segments_submitted},
            {"smsc_accepted", run.smsc_segments}}},
          {"smsc_receipts", run.smsc_receipts},
          {"binds_open", run.binds_open},
          {"bind_refusals", run.bind_refusals},
          {"seconds", run.seconds},
          {"jobs_per_second", run.jobs_per_second},
          {"receipts_per_second", run.receipts_per_second},
          {"ratio_sink_to_daemon",
           run.jobs_per_second > 0 ? r.sink.submits_per_second / run.jobs_per_second : 0},
          {"ratio_to_redis_ceiling",
           r.ceiling.jobs_per_second > 0 ? run.jobs_per_second / r.ceiling.jobs_per_second : 0},
          {"ratio_to_streams_loop", r.streams_loop.jobs_per_second > 0
                                        ? run.jobs_per_second / r.streams_loop.jobs_per_second
                                        : 0},
          {"redis_commands", CommandsJson(run)},
          {"enqueue_to_submit", PJson(run.enqueue_to_submit)},
          {"intended_to_submit", PJson(run.intended_to_submit)},
          {"enqueue_to_receipt", PJson(run.enqueue_to_receipt)},
          {"usage", u},
          {"daemons", run.daemons},
          {"daemon_usage", per_daemon},
          {"shard_usage", per_shard},
          {"backlog", backlog},
          {"backlog_peak", peak},
          {"backlog_final", run.backlog.empty() ? 0 : run.backlog.back().outstanding},
          {"group_backlog_peak", peak_group},
          {"sizing",
           {{"binding", LimitName(s.binding)},
            {"carrier_limit_jobs_per_s", s.carrier_jobs_per_s},
            {"daemon_cpu_limit_jobs_per_s", s.cpu_jobs_per_s},
            {"redis_cpu_limit_jobs_per_s", s.redis_cpu_jobs_per_s},
            {"redis_limit_jobs_per_s", s.redis_jobs_per_s},
            {"smsc_simulator_limit_jobs_per_s", s.sink_jobs_per_s}}}};
}

}  // namespace

// The report's fields in the order the file shows them; each run's object is RunJson's.
std::string ToJson(const Report& r) {
  nlohmann::json j;
  j["date"] = r.date;
  j["commit"] = r.commit;
  j["machine"] = r.machine;
  j["parameters"] = r.parameters;
  j["redis_ceiling"] = CeilingJson(r.ceiling);
  j["streams_loop"] = CeilingJson(r.streams_loop);
  j["sink_ceiling"] = {{"jobs", r.sink.jobs},
                       {"accepted", r.sink.accepted},
                       {"parts", r.sink.parts},
                       {"receipts", r.sink.receipts},
                       {"seconds", r.sink.seconds},
                       {"submits_per_second", r.sink.submits_per_second},
                       {"parts_per_second", r.sink.parts_per_second},
                       {"receipts_per_second", r.sink.receipts_per_second}};
  for (const RunResult& run : r.runs) j["runs"].push_back(RunJson(r, run));
  return j.dump(1) + "\n";
}

namespace {

// Date, commit, machine, parameters, and the two ceilings the runs are compared with.
void MarkdownHeader(std::ostringstream& o, const Report& r) {
  o << "# smsdispatch capacity benchmark\n\n";
  o << "Date " << r.date << ", commit " << r.commit << ", machine: " << r.machine << ".\n\n";
  o << "Parameters:";
  for (const auto& [k, v] : r.parameters) o << " `" << k << "=" << v << "`";
  o << "\n\n";
  o << "Redis ceiling (the daemon's stream writes per job without the daemon or its scripts, "
       "same run): **"
    << Fmt(r.ceiling.jobs_per_second, 0) << " jobs/s**, Redis CPU "
    << Fmt(r.ceiling.redis_cpu_us_per_job, 1) << " µs/job.\n\n";
  o << "Bare Streams loop (XADD job, XREADGROUP, XACK, XADD receipt; one client, pipelined; no "
       "scripts, no keys; same run): **"
    << Fmt(r.streams_loop.jobs_per_second, 0) << " jobs/s**, Redis CPU "
    << Fmt(r.streams_loop.redis_cpu_us_per_job, 1) << " µs/job.\n\n";
  o << "SMSC simulator alone (the bench's SMPP client straight to smsc-sim, same binds, window, "
       "latency and receipts; no Redis, no daemon): **"
    << Fmt(r.sink.submits_per_second, 0) << " submits/s** (" << Fmt(r.sink.parts_per_second, 0)
    << " parts/s), " << Fmt(r.sink.receipts_per_second, 0) << " receipts/s";
  if (!r.runs.empty()) {
    double fastest = 0;
    for (const RunResult& run : r.runs) fastest = std::max(fastest, run.jobs_per_second);
    const double ratio = fastest > 0 ? r.sink.submits_per_second / fastest : 0;
    o << "; " << Fmt(ratio, 1) << "× the fastest daemon run"
      << (ratio >= 2 ? " (≥ 2: the runs measure the daemon, not the simulator)"
                     : " (**< 2: the simulator may be what limits the runs**)");
  }
  o << ".\n\n";
}

// One row per run: rates, latencies, CPU and memory; a note for runs whose producer fell behind.
void MarkdownRunsTable(std::ostringstream& o, const Report& r) {
  o << "| run | jobs | jobs/s | receipts/s | × ceiling | × loop | submit p50 | p90 | p99 | p99.9 | "
       "receipt p50 | p99 |"
       " daemon CPU µs/job | daemon RSS MiB | redis CPU µs/job |\n";
  o << "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const RunResult& run : r.runs) {
    auto usage = [&run](const char* n) {
      auto it = run.usage.find(n);
      return it == run.usage.end() ? ProcessUsage{} : it->second;
    };
    o << "| " << run.label << " | " << run.outcomes << " | " << Fmt(run.jobs_per_second, 0) << " | "
      << Fmt(run.receipts_per_second, 0) << " | "
      << Fmt(r.ceiling.jobs_per_second > 0 ? run.jobs_per_second / r.ceiling.jobs_per_second : 0, 2)
      << " | "
      << Fmt(r.streams_loop.jobs_per_second > 0
                 ? run.jobs_per_second / r.streams_loop.jobs_per_second
                 : 0,
             2)
      << " | " << Fmt(run.enqueue_to_submit.p50) << " | " << Fmt(run.enqueue_to_submit.p90) << " | "
      << Fmt(run.enqueue_to_submit.p99) << " | " << Fmt(run.enqueue_to_submit.p999) << " | "
      << Fmt(run.enqueue_to_receipt.p50) << " | " << Fmt(run.enqueue_to_receipt.p99) << " | "
      << Fmt(usage("smsdispatchd").cpu_ms_per_1000_jobs) << " | "
      << Fmt(usage("smsdispatchd").peak_rss_mib) << " | "
      << Fmt(usage("redis-server").cpu_ms_per_1000_jobs) << " |\n";
  }
  for (const RunResult& run : r.runs) {
    if (run.scheduled > run.jobs) {
      o << "\n"
        << run.label << ": sent " << run.jobs << " of " << run.scheduled
        << " scheduled jobs in the time: the producer fell behind (intended→submit shows the "
           "wait).\n";
    }
  }
}

// Where Redis's time went, by command (INFO commandstats): what each costs per job. Redis
// counts a command a script runs twice: in its own row and inside the script's `evalsha`, so
// the rows do not add up to Redis's CPU (the runs table has that, from INFO cpu).
void MarkdownRedisCommands(std::ostringstream& o, const Report& r) {
  bool any = false;
  for (const RunResult& run : r.runs) any = any || !run.redis_commands.empty();
  if (!any) return;
  o << "\nRedis time by command (INFO commandstats over the run; the commands scripts run are "
       "counted in their own rows and again inside `evalsha`, so the rows overlap):\n\n"
       "| run | command | calls/job | µs/call | µs/job |\n|---|---|---:|---:|---:|\n";
  for (const RunResult& run : r.runs) {
    const double jobs = run.jobs > 0 ? static_cast<double>(run.jobs) : 1;
    std::vector<std::pair<std::string, CommandCost>> rows(run.redis_commands.begin(),
                                                          run.redis_commands.end());
    std::sort(rows.begin(), rows.end(),
              [](const auto& a, const auto& b) { return a.second.usec > b.second.usec; });
    for (const auto& [name, cost] : rows) {
      if (cost.usec / jobs < 0.05) continue;  // the watcher's own INFO and XINFO calls
      o << "| " << run.label << " | " << name << " | "
        << Fmt(static_cast<double>(cost.calls) / jobs, 3) << " | "
        << Fmt(cost.calls > 0 ? cost.usec / static_cast<double>(cost.calls) : 0, 1) << " | "
        << Fmt(cost.usec / jobs, 2) << " |\n";
    }
  }
}

// What the latencies measure, and (for scheduled runs) the coordinated-omission table.
void MarkdownLatencies(std::ostringstream& o, const Report& r) {
  o << "\nLatencies in ms (enqueue = the job entry's id time; submit = outcome written after "
       "submit_sm_resp; receipt = receipt written). receipts/s counts the daemon's receipts, one "
       "per "
       "job (a multipart job's parts are aggregated into one).\n\n";
  bool scheduled = false;
  for (const RunResult& run : r.runs) scheduled = scheduled || run.intended_to_submit.count > 0;
  if (scheduled) {
    o << "Coordinated omission: submit latency from the entry id (when the job reached Redis) "
         "against from the time the schedule meant to send it (start + i / rate). A gap means the "
         "producer fell behind and the entry-id figures hide that wait.\n\n";
    o << "| run | enqueue→submit p50 | p99 | p99.9 | max | intended→submit p50 | p99 | p99.9 | max "
         "|\n";
    o << "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    for (const RunResult& run : r.runs) {
      if (run.intended_to_submit.count == 0) continue;
      const Percentiles& a = run.enqueue_to_submit;
      const Percentiles& b = run.intended_to_submit;
      o << "| " << run.label << " | " << Fmt(a.p50) << " | " << Fmt(a.p99) << " | " << Fmt(a.p999)
        << " | " << Fmt(a.max) << " | " << Fmt(b.p50) << " | " << Fmt(b.p99) << " | " << Fmt(b.p999)
        << " | " << Fmt(b.max) << " |\n";
    }
    o << "\n";
  }
}

// How far Redis' stream got ahead of the daemons.
void MarkdownBacklog(std::ostringstream& o, const Report& r) {
  o << "Redis backlog: jobs on the stream without an outcome yet (sent − outcomes), sampled "
       "every 50 ms; the group's view is XINFO GROUPS lag (not yet read by a daemon) + pending "
       "(read, not yet acknowledged). A peak that stays small and a final 0 mean the daemons kept "
       "up; a backlog that grows through the run means the offered rate is above capacity, and "
       "latency is then time spent queueing in Redis.\n\n";
  o << "| run | peak backlog | at s | final backlog | peak lag + pending | peak lag |\n";
  o << "|---|---:|---:|---:|---:|---:|\n";
  for (const RunResult& run : r.runs) {
    BacklogSample peak, group_peak, lag_peak;
    for (const BacklogSample& b : run.backlog) {
      if (b.outstanding > peak.outstanding) peak = b;
      if (b.lag >= 0 && b.pending >= 0 && b.lag + b.pending > group_peak.lag + group_peak.pending)
        group_peak = b;
      if (b.lag > lag_peak.lag) lag_peak = b;
    }
    auto known = [](int64_t v) { return v < 0 ? std::string("?") : std::to_string(v); };
    o << "| " << run.label << " | " << peak.outstanding << " | " << Fmt(peak.t) << " | "
      << (run.backlog.empty() ? 0 : run.backlog.back().outstanding) << " | "
      << (group_peak.lag < 0 ? "?" : std::to_string(group_peak.lag + group_peak.pending)) << " | "
      << known(lag_peak.lag) << " |\n";
  }
  o << "\n";
}

// Jobs, segments, receipts and rejections counted on both sides.
void MarkdownCounts(std::ostringstream& o, const Report& r) {
  o << "| run | jobs (gsm / ucs2 / long) | segments made | segments submitted | SMSC accepted | "
       "SMSC receipts "
       "(per part) | job receipts | unmatched receipts | rejected | binds open |\n";
  o << "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const RunResult& run : r.runs) {
    o << "| " << run.label << " | " << run.jobs << " (" << run.jobs_gsm << " / " << run.jobs_ucs2
      << " / " << run.jobs_long << ") | " << run.segments_generated << " | "
      << run.segments_submitted << " | " << run.smsc_segments << " | " << run.smsc_receipts << " | "
      << run.receipts << " | " << run.receipts_unmatched << " | " << run.rejected;
    if (!run.rejected_by_reason.empty()) {
      o << " (";
      const char* sep = "";
      for (const auto& [reason, n] : run.rejected_by_reason) {
        o << sep << (reason.empty() ? "?" : reason) << " " << n;
        sep = ", ";
      }
      o << ")";
    }
    o << " | " << run.binds_open
      << (run.bind_refusals > 0 ? " (" + std::to_string(run.bind_refusals) + " refused)" : "")
      << " |\n";
  }
  o << "\n";
}

// The sizing model from the fastest run: which limit binds.
void MarkdownSizing(std::ostringstream& o, const Report& r) {
  if (r.runs.empty()) return;
  const RunResult& top = *std::max_element(
      r.runs.begin(), r.runs.end(),
      [](const RunResult& a, const RunResult& b) { return a.jobs_per_second < b.jobs_per_second; });
  const Sizing s = SizeRun(r, top);
  o << "## Sizing model (from the fastest run)\n\n";
  o << "| limit | jobs/s | from |\n|---|---:|---|\n";
  o << "| carrier window | " << Fmt(s.carrier_jobs_per_s, 0) << " | " << r.daemons
    << " daemon(s) × " << r.binds << " bind(s) × window " << r.window << " / "
    << Fmt(std::max(r.smsc_latency_ms, 0.05), 2) << " ms round trip |\n";
  o << "| daemon CPU | " << Fmt(s.cpu_jobs_per_s, 0) << " | " << r.daemons
    << " daemon(s) × 1 core / daemon CPU per job (summed over the daemons) |\n";
  o << "| Redis CPU (single-threaded) | " << Fmt(s.redis_cpu_jobs_per_s, 0) << " | "
    << std::max(1, r.shards)
    << " shard(s) × 1 core / Redis CPU per job with the daemon's scripts (summed over the "
       "shards) |\n";
  o << "| Redis, raw operations | " << Fmt(s.redis_jobs_per_s, 0) << " | the ceiling above |\n";
  o << "| SMSC simulator | " << Fmt(s.sink_jobs_per_s, 0)
    << " | smsc-sim alone, same binds and window (the bench's limit, not the daemon's) |\n";
  o << "\nThe binding limit is **" << LimitName(s.binding) << "**; measured "
    << Fmt(top.jobs_per_second, 0)
    << " jobs/s. On a shared machine every process also competes for the same cores.\n";
}

}  // namespace

// The report top to bottom, each table next to the words that explain it.
std::string ToMarkdown(const Report& r) {
  std::ostringstream o;
  for (auto* section :
       {MarkdownHeader, MarkdownRunsTable, MarkdownPerDaemon, MarkdownPerShard, MarkdownLatencies,
        MarkdownBacklog, MarkdownCounts, MarkdownRedisCommands, MarkdownSizing}) {
    section(o, r);
  }
  return o.str();
}

const char* LimitName(SizingLimit l) {
  switch (l) {
    case SizingLimit::kCarrierWindow:
      return "the carrier window (add binds or window)";
    case SizingLimit::kDaemonCpu:
      return "the daemons' CPU (one core each: add daemons)";
    case SizingLimit::kRedisCpu:
      return "Redis CPU spent on the daemon's scripts";
    case SizingLimit::kRedis:
      return "Redis";
    case SizingLimit::kSmscSimulator:
      return "the SMSC simulator (the bench's own limit)";
  }
  return "?";
}

namespace {

// The frame both SVG charts share: the header, the title, the axes with five ticks and grid
// lines each, and the axis labels. Values map to pixels as the charts' X() and Y() do.
struct ChartFrame {
  double w, h, left, right, top, bottom;
  double max_x, max_y;
  int x_decimals, y_decimals;  // tick label precision
};

void SvgFrame(std::ostringstream& o, const ChartFrame& f, const std::string& title,
              const std::string& x_label, const std::string& y_label) {
  auto X = [&](double v) { return f.left + (f.w - f.left - f.right) * v / f.max_x; };
  auto Y = [&](double v) { return f.h - f.bottom - (f.h - f.top - f.bottom) * v / f.max_y; };
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << f.w << "\" height=\"" << f.h
    << "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" "
       "fill=\"white\"/>\n";
  o << "<text x=\"" << f.w / 2 << "\" y=\"18\" text-anchor=\"middle\">" << title << "</text>\n";
  o << "<line x1=\"" << f.left << "\" y1=\"" << f.h - f.bottom << "\" x2=\"" << f.w - f.right
    << "\" y2=\"" << f.h - f.bottom << "\" stroke=\"black\"/>\n<line x1=\"" << f.left << "\" y1=\""
    << f.top << "\" x2=\"" << f.left << "\" y2=\"" << f.h - f.bottom << "\" stroke=\"black\"/>\n";
  for (int i = 0; i <= 4; ++i) {
    const double xv = f.max_x * i / 4, yv = f.max_y * i / 4;
    o << "<text x=\"" << X(xv) << "\" y=\"" << f.h - f.bottom + 16 << "\" text-anchor=\"middle\">"
      << Fmt(xv, f.x_decimals) << "</text>\n<text x=\"" << f.left - 6 << "\" y=\"" << Y(yv) + 4
      << "\" text-anchor=\"end\">" << Fmt(yv, f.y_decimals) << "</text>\n<line x1=\"" << f.left
      << "\" y1=\"" << Y(yv) << "\" x2=\"" << f.w - f.right << "\" y2=\"" << Y(yv)
      << "\" stroke=\"#ddd\"/>\n";
  }
  o << "<text x=\"" << f.w / 2 << "\" y=\"" << f.h - 12 << "\" text-anchor=\"middle\">" << x_label
    << "</text>\n";
  o << "<text transform=\"translate(16," << f.h / 2 << ") rotate(-90)\" text-anchor=\"middle\">"
    << y_label << "</text>\n";
}

}  // namespace

std::string LatencySvg(const Report& r) {
  std::vector<const RunResult*> pts;
  for (const RunResult& run : r.runs) {
    if (run.offered_rate > 0) pts.push_back(&run);
  }
  if (pts.size() < 2) return {};
  const double w = 720, h = 420, left = 70, right = 20, top = 30, bottom = 50;
  double max_x = 0, max_y = 0;
  for (const RunResult* p : pts) {
    max_x = std::max(max_x, p->offered_rate);
    max_y = std::max({max_y, p->enqueue_to_submit.p99, p->enqueue_to_receipt.p99});
  }
  max_y = std::max(1.0, max_y * 1.1);
  auto X = [&](double v) { return left + (w - left - right) * v / max_x; };
  auto Y = [&](double v) { return h - bottom - (h - top - bottom) * v / max_y; };
  std::ostringstream o;
  SvgFrame(o, ChartFrame{w, h, left, right, top, bottom, max_x, max_y, 0, 1},
           "smsdispatch latency vs offered load (" + r.date + ", " + r.commit + ")",
           "offered load (jobs/s)", "latency (ms)");
  struct Series {
    const char* name;
    const char* color;
    double (*get)(const RunResult&);
  };
  const Series series[] = {
      {"submit p50", "#1f77b4", [](const RunResult& x) { return x.enqueue_to_submit.p50; }},
      {"submit p99", "#d62728", [](const RunResult& x) { return x.enqueue_to_submit.p99; }},
      {"receipt p99", "#2ca02c", [](const RunResult& x) { return x.enqueue_to_receipt.p99; }},
  };
  int row = 0;
  for (const Series& s : series) {
    o << "<polyline fill=\"none\" stroke=\"" << s.color << "\" stroke-width=\"2\" points=\"";
    for (const RunResult* p : pts) o << X(p->offered_rate) << "," << Y(s.get(*p)) << " ";
    o << "\"/>\n";
    for (const RunResult* p : pts) {
      o << "<circle cx=\"" << X(p->offered_rate) << "\" cy=\"" << Y(s.get(*p))
        << "\" r=\"3\" fill=\"" << s.color << "\"/>\n";
    }
    o << "<text x=\"" << left + 10 << "\" y=\"" << top + 14 + 16 * row << "\" fill=\"" << s.color
      << "\">" << s.name << "</text>\n";
    ++row;
  }
  o << "</svg>\n";
  return o.str();
}

std::string BacklogSvg(const Report& r) {
  std::vector<const RunResult*> runs;
  double max_t = 0;
  int64_t max_n = 0;
  for (const RunResult& run : r.runs) {
    if (run.backlog.size() < 2) continue;
    runs.push_back(&run);
    for (const BacklogSample& b : run.backlog) {
      max_t = std::max(max_t, b.t);
      max_n = std::max(max_n, b.outstanding);
    }
  }
  if (runs.empty() || max_t <= 0) return {};
  const double w = 720, h = 420, left = 80, right = 20, top = 30, bottom = 50;
  const double max_y = std::max(10.0, static_cast<double>(max_n) * 1.1);
  auto X = [&](double v) { return left + (w - left - right) * v / max_t; };
  auto Y = [&](double v) { return h - bottom - (h - top - bottom) * v / max_y; };
  std::ostringstream o;
  SvgFrame(o, ChartFrame{w, h, left, right, top, bottom, max_t, max_y, 1, 0},
           "Redis backlog (jobs without an outcome) over time (" + r.date + ", " + r.commit + ")",
           "seconds since the run started", "backlog (jobs)");
  static const char* const kColors[] = {"#1f77b4", "#d62728", "#2ca02c",
                                        "#9467bd", "#ff7f0e", "#8c564b"};
  int row = 0;
  for (const RunResult* run : runs) {
    const char* color = kColors[row % 6];
    o << "<polyline fill=\"none\" stroke=\"" << color << "\" stroke-width=\"2\" points=\"";
    for (const BacklogSample& b : run->backlog)
      o << X(b.t) << "," << Y(static_cast<double>(b.outstanding)) << " ";
    o << "\"/>\n<text x=\"" << w - right - 10 << "\" y=\"" << top + 14 + 16 * row
      << "\" text-anchor=\"end\" fill=\"" << color << "\">" << run->label << "</text>\n";
    ++row;
  }
  o << "</svg>\n";
  return o.str();
}

}  // namespace sd::bench
