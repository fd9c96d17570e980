#pragma once
// The second Redis ceiling: the bare Streams loop a minimal queue worker runs, on one hiredis
// client, pipelined: XADD the job, XREADGROUP a batch, then per entry XACK and XADD a receipt.
// No scripts, no keys with TTLs, no outcome stream. The daemon does more per job (idempotency,
// correlation, the outcome entry, exactly-once guarantees across crashes); the ratio to this
// loop says what those guarantees cost in Redis, next to the Redis ceiling (the daemon's stream
// writes without its scripts, run_loop.h).
#include "bench/e2e/bench_env.h"
#include "bench/e2e/bench_options.h"
#include "bench/e2e/bench_report.h"
#include "bench/e2e/job_load.h"

namespace sd::bench {

// On its own streams of the run's redis-server, deleted afterwards; o.batch entries per round.
CeilingResult MeasureStreamsLoop(const Options& o, Env& e, JobSource& jobs);

}  // namespace sd::bench
