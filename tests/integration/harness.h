#pragma once
// Processes for end-to-end tests: each test gets a fresh temporary directory, its own
// redis-server, smsc-sim and smsdispatchd on free loopback ports, and a hiredis client to
// look at the streams. Everything is stopped (SIGKILL as a last resort) in the destructor.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/process/free_port.h"
#include "bench/process/subprocess.h"
#include "bench/process/text_file.h"

namespace sd::testing {

// A child started by the constructor (bench/process's Subprocess, the process control the
// benchmark uses), with the harness's short API.
class Process {
 public:
  // Throws when the program cannot be started (the test fails with the reason).
  Process(std::vector<std::string> argv, const std::string& log_path,
          const std::vector<std::pair<std::string, std::string>>& env = {});
  pid_t pid() const { return process_.pid(); }
  bool running() { return process_.Running(); }
  void Signal(int sig) { process_.Signal(sig); }
  // Waits for exit; returns the exit status (128+signal when killed), -1 on timeout.
  int Wait(std::chrono::milliseconds timeout) { return process_.Wait(timeout).value_or(-1); }
  void Kill() { process_.Kill(); }  // SIGKILL and reap; also on destruction

 private:
  process::Subprocess process_;
};

inline int FreePort() { return process::PickFreeLoopbackPort(); }
bool WaitUntil(const std::function<bool()>& pred, std::chrono::milliseconds timeout);
inline std::string ReadFile(const std::string& path) { return process::ReadTextFile(path); }
// Throws on failure: a harness that cannot write its configs cannot run the test.
void WriteFile(const std::string& path, const std::string& content, int mode = 0600);

class Cluster {
 public:
  struct Options {
    int64_t submit_latency_ms = 0;
    int64_t receipt_delay_ms = 10;
    int64_t window = 64;
    int64_t max_inflight = 256;
    int64_t batch = 64;
    int64_t claim_idle_ms = 60'000;
    std::string reject_dest_prefix;
    bool unix_socket = false;  // daemon talks to Redis over a Unix socket
    bool acl_user = false;     // daemon authenticates as an ACL user with a password file
    bool appendonly = false;   // Redis persists (for restart tests)
    int64_t max_deliveries = 5;
    std::string keys_extra;   // more lines of [keys] (e.g. registry = "redis")
    std::string redis_extra;  // more lines of [redis] (e.g. write_linger_ms = 20)
    // Instead of [redis] host and port (e.g. cluster = ["127.0.0.1:7000"]): the daemon then
    // uses another Redis than the cluster's own (which the CLI helpers still talk to).
    std::string redis_endpoint;
    // More lines at the end of the config: right after the [[carrier]] keys, so carrier keys
    // come first, then other sections ([policy], ...).
    std::string extra_config;
    std::vector<std::string> sim_args;  // more smsc-sim options
    std::string log_level = "info";     // the daemon's [daemon] log_level
    std::string log_format = "text";    // and its log_format
  };
  explicit Cluster(Options options);
  ~Cluster();

  const std::string& dir() const { return dir_; }
  int redis_port() const { return redis_port_; }
  redisContext* redis() { return redis_; }

  void StartDaemon(const std::vector<std::pair<std::string, std::string>>& env = {});
  // A second daemon of the same deployment: StartDaemon's config with the consumer "e2e-b" and
  // its own job and outcome streams (sd:jobs-b, sd:outcomes-b), so a test knows which daemon
  // decided each job; its log is daemon-b.log. After StartDaemon.
  std::unique_ptr<Process> StartSecondDaemon(
      const std::vector<std::pair<std::string, std::string>>& env = {});
  // A peer daemon sharing the whole deployment: StartDaemon's config with only the consumer
  // changed to "e2e-<name>", so it reads the same job stream in the same consumer group and
  // writes the same outcome stream, as N daemons of one fleet do. Its config is
  // smsdispatchd-<name>.toml, its log daemon-<name>.log. After StartDaemon.
  std::unique_ptr<Process> StartPeerDaemon(const std::string& name);
  void StopDaemon();  // SIGTERM, expects a clean exit 0
  void KillDaemon();  // SIGKILL
  Process* daemon() { return daemon_.get(); }
  void StartSimulator();
  void KillSimulator();
  void StartRedis();
  void KillRedis();

  // Runs the CLI; returns its exit status and fills `out` with stdout+stderr.
  int Cli(const std::vector<std::string>& args, std::string* out = nullptr);
  int Enqueue(const std::vector<std::string>& extra, std::string* out = nullptr);

  // Stream helpers.
  using Fields = std::map<std::string, std::string>;
  std::vector<Fields> ReadStream(const std::string& stream);
  long long StreamLength(const std::string& stream);
  long long PendingCount();
  std::map<std::string, long long> SimulatorStats();
  // The simulator sends these messages as recipients wrote them (smsc-sim --mo-file: one JSON
  // object per line, {from, to, text, coding, parts, sar}).
  void InjectMo(const std::string& jsonl);

  // More simulators, for tests with several carriers: each has its own name, port, log
  // (sim-NAME.log) and stats file; they use the same system id and password as the first.
  // The daemon's config names them through extra_config (see SetExtraConfig).
  int StartExtraSimulator(const std::string& name, const std::vector<std::string>& args = {});
  void KillExtraSimulator(const std::string& name);
  std::map<std::string, long long> ExtraSimulatorStats(const std::string& name);
  // Replaces Options::extra_config for the next StartDaemon (e.g. once extra ports are known).
  void SetExtraConfig(std::string extra) { options_.extra_config = std::move(extra); }
  std::string ConfigPath() const { return dir_ + "/smsdispatchd.toml"; }
  std::string DaemonLog() { return ReadFile(dir_ + "/daemon.log"); }

 private:
  Options options_;
  std::string dir_;
  int redis_port_ = 0;
  int smsc_port_ = 0;
  std::unique_ptr<Process> redis_server_;
  std::unique_ptr<Process> sim_;
  std::unique_ptr<Process> daemon_;
  std::map<std::string, std::unique_ptr<Process>> extra_sims_;
  redisContext* redis_ = nullptr;
};

// [redis] lines naming every stream and key under the hash tag "{0}", as Redis Cluster (one
// slot for all) and [redis] shards (shard i replaces the tag) need them.
inline constexpr char kTaggedRedisNames[] =
    "key_prefix = \"sd:{0}:\"\njobs_stream = \"sd:{0}:jobs\"\n"
    "outcomes_stream = \"sd:{0}:outcomes\"\nreceipts_stream = \"sd:{0}:receipts\"\n"
    "dead_letter_stream = \"sd:{0}:dead\"\nquarantine_stream = \"sd:{0}:receipts:unmatched\"\n"
    "audit_stream = \"sd:{0}:audit\"\ndelayed_set = \"sd:{0}:delayed\"\n";

// The value of "name: value" in CLI output (e.g. `keys create` prints "id: acme.v1").
inline std::string CliField(const std::string& out, const std::string& name) {
  const size_t at = out.find(name + ": ");
  if (at == std::string::npos) return "";
  const size_t begin = at + name.size() + 2;
  return out.substr(begin, out.find('\n', begin) - begin);
}

// The wall clock, ms since the epoch: what the simulator stamps messages with.
inline int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A carrier paced at `tps` with a window of 256, the daemon holding up to 1,024 jobs in batches
// of 256, no receipts, and every message the simulator takes logged to `messages_file`: a deep
// queue in front of the wire, for the checks made where a job goes on it.
inline Cluster::Options PacedCarrierOptions(int tps, const std::string& messages_file) {
  Cluster::Options o;
  o.window = 256;
  o.max_inflight = 1024;
  o.batch = 256;
  o.receipt_delay_ms = -1;
  o.extra_config = "tps = " + std::to_string(tps) + "\n";
  o.sim_args = {"--messages-file", messages_file};
  return o;
}

// One message the simulator took (its --messages-file): destination without '+', and when.
struct SimMessage {
  std::string dest;
  int64_t received_ms = 0;
};
std::vector<SimMessage> ReadSimMessages(const std::string& path);
// How many of them arrived later than `ms`.
size_t MessagesAfter(const std::string& path, int64_t ms);

// Jobs waiting in the delay queue (sd:delayed); -1 when Redis cannot say.
long long DelayedCount(Cluster& c);

// At least `n` outcomes on the outcome stream within `timeout`.
inline bool OutcomesReach(Cluster& c, long long n,
                          std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  return WaitUntil([&] { return c.StreamLength("sd:outcomes") >= n; }, timeout);
}

// Every entry of the job stream has exactly one outcome.
inline void ExpectExactlyOneOutcomePerEntry(Cluster& c) {
  const auto jobs = c.ReadStream("sd:jobs");
  const auto outcomes = c.ReadStream("sd:outcomes");
  std::map<std::string, int> per_entry;
  for (const auto& o : outcomes) ++per_entry[o.at("entry")];
  for (const auto& j : jobs) EXPECT_EQ(per_entry[j.at("_id")], 1) << "entry " << j.at("_id");
  EXPECT_EQ(outcomes.size(), jobs.size());
}

}  // namespace sd::testing
