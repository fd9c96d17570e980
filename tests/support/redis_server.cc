#include "redis_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

namespace sd::testing {
namespace {

constexpr int kPortAttempts = 10;  // port collisions with parallel test binaries are rare

bool LogSaysPortTaken(const std::string& log) {
  return log.find("Address already in use") != std::string::npos;
}

std::string Tail(const std::string& s, size_t n) {
  return s.size() <= n ? s : s.substr(s.size() - n);
}

}  // namespace

FieldList ReplyPairs(const redisReply* r) {
  FieldList out;
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY) return out;
  for (size_t i = 0; i + 1 < r->elements; i += 2) {
    const redisReply* k = r->element[i];
    const redisReply* v = r->element[i + 1];
    out.emplace_back(k->str ? std::string(k->str, k->len) : std::string(),
                     v->str ? std::string(v->str, v->len) : std::string());
  }
  return out;
}

RedisServer::RedisServer(RedisServerOptions options)
    : options_(std::move(options)), dir_("sd-redis") {
  if (options_.unix_socket) unix_socket_ = dir_.File("redis.sock");
}

RedisServer::~RedisServer() {
  DropClient();
  if (process_.Running()) process_.Stop(std::chrono::seconds(10));
}

std::string RedisServer::Log() const { return ReadTextFile(dir_.File("redis.log")); }

bool RedisServer::Start(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  error_.clear();
  if (process_.Running()) {
    error_ = "already running";
    return false;
  }
  const bool fixed_port = port_ != 0;  // a restart must come back where clients expect it
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    if (!fixed_port) port_ = PickFreeLoopbackPort();
    bool port_taken = false;
    if (StartOnce(deadline, &port_taken)) return true;
    if (!port_taken || fixed_port) return false;
  }
  error_ = "no free port after several attempts";
  return false;
}

bool RedisServer::StartOnce(std::chrono::steady_clock::time_point deadline, bool* port_taken) {
  if (port_ == 0) {
    error_ = "no free port";
    return false;
  }
  std::vector<std::string> argv{options_.binary,
                                "--port",
                                std::to_string(port_),
                                "--bind",
                                host_,
                                "--dir",
                                dir_.path(),
                                "--save",
                                "",
                                "--daemonize",
                                "no",
                                "--logfile",
                                "",
                                "--databases",
                                "1"};
  if (options_.appendonly) {
    // fsync always: what the server acknowledged is on disk, so Kill() loses nothing.
    for (const char* a : {"--appendonly", "yes", "--appendfsync", "always"}) argv.push_back(a);
  } else {
    argv.push_back("--appendonly");
    argv.push_back("no");
  }
  if (!unix_socket_.empty()) {
    for (std::string a : {std::string("--unixsocket"), unix_socket_,
                          std::string("--unixsocketperm"), std::string("700")}) {
      argv.push_back(std::move(a));
    }
  }
  if (!options_.requirepass.empty()) {
    argv.push_back("--requirepass");
    argv.push_back(options_.requirepass);
  }
  if (!options_.acl_users.empty()) {
    std::string acl;
    for (const std::string& u : options_.acl_users) acl += "user " + u + "\n";
    // Without a line for the default user the ACL file would leave it as Redis' default
    // (on, nopass, all commands): exactly what the admin client wants.
    if (!options_.requirepass.empty()) {
      error_ = "requirepass and acl_users together are not supported by this fixture";
      return false;
    }
    if (!WriteTextFile(dir_.File("users.acl"), acl)) {
      error_ = "cannot write the ACL file";
      return false;
    }
    argv.push_back("--aclfile");
    argv.push_back(dir_.File("users.acl"));
  }
  argv.insert(argv.end(), options_.extra_args.begin(), options_.extra_args.end());

  const std::string log_path = dir_.File("redis.log");
  // Each start's log on its own, so a port collision is told from an earlier start's lines.
  if (!WriteTextFile(log_path, "")) {
    error_ = "cannot write " + log_path;
    return false;
  }
  if (!process_.Start(SubprocessOptions{argv, log_path, dir_.path(), {}})) {
    error_ = process_.error();
    return false;
  }
  if (WaitForPing(deadline)) return true;
  const std::string log = Log();
  *port_taken = LogSaysPortTaken(log);
  process_.Kill();
  error_ = "redis-server did not answer PING on port " + std::to_string(port_) + "; log:\n" +
           Tail(log, 2000);
  return false;
}

bool RedisServer::WaitForPing(std::chrono::steady_clock::time_point deadline) {
  DropClient();
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_.Running()) return false;  // exited: bad option or port taken
    if (redisContext* c = Client()) {
      ReplyPtr r(static_cast<redisReply*>(redisCommand(c, "PING")));
      if (r && r->type == REDIS_REPLY_STATUS) return true;
      // LOADING (an AOF being replayed) answers with an error: keep waiting.
      DropClient();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

void RedisServer::Stop() {
  DropClient();
  process_.Stop(std::chrono::seconds(20));
}

void RedisServer::Kill() {
  DropClient();
  process_.Kill();
}

void RedisServer::DropClient() {
  if (client_ != nullptr) redisFree(client_);
  client_ = nullptr;
}

redisContext* RedisServer::Client() {
  if (client_ != nullptr && client_->err == 0) return client_;
  DropClient();
  const timeval tv{5, 0};
  redisContext* c = redisConnectWithTimeout(host_.c_str(), port_, tv);
  if (c == nullptr || c->err != 0) {
    if (c != nullptr) redisFree(c);
    return nullptr;
  }
  redisSetTimeout(c, tv);  // a hung server fails the test instead of hanging it
  if (!options_.requirepass.empty()) {
    ReplyPtr r(static_cast<redisReply*>(redisCommand(c, "AUTH %s", options_.requirepass.c_str())));
    if (!r || r->type == REDIS_REPLY_ERROR) {
      redisFree(c);
      return nullptr;
    }
  }
  client_ = c;
  return client_;
}

ReplyPtr RedisServer::Command(const std::vector<std::string>& argv) {
  redisContext* c = Client();
  if (c == nullptr) return nullptr;
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  for (const std::string& a : argv) {
    ptrs.push_back(a.data());
    lens.push_back(a.size());
  }
  ReplyPtr r(static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), ptrs.data(), lens.data())));
  if (!r) DropClient();
  return r;
}

ReplyPtr RedisServer::Command(std::initializer_list<std::string_view> argv) {
  std::vector<std::string> v;
  for (std::string_view a : argv) v.emplace_back(a);
  return Command(v);
}

std::string StreamRecord::Get(std::string_view name) const {
  for (const auto& [k, v] : fields) {
    if (k == name) return v;
  }
  return {};
}

bool StreamRecord::Has(std::string_view name) const {
  for (const auto& kv : fields) {
    if (kv.first == name) return true;
  }
  return false;
}

std::string StreamAdd(RedisServer& redis, const std::string& stream, const FieldList& fields) {
  std::vector<std::string> argv{"XADD", stream, "*"};
  for (const auto& [k, v] : fields) {
    argv.push_back(k);
    argv.push_back(v);
  }
  ReplyPtr r = redis.Command(argv);
  if (!r || r->type != REDIS_REPLY_STRING) return {};
  return std::string(r->str, r->len);
}

std::vector<StreamRecord> StreamRead(RedisServer& redis, const std::string& stream) {
  std::vector<StreamRecord> out;
  ReplyPtr r = redis.Command({"XRANGE", stream, "-", "+"});
  if (!r || r->type != REDIS_REPLY_ARRAY) return out;
  for (size_t i = 0; i < r->elements; ++i) {
    const redisReply* e = r->element[i];
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2) continue;
    out.push_back(StreamRecord{std::string(e->element[0]->str, e->element[0]->len),
                               ReplyPairs(e->element[1])});
  }
  return out;
}

long long StreamLength(RedisServer& redis, const std::string& stream) {
  ReplyPtr r = redis.Command({"XLEN", stream});
  return r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
}

long long PendingCount(RedisServer& redis, const std::string& stream, const std::string& group,
                       const std::string& consumer) {
  if (consumer.empty()) {
    ReplyPtr r = redis.Command({"XPENDING", stream, group});
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
        r->element[0]->type != REDIS_REPLY_INTEGER) {
      return -1;
    }
    return r->element[0]->integer;
  }
  ReplyPtr r = redis.Command({"XPENDING", stream, group, "-", "+", "1000000", consumer});
  if (!r || r->type != REDIS_REPLY_ARRAY) return -1;
  return static_cast<long long>(r->elements);
}

std::string InfoField(RedisServer& redis, const std::string& section, const std::string& name) {
  ReplyPtr r = redis.Command({"INFO", section});
  if (!r || r->type != REDIS_REPLY_STRING) return {};
  const std::string info(r->str, r->len);
  const std::string key = name + ":";
  size_t pos = info.find("\n" + key);
  if (pos == std::string::npos) {
    if (info.compare(0, key.size(), key) != 0) return {};
    pos = 0;
  } else {
    pos += 1;
  }
  const size_t start = pos + key.size();
  const size_t end = info.find_first_of("\r\n", start);
  return info.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace sd::testing
