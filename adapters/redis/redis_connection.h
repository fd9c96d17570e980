#pragma once
// One hiredis 0.14 async connection on a libuv loop: connects (TCP or Unix socket),
// authenticates, reconnects with jittered capped backoff, and runs binary-safe commands with
// std::function callbacks. Replies to commands sent in the same loop turn are pipelined by
// hiredis (one write for all of them).
#include <uv.h>

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

struct redisAsyncContext;
struct redisReply;

namespace sd::redis {

struct RedisEndpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string unix_socket;  // used instead of host:port when set
  std::string user;         // ACL user; empty = default user
  std::string password;     // empty = no AUTH
  int64_t reconnect_initial_ms = 100;
  int64_t reconnect_max_ms = 5'000;
  // A PING every heartbeat_ms; no reply within heartbeat_timeout_ms means the connection is
  // half-open (peer gone without a reset, e.g. a network partition) and is dropped. The timeout
  // must exceed the longest blocking command on the connection (XREADGROUP BLOCK).
  int64_t heartbeat_ms = 5'000;
  int64_t heartbeat_timeout_ms = 15'000;
};

class RedisConnection {
 public:
  // `reply` is null when the connection was lost before the reply arrived.
  using ReplyFn = std::function<void(redisReply* reply)>;

  RedisConnection(uv_loop_t* loop, RedisEndpoint endpoint, std::string name);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  void SetOnReady(std::function<void()> fn) { on_ready_ = std::move(fn); }
  void SetOnDown(std::function<void()> fn) { on_down_ = std::move(fn); }
  void Start();
  // Disconnects (after pending replies when `graceful`), stops reconnecting; `done` runs once
  // every handle is closed.
  void Close(bool graceful, std::function<void()> done);

  bool ready() const { return ready_; }
  // False (and `fn` is never called) when not connected.
  bool Command(const std::vector<std::string>& argv, ReplyFn fn);

  uint64_t reconnects() const { return reconnects_; }

 private:
  void Connect();
  void ScheduleReconnect();
  void OnConnected(int status);
  void OnDisconnected(int status);
  bool SendRaw(const std::vector<std::string>& argv, ReplyFn fn);
  void MaybeClosed();
  void Heartbeat();

  uv_loop_t* loop_;
  RedisEndpoint endpoint_;
  std::string name_;
  redisAsyncContext* ac_ = nullptr;  // owned by hiredis; null while disconnected
  bool ready_ = false;               // connected and authenticated
  bool closing_ = false;
  uv_timer_t reconnect_timer_;
  uv_timer_t heartbeat_timer_;
  bool timer_open_ = true;
  bool ping_outstanding_ = false;
  uint64_t ping_sent_ms_ = 0;
  uint64_t generation_ = 0;  // bumps per connection: a stale PING reply is ignored
  int64_t backoff_ms_ = 0;
  uint64_t reconnects_ = 0;
  std::mt19937_64 rng_;
  std::function<void()> on_ready_;
  std::function<void()> on_down_;
  std::function<void()> closed_;
};

// Reply helpers.
std::string ReplyString(const redisReply* r);
bool ReplyIsError(const redisReply* r);

}  // namespace sd::redis
