#pragma once
// Results of one benchmark run and how they are written: JSON for machines, a markdown table
// for people, an SVG of latency against offered load for a sweep.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sd::bench {

// Exact percentiles from every sample (sorted once): no averaging, no bucketing error.
struct Percentiles {
  size_t count = 0;
  double p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;  // milliseconds
};
Percentiles ComputePercentiles(std::vector<double> samples);

struct ProcessUsage {
  double cpu_seconds = 0;
  double cpu_ms_per_1000_jobs = 0;
  double peak_rss_mib = 0;
};

struct RunResult {
  std::string label;           // "rate 20000/s" or "max"
  double offered_rate = 0;     // jobs/s asked for (0 = as fast as possible)
  uint64_t jobs = 0;
  uint64_t outcomes = 0;
  uint64_t submitted = 0;
  uint64_t rejected = 0;
  uint64_t receipts = 0;
  double seconds = 0;          // first enqueue to last outcome
  double jobs_per_second = 0;  // outcomes / seconds
  double receipts_per_second = 0;
  Percentiles enqueue_to_submit;
  Percentiles enqueue_to_receipt;
  std::map<std::string, ProcessUsage> usage;  // smsdispatchd, redis-server, smsc-sim
  std::vector<std::pair<double, int64_t>> backlog;  // (seconds since start, entries without outcome)
};

struct CeilingResult {
  uint64_t jobs = 0;
  double seconds = 0;
  double jobs_per_second = 0;
};

struct Report {
  std::map<std::string, std::string> parameters;
  std::string machine;
  std::string commit;
  std::string date;
  CeilingResult ceiling;
  std::vector<RunResult> runs;
  // Sizing model inputs.
  int binds = 1;
  int window = 0;
  double smsc_latency_ms = 0;
};

std::string ToJson(const Report& r);
std::string ToMarkdown(const Report& r);
std::string LatencySvg(const Report& r);  // empty when fewer than two runs

}  // namespace sd::bench
