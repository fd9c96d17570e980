#pragma once
// Sections of bench.md that live in files of their own (report_usage.cc), and the number
// format every section uses (bench_report.cc).
#include <sstream>
#include <string>

#include "bench/e2e/bench_report.h"

namespace sd::bench {

// `v` with `prec` digits after the point.
std::string Fmt(double v, int prec = 1);

// With several daemons, each one's share of the CPU.
void MarkdownPerDaemon(std::ostringstream& o, const Report& r);
// With --cluster, each shard's master: CPU per job of its own shard's jobs.
void MarkdownPerShard(std::ostringstream& o, const Report& r);

}  // namespace sd::bench
