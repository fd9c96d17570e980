#pragma once
// Results of one benchmark run and how they are written: JSON for machines, a markdown table
// for people, an SVG of latency against offered load for a sweep.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
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

// The Redis backlog at one moment of a run, two ways: jobs sent without an outcome yet (what
// the producer and the outcome stream say; the backlog figures use only this), and the
// consumer group's own view (XINFO GROUPS): `lag` entries not yet read by any daemon,
// `pending` read but not yet acknowledged (the daemon acknowledges with the outcome).
// lag + pending is the group's backlog; -1 = unknown (see CheckedLag).
struct BacklogSample {
  double t = 0;             // seconds since the run started
  int64_t outstanding = 0;  // sent - outcomes
  int64_t lag = -1;
  int64_t pending = -1;
};

struct CommandCost {
  uint64_t calls = 0;
  double usec = 0;
};

struct RunResult {
  std::string label;        // "rate 20000/s" or "max"
  double offered_rate = 0;  // jobs/s asked for (0 = as fast as possible)
  uint64_t jobs = 0;        // sent
  uint64_t scheduled = 0;   // a timed run at a fixed rate: rate x duration (0 otherwise); more
                            // than `jobs` when the producer fell behind its schedule
  uint64_t outcomes = 0;
  uint64_t submitted = 0;
  uint64_t rejected = 0;
  uint64_t receipts = 0;            // jobs with a receipt written by the daemon (one per job)
  uint64_t receipt_entries = 0;     // entries on the receipt stream (more than receipts only if a
                                    // job got several)
  uint64_t receipts_unmatched = 0;  // on the quarantine stream: the daemon found no job for them
  // The message mix (--mix) and its segments: as generated (core's count), as the daemon
  // submitted them (the outcomes' `segments`), as the SMSC accepted them (smsc-sim's
  // accepted_submits, retries included), and the SMSC's own receipts (one per part).
  uint64_t jobs_gsm = 0, jobs_ucs2 = 0, jobs_long = 0;
  uint64_t segments_generated = 0;
  uint64_t segments_submitted = 0;
  uint64_t smsc_segments = 0;
  uint64_t smsc_receipts = 0;
  uint64_t binds_open = 0;     // sessions bound at the simulator when the run ended
  uint64_t bind_refusals = 0;  // binds the simulator refused for --max-binds
  std::map<std::string, uint64_t> rejected_by_reason;
  double seconds = 0;              // first enqueue to last outcome
  double jobs_per_second = 0;      // outcomes / seconds
  double receipts_per_second = 0;  // job receipts (not the SMSC's per-part ones) per second
  Percentiles enqueue_to_submit;
  // At fixed rates only: from the time the schedule meant to send the job (start + i / rate)
  // to its outcome, so a producer that fell behind cannot hide queueing (coordinated
  // omission). Empty (count 0) at max rate, which has no schedule.
  Percentiles intended_to_submit;
  Percentiles enqueue_to_receipt;
  // smsdispatchd (summed over the daemons: CPU per job of all of them, RSS added), redis-server,
  // smsc-sim.
  std::map<std::string, ProcessUsage> usage;
  int daemons = 1;
  std::vector<ProcessUsage> daemon_usage;  // each daemon; CPU per job over all the run's jobs
  // --cluster: each shard's master, CPU per job of that shard's jobs (the sum over shards, per
  // job of the run, is usage["redis-server"]).
  std::vector<ProcessUsage> shard_usage;
  std::vector<uint64_t> shard_jobs;        // outcomes per shard
  std::vector<BacklogSample> backlog;      // every ~50 ms
  // Redis's own time per command (INFO commandstats deltas over the run): calls and
  // microseconds, by command name ("evalsha", "xadd", ...).
  std::map<std::string, CommandCost> redis_commands;
};

struct CeilingResult {
  uint64_t jobs = 0;
  double seconds = 0;
  double jobs_per_second = 0;
  double redis_cpu_us_per_job = 0;  // INFO cpu over the measurement
};

// What smsc-sim sinks on its own (bench/e2e/sink_ceiling.h): the bench's SMPP client straight
// to the simulator, same binds, window, latency and receipts, no Redis, no daemon.
struct SinkResult {
  uint64_t jobs = 0;              // submits answered
  uint64_t accepted = 0;          // of them accepted
  uint64_t parts = 0;             // segments accepted
  uint64_t receipts = 0;          // receipts received (one per part)
  double seconds = 0;             // first submit to last answer
  double submits_per_second = 0;  // accepted jobs per second
  double parts_per_second = 0;
  double receipts_per_second = 0;  // first submit to last receipt
};

struct Report {
  std::map<std::string, std::string> parameters;
  std::string machine;
  std::string commit;
  std::string date;
  CeilingResult ceiling;
  // The bare Redis Streams loop (bench/e2e/streams_loop.h): XADD job, XREADGROUP, XACK, XADD
  // receipt, one client, pipelined; no scripts, no keys. What Redis does with no per-job state.
  CeilingResult streams_loop;
  SinkResult sink;
  std::vector<RunResult> runs;
  // Sizing model inputs.
  int binds = 1;    // per daemon
  int daemons = 1;  // smsdispatchd processes in the consumer group
  int shards = 1;   // --cluster M: M shards, each on a master (a core) of its own
  int window = 0;
  double smsc_latency_ms = 0;
};

// The limits a planner compares, for one run: the lowest binds the measured rate.
enum class SizingLimit { kCarrierWindow, kDaemonCpu, kRedisCpu, kRedis, kSmscSimulator };
struct Sizing {
  double carrier_jobs_per_s = 0;  // daemons x binds x window / round trip
  // daemons x one core / daemon CPU per job summed over the daemons (each is one event loop,
  // at most one core).
  double cpu_jobs_per_s = 0;
  // shards x one core / Redis CPU per job summed over the shards (each master is
  // single-threaded; the shard rule spreads the jobs evenly)
  double redis_cpu_jobs_per_s = 0;
  double redis_jobs_per_s = 0;      // the Redis ceiling
  double sink_jobs_per_s = 0;       // the SMSC simulator alone
  SizingLimit binding = SizingLimit::kCarrierWindow;  // a limit of 0 (not measured) never binds
};
Sizing SizeRun(const Report& r, const RunResult& run);

// The group's lag as far as it can be trusted, or -1. Redis computes lag as entries added
// minus the group's entries-read counter: NULL when deletions lie after the group's position,
// and wrong (not NULL) when that counter was not restored, as after an AOF reload (40,704
// with everything read was seen). So: 0 when the group has read the newest entry
// (`read_to_end`: its last-delivered-id is at or past the stream's last entry, or the stream
// is empty), whatever Redis says; unknown when Redis says NULL (`reported` < 0) or more than
// the entries that are not pending (`xlen` - `pending`) could be unread.
int64_t CheckedLag(int64_t reported, int64_t pending, int64_t xlen, bool read_to_end);
// Whether stream id `a` ("ms-seq") is at or after `b`; false when either does not parse.
bool StreamIdAtOrAfter(std::string_view a, std::string_view b);
const char* LimitName(SizingLimit l);

// INFO commandstats text: calls and microseconds per command ("xadd", "evalsha", ...).
std::map<std::string, CommandCost> ParseCommandStats(const std::string& info);
// after - before; commands with no calls in between are left out.
std::map<std::string, CommandCost> CommandStatsDelta(const std::map<std::string, CommandCost>& before,
                                                     const std::map<std::string, CommandCost>& after);

std::string ToJson(const Report& r);
std::string ToMarkdown(const Report& r);
std::string LatencySvg(const Report& r);  // empty when fewer than two fixed-rate runs
std::string BacklogSvg(const Report& r);  // backlog against time, one line per run; empty
                                          // when no run has two samples

}  // namespace sd::bench
