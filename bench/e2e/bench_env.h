#pragma once
// The processes of one benchmark run: a redis-server of its own (or the operator's, with
// --redis), smsc-sim and N smsdispatchd, each with its log in the run's directory, started
// and stopped through bench/process (the same process control the tests use).
#include <sys/types.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "bench/e2e/bench_options.h"
#include "bench/e2e/redis_sync.h"
#include "bench/e2e/run_setup.h"
#include "bench/process/subprocess.h"
#include "bench/process/text_file.h"

namespace sd::bench {

struct Env {
  std::string dir;
  std::string redis_host = "127.0.0.1";
  int redis_port = 0;  // 0: only the socket (--redis-socket)
  std::string redis_sock;
  bool load_over_socket = false;      // --redis-unix or --redis-socket
  std::set<std::string> keys_before;  // our namespace before the run: never deleted
  int sim_port = 0;
  std::unique_ptr<process::Subprocess> redis, sim;
  std::vector<std::unique_ptr<process::Subprocess>> replicas;  // --replicas N
  std::vector<std::unique_ptr<process::Subprocess>> nodes;     // --cluster M: master i = shard i
  std::vector<int> node_ports;
  std::vector<std::unique_ptr<process::Subprocess>> daemons;  // --daemons N: one consumer each
  std::vector<std::pair<std::string, std::string>> keys;      // id, secret (raw)
};

bool ConnectRedis(Redis& r, const Env& e, bool over_socket);

// A redis-server of the run's own, or (--redis, --redis-socket) the one given: then the keys
// already in our namespace are remembered, never to be deleted.
bool StartRedis(Env& e, const Options& o);

// The run's parameters as the daemon's config and the simulator's arguments take them.
RunSetup Setup(const Env& e, const Options& o);

// smsc-sim on a free port (read back from its port file).
bool StartSim(Env& e, const Options& o);

// The simulator, then the key file, the SMPP password and one smsdispatchd per --daemons.
bool StartSimAndDaemon(Env& e, const Options& o);

// A fresh snapshot of the simulator's counters: drop the file, ask for it (SIGUSR1), wait.
std::map<std::string, int64_t> SimStats(Env& e);

// Stops the daemons, the simulator and a redis-server of our own; on the operator's server,
// deletes what the run created.
void StopRun(Env& e);

// "smsdispatchd#k": the k-th daemon in reports.
std::string DaemonName(size_t k);

// Whole small files (results, configs, logs): bench/process/text_file.h. A failed write is
// reported on stderr and the run goes on (a lost report file is not worth a long run).
inline std::string ReadFile(const std::string& p) { return process::ReadTextFile(p); }
void WriteFile(const std::string& p, const std::string& text, int mode = 0600);

}  // namespace sd::bench
