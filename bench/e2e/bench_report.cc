#include "bench/e2e/bench_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

namespace sd::bench {
namespace {

double At(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  // Nearest-rank: the smallest sample with at least q of all samples at or below it.
  const size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
}

nlohmann::json PJson(const Percentiles& p) {
  return {{"count", p.count}, {"p50_ms", p.p50}, {"p90_ms", p.p90}, {"p99_ms", p.p99},
          {"p999_ms", p.p999}, {"max_ms", p.max}};
}

std::string Fmt(double v, int prec = 1) {
  char b[64];
  snprintf(b, sizeof b, "%.*f", prec, v);
  return b;
}

// The limits a planner compares: which one binds the measured rate.
struct Sizing {
  double carrier_jobs_per_s;    // binds x window / round trip
  double cpu_jobs_per_s;        // one core / daemon CPU per job
  double redis_cpu_jobs_per_s;  // one core / Redis CPU per job in this run (Redis is single-threaded)
  double redis_jobs_per_s;      // the Redis ceiling of this run
};

Sizing Size(const Report& r, const RunResult& run) {
  Sizing s{};
  const double rtt_s = std::max(r.smsc_latency_ms, 0.05) / 1000.0;  // loopback adds ~50 us
  s.carrier_jobs_per_s = r.binds * r.window / rtt_s;
  auto it = run.usage.find("smsdispatchd");
  const double cpu_ms = it == run.usage.end() ? 0 : it->second.cpu_ms_per_1000_jobs;
  s.cpu_jobs_per_s = cpu_ms > 0 ? 1000.0 * 1000.0 / cpu_ms : 0;
  auto rd = run.usage.find("redis-server");
  const double redis_ms = rd == run.usage.end() ? 0 : rd->second.cpu_ms_per_1000_jobs;
  s.redis_cpu_jobs_per_s = redis_ms > 0 ? 1000.0 * 1000.0 / redis_ms : 0;
  s.redis_jobs_per_s = r.ceiling.jobs_per_second;
  return s;
}

}  // namespace

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

std::string ToJson(const Report& r) {
  nlohmann::json j;
  j["date"] = r.date;
  j["commit"] = r.commit;
  j["machine"] = r.machine;
  j["parameters"] = r.parameters;
  j["redis_ceiling"] = {{"jobs", r.ceiling.jobs}, {"seconds", r.ceiling.seconds},
                        {"jobs_per_second", r.ceiling.jobs_per_second}};
  for (const RunResult& run : r.runs) {
    nlohmann::json u;
    for (const auto& [name, pu] : run.usage) {
      u[name] = {{"cpu_seconds", pu.cpu_seconds}, {"cpu_ms_per_1000_jobs", pu.cpu_ms_per_1000_jobs},
                 {"peak_rss_mib", pu.peak_rss_mib}};
    }
    nlohmann::json backlog = nlohmann::json::array();
    for (const auto& [t, n] : run.backlog) backlog.push_back({t, n});
    const Sizing s = Size(r, run);
    j["runs"].push_back({{"label", run.label},
                         {"offered_rate", run.offered_rate},
                         {"jobs", run.jobs},
                         {"outcomes", run.outcomes},
                         {"submitted", run.submitted},
                         {"rejected", run.rejected},
                         {"receipts", run.receipts},
                         {"receipt_entries", run.receipt_entries},
                         {"receipts_unmatched", run.receipts_unmatched},
                         {"rejected_by_reason", run.rejected_by_reason},
                         {"mix", {{"gsm", run.jobs_gsm}, {"ucs2", run.jobs_ucs2}, {"long", run.jobs_long}}},
                         {"segments", {{"generated", run.segments_generated},
                                       {"submitted", run.segments_submitted},
                                       {"smsc_accepted", run.smsc_segments}}},
                         {"smsc_receipts", run.smsc_receipts},
                         {"binds_open", run.binds_open},
                         {"bind_refusals", run.bind_refusals},
                         {"seconds", run.seconds},
                         {"jobs_per_second", run.jobs_per_second},
                         {"receipts_per_second", run.receipts_per_second},
                         {"ratio_to_redis_ceiling",
                          r.ceiling.jobs_per_second > 0 ? run.jobs_per_second / r.ceiling.jobs_per_second : 0},
                         {"enqueue_to_submit", PJson(run.enqueue_to_submit)},
                         {"enqueue_to_receipt", PJson(run.enqueue_to_receipt)},
                         {"usage", u},
                         {"backlog", backlog},
                         {"sizing", {{"carrier_limit_jobs_per_s", s.carrier_jobs_per_s},
                                     {"daemon_cpu_limit_jobs_per_s_per_core", s.cpu_jobs_per_s},
                                     {"redis_cpu_limit_jobs_per_s", s.redis_cpu_jobs_per_s},
                                     {"redis_limit_jobs_per_s", s.redis_jobs_per_s}}}});
  }
  return j.dump(1) + "\n";
}

std::string ToMarkdown(const Report& r) {
  std::ostringstream o;
  o << "# smsdispatch capacity benchmark\n\n";
  o << "Date " << r.date << ", commit " << r.commit << ", machine: " << r.machine << ".\n\n";
  o << "Parameters:";
  for (const auto& [k, v] : r.parameters) o << " `" << k << "=" << v << "`";
  o << "\n\n";
  o << "Redis ceiling (the same Redis operations per job without the daemon, same run): **"
    << Fmt(r.ceiling.jobs_per_second, 0) << " jobs/s**.\n\n";
  o << "| run | jobs | jobs/s | receipts/s | × ceiling | submit p50 | p90 | p99 | p99.9 | receipt p50 | p99 |"
       " daemon CPU ms/1k | daemon RSS MiB | redis CPU ms/1k |\n";
  o << "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const RunResult& run : r.runs) {
    auto usage = [&run](const char* n) {
      auto it = run.usage.find(n);
      return it == run.usage.end() ? ProcessUsage{} : it->second;
    };
    o << "| " << run.label << " | " << run.outcomes << " | " << Fmt(run.jobs_per_second, 0) << " | "
      << Fmt(run.receipts_per_second, 0) << " | "
      << Fmt(r.ceiling.jobs_per_second > 0 ? run.jobs_per_second / r.ceiling.jobs_per_second : 0, 2) << " | "
      << Fmt(run.enqueue_to_submit.p50) << " | " << Fmt(run.enqueue_to_submit.p90) << " | "
      << Fmt(run.enqueue_to_submit.p99) << " | " << Fmt(run.enqueue_to_submit.p999) << " | "
      << Fmt(run.enqueue_to_receipt.p50) << " | " << Fmt(run.enqueue_to_receipt.p99) << " | "
      << Fmt(usage("smsdispatchd").cpu_ms_per_1000_jobs) << " | " << Fmt(usage("smsdispatchd").peak_rss_mib) << " | "
      << Fmt(usage("redis-server").cpu_ms_per_1000_jobs) << " |\n";
  }
  o << "\nLatencies in ms (enqueue = the job entry's id time; submit = outcome written after "
       "submit_sm_resp; receipt = receipt written). receipts/s counts the daemon's receipts, one per "
       "job (a multipart job's parts are aggregated into one).\n\n";
  o << "| run | jobs (gsm / ucs2 / long) | segments made | segments submitted | SMSC accepted | SMSC receipts "
       "(per part) | job receipts | unmatched receipts | rejected | binds open |\n";
  o << "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const RunResult& run : r.runs) {
    o << "| " << run.label << " | " << run.jobs << " (" << run.jobs_gsm << " / " << run.jobs_ucs2 << " / "
      << run.jobs_long << ") | " << run.segments_generated << " | " << run.segments_submitted << " | "
      << run.smsc_segments << " | " << run.smsc_receipts << " | " << run.receipts << " | " << run.receipts_unmatched
      << " | " << run.rejected;
    if (!run.rejected_by_reason.empty()) {
      o << " (";
      const char* sep = "";
      for (const auto& [reason, n] : run.rejected_by_reason) {
        o << sep << (reason.empty() ? "?" : reason) << " " << n;
        sep = ", ";
      }
      o << ")";
    }
    o << " | " << run.binds_open << (run.bind_refusals > 0 ? " (" + std::to_string(run.bind_refusals) + " refused)" : "")
      << " |\n";
  }
  o << "\n";
  if (!r.runs.empty()) {
    const RunResult& top = *std::max_element(r.runs.begin(), r.runs.end(), [](const RunResult& a, const RunResult& b) {
      return a.jobs_per_second < b.jobs_per_second;
    });
    const Sizing s = Size(r, top);
    o << "## Sizing model (from the fastest run)\n\n";
    o << "| limit | jobs/s | from |\n|---|---:|---|\n";
    o << "| carrier window | " << Fmt(s.carrier_jobs_per_s, 0) << " | " << r.binds << " bind(s) × window "
      << r.window << " / " << Fmt(std::max(r.smsc_latency_ms, 0.05), 2) << " ms round trip |\n";
    o << "| daemon CPU, per core | " << Fmt(s.cpu_jobs_per_s, 0) << " | 1 s / daemon CPU per job |\n";
    o << "| Redis CPU (single-threaded) | " << Fmt(s.redis_cpu_jobs_per_s, 0)
      << " | 1 s / Redis CPU per job with the daemon's scripts |\n";
    o << "| Redis, raw operations | " << Fmt(s.redis_jobs_per_s, 0) << " | the ceiling above |\n";
    auto or_inf = [](double v) { return v > 0 ? v : 1e18; };
    const double bind = std::min({s.carrier_jobs_per_s, or_inf(s.cpu_jobs_per_s), or_inf(s.redis_cpu_jobs_per_s),
                                  or_inf(s.redis_jobs_per_s)});
    const char* which = bind == s.carrier_jobs_per_s ? "the carrier window (add binds or window)"
                        : bind == s.cpu_jobs_per_s   ? "the daemon's CPU (one loop thread)"
                        : bind == s.redis_cpu_jobs_per_s ? "Redis CPU spent on the daemon's scripts"
                                                         : "Redis";
    o << "\nThe binding limit is **" << which << "**; measured " << Fmt(top.jobs_per_second, 0)
      << " jobs/s. On a shared machine every process also competes for the same cores.\n";
  }
  return o.str();
}

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
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << w << "\" height=\"" << h
    << "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  o << "<text x=\"" << w / 2 << "\" y=\"18\" text-anchor=\"middle\">smsdispatch latency vs offered load ("
    << r.date << ", " << r.commit << ")</text>\n";
  o << "<line x1=\"" << left << "\" y1=\"" << h - bottom << "\" x2=\"" << w - right << "\" y2=\"" << h - bottom
    << "\" stroke=\"black\"/>\n<line x1=\"" << left << "\" y1=\"" << top << "\" x2=\"" << left << "\" y2=\""
    << h - bottom << "\" stroke=\"black\"/>\n";
  for (int i = 0; i <= 4; ++i) {
    const double xv = max_x * i / 4, yv = max_y * i / 4;
    o << "<text x=\"" << X(xv) << "\" y=\"" << h - bottom + 16 << "\" text-anchor=\"middle\">" << Fmt(xv, 0)
      << "</text>\n<text x=\"" << left - 6 << "\" y=\"" << Y(yv) + 4 << "\" text-anchor=\"end\">" << Fmt(yv, 1)
      << "</text>\n<line x1=\"" << left << "\" y1=\"" << Y(yv) << "\" x2=\"" << w - right << "\" y2=\"" << Y(yv)
      << "\" stroke=\"#ddd\"/>\n";
  }
  o << "<text x=\"" << w / 2 << "\" y=\"" << h - 12 << "\" text-anchor=\"middle\">offered load (jobs/s)</text>\n";
  o << "<text transform=\"translate(16," << h / 2 << ") rotate(-90)\" text-anchor=\"middle\">latency (ms)</text>\n";
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
      o << "<circle cx=\"" << X(p->offered_rate) << "\" cy=\"" << Y(s.get(*p)) << "\" r=\"3\" fill=\"" << s.color
        << "\"/>\n";
    }
    o << "<text x=\"" << left + 10 << "\" y=\"" << top + 14 + 16 * row << "\" fill=\"" << s.color << "\">" << s.name
      << "</text>\n";
    ++row;
  }
  o << "</svg>\n";
  return o.str();
}

}  // namespace sd::bench
