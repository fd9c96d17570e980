// smsdispatch-bench: starts redis-server, smsc-sim and smsdispatchd on free loopback ports,
// measures the Redis ceiling (the same Redis operations per job, no daemon), then drives signed
// jobs at fixed rates (a sweep) or as fast as possible, and writes JSON, markdown and an SVG.
// bench/README.md explains how to run it and read it.
#include <hiredis/hiredis.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "adapters/crypto/openssl_mac.h"
#include "adapters/crypto/random.h"
#include "bench/e2e/bench_report.h"
#include "bench/e2e/message_mix.h"
#include "bench/e2e/run_setup.h"
#include "core/envelope.h"
#include "core/hex.h"

namespace sd::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  uint64_t jobs = 20'000;              // per run
  std::vector<double> rates;           // empty = one run as fast as possible
  int window = 256;
  int binds = 1;  // transmit/transceiver binds of the carrier (daemon config `binds`)
  int batch = 512;
  int max_inflight = 4096;
  int smsc_latency_ms = 1;
  int receipt_delay_ms = 10;
  MessageMix mix;            // --mix gsm:ucs2:long (or the older --ucs2-share)
  double bad_share = 0.0;
  int keys = 1;
  uint64_t destinations = 1'000'000;
  bool redis_unix = false;
  bool aof = false;
  std::string results = "results";
  bool smoke = false;
  bool quiet = false;
};

void Usage(FILE* f) {
  fprintf(f,
          "usage: smsdispatch-bench [options]\n"
          "  --jobs N               jobs per run (20000)\n"
          "  --rate R[,R...]        fixed offered rates in jobs/s: a sweep (default: one run, max rate)\n"
          "  --window N             SMPP window of each bind (256)\n"
          "  --binds N              transmit/transceiver binds to the simulator (1)\n"
          "  --batch N              XREADGROUP batch (512)\n"
          "  --max-inflight N       daemon max_inflight (4096)\n"
          "  --smsc-latency-ms N    simulator submit_sm_resp latency (1)\n"
          "  --receipt-delay-ms N   simulator receipt delay (10)\n"
          "  --mix G:U:L            shares of single GSM, single UCS-2 and long (2-4 segment)\n"
          "                         texts, e.g. 70:20:10 (100:0:0)\n"
          "  --ucs2-share F         the same as --mix (1-F):F:0\n"
          "  --bad-share F          share of jobs with a forged signature, 0..1 (0)\n"
          "  --keys N               signing keys jobs are spread over (1)\n"
          "  --destinations N       distinct destination numbers (1000000)\n"
          "  --redis-unix           daemon and load talk to Redis over a Unix socket\n"
          "  --aof                  Redis appendonly yes (appendfsync everysec)\n"
          "  --results DIR          where to write results/<date>-<time>/ (results)\n"
          "  --smoke                a few seconds, small numbers: proves the tool works\n");
}

// ---- processes -------------------------------------------------------------------------

struct Child {
  pid_t pid = -1;
  std::string name;
  ~Child() { Stop(); }
  void Stop(int sig = SIGTERM) {
    if (pid <= 0) return;
    kill(pid, sig);
    for (int i = 0; i < 500; ++i) {
      int st;
      if (waitpid(pid, &st, WNOHANG) == pid) {
        pid = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    pid = -1;
  }
};

std::unique_ptr<Child> Spawn(const std::string& name, std::vector<std::string> argv, const std::string& log) {
  auto c = std::make_unique<Child>();
  c->name = name;
  c->pid = fork();
  if (c->pid == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    std::vector<char*> a;
    for (auto& s : argv) a.push_back(s.data());
    a.push_back(nullptr);
    execv(a[0], a.data());
    _exit(127);
  }
  return c;
}

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

std::string ReadFile(const std::string& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const std::string& p, const std::string& text, mode_t mode = 0600) {
  const int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
  if (fd < 0) return;
  if (write(fd, text.data(), text.size()) < 0) perror("write");
  close(fd);
}

// CPU seconds (user + system) of a process so far, from /proc/<pid>/stat.
double CpuSeconds(pid_t pid) {
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream in(stat.substr(paren + 2));
  std::string f;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15; ++i) {
    in >> f;
    if (i == 14) utime = std::stoull(f);
    if (i == 15) stime = std::stoull(f);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double PeakRssMib(pid_t pid) {
  std::istringstream in(ReadFile("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

// ---- redis ------------------------------------------------------------------------------

struct Redis {
  redisContext* c = nullptr;
  ~Redis() {
    if (c) redisFree(c);
  }
};

bool ConnectRedis(Redis& r, int port, const std::string& sock) {
  for (int i = 0; i < 200; ++i) {
    r.c = sock.empty() ? redisConnect("127.0.0.1", port) : redisConnectUnix(sock.c_str());
    if (r.c && !r.c->err) {
      auto* rep = static_cast<redisReply*>(redisCommand(r.c, "PING"));
      const bool ok = rep && rep->type == REDIS_REPLY_STATUS;
      if (rep) freeReplyObject(rep);
      if (ok) return true;
    }
    if (r.c) redisFree(r.c);
    r.c = nullptr;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return false;
}

long long Int(redisContext* c, const char* fmt, const char* arg) {
  auto* r = static_cast<redisReply*>(redisCommand(c, fmt, arg));
  const long long v = r && r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
  if (r) freeReplyObject(r);
  return v;
}

void AppendArgv(redisContext* c, const std::vector<std::string>& argv) {
  std::vector<const char*> p;
  std::vector<size_t> l;
  for (auto& a : argv) {
    p.push_back(a.data());
    l.push_back(a.size());
  }
  redisAppendCommandArgv(c, static_cast<int>(argv.size()), p.data(), l.data());
}

void DrainReplies(redisContext* c, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    void* r = nullptr;
    if (redisGetReply(c, &r) != REDIS_OK) return;
    freeReplyObject(r);
  }
}

// ---- the environment of one run ----------------------------------------------------------

struct Env {
  std::string dir;
  int redis_port = 0;
  std::string redis_sock;
  int sim_port = 0;
  std::unique_ptr<Child> redis, sim, daemon;
  std::vector<std::pair<std::string, std::string>> keys;  // id, secret (raw)
};

bool StartRedis(Env& e, const Options& o) {
  e.redis_port = FreePort();
  std::vector<std::string> argv{"/usr/bin/redis-server", "--bind", "127.0.0.1", "--port", std::to_string(e.redis_port),
                                "--save", "", "--appendonly", o.aof ? "yes" : "no", "--appendfsync", "everysec",
                                "--dir", e.dir};
  if (o.redis_unix) {
    e.redis_sock = e.dir + "/redis.sock";
    argv.insert(argv.end(), {"--unixsocket", e.redis_sock, "--unixsocketperm", "700"});
  }
  e.redis = Spawn("redis-server", argv, e.dir + "/redis.log");
  Redis probe;
  return ConnectRedis(probe, e.redis_port, "");
}

RunSetup Setup(const Env& e, const Options& o) {
  RunSetup s;
  s.redis_port = e.redis_port;
  s.redis_unix = o.redis_unix;
  s.batch = o.batch;
  s.max_inflight = o.max_inflight;
  s.sim_port = e.sim_port;
  s.window = o.window;
  s.binds = o.binds;
  s.smsc_latency_ms = o.smsc_latency_ms;
  s.receipt_delay_ms = o.receipt_delay_ms;
  return s;
}

bool StartSimAndDaemon(Env& e, const Options& o) {
  std::vector<std::string> sim_argv{SD_BENCH_SIM};
  for (std::string& a : SimArguments(Setup(e, o), e.dir)) sim_argv.push_back(std::move(a));
  e.sim = Spawn("smsc-sim", sim_argv, e.dir + "/sim.log");
  for (int i = 0; i < 400 && ReadFile(e.dir + "/sim.port").empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const std::string port = ReadFile(e.dir + "/sim.port");
  if (port.empty()) return false;
  e.sim_port = std::stoi(port);
  std::ostringstream keys;
  for (const auto& [id, secret] : e.keys) keys << "[[key]]\nid = \"" << id << "\"\nsecret = \"" << HexEncode(secret) << "\"\n";
  WriteFile(e.dir + "/keys.toml", keys.str());
  WriteFile(e.dir + "/smpp.pw", "benchpw\n");
  WriteFile(e.dir + "/smsdispatchd.toml", DaemonConfigText(Setup(e, o)), 0644);
  e.daemon = Spawn("smsdispatchd", {SD_BENCH_DAEMON, "--config", e.dir + "/smsdispatchd.toml"}, e.dir + "/daemon.log");
  return true;
}

// A fresh snapshot of the simulator's counters: drop the file, ask for it (SIGUSR1), wait.
std::map<std::string, int64_t> SimStats(const Env& e) {
  const std::string path = e.dir + "/sim.json";
  unlink(path.c_str());
  kill(e.sim->pid, SIGUSR1);
  for (int i = 0; i < 200 && access(path.c_str(), R_OK) != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return ParseSimStats(ReadFile(path));
}

// ---- jobs ---------------------------------------------------------------------------------

struct SignedJob {
  std::string kid, job, sig;
  bool bad = false;  // forged signature: will be rejected, gets no receipt
};

std::vector<SignedJob> MakeJobs(const Options& o, const Env& e, uint64_t n, uint64_t seed,
                                MixCounts* counts) {
  OpenSslMac mac;
  std::mt19937_64 rng(seed);
  TextMaker texts(o.mix, seed);
  std::uniform_real_distribution<double> u(0, 1);
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  std::vector<SignedJob> jobs;
  jobs.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    const auto& [kid, secret] = e.keys[i % e.keys.size()];
    Job j;
    j.id = "b" + std::to_string(seed) + "-" + std::to_string(i);
    j.created_ms = now;
    j.expires_ms = now + 3'600'000;
    char num[32];
    snprintf(num, sizeof num, "+4915%09llu", static_cast<unsigned long long>(rng() % o.destinations));
    j.destination = num;
    j.sender = "BENCH";
    j.kind = JobKind::kOtp;
    MixedText t = texts.Next();
    counts->Add(t);
    j.text = std::move(t.text);
    SignedJob s{kid, EncodeJob(j), "", u(rng) < o.bad_share};
    s.sig = SignJob(mac, s.bad ? std::string(32, 'x') : secret, kid, "sd:jobs", s.job);
    jobs.push_back(std::move(s));
  }
  return jobs;
}

std::vector<std::string> XaddArgv(const SignedJob& j) {
  return {"XADD", "sd:jobs", "*", "v", "sd1", "kid", j.kid, "job", j.job, "sig", j.sig};
}

// Sends every job at `rate` per second (0 = as fast as pipelining allows).
void Produce(redisContext* c, const std::vector<SignedJob>& jobs, double rate, std::atomic<uint64_t>& sent) {
  const auto start = Clock::now();
  size_t i = 0;
  while (i < jobs.size()) {
    size_t due = jobs.size();
    if (rate > 0) {
      const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
      due = std::min(jobs.size(), static_cast<size_t>(elapsed * rate) + 1);
      if (due <= i) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        continue;
      }
    }
    const size_t end = std::min(due, i + 256);
    for (size_t k = i; k < end; ++k) AppendArgv(c, XaddArgv(jobs[k]));
    DrainReplies(c, end - i);
    i = end;
    sent.store(i, std::memory_order_relaxed);
  }
}

int64_t EntryMs(const std::string& id) { return std::stoll(id.substr(0, id.find('-'))); }

// Reads a whole stream, calling fn(entry id, fields).
void ScanStream(redisContext* c, const char* stream,
                const std::function<void(const std::string&, const std::map<std::string, std::string>&)>& fn) {
  std::string start = "-";
  while (true) {
    auto* r = static_cast<redisReply*>(redisCommand(c, "XRANGE %s %s + COUNT 5000", stream, start.c_str()));
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements == 0) {
      if (r) freeReplyObject(r);
      return;
    }
    std::string last;
    for (size_t i = 0; i < r->elements; ++i) {
      last.assign(r->element[i]->element[0]->str, r->element[i]->element[0]->len);
      std::map<std::string, std::string> f;
      const redisReply* kv = r->element[i]->element[1];
      for (size_t k = 0; k + 1 < kv->elements; k += 2) {
        f[std::string(kv->element[k]->str, kv->element[k]->len)] = std::string(kv->element[k + 1]->str, kv->element[k + 1]->len);
      }
      fn(last, f);
    }
    const bool more = r->elements == 5000;
    freeReplyObject(r);
    if (!more) return;
    start = "(" + last;
  }
}

// ---- the Redis ceiling ----------------------------------------------------------------------

CeilingResult MeasureCeiling(const Options& o, Env& e, const std::vector<SignedJob>& jobs) {
  Redis prod, cons;
  ConnectRedis(prod, e.redis_port, o.redis_unix ? e.redis_sock : "");
  ConnectRedis(cons, e.redis_port, o.redis_unix ? e.redis_sock : "");
  freeReplyObject(redisCommand(cons.c, "XGROUP CREATE sd:jobs ceiling 0 MKSTREAM"));
  std::atomic<uint64_t> sent{0};
  const auto start = Clock::now();
  std::thread producer([&] { Produce(prod.c, jobs, 0, sent); });
  // The daemon's Redis work per job, without the daemon: read in batches, then per entry an
  // outcome XADD and an XACK, and a receipt XADD.
  uint64_t done = 0;
  while (done < jobs.size()) {
    auto* r = static_cast<redisReply*>(redisCommand(cons.c, "XREADGROUP GROUP ceiling c COUNT %d BLOCK 100 STREAMS sd:jobs >",
                                                     o.batch));
    if (!r) break;
    size_t cmds = 0;
    if (r->type == REDIS_REPLY_ARRAY && r->elements > 0) {
      const redisReply* list = r->element[0]->element[1];
      for (size_t i = 0; i < list->elements; ++i) {
        const std::string id(list->element[i]->element[0]->str, list->element[i]->element[0]->len);
        AppendArgv(cons.c, {"XADD", "sd:outcomes", "*", "entry", id, "status", "submitted", "message_id", id});
        AppendArgv(cons.c, {"XACK", "sd:jobs", "ceiling", id});
        AppendArgv(cons.c, {"XADD", "sd:receipts", "*", "entry", id, "status", "delivered"});
        cmds += 3;
      }
      done += list->elements;
    }
    freeReplyObject(r);
    DrainReplies(cons.c, cmds);
  }
  producer.join();
  CeilingResult c;
  c.jobs = done;
  c.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  c.jobs_per_second = static_cast<double>(done) / c.seconds;
  freeReplyObject(redisCommand(cons.c, "FLUSHALL"));
  return c;
}

// ---- one daemon run ---------------------------------------------------------------------------

// Submitted outcomes so far: each gets exactly one receipt from the daemon (for a multipart
// job, one aggregated receipt once every part is final), rejected ones none.
uint64_t CountSubmitted(redisContext* c) {
  uint64_t n = 0;
  ScanStream(c, "sd:outcomes", [&](const std::string&, const std::map<std::string, std::string>& f) {
    auto it = f.find("status");
    if (it != f.end() && it->second == "submitted") ++n;
  });
  return n;
}

RunResult MeasureRun(const Options& o, Env& e, const std::vector<SignedJob>& jobs, const MixCounts& mix,
                     double rate) {
  RunResult res;
  res.jobs_gsm = mix.gsm;
  res.jobs_ucs2 = mix.ucs2;
  res.jobs_long = mix.long_texts;
  res.segments_generated = mix.segments;
  res.offered_rate = rate;
  res.label = rate > 0 ? "rate " + std::to_string(static_cast<long long>(rate)) + "/s" : "max";
  res.jobs = jobs.size();
  Redis prod, mon;
  ConnectRedis(prod, e.redis_port, o.redis_unix ? e.redis_sock : "");
  ConnectRedis(mon, e.redis_port, "");
  std::map<std::string, pid_t> pids{{"smsdispatchd", e.daemon->pid}, {"redis-server", e.redis->pid},
                                    {"smsc-sim", e.sim->pid}};
  std::map<std::string, double> cpu0;
  for (auto& [n, p] : pids) cpu0[n] = CpuSeconds(p);
  std::atomic<uint64_t> sent{0};
  const auto start = Clock::now();
  std::thread producer([&] { Produce(prod.c, jobs, rate, sent); });
  auto last_print = start;
  uint64_t outcomes = 0, receipts = 0;
  // Known once every outcome is in: the submitted ones (none without receipts at all).
  std::optional<uint64_t> expected_receipts;
  const auto deadline = start + std::chrono::seconds(30 + static_cast<int>(jobs.size() / 1000));
  while (Clock::now() < deadline) {
    // A daemon that refuses its configuration (say, a key this build does not know yet) or
    // dies ends the run now, with its own words, instead of at the deadline.
    int st = 0;
    if (e.daemon->pid > 0 && waitpid(e.daemon->pid, &st, WNOHANG) == e.daemon->pid) {
      e.daemon->pid = -1;
      fprintf(stderr, "smsdispatch-bench: smsdispatchd exited (%s %d); %s/daemon.log:\n%s\n",
              WIFEXITED(st) ? "status" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st),
              e.dir.c_str(), ReadFile(e.dir + "/daemon.log").substr(0, 2000).c_str());
      break;
    }
    outcomes = static_cast<uint64_t>(Int(mon.c, "XLEN %s", "sd:outcomes"));
    receipts = static_cast<uint64_t>(Int(mon.c, "XLEN %s", "sd:receipts"));
    // Receipts the daemon could not match (say one that overtook its own submit_sm_resp on
    // another bind) are quarantined, not written: they end the wait as well.
    receipts += static_cast<uint64_t>(Int(mon.c, "XLEN %s", "sd:receipts:unmatched"));
    const double t = std::chrono::duration<double>(Clock::now() - start).count();
    res.backlog.emplace_back(t, static_cast<int64_t>(sent.load()) - static_cast<int64_t>(outcomes));
    if (!o.quiet && Clock::now() - last_print >= std::chrono::seconds(1)) {
      last_print = Clock::now();
      fprintf(stderr, "  %s t=%.1fs enqueued=%llu outcomes=%llu receipts=%llu backlog=%lld (%.0f jobs/s)\n",
              res.label.c_str(), t, static_cast<unsigned long long>(sent.load()), static_cast<unsigned long long>(outcomes),
              static_cast<unsigned long long>(receipts), static_cast<long long>(sent.load()) - static_cast<long long>(outcomes),
              static_cast<double>(outcomes) / t);
    }
    if (outcomes >= jobs.size()) {
      if (!expected_receipts) expected_receipts = o.receipt_delay_ms < 0 ? 0 : CountSubmitted(mon.c);
      if (receipts >= *expected_receipts) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  producer.join();
  for (auto& [n, p] : pids) {
    ProcessUsage u;
    u.cpu_seconds = CpuSeconds(p) - cpu0[n];
    u.cpu_ms_per_1000_jobs = jobs.empty() ? 0 : u.cpu_seconds * 1000.0 * 1000.0 / static_cast<double>(jobs.size());
    u.peak_rss_mib = PeakRssMib(p);
    res.usage[n] = u;
  }
  // Latencies from the streams: enqueue time = the job entry id's milliseconds.
  std::vector<double> to_submit, to_receipt;
  int64_t first_enqueue = INT64_MAX, last_outcome = 0;
  ScanStream(mon.c, "sd:outcomes", [&](const std::string&, const std::map<std::string, std::string>& f) {
    ++res.outcomes;
    const int64_t enq = EntryMs(f.at("entry"));
    const int64_t ts = std::stoll(f.at("ts"));
    first_enqueue = std::min(first_enqueue, enq);
    last_outcome = std::max(last_outcome, ts);
    if (f.at("status") == "submitted") {
      ++res.submitted;
      to_submit.push_back(static_cast<double>(ts - enq));
      auto seg = f.find("segments");
      res.segments_submitted += seg == f.end() || seg->second.empty() ? 1 : std::stoull(seg->second);
    } else {
      ++res.rejected;
      auto reason = f.find("reason");
      ++res.rejected_by_reason[reason == f.end() ? std::string() : reason->second];
    }
  });
  // Receipts per job: the daemon writes one per submitted job (aggregated over a multipart
  // job's parts); should a job get more, it counts once, at its last receipt. The
  // simulator's per-part receipts are reported apart (smsc_receipts).
  std::unordered_map<std::string, int64_t> receipt_at;  // job entry -> last receipt ms
  int64_t last_receipt = 0;
  ScanStream(mon.c, "sd:receipts", [&](const std::string& id, const std::map<std::string, std::string>& f) {
    ++res.receipt_entries;
    int64_t& at = receipt_at[f.at("entry")];
    at = std::max(at, EntryMs(id));
    last_receipt = std::max(last_receipt, EntryMs(id));
  });
  res.receipts = receipt_at.size();
  res.receipts_unmatched = static_cast<uint64_t>(Int(mon.c, "XLEN %s", "sd:receipts:unmatched"));
  for (const auto& [entry, at] : receipt_at) to_receipt.push_back(static_cast<double>(at - EntryMs(entry)));
  // The SMSC's side: segments it accepted, receipts it sent (one per part), binds open now.
  const auto sim = SimStats(e);
  auto stat = [&sim](const char* name) {
    auto it = sim.find(name);
    return it == sim.end() ? 0 : static_cast<uint64_t>(std::max<int64_t>(0, it->second));
  };
  res.smsc_segments = stat("accepted_submits");
  res.smsc_receipts = stat("receipts_sent");
  res.binds_open = stat("bound_tx") + stat("bound_trx") + stat("bound_rx");
  res.bind_refusals = stat("bind_limit_refusals");
  res.seconds = first_enqueue == INT64_MAX ? 0 : static_cast<double>(last_outcome - first_enqueue) / 1000.0;
  res.jobs_per_second = res.seconds > 0 ? static_cast<double>(res.outcomes) / res.seconds : 0;
  const double rs = static_cast<double>(last_receipt - first_enqueue) / 1000.0;
  res.receipts_per_second = rs > 0 ? static_cast<double>(res.receipts) / rs : 0;
  res.enqueue_to_submit = ComputePercentiles(std::move(to_submit));
  res.enqueue_to_receipt = ComputePercentiles(std::move(to_receipt));
  return res;
}

std::string Commit() {
  FILE* p = popen("git rev-parse --short HEAD 2>/dev/null", "r");
  char buf[64] = {};
  if (p) {
    if (!fgets(buf, sizeof buf, p)) buf[0] = '\0';
    pclose(p);
  }
  std::string s = buf;
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s.empty() ? "unknown" : s;
}

std::string Machine() {
  std::string model;
  std::istringstream in(ReadFile("/proc/cpuinfo"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  return std::to_string(sysconf(_SC_NPROCESSORS_ONLN)) + " cores, " + model;
}

}  // namespace

int Main(int argc, char** argv) {
  Options o;
  bool mix_given = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) {
        fprintf(stderr, "smsdispatch-bench: %s needs a value\n", a.c_str());
        exit(2);
      }
      return argv[++i];
    };
    if (a == "--jobs") o.jobs = std::stoull(val());
    else if (a == "--rate") {
      std::stringstream ss(val());
      std::string r;
      while (std::getline(ss, r, ',')) o.rates.push_back(std::stod(r));
    } else if (a == "--window") o.window = std::stoi(val());
    else if (a == "--batch") o.batch = std::stoi(val());
    else if (a == "--max-inflight") o.max_inflight = std::stoi(val());
    else if (a == "--smsc-latency-ms") o.smsc_latency_ms = std::stoi(val());
    else if (a == "--receipt-delay-ms") o.receipt_delay_ms = std::stoi(val());
    else if (a == "--binds") o.binds = std::stoi(val());
    else if (a == "--mix" || a == "--ucs2-share") {
      if (mix_given) {
        fprintf(stderr, "smsdispatch-bench: give one of --mix and --ucs2-share, once\n");
        return 2;
      }
      mix_given = true;
      std::string text = val();
      if (a == "--ucs2-share") {
        const double f = std::stod(text);
        text = std::to_string(1 - f) + ":" + std::to_string(f) + ":0";
      }
      std::string error;
      const auto mix = ParseMix(text, &error);
      if (!mix) {
        fprintf(stderr, "smsdispatch-bench: %s: %s\n", a.c_str(), error.c_str());
        return 2;
      }
      o.mix = *mix;
    }
    else if (a == "--bad-share") o.bad_share = std::stod(val());
    else if (a == "--keys") o.keys = std::max(1, std::stoi(val()));
    else if (a == "--destinations") o.destinations = std::max<uint64_t>(1, std::stoull(val()));
    else if (a == "--redis-unix") o.redis_unix = true;
    else if (a == "--aof") o.aof = true;
    else if (a == "--results") o.results = val();
    else if (a == "--smoke") o.smoke = true;
    else if (a == "--quiet") o.quiet = true;
    else if (a == "--help" || a == "-h") {
      Usage(stdout);
      return 0;
    } else {
      fprintf(stderr, "smsdispatch-bench: unknown option %s\n", a.c_str());
      Usage(stderr);
      return 2;
    }
  }
  // The daemon has a bind limit of its own (carrier.binds); 64 is far beyond any SMSC's.
  if (o.binds < 1 || o.binds > 64) {
    fprintf(stderr, "smsdispatch-bench: --binds must be 1..64\n");
    return 2;
  }
  if (o.smoke) {
    o.jobs = 500;
    if (o.rates.empty()) o.rates = {1000, 2000};
  }
  signal(SIGPIPE, SIG_IGN);
  char tmpl[] = "/tmp/smsdispatch-bench.XXXXXX";
  const std::string work = mkdtemp(tmpl);

  Report report;
  {
    const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    char d[32];
    strftime(d, sizeof d, "%Y-%m-%d %H:%M:%S", gmtime(&now));
    report.date = d;
  }
  report.commit = Commit();
  report.machine = Machine();
  report.window = o.window;
  report.binds = o.binds;
  report.smsc_latency_ms = o.smsc_latency_ms;
  report.parameters = {{"jobs", std::to_string(o.jobs)}, {"window", std::to_string(o.window)},
                       {"binds", std::to_string(o.binds)}, {"batch", std::to_string(o.batch)},
                       {"max_inflight", std::to_string(o.max_inflight)},
                       {"smsc_latency_ms", std::to_string(o.smsc_latency_ms)},
                       {"receipt_delay_ms", std::to_string(o.receipt_delay_ms)},
                       {"mix", MixLabel(o.mix)}, {"bad_share", std::to_string(o.bad_share)},
                       {"keys", std::to_string(o.keys)}, {"destinations", std::to_string(o.destinations)},
                       {"redis", o.redis_unix ? "unix" : "tcp"}, {"aof", o.aof ? "on" : "off"},
                       {"daemon_threads", "1"}};

  std::vector<std::pair<std::string, std::string>> keys;
  for (int k = 0; k < o.keys; ++k) keys.emplace_back("bench" + std::to_string(k) + ".v1", RandomBytes(32));

  // 1. The Redis ceiling, on its own fresh redis-server.
  {
    Env e;
    e.dir = work + "/ceiling";
    mkdir(e.dir.c_str(), 0700);
    e.keys = keys;
    if (!StartRedis(e, o)) {
      fprintf(stderr, "smsdispatch-bench: redis-server did not start (%s/redis.log)\n", e.dir.c_str());
      return 1;
    }
    MixCounts mix;
    const auto jobs = MakeJobs(o, e, o.jobs, 1, &mix);
    fprintf(stderr, "redis ceiling: %llu jobs...\n", static_cast<unsigned long long>(o.jobs));
    report.ceiling = MeasureCeiling(o, e, jobs);
    fprintf(stderr, "redis ceiling: %.0f jobs/s\n", report.ceiling.jobs_per_second);
  }

  // 2. The daemon: one run per offered rate (fresh processes each), or one at max rate.
  std::vector<double> rates = o.rates.empty() ? std::vector<double>{0} : o.rates;
  int n = 0;
  bool complete = true;
  for (double rate : rates) {
    Env e;
    e.dir = work + "/run" + std::to_string(n);
    mkdir(e.dir.c_str(), 0700);
    e.keys = keys;
    if (!StartRedis(e, o) || !StartSimAndDaemon(e, o)) {
      fprintf(stderr, "smsdispatch-bench: could not start the processes (logs in %s)\n", e.dir.c_str());
      return 1;
    }
    MixCounts mix;
    const auto jobs = MakeJobs(o, e, o.jobs, static_cast<uint64_t>(100 + n), &mix);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // bind and group creation
    fprintf(stderr, "run %d: %s, %llu jobs\n", n, rate > 0 ? (std::to_string(static_cast<long long>(rate)) + " jobs/s").c_str() : "max rate",
            static_cast<unsigned long long>(o.jobs));
    RunResult r = MeasureRun(o, e, jobs, mix, rate);
    if (r.outcomes < r.jobs) {
      complete = false;
      fprintf(stderr, "smsdispatch-bench: only %llu of %llu outcomes (logs in %s)\n",
              static_cast<unsigned long long>(r.outcomes), static_cast<unsigned long long>(r.jobs), e.dir.c_str());
    }
    fprintf(stderr, "run %d: %.0f jobs/s, submit p50 %.1f p99 %.1f ms, receipt p99 %.1f ms\n", n, r.jobs_per_second,
            r.enqueue_to_submit.p50, r.enqueue_to_submit.p99, r.enqueue_to_receipt.p99);
    fprintf(stderr, "run %d: %llu jobs (%llu gsm, %llu ucs2, %llu long), %llu segments made, %llu submitted by the "
            "daemon, %llu accepted by the smsc; %llu job receipts (%llu unmatched), %llu smsc receipts; %llu binds "
            "open\n", n,
            static_cast<unsigned long long>(r.jobs), static_cast<unsigned long long>(r.jobs_gsm),
            static_cast<unsigned long long>(r.jobs_ucs2), static_cast<unsigned long long>(r.jobs_long),
            static_cast<unsigned long long>(r.segments_generated), static_cast<unsigned long long>(r.segments_submitted),
            static_cast<unsigned long long>(r.smsc_segments), static_cast<unsigned long long>(r.receipts),
            static_cast<unsigned long long>(r.receipts_unmatched),
            static_cast<unsigned long long>(r.smsc_receipts), static_cast<unsigned long long>(r.binds_open));
    report.runs.push_back(std::move(r));
    e.daemon->Stop();
    e.sim->Stop();
    e.redis->Stop();
    ++n;
  }

  // 3. Results.
  std::string stamp = report.date;
  for (char& c : stamp) c = (c == ' ' || c == ':') ? '-' : c;
  const std::string out = o.results + "/" + stamp;
  std::string mk = "mkdir -p '" + out + "'";
  if (system(mk.c_str()) != 0) {
    fprintf(stderr, "smsdispatch-bench: cannot create %s\n", out.c_str());
    return 1;
  }
  WriteFile(out + "/bench.json", ToJson(report), 0644);
  const std::string md = ToMarkdown(report);
  WriteFile(out + "/bench.md", md, 0644);
  const std::string svg = LatencySvg(report);
  if (!svg.empty()) WriteFile(out + "/latency.svg", svg, 0644);
  printf("%s\nresults: %s/\n", md.c_str(), out.c_str());
  std::string rm = "rm -rf '" + work + "'";
  if (complete && system(rm.c_str()) != 0) fprintf(stderr, "could not remove %s\n", work.c_str());
  return complete ? 0 : 1;
}

}  // namespace sd::bench

int main(int argc, char** argv) { return sd::bench::Main(argc, argv); }
