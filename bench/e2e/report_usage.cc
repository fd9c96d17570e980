// The per-process tables of bench.md: each daemon's and each shard's share of the CPU.
#include <sstream>

#include "bench/e2e/report_sections.h"

namespace sd::bench {

void MarkdownPerDaemon(std::ostringstream& o, const Report& r) {
  bool several = false;
  for (const RunResult& run : r.runs) several = several || run.daemon_usage.size() > 1;
  if (several) {
    o << "\nPer daemon (CPU per job over all of the run's jobs, so the rows add up to the sum "
         "above):\n\n"
         "| run | daemon | CPU µs/job | peak RSS MiB |\n|---|---:|---:|---:|\n";
    for (const RunResult& run : r.runs) {
      for (size_t k = 0; k < run.daemon_usage.size(); ++k) {
        o << "| " << run.label << " | " << k << " | "
          << Fmt(run.daemon_usage[k].cpu_ms_per_1000_jobs) << " | "
          << Fmt(run.daemon_usage[k].peak_rss_mib) << " |\n";
      }
    }
  }
}

// The figure that says how many jobs/s one Redis core carries.
void MarkdownPerShard(std::ostringstream& o, const Report& r) {
  bool sharded = false;
  for (const RunResult& run : r.runs) sharded = sharded || !run.shard_usage.empty();
  if (!sharded) return;
  o << "\nPer shard (each on its own master; CPU per job of that shard's jobs, and the jobs/s "
       "one Redis core would carry at that cost):\n\n"
       "| run | shard | jobs | Redis CPU µs/job | jobs/s per Redis core | peak RSS MiB |\n"
       "|---|---:|---:|---:|---:|---:|\n";
  for (const RunResult& run : r.runs) {
    for (size_t k = 0; k < run.shard_usage.size(); ++k) {
      const double us = run.shard_usage[k].cpu_ms_per_1000_jobs;
      o << "| " << run.label << " | " << k << " | "
        << (k < run.shard_jobs.size() ? run.shard_jobs[k] : 0) << " | " << Fmt(us) << " | "
        << Fmt(us > 0 ? 1e6 / us : 0, 0) << " | " << Fmt(run.shard_usage[k].peak_rss_mib) << " |\n";
    }
  }
}

}  // namespace sd::bench
