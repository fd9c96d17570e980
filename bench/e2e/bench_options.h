#pragma once
// smsdispatch-bench's command line (bench/README.md lists every option with its default).
#include <cstdint>
#include <string>
#include <vector>

#include "bench/e2e/message_mix.h"

namespace sd::bench {

struct Options {
  uint64_t jobs = 20'000;     // per run
  double duration_s = 0;      // > 0: each run sends for this long instead (--duration)
  std::vector<double> rates;  // empty = one run as fast as possible
  // "smpp": smsc-sim over SMPP; "http": http-sim over plain HTTP on loopback, receipts by
  // signed webhook to the daemon's plain loopback [listener] (TLS cost not included).
  std::string carrier = "smpp";
  int window = 256;
  int binds = 1;    // transmit/transceiver binds of the carrier (daemon config `binds`)
  int daemons = 1;  // smsdispatchd processes in the consumer group (the "daemon threads")
  int batch = 512;
  int linger_ms = 0;
  bool plain_writes = false;  // the daemon's [redis] plain_writes
  int replicas = 0;           // replicas of the run's own redis-server (--replicas)
  int wait_replicas = 0;      // the daemon's [redis] wait_replicas
  // --cluster M: the daemon runs start a Redis Cluster of M masters (no replicas) with
  // [redis] shards = M, each shard on its own master; the producer spreads the jobs by the
  // shard rule. 0: one redis-server. The ceilings stay on one server (the reference).
  int cluster = 0;
  int max_inflight = 4096;
  int max_unsettled = -1;  // the carrier's max_unsettled; < 0: the daemon's default
  int smsc_latency_ms = 1;
  int receipt_delay_ms = 10;
  MessageMix mix;  // --mix gsm:ucs2:long (or the older --ucs2-share)
  double bad_share = 0.0;
  int keys = 1;
  uint64_t destinations = 1'000'000;
  bool redis_unix = false;
  bool aof = false;
  // Connect mode: an already running redis-server instead of one per run.
  std::string redis_host;  // --redis HOST:PORT
  int redis_port = 0;
  std::string redis_socket;  // --redis-socket PATH
  bool reuse = false;        // run even if our keys exist there (never deleting them)
  bool connect() const { return !redis_host.empty() || !redis_socket.empty(); }
  std::string results = "results";
  // Another build's smsdispatchd (before/after comparisons with the same load, ceilings and
  // report); empty: the one built with this bench.
  std::string daemon_binary;
  bool smoke = false;
  bool quiet = false;
};

// A timed run at max rate has no count; this bounds it anyway (with the backlog bound, it
// is reached only by a daemon faster than ~80,000 jobs/s over a minute).
inline constexpr uint64_t kMaxTimedJobs = 5'000'000;

// Parses and checks argv into *o (--smoke's small defaults applied) with CLI11, which also
// writes --help. Returns -1 to go on, or the exit code: 0 after --help, 2 for a bad option or
// value (the option and the reason printed on stderr).
int ParseOptions(int argc, char** argv, Options* o);

}  // namespace sd::bench
