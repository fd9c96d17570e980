#include "tests/integration/harness.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace sd::testing {

Process::Process(std::vector<std::string> argv, const std::string& log_path,
                 const std::vector<std::pair<std::string, std::string>>& env) {
  if (!process_.Start(process::SubprocessOptions{std::move(argv), log_path, {}, env})) {
    throw std::runtime_error(process_.error());
  }
}

bool WaitUntil(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

void WriteFile(const std::string& path, const std::string& content, int mode) {
  if (!process::WriteTextFile(path, content, mode)) throw std::runtime_error("cannot write " + path);
}

Cluster::Cluster(Options options) : options_(std::move(options)) {
  char tmpl[] = "/tmp/sd-e2e.XXXXXX";
  dir_ = mkdtemp(tmpl);
  redis_port_ = FreePort();
  StartRedis();
  if (options_.acl_user) {
    // The least-privilege user docs/redis.md documents, with a password from a 0600 file.
    auto* r = static_cast<redisReply*>(
        redisCommand(redis_,
                     "ACL SETUSER smsdispatch on >e2e-redis-pw ~sd:* "
                     "resetchannels +xreadgroup +xautoclaim +xclaim "
                     "+xpending +xack +xadd +xgroup|create +evalsha +eval "
                     "+script|load +multi +exec +watch +unwatch +mget +type +set +get +exists "
                     "+time +ping "
                     "+hset +hget +hexists +hlen +hvals +pexpire +hincrby +auth "
                     "+del +zadd +zrangebyscore +zrem +zcount "
                     "+hgetall +hdel +incr +xinfo|groups +hsetnx +hscan +xread +xrevrange +incrby "
                     "+decrby +wait +append"));
    const bool ok = r != nullptr && r->type == REDIS_REPLY_STATUS;
    if (r) freeReplyObject(r);
    if (!ok) throw std::runtime_error("ACL SETUSER failed");
    WriteFile(dir_ + "/redis.password", "e2e-redis-pw\n");
  }
  StartSimulator();
  if (Cli({"keygen", "--id", "test.v1", "--out", dir_ + "/keys.toml"}) != 0) {
    throw std::runtime_error("keygen failed");
  }
  WriteFile(dir_ + "/smpp.password", "simpw\n");
}

void Cluster::StartRedis() {
  if (redis_ != nullptr) redisFree(redis_);
  redis_ = nullptr;
  std::vector<std::string> argv{"/usr/bin/redis-server",
                                "--bind",
                                "127.0.0.1",
                                "--port",
                                std::to_string(redis_port_),
                                "--save",
                                "",
                                "--appendonly",
                                options_.appendonly ? "yes" : "no",
                                "--appendfsync",
                                "always",
                                "--dir",
                                dir_};
  if (options_.unix_socket) {
    argv.push_back("--unixsocket");
    argv.push_back(dir_ + "/redis.sock");
    argv.push_back("--unixsocketperm");
    argv.push_back("700");
  }
  redis_server_ = std::make_unique<Process>(argv, dir_ + "/redis.log");
  const bool up = WaitUntil(
      [&] {
        redis_ = redisConnect("127.0.0.1", redis_port_);
        if (redis_ != nullptr && redis_->err == 0) {
          auto* r = static_cast<redisReply*>(redisCommand(redis_, "PING"));
          const bool ok = r != nullptr && r->type == REDIS_REPLY_STATUS;  // not -LOADING
          if (r) freeReplyObject(r);
          if (ok) return true;
        }
        if (redis_ != nullptr) redisFree(redis_);
        redis_ = nullptr;
        return false;
      },
      std::chrono::seconds(10));
  if (!up) throw std::runtime_error("redis-server did not start: " + ReadFile(dir_ + "/redis.log"));
}

void Cluster::KillRedis() {
  redis_server_.reset();  // SIGKILL
  if (redis_ != nullptr) redisFree(redis_);
  redis_ = nullptr;
}

Cluster::~Cluster() {
  daemon_.reset();
  sim_.reset();
  extra_sims_.clear();
  if (redis_ != nullptr) redisFree(redis_);
  redis_server_.reset();
  if (getenv("SD_KEEP_TEST_DIRS") == nullptr) {
    const std::string cmd = "rm -rf '" + dir_ + "'";
    if (system(cmd.c_str()) != 0) {
      // best effort
    }
  }
}

void Cluster::StartSimulator() {
  std::vector<std::string> argv{SD_SMSC_SIM,
                                "--host",
                                "127.0.0.1",
                                "--system-id",
                                "sim",
                                "--password",
                                "simpw",
                                "--submit-latency-ms",
                                std::to_string(options_.submit_latency_ms),
                                "--receipt-delay-ms",
                                std::to_string(options_.receipt_delay_ms),
                                "--stats-file",
                                dir_ + "/sim.json",
                                "--mo-file",
                                dir_ + "/mo.jsonl"};
  if (!options_.reject_dest_prefix.empty()) {
    argv.push_back("--reject-dest-prefix");
    argv.push_back(options_.reject_dest_prefix);
  }
  argv.insert(argv.end(), options_.sim_args.begin(), options_.sim_args.end());
  argv.push_back("--port");
  if (smsc_port_ == 0) {
    argv.push_back("0");
    argv.push_back("--port-file");
    argv.push_back(dir_ + "/sim.port");
  } else {
    argv.push_back(std::to_string(smsc_port_));
  }
  sim_ = std::make_unique<Process>(argv, dir_ + "/sim.log");
  if (smsc_port_ == 0) {
    if (!WaitUntil([&] { return !ReadFile(dir_ + "/sim.port").empty(); },
                   std::chrono::seconds(10))) {
      throw std::runtime_error("smsc-sim did not start: " + ReadFile(dir_ + "/sim.log"));
    }
    smsc_port_ = std::stoi(ReadFile(dir_ + "/sim.port"));
  }
}

void Cluster::KillSimulator() { sim_.reset(); }

void Cluster::StartDaemon(const std::vector<std::pair<std::string, std::string>>& env) {
  std::ostringstream cfg;
  cfg << "[daemon]\nlog_level = \"" << options_.log_level << "\"\nlog_format = \""
      << options_.log_format
      << "\"\nshutdown_timeout_ms = 10000\nmax_inflight = " << options_.max_inflight
      << "\nstats_interval_ms = 1000\nconsumer = \"e2e\"\n\n"
      << "[redis]\n"
      << (options_.redis_endpoint.empty()
              ? "host = \"127.0.0.1\"\nport = " + std::to_string(redis_port_)
              : options_.redis_endpoint)
      << "\nbatch = " << options_.batch << "\nmax_deliveries = " << options_.max_deliveries
      << (options_.unix_socket ? "\nunix_socket = \"redis.sock\"" : "")
      << (options_.acl_user ? "\nuser = \"smsdispatch\"\npassword_file = \"redis.password\"" : "")
      << "\nblock_ms = 200\nclaim_idle_ms = " << options_.claim_idle_ms
      << "\nclaim_interval_ms = 500\n"
      << options_.redis_extra << "\n"
      << "[keys]\nfile = \"keys.toml\"\n"
      << options_.keys_extra << "\n"
      << "[[carrier]]\nname = \"sim\"\nhost = \"127.0.0.1\"\nport = " << smsc_port_
      << "\nsystem_id = \"sim\"\npassword_file = \"smpp.password\"\nwindow = " << options_.window
      << "\nresponse_timeout_ms = 2000\nreconnect_initial_ms = 50\nreconnect_max_ms = 500\n"
      << options_.extra_config;
  WriteFile(dir_ + "/smsdispatchd.toml", cfg.str(), 0644);
  daemon_ = std::make_unique<Process>(
      std::vector<std::string>{SD_DAEMON, "--config", dir_ + "/smsdispatchd.toml"},
      dir_ + "/daemon.log", env);
}

std::unique_ptr<Process> Cluster::StartSecondDaemon(
    const std::vector<std::pair<std::string, std::string>>& env) {
  std::string cfg = ReadFile(ConfigPath());
  cfg = std::regex_replace(cfg, std::regex("consumer = \"e2e\""), "consumer = \"e2e-b\"");
  cfg = std::regex_replace(
      cfg, std::regex("\\[redis\\]\n"),
      "[redis]\njobs_stream = \"sd:jobs-b\"\noutcomes_stream = \"sd:outcomes-b\"\n");
  WriteFile(dir_ + "/smsdispatchd-b.toml", cfg, 0644);
  return std::make_unique<Process>(
      std::vector<std::string>{SD_DAEMON, "--config", dir_ + "/smsdispatchd-b.toml"},
      dir_ + "/daemon-b.log", env);
}

std::unique_ptr<Process> Cluster::StartPeerDaemon(const std::string& name) {
  std::string cfg = ReadFile(ConfigPath());
  const std::string consumer = "consumer = \"e2e-" + name + "\"";
  cfg = std::regex_replace(cfg, std::regex("consumer = \"e2e\""), consumer);
  // Without the replacement the peer would share the consumer name, and with it the pending
  // entries, of the first daemon: not a fleet but one consumer twice.
  if (cfg.find(consumer) == std::string::npos) {
    throw std::runtime_error("no consumer line to replace in " + ConfigPath());
  }
  const std::string path = dir_ + "/smsdispatchd-" + name + ".toml";
  WriteFile(path, cfg, 0644);
  return std::make_unique<Process>(std::vector<std::string>{SD_DAEMON, "--config", path},
                                   dir_ + "/daemon-" + name + ".log");
}

void Cluster::StopDaemon() {
  if (!daemon_) return;
  daemon_->Signal(SIGTERM);
  const int st = daemon_->Wait(std::chrono::seconds(30));
  daemon_.reset();
  if (st != 0)
    throw std::runtime_error("smsdispatchd did not exit cleanly: status " + std::to_string(st));
}

void Cluster::KillDaemon() {
  if (daemon_) daemon_->Kill();
  daemon_.reset();
}

void Cluster::InjectMo(const std::string& jsonl) {
  WriteFile(dir_ + "/mo.jsonl", jsonl, 0644);
  sim_->Signal(SIGUSR2);
}

int Cluster::Cli(const std::vector<std::string>& args, std::string* out) {
  std::vector<std::string> argv{SD_CLI};
  argv.insert(argv.end(), args.begin(), args.end());
  const std::string log = dir_ + "/cli.out";
  unlink(log.c_str());
  Process p(argv, log);
  const int st = p.Wait(std::chrono::seconds(120));
  if (out != nullptr) *out = ReadFile(log);
  return st;
}

int Cluster::Enqueue(const std::vector<std::string>& extra, std::string* out) {
  std::vector<std::string> args{
      "enqueue",    "--redis",           "127.0.0.1:" + std::to_string(redis_port_),
      "--key-file", dir_ + "/keys.toml", "--key-id",
      "test.v1"};
  args.insert(args.end(), extra.begin(), extra.end());
  return Cli(args, out);
}

std::vector<Cluster::Fields> Cluster::ReadStream(const std::string& stream) {
  std::vector<Fields> out;
  auto* r = static_cast<redisReply*>(redisCommand(redis_, "XRANGE %s - +", stream.c_str()));
  if (r == nullptr) return out;
  for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; ++i) {
    const redisReply* kv = r->element[i]->element[1];
    Fields f;
    f["_id"] = std::string(r->element[i]->element[0]->str, r->element[i]->element[0]->len);
    for (size_t k = 0; k + 1 < kv->elements; k += 2) {
      f[std::string(kv->element[k]->str, kv->element[k]->len)] =
          std::string(kv->element[k + 1]->str, kv->element[k + 1]->len);
    }
    out.push_back(std::move(f));
  }
  freeReplyObject(r);
  return out;
}

long long Cluster::StreamLength(const std::string& stream) {
  auto* r = static_cast<redisReply*>(redisCommand(redis_, "XLEN %s", stream.c_str()));
  const long long n = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
  if (r) freeReplyObject(r);
  return n;
}

long long Cluster::PendingCount() {
  auto* r = static_cast<redisReply*>(redisCommand(redis_, "XPENDING sd:jobs smsdispatch"));
  const long long n =
      r && r->type == REDIS_REPLY_ARRAY && r->elements >= 1 ? r->element[0]->integer : -1;
  if (r) freeReplyObject(r);
  return n;
}

namespace {

// A simulator's counters from its stats file, fresh when it still runs.
std::map<std::string, long long> StatsOf(Process* sim, const std::string& path) {
  std::map<std::string, long long> m;
  if (sim != nullptr && sim->running()) {
    // Ask for a fresh snapshot and wait for it to replace the file.
    unlink(path.c_str());
    sim->Signal(SIGUSR1);
    WaitUntil([&] { return access(path.c_str(), R_OK) == 0; }, std::chrono::seconds(5));
  }
  auto j = nlohmann::json::parse(ReadFile(path), nullptr, false);
  if (j.is_object()) {
    for (auto& [k, v] : j.items()) {
      if (v.is_number_integer()) m[k] = v.get<long long>();
    }
  }
  return m;
}

}  // namespace

std::map<std::string, long long> Cluster::SimulatorStats() {
  return StatsOf(sim_.get(), dir_ + "/sim.json");
}

int Cluster::StartExtraSimulator(const std::string& name, const std::vector<std::string>& args) {
  const std::string base = dir_ + "/sim-" + name;
  std::vector<std::string> argv{SD_SMSC_SIM,
                                "--host",
                                "127.0.0.1",
                                "--system-id",
                                "sim",
                                "--password",
                                "simpw",
                                "--submit-latency-ms",
                                std::to_string(options_.submit_latency_ms),
                                "--receipt-delay-ms",
                                std::to_string(options_.receipt_delay_ms),
                                "--stats-file",
                                base + ".json",
                                "--port",
                                "0",
                                "--port-file",
                                base + ".port"};
  argv.insert(argv.end(), args.begin(), args.end());
  extra_sims_[name] = std::make_unique<Process>(argv, base + ".log");
  if (!WaitUntil([&] { return !ReadFile(base + ".port").empty(); }, std::chrono::seconds(10))) {
    throw std::runtime_error("smsc-sim " + name + " did not start: " + ReadFile(base + ".log"));
  }
  return std::stoi(ReadFile(base + ".port"));
}

void Cluster::KillExtraSimulator(const std::string& name) { extra_sims_.erase(name); }

std::map<std::string, long long> Cluster::ExtraSimulatorStats(const std::string& name) {
  auto it = extra_sims_.find(name);
  return StatsOf(it == extra_sims_.end() ? nullptr : it->second.get(),
                 dir_ + "/sim-" + name + ".json");
}

std::vector<SimMessage> ReadSimMessages(const std::string& path) {
  std::vector<SimMessage> out;
  std::istringstream in(ReadFile(path));
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object()) continue;  // a line being written right now
    out.push_back({j.value("dest", ""), j.value("received_ms", int64_t{0})});
  }
  return out;
}

size_t MessagesAfter(const std::string& path, int64_t ms) {
  size_t late = 0;
  for (const SimMessage& m : ReadSimMessages(path)) late += m.received_ms > ms;
  return late;
}

long long DelayedCount(Cluster& c) {
  auto* r = static_cast<redisReply*>(redisCommand(c.redis(), "ZCARD sd:delayed"));
  const long long n = r != nullptr && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
  if (r != nullptr) freeReplyObject(r);
  return n;
}

}  // namespace sd::testing
