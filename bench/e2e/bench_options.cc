#include "bench/e2e/bench_options.h"

#include <CLI/CLI.hpp>
#include <optional>

namespace sd::bench {
namespace {

// --mix G:U:L, or --ucs2-share F as (1-F):F:0.
std::string MixOption(const std::string& mix, const std::string& ucs2_share, MessageMix* out) {
  std::string text = mix;
  if (!ucs2_share.empty()) {
    const double f = std::stod(ucs2_share);  // CLI11 checked it is a number in [0, 1]
    text = std::to_string(1 - f) + ":" + std::to_string(f) + ":0";
  }
  if (text.empty()) return "";
  std::string error;
  const std::optional<MessageMix> parsed = ParseMix(text, &error);
  if (!parsed) return (mix.empty() ? "--ucs2-share: " : "--mix: ") + error;
  *out = *parsed;
  return "";
}

// "--redis wants HOST:PORT"; "" when v is one.
std::string HostPortOption(const std::string& v, Options* o) {
  const size_t colon = v.rfind(':');
  char* end = nullptr;
  const long port = colon == std::string::npos ? 0 : strtol(v.c_str() + colon + 1, &end, 10);
  if (colon == 0 || colon == std::string::npos || end == nullptr || *end != '\0' || port < 1 ||
      port > 65535) {
    return "--redis wants HOST:PORT, e.g. 127.0.0.1:6379 (got " + v + ")";
  }
  o->redis_host = v.substr(0, colon);
  o->redis_port = static_cast<int>(port);
  return "";
}

// How many jobs, how fast, through how many daemons and binds. Returns --jobs (--smoke
// shrinks it only when not given).
CLI::Option* AddRunOptions(CLI::App& app, Options* o) {
  auto* jobs = app.add_option("--jobs", o->jobs, "jobs per run")->capture_default_str();
  app.add_option("--duration", o->duration_s, "send for S seconds per run instead of a count")
      ->check(CLI::Range(0.001, 86'400.0))
      ->excludes(jobs);
  app.add_option("--rate", o->rates,
                 "fixed offered rates in jobs/s, comma-separated: a sweep (default: one run "
                 "at max rate)")
      ->delimiter(',')
      ->check(CLI::PositiveNumber);
  app.add_option("--carrier", o->carrier,
                 "smpp (smsc-sim) or http (http-sim, the REST carrier with webhook receipts)")
      ->capture_default_str()
      ->check(CLI::IsMember({"smpp", "http"}));
  app.add_option("--window", o->window, "SMPP window of each bind (http: jobs held)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100'000));
  // The daemon has a bind limit of its own (carrier.binds); 64 is far beyond any SMSC's.
  app.add_option("--binds", o->binds, "transmit/transceiver binds to the simulator, per daemon")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  // More daemons than a few times the cores only measures the scheduler.
  app.add_option("--daemons", o->daemons,
                 "smsdispatchd processes in one consumer group: the daemon is one event loop, "
                 "so more cores means more daemons")
      ->capture_default_str()
      ->check(CLI::Range(1, 16));
  return jobs;
}

// The daemon's and the simulator's settings for every run.
void AddDaemonOptions(CLI::App& app, Options* o) {
  app.add_option("--batch", o->batch, "XREADGROUP batch")
      ->capture_default_str()
      ->check(CLI::Range(1, 10'000));
  app.add_option("--max-inflight", o->max_inflight, "daemon max_inflight")
      ->capture_default_str()
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--max-unsettled", o->max_unsettled,
                 "the carrier's max_unsettled (default window x binds; 0: no bound)")
      ->check(CLI::Range(0, 1'000'000));
  app.add_option("--linger-ms", o->linger_ms,
                 "daemon read_linger_ms and write_linger_ms (0: next loop turn)")
      ->capture_default_str()
      ->check(CLI::Range(0, 100));
  app.add_flag("--plain-writes", o->plain_writes,
               "daemon plain_writes: commits and receipts as plain commands, not scripts");
  app.add_option("--replicas", o->replicas,
                 "start this many replicas of the run's redis-server (for --wait-replicas)")
      ->capture_default_str()
      ->check(CLI::Range(0, 8));
  app.add_option("--wait-replicas", o->wait_replicas,
                 "daemon wait_replicas: every write waits for this many replicas (WAIT)")
      ->capture_default_str()
      ->check(CLI::Range(0, 100));
  app.add_option("--cluster", o->cluster,
                 "run the daemons on a Redis Cluster of M masters with shards = M (one per "
                 "master); per-shard Redis CPU in the report")
      ->check(CLI::Range(2, 16));
  app.add_option("--smsc-latency-ms", o->smsc_latency_ms, "simulator submit_sm_resp latency")
      ->capture_default_str()
      ->check(CLI::Range(0, 60'000));
  app.add_option("--receipt-delay-ms", o->receipt_delay_ms,
                 "simulator receipt delay (-1: no receipts)")
      ->capture_default_str()
      ->check(CLI::Range(-1, 600'000));
}

// --cluster starts a cluster of the tool's own, without replicas, over TCP.
void ClusterExcludes(CLI::App& app) {
  for (const char* other :
       {"--redis", "--redis-socket", "--redis-unix", "--aof", "--replicas", "--wait-replicas"}) {
    app.get_option("--cluster")->excludes(app.get_option(other));
  }
}

}  // namespace

int ParseOptions(int argc, char** argv, Options* o) {
  CLI::App app{
      "Starts redis-server, smsc-sim and smsdispatchd on free loopback ports, measures the "
      "Redis and simulator ceilings, then drives signed jobs through the daemon and writes "
      "bench.json, bench.md and SVG charts (bench/README.md).",
      "smsdispatch-bench"};
  app.get_formatter()->column_width(26);
  CLI::Option* jobs = AddRunOptions(app, o);
  AddDaemonOptions(app, o);
  std::string mix, ucs2_share;
  auto* mix_opt = app.add_option("--mix", mix,
                                 "shares of single GSM, single UCS-2 and long (2-4 segment) "
                                 "texts, e.g. 70:20:10 (default 100:0:0)");
  app.add_option("--ucs2-share", ucs2_share, "the same as --mix (1-F):F:0")
      ->check(CLI::Range(0.0, 1.0))
      ->excludes(mix_opt);
  app.add_option("--bad-share", o->bad_share, "share of jobs with a forged signature")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--keys", o->keys, "signing keys jobs are spread over")
      ->capture_default_str()
      ->check(CLI::Range(1, 10'000));
  app.add_option("--destinations", o->destinations, "distinct destination numbers")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1}, uint64_t{1'000'000'000}));
  auto* unix_opt = app.add_flag("--redis-unix", o->redis_unix,
                                "daemon and load talk to Redis over a Unix socket");
  auto* aof_opt = app.add_flag("--aof", o->aof, "Redis appendonly yes (appendfsync everysec)");
  std::string redis;
  auto* redis_opt = app.add_option("--redis", redis,
                                   "HOST:PORT of a running redis-server to use (ceiling and "
                                   "runs) instead of starting one; refuses if it holds keys "
                                   "named sd:*");
  auto* socket_opt =
      app.add_option("--redis-socket", o->redis_socket, "the same over a Unix socket")
          ->excludes(redis_opt);
  // --redis-unix and --aof configure a redis-server the tool starts; with --redis the server
  // is the operator's.
  for (CLI::Option* own : {unix_opt, aof_opt, app.get_option("--replicas")}) {
    own->excludes(redis_opt)->excludes(socket_opt);
  }
  ClusterExcludes(app);
  auto* reuse =
      app.add_flag("--reuse", o->reuse, "run although sd:* keys exist (they are never deleted)");
  app.add_option("--results", o->results, "where to write <DIR>/<date>-<time>/")
      ->capture_default_str();
  app.add_option("--daemon-binary", o->daemon_binary,
                 "run this smsdispatchd instead of the one built with the bench (another "
                 "build's, for before/after comparisons)")
      ->check(CLI::ExistingFile);
  app.add_flag("--smoke", o->smoke, "a few seconds, small numbers: proves the tool works");
  app.add_flag("--quiet", o->quiet, "no progress lines");
  // A repeated single-valued option takes the last value, as before CLI11 (scripts append
  // overrides); --rate collects them all.
  for (CLI::Option* opt : app.get_options()) {
    if (opt->get_items_expected_max() == 1) {
      opt->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    }
  }
  try {
    app.parse(argc, argv);
    std::string error = MixOption(mix, ucs2_share, &o->mix);
    if (error.empty() && !redis.empty()) error = HostPortOption(redis, o);
    if (error.empty() && *reuse && !o->connect()) {
      error = "--reuse only applies to --redis/--redis-socket";
    }
    if (!error.empty()) throw CLI::ValidationError(error);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);  // prints the help (0) or the error naming the option
    return rc == 0 ? 0 : 2;
  }
  if (o->smoke) {
    if (jobs->count() == 0) o->jobs = 500;  // also the ceiling's count in a timed run
    if (o->rates.empty()) o->rates = {1000, 2000};
  }
  return -1;
}

}  // namespace sd::bench
