// smsdispatch-bench: starts redis-server, smsc-sim and smsdispatchd on free loopback ports,
// measures the Redis ceiling (the same Redis operations per job, no daemon), then drives signed
// jobs at fixed rates (a sweep) or as fast as possible, and writes JSON, markdown and an SVG.
// bench/README.md explains how to run it and read it.
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
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
#include "bench/e2e/sink_ceiling.h"
#include "core/envelope.h"
#include "core/hex.h"

namespace sd::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  uint64_t jobs = 20'000;     // per run
  double duration_s = 0;      // > 0: each run sends for this long instead (--duration)
  std::vector<double> rates;  // empty = one run as fast as possible
  int window = 256;
  int binds = 1;    // transmit/transceiver binds of the carrier (daemon config `binds`)
  int daemons = 1;  // smsdispatchd processes in the consumer group (the "daemon threads")
  int batch = 512;
  int linger_ms = 0;
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
  bool smoke = false;
  bool quiet = false;
};

void Usage(FILE* f) {
  fprintf(
      f,
      "usage: smsdispatch-bench [options]\n"
      "  --jobs N               jobs per run (20000)\n"
      "  --duration S           send for S seconds per run instead of a count (not with --jobs)\n"
      "  --rate R[,R...]        fixed offered rates in jobs/s: a sweep (default: one run, max "
      "rate)\n"
      "  --window N             SMPP window of each bind (256)\n"
      "  --binds N              transmit/transceiver binds to the simulator, per daemon (1)\n"
      "  --daemons N            smsdispatchd processes in one consumer group (1): the daemon is\n"
      "                         one event loop, so more cores means more daemons\n"
      "  --batch N              XREADGROUP batch (512)\n"
      "  --max-inflight N       daemon max_inflight (4096)\n"
      "  --max-unsettled N      the carrier's max_unsettled (window x binds; 0: no bound)\n"
      "  --linger-ms N          daemon read_linger_ms and write_linger_ms (0: next loop turn)\n"
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
      "  --redis HOST:PORT      use this running redis-server (ceiling and runs) instead of\n"
      "                         starting one; refuses if it holds keys named sd:*\n"
      "  --redis-socket PATH    the same over a Unix socket\n"
      "  --reuse                run although sd:* keys exist (they are never deleted)\n"
      "  --results DIR          where to write results/<date>-<time>/ (results)\n"
      "  --smoke                a few seconds, small numbers: proves the tool works\n");
}

// A timed run at max rate has no count; this bounds it anyway (with the backlog bound, it
// is reached only by a daemon faster than ~80,000 jobs/s over a minute).
constexpr uint64_t kMaxTimedJobs = 5'000'000;

std::string Fmt(const char* fmt, double v) {
  char b[64];
  snprintf(b, sizeof b, fmt, v);
  return b;
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

std::unique_ptr<Child> Spawn(const std::string& name, std::vector<std::string> argv,
                             const std::string& log) {
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

bool ConnectRedis(Redis& r, const std::string& host, int port, const std::string& sock) {
  for (int i = 0; i < 200; ++i) {
    r.c = sock.empty() ? redisConnect(host.c_str(), port) : redisConnectUnix(sock.c_str());
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

// Every key matching `pattern` (SCAN, so a big database is not blocked).
std::set<std::string> ScanKeys(redisContext* c, const char* pattern) {
  std::set<std::string> keys;
  std::string cursor = "0";
  do {
    auto* r = static_cast<redisReply*>(
        redisCommand(c, "SCAN %s MATCH %s COUNT 1000", cursor.c_str(), pattern));
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
      if (r) freeReplyObject(r);
      break;
    }
    cursor.assign(r->element[0]->str, r->element[0]->len);
    for (size_t i = 0; i < r->element[1]->elements; ++i) {
      keys.emplace(r->element[1]->element[i]->str, r->element[1]->element[i]->len);
    }
    freeReplyObject(r);
  } while (cursor != "0");
  return keys;
}

// The namespace of everything the daemon (key_prefix "sd:", its streams) and the bench write.
constexpr char kOurKeys[] = "sd:*";

// Deletes the keys in our namespace that were not there before: what this tool created. A
// key that was there (only with --reuse) is never deleted, even though entries were added.
void DeleteCreated(redisContext* c, const std::set<std::string>& before) {
  for (const std::string& k : ScanKeys(c, kOurKeys)) {
    if (before.count(k) == 0) freeReplyObject(redisCommand(c, "DEL %b", k.data(), k.size()));
  }
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
  std::string redis_host = "127.0.0.1";
  int redis_port = 0;  // 0: only the socket (--redis-socket)
  std::string redis_sock;
  bool load_over_socket = false;      // --redis-unix or --redis-socket
  std::set<std::string> keys_before;  // our namespace before the run: never deleted
  int sim_port = 0;
  std::unique_ptr<Child> redis, sim;
  std::vector<std::unique_ptr<Child>> daemons;            // --daemons N: one consumer each
  std::vector<std::pair<std::string, std::string>> keys;  // id, secret (raw)
};

bool ConnectRedis(Redis& r, const Env& e, bool over_socket) {
  return ConnectRedis(r, e.redis_host, e.redis_port,
                      over_socket || e.redis_port == 0 ? e.redis_sock : std::string());
}

// A redis-server of the run's own, or (--redis, --redis-socket) the one given.
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
  e.load_over_socket = o.redis_unix;
  e.redis_port = FreePort();
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
  e.redis = Spawn("redis-server", argv, e.dir + "/redis.log");
  Redis probe;
  return ConnectRedis(probe, e, false);
}

RunSetup Setup(const Env& e, const Options& o) {
  RunSetup s;
  s.redis_host = e.redis_host;
  s.redis_port = e.redis_port;
  s.redis_unix = o.redis_unix;
  s.redis_socket = o.redis_socket;
  s.batch = o.batch;
  s.linger_ms = o.linger_ms;
  s.max_inflight = o.max_inflight;
  s.sim_port = e.sim_port;
  s.window = o.window;
  s.binds = o.binds;
  s.max_unsettled = o.max_unsettled;
  s.smsc_latency_ms = o.smsc_latency_ms;
  s.receipt_delay_ms = o.receipt_delay_ms;
  s.daemons = o.daemons;
  return s;
}

bool StartSim(Env& e, const Options& o) {
  std::vector<std::string> sim_argv{SD_BENCH_SIM};
  for (std::string& a : SimArguments(Setup(e, o), e.dir)) sim_argv.push_back(std::move(a));
  e.sim = Spawn("smsc-sim", sim_argv, e.dir + "/sim.log");
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
  // N daemons in one consumer group: the same configuration but for the consumer name (two
  // daemons with one name would drain each other's pending entries).
  for (int k = 0; k < o.daemons; ++k) {
    RunSetup s = Setup(e, o);
    s.consumer = "bench" + std::to_string(k);
    const std::string cfg = e.dir + "/smsdispatchd" + std::to_string(k) + ".toml";
    WriteFile(cfg, DaemonConfigText(s), 0644);
    e.daemons.push_back(Spawn("smsdispatchd", {SD_BENCH_DAEMON, "--config", cfg},
                              e.dir + "/daemon" + std::to_string(k) + ".log"));
  }
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
  MixedText shape;   // its text's kind and segments (the text itself is in `job`)
};

// The jobs of one run, made in order. A run of a known count makes them all before it starts
// (so making them costs the producer nothing); a run "as fast as possible for a set time" does
// not know its count and makes each one as it is sent (a few microseconds: far above what the
// daemon takes).
class JobSource {
 public:
  JobSource(const Options& o, const std::vector<std::pair<std::string, std::string>>& keys,
            uint64_t seed, uint64_t limit, bool lazy)
      : o_(o),
        keys_(keys),
        seed_(seed),
        limit_(limit),
        lazy_(lazy),
        rng_(seed),
        texts_(o.mix, seed),
        now_ms_(std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count()) {
    if (!lazy_) {
      made_.reserve(limit_);
      for (uint64_t i = 0; i < limit_; ++i) made_.push_back(Make(i));
    }
  }
  uint64_t limit() const { return limit_; }
  // Job i; the producer asks for them in order, once each. Counted as it is taken, so the mix
  // describes the jobs sent (a timed run may stop before its last one).
  const SignedJob& Get(uint64_t i) {
    if (lazy_) current_ = Make(i);
    const SignedJob& j = lazy_ ? current_ : made_[i];
    mix_.Add(j.shape);
    return j;
  }
  const MixCounts& mix() const { return mix_; }

 private:
  SignedJob Make(uint64_t i) {
    const auto& [kid, secret] = keys_[i % keys_.size()];
    Job j;
    j.id = "b" + std::to_string(seed_) + "-" + std::to_string(i);
    j.created_ms = now_ms_;
    j.expires_ms = now_ms_ + 3'600'000;
    char num[32];
    snprintf(num, sizeof num, "+4915%09llu",
             static_cast<unsigned long long>(rng_() % o_.destinations));
    j.destination = num;
    j.sender = "BENCH";
    j.kind = JobKind::kOtp;
    MixedText t = texts_.Next();
    j.text = std::move(t.text);
    SignedJob s{kid, EncodeJob(j), "", u_(rng_) < o_.bad_share, MixedText{t.kind, {}, t.segments}};
    s.sig = SignJob(mac_, s.bad ? std::string(32, 'x') : secret, kid, "sd:jobs", s.job);
    return s;
  }

  const Options& o_;
  const std::vector<std::pair<std::string, std::string>>& keys_;
  uint64_t seed_, limit_;
  bool lazy_;
  OpenSslMac mac_;
  std::mt19937_64 rng_;
  TextMaker texts_;
  std::uniform_real_distribution<double> u_{0, 1};
  int64_t now_ms_;
  MixCounts mix_;
  std::vector<SignedJob> made_;
  SignedJob current_;
};

std::vector<std::string> XaddArgv(const std::string& stream, const SignedJob& j) {
  return {"XADD", stream, "*", "v", "sd1", "kid", j.kid, "job", j.job, "sig", j.sig};
}

// What the producer shares with the thread that watches the run.
struct ProducerState {
  std::atomic<uint64_t> sent{0};
  std::atomic<bool> done{false};
  std::atomic<bool> stop{false};  // the watcher gave up (a daemon died): send no more
  // Outcomes seen so far (written by the watcher): at max rate for a set time the producer
  // keeps at most max_backlog jobs ahead of them, so that "as fast as possible" measures what
  // the daemon sustains instead of filling Redis's memory for the whole duration.
  std::atomic<uint64_t> outcomes{0};
  uint64_t max_backlog = 0;  // 0 = no bound (a run of a known count)
  // At a fixed rate, each job's entry id and the wall-clock millisecond the schedule meant to
  // send it (start + i / rate). A producer that falls behind (Redis slow to answer, the
  // machine busy) sends late; the entry id then carries the late time and enqueue->submit
  // hides the wait: coordinated omission. intended->submit keeps it.
  std::vector<std::pair<std::string, int64_t>> intended;
};

// Sends jobs at `rate` per second (0 = as fast as pipelining allows) until the source is
// exhausted or `stop_at` has passed, whichever comes first.
void Produce(redisContext* c, const std::string& stream, JobSource& src, double rate,
             Clock::time_point stop_at, ProducerState& st) {
  const auto start = Clock::now();
  const double wall_start_ms =
      static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count()) /
      1000.0;
  if (rate > 0)
    st.intended.reserve(static_cast<size_t>(std::min<uint64_t>(src.limit(), 50'000'000)));
  uint64_t i = 0;
  while (i < src.limit() && Clock::now() < stop_at && !st.stop.load(std::memory_order_relaxed)) {
    uint64_t due = src.limit();
    if (rate > 0) {
      const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
      due = std::min(src.limit(), static_cast<uint64_t>(elapsed * rate) + 1);
    } else if (st.max_backlog > 0) {
      due = std::min(due, st.outcomes.load(std::memory_order_relaxed) + st.max_backlog);
    }
    if (due <= i) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      continue;
    }
    const uint64_t end = std::min(due, i + 256);
    for (uint64_t k = i; k < end; ++k) AppendArgv(c, XaddArgv(stream, src.Get(k)));
    for (uint64_t k = i; k < end; ++k) {
      void* r = nullptr;
      if (redisGetReply(c, &r) != REDIS_OK) break;
      auto* reply = static_cast<redisReply*>(r);
      if (rate > 0 && reply->type == REDIS_REPLY_STRING) {
        st.intended.emplace_back(std::string(reply->str, reply->len),
                                 static_cast<int64_t>(std::floor(
                                     wall_start_ms + 1000.0 * static_cast<double>(k) / rate)));
      }
      freeReplyObject(reply);
    }
    i = end;
    st.sent.store(i, std::memory_order_relaxed);
  }
  st.done.store(true);
}

int64_t EntryMs(const std::string& id) { return std::stoll(id.substr(0, id.find('-'))); }

// Reads a whole stream, calling fn(entry id, fields).
void ScanStream(
    redisContext* c, const char* stream,
    const std::function<void(const std::string&, const std::map<std::string, std::string>&)>& fn,
    const std::string& after = "") {
  std::string start = after.empty() ? "-" : "(" + after;
  while (true) {
    auto* r = static_cast<redisReply*>(
        redisCommand(c, "XRANGE %s %s + COUNT 5000", stream, start.c_str()));
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
        f[std::string(kv->element[k]->str, kv->element[k]->len)] =
            std::string(kv->element[k + 1]->str, kv->element[k + 1]->len);
      }
      fn(last, f);
    }
    const bool more = r->elements == 5000;
    freeReplyObject(r);
    if (!more) return;
    start = "(" + last;
  }
}

// The ceiling's streams are its own, so that it never feeds the daemon's stream (which, with
// --reuse, may outlive the ceiling); they are in our namespace and deleted afterwards.
constexpr char kCeilingJobs[] = "sd:bench:ceiling:jobs";
constexpr char kCeilingOutcomes[] = "sd:bench:ceiling:outcomes";
constexpr char kCeilingReceipts[] = "sd:bench:ceiling:receipts";

// ---- the Redis ceiling ----------------------------------------------------------------------

CeilingResult MeasureCeiling(const Options& o, Env& e, JobSource& jobs) {
  Redis prod, cons;
  ConnectRedis(prod, e, e.load_over_socket);
  ConnectRedis(cons, e, e.load_over_socket);
  freeReplyObject(redisCommand(cons.c, "XGROUP CREATE %s ceiling $ MKSTREAM", kCeilingJobs));
  ProducerState st;
  const auto start = Clock::now();
  std::thread producer(
      [&] { Produce(prod.c, kCeilingJobs, jobs, 0, Clock::time_point::max(), st); });
  // The daemon's Redis work per job, without the daemon: read in batches, then per entry an
  // outcome XADD and an XACK, and a receipt XADD.
  uint64_t done = 0;
  while (done < jobs.limit()) {
    auto* r = static_cast<redisReply*>(
        redisCommand(cons.c, "XREADGROUP GROUP ceiling c COUNT %d BLOCK 100 STREAMS %s >", o.batch,
                     kCeilingJobs));
    if (!r) break;
    size_t cmds = 0;
    if (r->type == REDIS_REPLY_ARRAY && r->elements > 0) {
      const redisReply* list = r->element[0]->element[1];
      for (size_t i = 0; i < list->elements; ++i) {
        const std::string id(list->element[i]->element[0]->str, list->element[i]->element[0]->len);
        AppendArgv(cons.c, {"XADD", kCeilingOutcomes, "*", "entry", id, "status", "submitted",
                            "message_id", id});
        AppendArgv(cons.c, {"XACK", kCeilingJobs, "ceiling", id});
        AppendArgv(cons.c, {"XADD", kCeilingReceipts, "*", "entry", id, "status", "delivered"});
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
  DeleteCreated(cons.c, e.keys_before);
  return c;
}

// The daemons' consumer group as Redis sees it (XINFO GROUPS: one small reply per sample),
// with its lag checked against the stream (CheckedLag: Redis's lag can be NULL or wrong).
BacklogSample GroupBacklog(redisContext* c) {
  BacklogSample b;
  int64_t reported_lag = -1;
  std::string last_delivered;
  auto* r = static_cast<redisReply*>(redisCommand(c, "XINFO GROUPS sd:jobs"));
  if (r && r->type == REDIS_REPLY_ARRAY) {
    for (size_t g = 0; g < r->elements; ++g) {
      const redisReply* kv = r->element[g];
      if (kv->type != REDIS_REPLY_ARRAY) continue;
      std::map<std::string, const redisReply*> f;
      for (size_t k = 0; k + 1 < kv->elements; k += 2) {
        f[std::string(kv->element[k]->str, kv->element[k]->len)] = kv->element[k + 1];
      }
      auto name = f.find("name");
      if (name == f.end() || std::string(name->second->str, name->second->len) != "smsdispatch")
        continue;
      auto pending = f.find("pending"), lag = f.find("lag"), last = f.find("last-delivered-id");
      if (pending != f.end() && pending->second->type == REDIS_REPLY_INTEGER)
        b.pending = pending->second->integer;
      if (lag != f.end() && lag->second->type == REDIS_REPLY_INTEGER)
        reported_lag = lag->second->integer;
      if (last != f.end() && last->second->type == REDIS_REPLY_STRING)
        last_delivered.assign(last->second->str, last->second->len);
    }
  }
  if (r) freeReplyObject(r);
  if (b.pending < 0) return b;  // no group (yet)
  // The newest entry: when the group has read it, nothing is unread, whatever lag says.
  bool read_to_end = false;
  auto* top = static_cast<redisReply*>(redisCommand(c, "XREVRANGE sd:jobs + - COUNT 1"));
  if (top && top->type == REDIS_REPLY_ARRAY) {
    if (top->elements == 0) {
      read_to_end = true;
    } else if (top->element[0]->type == REDIS_REPLY_ARRAY && top->element[0]->elements > 0 &&
               top->element[0]->element[0]->type == REDIS_REPLY_STRING) {
      const redisReply* id = top->element[0]->element[0];
      read_to_end = StreamIdAtOrAfter(last_delivered, std::string_view(id->str, id->len));
    }
  }
  if (top) freeReplyObject(top);
  b.lag = CheckedLag(reported_lag, b.pending, Int(c, "XLEN %s", "sd:jobs"), read_to_end);
  return b;
}

std::string DaemonName(size_t k) { return "smsdispatchd#" + std::to_string(k); }

// ---- one daemon run ---------------------------------------------------------------------------

// Submitted outcomes so far: each gets exactly one receipt from the daemon (for a multipart
// job, one aggregated receipt once every part is final), rejected ones none.
uint64_t CountSubmitted(redisContext* c, const std::string& after) {
  uint64_t n = 0;
  ScanStream(
      c, "sd:outcomes",
      [&](const std::string&, const std::map<std::string, std::string>& f) {
        auto it = f.find("status");
        if (it != f.end() && it->second == "submitted") ++n;
      },
      after);
  return n;
}

// What the result streams held before a run (nothing, unless --reuse): lengths to subtract
// and the last ids to read after.
struct Baseline {
  long long outcomes = 0, receipts = 0, unmatched = 0;
  std::string outcomes_last, receipts_last;
};

std::string LastId(redisContext* c, const char* stream) {
  auto* r = static_cast<redisReply*>(redisCommand(c, "XREVRANGE %s + - COUNT 1", stream));
  std::string id;
  if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1) {
    id.assign(r->element[0]->element[0]->str, r->element[0]->element[0]->len);
  }
  if (r) freeReplyObject(r);
  return id;
}

Baseline TakeBaseline(redisContext* c) {
  Baseline b;
  b.outcomes = Int(c, "XLEN %s", "sd:outcomes");
  b.receipts = Int(c, "XLEN %s", "sd:receipts");
  b.unmatched = Int(c, "XLEN %s", "sd:receipts:unmatched");
  b.outcomes_last = LastId(c, "sd:outcomes");
  b.receipts_last = LastId(c, "sd:receipts");
  return b;
}

// used_cpu_sys + used_cpu_user of INFO cpu: the server's own CPU seconds so far.
double RedisCpuSeconds(redisContext* c) {
  auto* r = static_cast<redisReply*>(redisCommand(c, "INFO cpu"));
  double total = 0;
  if (r && r->type == REDIS_REPLY_STRING) {
    std::istringstream in(std::string(r->str, r->len));
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("used_cpu_sys:", 0) == 0 || line.rfind("used_cpu_user:", 0) == 0) {
        total += std::stod(line.substr(line.find(':') + 1));
      }
    }
  }
  if (r) freeReplyObject(r);
  return total;
}

// The server's resident set now, from INFO memory (used_memory_rss): a server this tool did
// not start has no /proc peak it may read.
double RedisRssMib(redisContext* c) {
  auto* r = static_cast<redisReply*>(redisCommand(c, "INFO memory"));
  double mib = 0;
  if (r && r->type == REDIS_REPLY_STRING) {
    std::istringstream in(std::string(r->str, r->len));
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("used_memory_rss:", 0) == 0)
        mib = std::stod(line.substr(16)) / (1024.0 * 1024.0);
    }
  }
  if (r) freeReplyObject(r);
  return mib;
}

RunResult MeasureRun(const Options& o, Env& e, JobSource& jobs, double rate) {
  RunResult res;
  res.offered_rate = rate;
  res.label = rate > 0 ? "rate " + std::to_string(static_cast<long long>(rate)) + "/s" : "max";
  Redis prod, mon;
  ConnectRedis(prod, e, e.load_over_socket);
  ConnectRedis(mon, e, false);
  // With --reuse the streams may hold entries from before: count and read only what follows.
  const Baseline base = TakeBaseline(mon.c);
  std::map<std::string, pid_t> pids{{"smsc-sim", e.sim->pid}};
  // Redis's CPU from its own INFO cpu (works for a server this tool did not start).
  const double redis_cpu0 = RedisCpuSeconds(mon.c);
  for (size_t k = 0; k < e.daemons.size(); ++k) pids[DaemonName(k)] = e.daemons[k]->pid;
  std::map<std::string, double> cpu0;
  for (auto& [n, p] : pids) cpu0[n] = CpuSeconds(p);
  ProducerState ps;
  // At max rate for a set time: a backlog of a few seconds of the daemon's work is plenty.
  if (rate == 0 && o.duration_s > 0) ps.max_backlog = 50'000;
  const std::atomic<uint64_t>& sent = ps.sent;
  const auto start = Clock::now();
  const auto stop_at = o.duration_s > 0 ? start + std::chrono::duration_cast<Clock::duration>(
                                                      std::chrono::duration<double>(o.duration_s))
                                        : Clock::time_point::max();
  std::thread producer([&] { Produce(prod.c, "sd:jobs", jobs, rate, stop_at, ps); });
  auto last_print = start;
  uint64_t outcomes = 0, receipts = 0;
  // Known once every outcome is in: the submitted ones (none without receipts at all).
  std::optional<uint64_t> expected_receipts;
  // Sending is bounded by count or time; once it is over, the rest drains for at most 30 s
  // plus a second per 1,000 jobs.
  std::optional<Clock::time_point> deadline;
  while (!deadline || Clock::now() < *deadline) {
    // A daemon that refuses its configuration (say, a key this build does not know yet) or
    // dies ends the run now, with its own words, instead of at the deadline.
    bool exited = false;
    for (size_t k = 0; k < e.daemons.size(); ++k) {
      Child& d = *e.daemons[k];
      int st = 0;
      if (d.pid > 0 && waitpid(d.pid, &st, WNOHANG) == d.pid) {
        d.pid = -1;
        const std::string log = e.dir + "/daemon" + std::to_string(k) + ".log";
        fprintf(stderr, "smsdispatch-bench: smsdispatchd %zu exited (%s %d); %s:\n%s\n", k,
                WIFEXITED(st) ? "status" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st),
                log.c_str(), ReadFile(log).substr(0, 2000).c_str());
        exited = true;
      }
    }
    if (exited) break;
    outcomes = static_cast<uint64_t>(Int(mon.c, "XLEN %s", "sd:outcomes") - base.outcomes);
    receipts = static_cast<uint64_t>(Int(mon.c, "XLEN %s", "sd:receipts") - base.receipts);
    // Receipts the daemon could not match (say one that overtook its own submit_sm_resp on
    // another bind) are quarantined, not written: they end the wait as well.
    receipts +=
        static_cast<uint64_t>(Int(mon.c, "XLEN %s", "sd:receipts:unmatched") - base.unmatched);
    const double t = std::chrono::duration<double>(Clock::now() - start).count();
    BacklogSample b = GroupBacklog(mon.c);
    b.t = t;
    b.outstanding = static_cast<int64_t>(sent.load()) - static_cast<int64_t>(outcomes);
    res.backlog.push_back(b);
    if (!o.quiet && Clock::now() - last_print >= std::chrono::seconds(1)) {
      last_print = Clock::now();
      fprintf(stderr,
              "  %s t=%.1fs enqueued=%llu outcomes=%llu receipts=%llu backlog=%lld (%.0f jobs/s)\n",
              res.label.c_str(), t, static_cast<unsigned long long>(sent.load()),
              static_cast<unsigned long long>(outcomes), static_cast<unsigned long long>(receipts),
              static_cast<long long>(sent.load()) - static_cast<long long>(outcomes),
              static_cast<double>(outcomes) / t);
    }
    ps.outcomes.store(outcomes, std::memory_order_relaxed);
    if (ps.done.load() && !deadline) {
      deadline = Clock::now() + std::chrono::seconds(30 + static_cast<int>(sent.load() / 1000));
    }
    if (ps.done.load() && outcomes >= sent.load()) {
      if (!expected_receipts)
        expected_receipts = o.receipt_delay_ms < 0 ? 0 : CountSubmitted(mon.c, base.outcomes_last);
      if (receipts >= *expected_receipts) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ps.stop.store(true);
  producer.join();
  res.jobs = sent.load();
  res.jobs_gsm = jobs.mix().gsm;
  res.jobs_ucs2 = jobs.mix().ucs2;
  res.jobs_long = jobs.mix().long_texts;
  res.segments_generated = jobs.mix().segments;
  for (auto& [n, p] : pids) {
    ProcessUsage u;
    u.cpu_seconds = CpuSeconds(p) - cpu0[n];
    u.cpu_ms_per_1000_jobs =
        res.jobs == 0 ? 0 : u.cpu_seconds * 1000.0 * 1000.0 / static_cast<double>(res.jobs);
    u.peak_rss_mib = PeakRssMib(p);
    res.usage[n] = u;
  }
  {
    ProcessUsage u;
    u.cpu_seconds = RedisCpuSeconds(mon.c) - redis_cpu0;
    u.cpu_ms_per_1000_jobs =
        res.jobs == 0 ? 0 : u.cpu_seconds * 1e6 / static_cast<double>(res.jobs);
    u.peak_rss_mib = e.redis ? PeakRssMib(e.redis->pid) : RedisRssMib(mon.c);
    res.usage["redis-server"] = u;
  }
  // The daemons one by one and summed: "smsdispatchd" is the sum (CPU per job of all of them,
  // RSS added up), what the sizing model reads.
  ProcessUsage sum;
  for (size_t k = 0; k < e.daemons.size(); ++k) {
    auto it = res.usage.find(DaemonName(k));
    res.daemon_usage.push_back(it->second);
    sum.cpu_seconds += it->second.cpu_seconds;
    sum.cpu_ms_per_1000_jobs += it->second.cpu_ms_per_1000_jobs;
    sum.peak_rss_mib += it->second.peak_rss_mib;
    res.usage.erase(it);
  }
  res.usage["smsdispatchd"] = sum;
  res.daemons = static_cast<int>(e.daemons.size());
  // Latencies from the streams: enqueue time = the job entry id's milliseconds.
  std::vector<double> to_submit, to_receipt, intended_to_submit;
  std::unordered_map<std::string, int64_t> intended_at(ps.intended.begin(), ps.intended.end());
  int64_t first_enqueue = INT64_MAX, last_outcome = 0;
  ScanStream(
      mon.c, "sd:outcomes",
      [&](const std::string&, const std::map<std::string, std::string>& f) {
        ++res.outcomes;
        const int64_t enq = EntryMs(f.at("entry"));
        const int64_t ts = std::stoll(f.at("ts"));
        first_enqueue = std::min(first_enqueue, enq);
        last_outcome = std::max(last_outcome, ts);
        if (f.at("status") == "submitted") {
          ++res.submitted;
          to_submit.push_back(static_cast<double>(ts - enq));
          auto in = intended_at.find(f.at("entry"));
          if (in != intended_at.end())
            intended_to_submit.push_back(
                static_cast<double>(std::max<int64_t>(0, ts - in->second)));
          auto seg = f.find("segments");
          res.segments_submitted +=
              seg == f.end() || seg->second.empty() ? 1 : std::stoull(seg->second);
        } else {
          ++res.rejected;
          auto reason = f.find("reason");
          ++res.rejected_by_reason[reason == f.end() ? std::string() : reason->second];
        }
      },
      base.outcomes_last);
  // Receipts per job: the daemon writes one per submitted job (aggregated over a multipart
  // job's parts); should a job get more, it counts once, at its last receipt. The
  // simulator's per-part receipts are reported apart (smsc_receipts).
  std::unordered_map<std::string, int64_t> receipt_at;  // job entry -> last receipt ms
  int64_t last_receipt = 0;
  ScanStream(
      mon.c, "sd:receipts",
      [&](const std::string& id, const std::map<std::string, std::string>& f) {
        ++res.receipt_entries;
        int64_t& at = receipt_at[f.at("entry")];
        at = std::max(at, EntryMs(id));
        last_receipt = std::max(last_receipt, EntryMs(id));
      },
      base.receipts_last);
  res.receipts = receipt_at.size();
  res.receipts_unmatched =
      static_cast<uint64_t>(Int(mon.c, "XLEN %s", "sd:receipts:unmatched") - base.unmatched);
  for (const auto& [entry, at] : receipt_at)
    to_receipt.push_back(static_cast<double>(at - EntryMs(entry)));
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
  res.seconds =
      first_enqueue == INT64_MAX ? 0 : static_cast<double>(last_outcome - first_enqueue) / 1000.0;
  res.jobs_per_second = res.seconds > 0 ? static_cast<double>(res.outcomes) / res.seconds : 0;
  const double rs = static_cast<double>(last_receipt - first_enqueue) / 1000.0;
  res.receipts_per_second = rs > 0 ? static_cast<double>(res.receipts) / rs : 0;
  res.enqueue_to_submit = ComputePercentiles(std::move(to_submit));
  res.intended_to_submit = ComputePercentiles(std::move(intended_to_submit));
  res.enqueue_to_receipt = ComputePercentiles(std::move(to_receipt));
  return res;
}

// The commit of the source tree the binaries were built from (not of the directory the tool
// runs in: a side-by-side run of two builds must label each with its own), "-dirty" when that
// tree has uncommitted changes.
std::string Commit() {
  FILE* p = popen(
      "git -C '" SD_BENCH_SOURCE_DIR "' describe --always --dirty --abbrev=7 2>/dev/null", "r");
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
  bool jobs_given = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) {
        fprintf(stderr, "smsdispatch-bench: %s needs a value\n", a.c_str());
        exit(2);
      }
      return argv[++i];
    };
    if (a == "--jobs") {
      o.jobs = std::stoull(val());
      jobs_given = true;
    } else if (a == "--duration") {
      o.duration_s = std::stod(val());
      if (!(o.duration_s > 0 && o.duration_s <= 86'400)) {
        fprintf(stderr, "smsdispatch-bench: --duration must be 0 < S <= 86400 seconds\n");
        return 2;
      }
    } else if (a == "--rate") {
      std::stringstream ss(val());
      std::string r;
      while (std::getline(ss, r, ',')) o.rates.push_back(std::stod(r));
    } else if (a == "--window")
      o.window = std::stoi(val());
    else if (a == "--batch")
      o.batch = std::stoi(val());
    else if (a == "--linger-ms")
      o.linger_ms = std::stoi(val());
    else if (a == "--max-inflight")
      o.max_inflight = std::stoi(val());
    else if (a == "--max-unsettled")
      o.max_unsettled = std::stoi(val());
    else if (a == "--smsc-latency-ms")
      o.smsc_latency_ms = std::stoi(val());
    else if (a == "--receipt-delay-ms")
      o.receipt_delay_ms = std::stoi(val());
    else if (a == "--binds")
      o.binds = std::stoi(val());
    else if (a == "--daemons")
      o.daemons = std::stoi(val());
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
    } else if (a == "--bad-share")
      o.bad_share = std::stod(val());
    else if (a == "--keys")
      o.keys = std::max(1, std::stoi(val()));
    else if (a == "--destinations")
      o.destinations = std::max<uint64_t>(1, std::stoull(val()));
    else if (a == "--redis-unix")
      o.redis_unix = true;
    else if (a == "--aof")
      o.aof = true;
    else if (a == "--redis") {
      const std::string v = val();
      const size_t colon = v.rfind(':');
      char* end = nullptr;
      const long port = colon == std::string::npos ? 0 : strtol(v.c_str() + colon + 1, &end, 10);
      if (colon == 0 || colon == std::string::npos || end == nullptr || *end != '\0' || port < 1 ||
          port > 65535) {
        fprintf(stderr,
                "smsdispatch-bench: --redis wants HOST:PORT, e.g. 127.0.0.1:6379 (got %s)\n",
                v.c_str());
        return 2;
      }
      o.redis_host = v.substr(0, colon);
      o.redis_port = static_cast<int>(port);
    } else if (a == "--redis-socket")
      o.redis_socket = val();
    else if (a == "--reuse")
      o.reuse = true;
    else if (a == "--results")
      o.results = val();
    else if (a == "--smoke")
      o.smoke = true;
    else if (a == "--quiet")
      o.quiet = true;
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
  // More daemons than a few times the cores only measures the scheduler.
  if (o.daemons < 1 || o.daemons > 16) {
    fprintf(stderr, "smsdispatch-bench: --daemons must be 1..16\n");
    return 2;
  }
  if (!o.redis_host.empty() && !o.redis_socket.empty()) {
    fprintf(stderr, "smsdispatch-bench: give --redis or --redis-socket, not both\n");
    return 2;
  }
  if (o.connect() && (o.redis_unix || o.aof)) {
    fprintf(stderr,
            "smsdispatch-bench: --redis-unix and --aof configure a redis-server the tool starts; "
            "with --redis/--redis-socket the server is yours\n");
    return 2;
  }
  if (o.reuse && !o.connect()) {
    fprintf(stderr, "smsdispatch-bench: --reuse only applies to --redis/--redis-socket\n");
    return 2;
  }
  if (jobs_given && o.duration_s > 0) {
    fprintf(stderr,
            "smsdispatch-bench: give --jobs N (a count) or --duration S (a time), not both\n");
    return 2;
  }
  if (o.smoke) {
    if (!jobs_given) o.jobs = 500;
    if (o.rates.empty()) o.rates = {1000, 2000};
  }
  signal(SIGPIPE, SIG_IGN);
  if (o.connect()) {
    // Never destroy what this tool did not create: if the daemon's or the bench's keys are
    // there, they are someone's data (or an earlier run's), and a run would mix with them.
    Env probe_env;
    probe_env.redis_host = o.redis_host;
    probe_env.redis_port = o.redis_port;
    probe_env.redis_sock = o.redis_socket;
    Redis probe;
    if (!ConnectRedis(probe, probe_env, !o.redis_socket.empty())) {
      fprintf(stderr, "smsdispatch-bench: cannot reach redis at %s\n",
              o.redis_socket.empty() ? (o.redis_host + ":" + std::to_string(o.redis_port)).c_str()
                                     : o.redis_socket.c_str());
      return 1;
    }
    const std::set<std::string> existing = ScanKeys(probe.c, kOurKeys);
    if (!existing.empty() && !o.reuse) {
      std::string names;
      int shown = 0;
      for (const std::string& k : existing) {
        if (shown++ == 10) {
          names += ", ...";
          break;
        }
        names += (names.empty() ? "" : ", ") + k;
      }
      fprintf(
          stderr,
          "smsdispatch-bench: the redis server already holds %zu key(s) the daemon and the bench "
          "use: %s. Not touching them: delete them, use another server, or pass --reuse to run "
          "alongside them (they are then never deleted; the bench adds entries to them).\n",
          existing.size(), names.c_str());
      return 2;
    }
  }
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
  report.daemons = o.daemons;
  report.smsc_latency_ms = o.smsc_latency_ms;
  report.parameters = {
      {"jobs", o.duration_s > 0 ? "timed" : std::to_string(o.jobs)},
      {"duration_s", o.duration_s > 0 ? Fmt("%g", o.duration_s) : "none"},
      {"window", std::to_string(o.window)},
      {"binds", std::to_string(o.binds)},
      {"batch", std::to_string(o.batch)},
      {"linger_ms", std::to_string(o.linger_ms)},
      {"max_inflight", std::to_string(o.max_inflight)},
      {"max_unsettled", o.max_unsettled < 0 ? "window x binds" : std::to_string(o.max_unsettled)},
      {"smsc_latency_ms", std::to_string(o.smsc_latency_ms)},
      {"receipt_delay_ms", std::to_string(o.receipt_delay_ms)},
      {"mix", MixLabel(o.mix)},
      {"bad_share", std::to_string(o.bad_share)},
      {"keys", std::to_string(o.keys)},
      {"destinations", std::to_string(o.destinations)},
      {"redis", o.connect()    ? (o.redis_socket.empty() ? "connect tcp" : "connect unix")
                : o.redis_unix ? "unix"
                               : "tcp"},
      {"aof", o.aof ? "on" : "off"},
      {"daemons", std::to_string(o.daemons)}};

  std::vector<std::pair<std::string, std::string>> keys;
  for (int k = 0; k < o.keys; ++k)
    keys.emplace_back("bench" + std::to_string(k) + ".v1", RandomBytes(32));

  // 1. The Redis ceiling, on its own fresh redis-server.
  {
    Env e;
    e.dir = work + "/ceiling";
    mkdir(e.dir.c_str(), 0700);
    e.keys = keys;
    if (!StartRedis(e, o)) {
      fprintf(stderr, "smsdispatch-bench: redis-server did not start (%s/redis.log)\n",
              e.dir.c_str());
      return 1;
    }
    // A count even when the runs are timed (--duration): the ceiling is a rate, and o.jobs
    // (20,000 unless given) is enough to measure it.
    JobSource jobs(o, keys, 1, o.jobs, /*lazy=*/false);
    fprintf(stderr, "redis ceiling: %llu jobs...\n", static_cast<unsigned long long>(o.jobs));
    report.ceiling = MeasureCeiling(o, e, jobs);
    fprintf(stderr, "redis ceiling: %.0f jobs/s\n", report.ceiling.jobs_per_second);
  }

  // 1b. What the simulator sinks on its own (same binds, window, latency, receipts; no Redis,
  // no daemon), so the claim that it outruns the daemon is measured, not assumed.
  {
    Env e;
    e.dir = work + "/sink";
    mkdir(e.dir.c_str(), 0700);
    if (!StartSim(e, o)) {
      fprintf(stderr, "smsdispatch-bench: smsc-sim did not start (%s/sim.log)\n", e.dir.c_str());
      return 1;
    }
    SinkSetup sink;
    sink.port = e.sim_port;
    sink.binds = o.binds * o.daemons;
    sink.window = o.window;
    sink.jobs = o.jobs;
    sink.receipts = o.receipt_delay_ms >= 0;
    sink.mix = o.mix;
    fprintf(stderr, "smsc-sim alone: %llu submits...\n",
            static_cast<unsigned long long>(sink.jobs));
    report.sink = MeasureSinkCeiling(sink);
    fprintf(stderr, "smsc-sim alone: %.0f submits/s, %.0f receipts/s (%llu of %llu accepted)\n",
            report.sink.submits_per_second, report.sink.receipts_per_second,
            static_cast<unsigned long long>(report.sink.accepted),
            static_cast<unsigned long long>(report.sink.jobs));
    e.sim->Stop();
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
      fprintf(stderr, "smsdispatch-bench: could not start the processes (logs in %s)\n",
              e.dir.c_str());
      return 1;
    }
    // A timed run at a fixed rate knows its count (rate x time) and makes the jobs first; a
    // timed run at max rate makes them as it sends.
    const bool timed = o.duration_s > 0;
    const uint64_t limit = !timed     ? o.jobs
                           : rate > 0 ? static_cast<uint64_t>(std::ceil(rate * o.duration_s))
                                      : kMaxTimedJobs;
    JobSource jobs(o, keys, static_cast<uint64_t>(100 + n), limit, /*lazy=*/timed && rate == 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // bind and group creation
    const std::string what = timed ? Fmt("%.1f s", o.duration_s) : std::to_string(o.jobs) + " jobs";
    fprintf(
        stderr, "run %d: %s, %s\n", n,
        rate > 0 ? (std::to_string(static_cast<long long>(rate)) + " jobs/s").c_str() : "max rate",
        what.c_str());
    RunResult r = MeasureRun(o, e, jobs, rate);
    if (timed && rate > 0) {
      r.scheduled = limit;
      if (r.jobs < limit) {
        fprintf(stderr,
                "run %d: the producer sent %llu of %llu scheduled jobs in the time (behind "
                "its schedule: see intended->submit)\n",
                n, static_cast<unsigned long long>(r.jobs), static_cast<unsigned long long>(limit));
      }
    }
    if (r.outcomes < r.jobs) {
      complete = false;
      fprintf(stderr, "smsdispatch-bench: only %llu of %llu outcomes (logs in %s)\n",
              static_cast<unsigned long long>(r.outcomes), static_cast<unsigned long long>(r.jobs),
              e.dir.c_str());
    }
    fprintf(stderr, "run %d: %.0f jobs/s, submit p50 %.1f p99 %.1f ms, receipt p99 %.1f ms\n", n,
            r.jobs_per_second, r.enqueue_to_submit.p50, r.enqueue_to_submit.p99,
            r.enqueue_to_receipt.p99);
    fprintf(stderr,
            "run %d: %llu jobs (%llu gsm, %llu ucs2, %llu long), %llu segments made, %llu "
            "submitted by the "
            "daemon, %llu accepted by the smsc; %llu job receipts (%llu unmatched), %llu smsc "
            "receipts; %llu binds "
            "open\n",
            n, static_cast<unsigned long long>(r.jobs), static_cast<unsigned long long>(r.jobs_gsm),
            static_cast<unsigned long long>(r.jobs_ucs2),
            static_cast<unsigned long long>(r.jobs_long),
            static_cast<unsigned long long>(r.segments_generated),
            static_cast<unsigned long long>(r.segments_submitted),
            static_cast<unsigned long long>(r.smsc_segments),
            static_cast<unsigned long long>(r.receipts),
            static_cast<unsigned long long>(r.receipts_unmatched),
            static_cast<unsigned long long>(r.smsc_receipts),
            static_cast<unsigned long long>(r.binds_open));
    report.runs.push_back(std::move(r));
    for (auto& d : e.daemons) d->Stop();
    e.sim->Stop();
    if (e.redis) {
      e.redis->Stop();
    } else {
      Redis clean;
      if (ConnectRedis(clean, e, e.load_over_socket)) DeleteCreated(clean.c, e.keys_before);
    }
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
  const std::string backlog_svg = BacklogSvg(report);
  if (!backlog_svg.empty()) WriteFile(out + "/backlog.svg", backlog_svg, 0644);
  printf("%s\nresults: %s/\n", md.c_str(), out.c_str());
  std::string rm = "rm -rf '" + work + "'";
  if (complete && system(rm.c_str()) != 0) fprintf(stderr, "could not remove %s\n", work.c_str());
  return complete ? 0 : 1;
}

}  // namespace sd::bench

int main(int argc, char** argv) { return sd::bench::Main(argc, argv); }
