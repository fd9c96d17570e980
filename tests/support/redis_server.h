#pragma once
// A real redis-server for tests (STYLE habit 10): a child process in a fresh temporary
// directory on a free loopback port (and optionally a Unix socket), persistence off unless
// asked for. It can be stopped, killed and started again on the same port, which is what
// reconnect tests need. A synchronous hiredis client is at hand for setting up and checking.
#include <hiredis/hiredis.h>

#include <chrono>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "subprocess.h"
#include "temp_dir.h"

namespace sd::testing {

struct RedisServerOptions {
  std::string binary = "/usr/bin/redis-server";
  bool unix_socket = false;  // also listen on <dir>/redis.sock
  std::string requirepass;   // password of the default user (AUTH <pass>)
  // ACL users, one per line in ACL file syntax (e.g. "alice on >pw ~sd:* +@all"), written to
  // an aclfile. The default user stays as it is (or gets requirepass); the admin client uses it.
  std::vector<std::string> acl_users;
  bool appendonly = false;              // AOF with fsync always, so data survives Kill() + Start()
  std::vector<std::string> extra_args;  // more "--directive value" arguments
};

struct ReplyDeleter {
  void operator()(redisReply* r) const {
    if (r != nullptr) freeReplyObject(r);
  }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

class RedisServer {
 public:
  explicit RedisServer(RedisServerOptions options = {});
  ~RedisServer();  // stops the server (SIGKILL if it does not stop)
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // Starts the server and waits until it answers PING. The first start picks a free port
  // (retrying when another process grabbed it meanwhile); later starts reuse it. False with
  // error() describing why (including the server's log tail).
  [[nodiscard]] bool Start(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // SIGTERM and wait (the server saves nothing unless appendonly).
  void Stop();
  // SIGKILL: a crash, as far as clients can tell.
  void Kill();
  bool running() { return process_.Running(); }
  pid_t pid() const { return process_.pid(); }

  int port() const { return port_; }
  const std::string& host() const { return host_; }
  const std::string& unix_socket() const { return unix_socket_; }
  const std::string& dir() const { return dir_.path(); }
  const std::string& error() const { return error_; }
  std::string Log() const;

  // Synchronous admin client (authenticated with requirepass if set). Reconnects after the
  // server was restarted. Null if the server is not reachable.
  redisContext* Client();
  // Binary-safe command on the admin client; null reply if the server is unreachable.
  ReplyPtr Command(const std::vector<std::string>& argv);
  ReplyPtr Command(std::initializer_list<std::string_view> argv);

 private:
  bool StartOnce(std::chrono::steady_clock::time_point deadline, bool* port_taken);
  bool WaitForPing(std::chrono::steady_clock::time_point deadline);
  void DropClient();

  RedisServerOptions options_;
  TempDir dir_;
  std::string host_ = "127.0.0.1";
  int port_ = 0;
  std::string unix_socket_;
  Subprocess process_;
  redisContext* client_ = nullptr;
  std::string error_;
};

// Field/value pairs of a stream entry or a hash reply, in order.
using FieldList = std::vector<std::pair<std::string, std::string>>;
FieldList ReplyPairs(const redisReply* r);

// Stream helpers on the admin client, for setting up and checking. Binary-safe.
struct StreamRecord {
  std::string id;
  FieldList fields;
  // The value of the first field called `name`, or "" (use Has() to tell empty from absent).
  std::string Get(std::string_view name) const;
  bool Has(std::string_view name) const;
};
// XADD stream * fields...; returns the new id, or "" on error.
std::string StreamAdd(RedisServer& redis, const std::string& stream, const FieldList& fields);
// XRANGE stream - + (the whole stream).
std::vector<StreamRecord> StreamRead(RedisServer& redis, const std::string& stream);
// XLEN; -1 on error.
long long StreamLength(RedisServer& redis, const std::string& stream);
// Entries pending in the group (all consumers, or one); -1 on error (e.g. no group).
long long PendingCount(RedisServer& redis, const std::string& stream, const std::string& group,
                       const std::string& consumer = "");
// A "name:value" line of INFO <section>, e.g. InfoField(r, "commandstats", "cmdstat_evalsha").
std::string InfoField(RedisServer& redis, const std::string& section, const std::string& name);

}  // namespace sd::testing
