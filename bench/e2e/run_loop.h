#pragma once
// The measurements: the Redis ceiling (the daemon's Redis operations per job with no daemon)
// and one daemon run at an offered rate (0 = as fast as possible), read back from the streams,
// /proc and the simulator's counters.
#include "bench/e2e/bench_env.h"
#include "bench/e2e/bench_options.h"
#include "bench/e2e/bench_report.h"
#include "bench/e2e/job_load.h"

namespace sd::bench {

// Its own streams on the run's redis-server, deleted afterwards.
CeilingResult MeasureCeiling(const Options& o, Env& e, JobSource& jobs);

// Sends `jobs` at `rate` through the daemons of `e` and waits for every outcome and receipt
// (or a daemon's exit, or the drain deadline: 30 s plus a second per 1,000 jobs).
RunResult MeasureRun(const Options& o, Env& e, JobSource& jobs, double rate);

}  // namespace sd::bench
