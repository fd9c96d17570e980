#include "bench/e2e/bench_env.h"

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <thread>
#include <utility>

#include "bench/e2e/bench_cluster.h"
#include "bench/process/free_port.h"
#include "core/hex.h"

namespace sd::bench {
namespace {

// A child with its output in log; null (and the reason printed) when it cannot start.
std::unique_ptr<process::Subprocess> Start(std::vector<std::string> argv, const std::string& log) {
  auto p = std::make_unique<process::Subprocess>();
  const std::string name = argv.front();
  if (!p->Start(process::SubprocessOptions{std::move(argv), log, {}, {}})) {
    fprintf(stderr, "smsdispatch-bench: cannot start %s: %s\n", name.c_str(), p->error().c_str());
    return nullptr;
  }
  return p;
}

}  // namespace

void WriteFile(const std::string& p, const std::string& text, int mode) {
  if (!process::WriteTextFile(p, text, mode)) perror(("smsdispatch-bench: write " + p).c_str());
}

std::string DaemonName(size_t k) { return "smsdispatchd#" + std::to_string(k); }

bool ConnectRedis(Redis& r, const Env& e, bool over_socket) {
  return ConnectRedis(r, e.redis_host, e.redis_port,
                      over_socket || e.redis_port == 0 ? e.redis_sock : std::string());
}

// --replicas N: redis-servers replicating the run's own, each with its own port and directory,
// waited for until each acknowledges a write (WAIT answers for it only from then on).
bool StartReplicas(Env& e, const Options& o, Redis& master) {
  if (o.replicas == 0) return true;
  redisReply* cfg =
      static_cast<redisReply*>(redisCommand(master.c, "CONFIG SET repl-diskless-sync-delay 0"));
  if (cfg != nullptr) freeReplyObject(cfg);
  for (int i = 0; i < o.replicas; ++i) {
    const std::string dir = e.dir + "/replica-" + std::to_string(i);
    std::filesystem::create_directories(dir);
    const int port = process::PickFreeLoopbackPort();
    e.replicas.push_back(Start({"/usr/bin/redis-server", "--bind", "127.0.0.1", "--port",
                                std::to_string(port), "--save", "", "--appendonly", "no", "--dir",
                                dir, "--replicaof", "127.0.0.1", std::to_string(e.redis_port)},
                               dir + "/redis.log"));
    if (!e.replicas.back()) return false;
  }
  for (int i = 0; i < 300; ++i) {
    redisReply* set = static_cast<redisReply*>(redisCommand(master.c, "SET sd:bench:barrier 1"));
    if (set != nullptr) freeReplyObject(set);
    redisReply* w = static_cast<redisReply*>(redisCommand(master.c, "WAIT %d 100", o.replicas));
    const bool all = w != nullptr && w->type == REDIS_REPLY_INTEGER && w->integer >= o.replicas;
    if (w != nullptr) freeReplyObject(w);
    if (all) return true;
  }
  fprintf(stderr, "smsdispatch-bench: the replicas did not catch up within 30 s\n");
  return false;
}

bool StartRedis(Env& e, const Options& o) {
  if (o.connect()) {
    e.redis_host = o.redis_host.empty() ? e.redis_host : o.redis_host;  // socket only: unused
    e.redis_port = o.redis_port;
    e.redis_sock = o.redis_socket;
    e.load_over_socket = !o.redis_socket.empty();
    Redis probe;
    if (!ConnectRedis(probe, e, e.load_over_socket)) return false;
    e.keys_before = ScanKeys(probe.c, kOurKeys);
    return true;
  }
  if (o.cluster > 0) return StartCluster(e, o);
  e.load_over_socket = o.redis_unix;
  e.redis_port = process::PickFreeLoopbackPort();
  std::vector<std::string> argv{"/usr/bin/redis-server",
                                "--bind",
                                "127.0.0.1",
                                "--port",
                                std::to_string(e.redis_port),
                                "--save",
                                "",
                                "--appendonly",
                                o.aof ? "yes" : "no",
                                "--appendfsync",
                                "everysec",
                                "--dir",
                                e.dir};
  if (o.redis_unix) {
    e.redis_sock = e.dir + "/redis.sock";
    argv.insert(argv.end(), {"--unixsocket", e.redis_sock, "--unixsocketperm", "700"});
  }
  e.redis = Start(std::move(argv), e.dir + "/redis.log");
  Redis probe;
  if (!e.redis) return false;
  if (!ConnectRedis(probe, e, false)) return false;
  return StartReplicas(e, o, probe);
}

RunSetup Setup(const Env& e, const Options& o) {
  RunSetup s;
  s.redis_host = e.redis_host;
  s.redis_port = e.redis_port;
  s.redis_unix = o.redis_unix;
  s.redis_socket = o.redis_socket;
  s.batch = o.batch;
  s.linger_ms = o.linger_ms;
  s.plain_writes = o.plain_writes;
  s.wait_replicas = o.wait_replicas;
  s.max_inflight = o.max_inflight;
  s.sim_port = e.sim_port;
  s.window = o.window;
  s.binds = o.binds;
  s.max_unsettled = o.max_unsettled;
  s.smsc_latency_ms = o.smsc_latency_ms;
  s.receipt_delay_ms = o.receipt_delay_ms;
  s.daemons = o.daemons;
  s.http = o.carrier == "http";
  s.cluster_ports = e.node_ports;
  return s;
}

bool StartSim(Env& e, const Options& o) {
  std::vector<std::string> sim_argv{o.carrier == "http" ? SD_BENCH_HTTP_SIM : SD_BENCH_SIM};
  for (std::string& a : SimArguments(Setup(e, o), e.dir)) sim_argv.push_back(std::move(a));
  e.sim = Start(std::move(sim_argv), e.dir + "/sim.log");
  if (!e.sim) return false;
  for (int i = 0; i < 400 && ReadFile(e.dir + "/sim.port").empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const std::string port = ReadFile(e.dir + "/sim.port");
  if (port.empty()) return false;
  e.sim_port = std::stoi(port);
  return true;
}

bool StartSimAndDaemon(Env& e, const Options& o) {
  if (!StartSim(e, o)) return false;
  std::ostringstream keys;
  for (const auto& [id, secret] : e.keys)
    keys << "[[key]]\nid = \"" << id << "\"\nsecret = \"" << HexEncode(secret) << "\"\n";
  WriteFile(e.dir + "/keys.toml", keys.str());
  WriteFile(e.dir + "/smpp.pw", "benchpw\n");
  WriteFile(e.dir + "/hook.secret", "benchhook\n");
  // N daemons in one consumer group: the same configuration but for the consumer name (two
  // daemons with one name would drain each other's pending entries).
  for (int k = 0; k < o.daemons; ++k) {
    RunSetup s = Setup(e, o);
    s.consumer = "bench" + std::to_string(k);
    s.listen_port = process::PickFreeLoopbackPort();  // http: each daemon takes its own receipts
    const std::string cfg = e.dir + "/smsdispatchd" + std::to_string(k) + ".toml";
    WriteFile(cfg, DaemonConfigText(s), 0644);
    e.daemons.push_back(
        Start({o.daemon_binary.empty() ? std::string(SD_BENCH_DAEMON) : o.daemon_binary,
               "--config", cfg}, e.dir + "/daemon" + std::to_string(k) + ".log"));
    if (!e.daemons.back()) return false;
  }
  return true;
}

std::map<std::string, int64_t> SimStats(Env& e) {
  const std::string path = e.dir + "/sim.json";
  unlink(path.c_str());
  e.sim->Signal(SIGUSR1);
  for (int i = 0; i < 200 && access(path.c_str(), R_OK) != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return ParseSimStats(ReadFile(path));
}

void StopRun(Env& e) {
  for (auto& d : e.daemons) d->Stop(std::chrono::seconds(5));
  if (e.sim) e.sim->Stop(std::chrono::seconds(5));
  for (auto& n : e.nodes) n->Stop(std::chrono::seconds(5));
  if (e.redis) {
    e.redis->Stop(std::chrono::seconds(5));
  } else if (e.nodes.empty()) {
    Redis clean;
    if (ConnectRedis(clean, e, e.load_over_socket)) DeleteCreated(clean.c, e.keys_before);
  }
}

}  // namespace sd::bench
