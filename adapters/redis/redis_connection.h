#pragma once
// One hiredis 0.14 async connection on a libuv loop: connects (TCP or Unix socket),
// authenticates, reconnects with jittered capped backoff, and runs binary-safe commands with
// std::function callbacks. Commands issued in the same loop turn are pipelined by hiredis (one
// write for all of them), so callers never wait for one reply before sending the next command.
//
// hiredis 0.14 lifetimes, which this class hides: the context is freed by hiredis itself after
// the disconnect callback returns (and after a failed connect callback, which gets no
// disconnect callback); pending reply callbacks then run with a null reply.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "adapters/redis/redis_reply.h"
#include "core/backoff.h"
#include "core/latency_histogram.h"

struct redisAsyncContext;
struct redisReply;

namespace sd::redis {

struct RedisEndpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string unix_socket;  // used instead of host:port when set
  std::string user;         // ACL user; empty = `AUTH password` (default user)
  std::string password;     // empty = no AUTH
  int64_t reconnect_initial_ms = 100;
  int64_t reconnect_max_ms = 5'000;
  // hiredis' async connect has no timeout of its own; a black-holed SYN would otherwise hold
  // the connection for the kernel's ~2 minutes before the next attempt.
  int64_t connect_timeout_ms = 5'000;
  // A PING every heartbeat_ms; no reply within heartbeat_timeout_ms means the connection is
  // half-open (the server or the path to it is gone without a reset, e.g. a partition) and it
  // is dropped and reconnected. hiredis 0.14 has no command timeout. The timeout must exceed
  // the longest blocking command on the connection (XREADGROUP BLOCK). 0 = off.
  int64_t heartbeat_ms = 5'000;
  int64_t heartbeat_timeout_ms = 15'000;
  // Redis Cluster ([redis] cluster, docs/redis.md "Running on Redis Cluster"): seed nodes
  // instead of host/port, and the one slot every key of this connection hashes to. Each
  // connection reads CLUSTER SHARDS and goes on to the master of that slot; a MOVED, a
  // READONLY (a master demoted by a failover) or a lost connection sends it there again.
  std::vector<std::pair<std::string, int>> cluster_seeds;
  int cluster_slot = -1;
};

class RedisConnection {
 public:
  // `reply` is null when the connection was lost before the reply arrived (the command may or
  // may not have run). hiredis frees the reply after the callback returns.
  using ReplyFn = std::function<void(redisReply* reply)>;

  RedisConnection(uv_loop_t* loop, RedisEndpoint endpoint, std::string name);
  // Close() must have completed (its `done` ran) before destruction.
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Called on the loop each time the connection is up and authenticated.
  void SetOnReady(std::function<void()> fn) { on_ready_ = std::move(fn); }
  // Called when a ready connection is lost, after the null replies of its pending commands.
  void SetOnDown(std::function<void()> fn) { on_down_ = std::move(fn); }
  void Start();
  // Stops reconnecting and disconnects: after the pending replies when `graceful`, else at
  // once (pending commands get null replies). `done` runs once every handle is closed.
  void Close(bool graceful, std::function<void()> done);

  bool ready() const { return ready_; }
  // Every command sent from now on observes send -> reply (or loss) into `h` (kept by the
  // caller; null stops it). For a connection without blocking commands: on the reader it would
  // measure BLOCK waits, not Redis.
  void MeasureRoundTrips(LatencyHistogram* h) { round_trips_ = h; }
  // Sends a command. False (and `fn` is never called) when not ready.
  bool Command(const std::vector<std::string>& argv, ReplyFn fn);
  // The same from argc arguments the caller keeps (nothing is copied but into hiredis' output
  // buffer): for large batched calls, where copying the arguments into a vector and letting
  // hiredis format them (an sds of its own, then a second copy) was most of what a call cost.
  bool Command(size_t argc, const char* const* argv, const size_t* lens, ReplyFn fn);
  // MULTI, `ncommands` commands, EXEC, back to back in one write: Redis runs the commands as one
  // unit, and `fn` gets EXEC's reply (an array with one reply per command; null when the
  // connection was lost, in which case the server discarded the unfinished transaction or ran
  // it whole). The replies to MULTI and the queued commands are read and dropped. For batches
  // of plain commands that need no script: a script costs Redis several times the commands it
  // runs. False (and `fn` is never called) when not ready.
  // The commands' arguments lie back to back in argv/lens, the i-th command taking argcs[i]
  // of them (the caller keeps them; nothing is copied but into hiredis' output buffer).
  bool Transaction(size_t ncommands, const size_t* argcs, const char* const* argv,
                   const size_t* lens, ReplyFn fn);
  // SUBSCRIBE: `fn` runs for every reply on the channel (the subscribe confirmation, then each
  // ["message", channel, payload]) until the connection is lost; subscribe again from
  // on_ready. False when not ready. Give pub/sub its own connection with heartbeat_ms = 0:
  // hiredis 0.14 hands a subscribed context's next reply to the oldest pending command
  // callback, so a PING could swallow a message.
  bool Subscribe(const std::string& channel, ReplyFn fn);

  uint64_t reconnects() const { return reconnects_; }        // connections lost after ready
  uint64_t auth_failures() const { return auth_failures_; }  // AUTH rejected by the server
  uint64_t connect_failures() const { return connect_failures_; }
  // Why the connection is not ready, for logs and health output (never a secret).
  const std::string& last_error() const { return last_error_; }

  // Cluster mode: called for every error reply before its callback (the reply trampoline),
  // to follow a MOVED or a READONLY (redis_connection_cluster.cc).
  void NoteErrorReply(const redisReply* r);

 private:
  void Connect();
  void ScheduleReconnect();
  void OnConnected(int status);
  void OnDisconnected(int status);
  void OnConnectTimeout();
  void Heartbeat();
  bool SendRaw(const std::vector<std::string>& argv, ReplyFn fn);
  // `fn`, observing its round trip when MeasureRoundTrips is on.
  ReplyFn Timed(ReplyFn fn);
  // Every command goes out through SendFormatted; `fn` null: the reply is read and dropped.
  bool SendVector(const std::vector<std::string>& argv, ReplyFn* fn);
  bool SendFormatted(size_t argc, const char* const* argv, const size_t* lens, ReplyFn* fn);
  void MaybeClosed();
  // Cluster mode (redis_connection_cluster.cc): where to connect next, the slot owner check
  // between AUTH and ready, and what an error reply says about where the slot went.
  bool cluster() const { return !endpoint_.cluster_seeds.empty(); }
  void PickClusterTarget();
  void CheckSlotOwner(std::function<void()> ready);

  uv_loop_t* loop_;
  RedisEndpoint endpoint_;
  std::string name_;
  redisAsyncContext* ac_ = nullptr;  // owned by hiredis; null while disconnected
  bool connected_ = false;           // TCP/Unix connection established (maybe not AUTHed)
  bool ready_ = false;               // connected and authenticated: commands may be sent
  bool closing_ = false;
  // One timer serves as the reconnect backoff and as the connect watchdog: the two never
  // run at the same time.
  uv_timer_t timer_;
  uv_timer_t heartbeat_timer_;
  bool timer_open_ = true;
  bool ping_outstanding_ = false;
  uint64_t ping_sent_ms_ = 0;
  uint64_t generation_ = 0;  // bumps per connection: a stale PING reply is ignored
  Backoff backoff_;          // reconnect_initial_ms .. reconnect_max_ms; reset once ready
  uint64_t reconnects_ = 0;
  uint64_t auth_failures_ = 0;
  uint64_t connect_failures_ = 0;
  std::string last_error_;
  std::vector<char> format_buf_;  // the RESP form of the command being sent, reused
  std::vector<const char*> arg_ptrs_;  // SendVector's argument pointers and lengths, reused
  std::vector<size_t> arg_lens_;
  std::mt19937_64 rng_;  // backoff jitter, so a fleet of daemons does not reconnect in step
  LatencyHistogram* round_trips_ = nullptr;
  std::function<void()> on_ready_;
  std::function<void()> on_down_;
  std::function<void()> closed_;
  // Subscription callbacks by channel. hiredis keeps the raw pointer and calls it per message,
  // so they live as long as the connection (freed after the context in the destructor).
  std::map<std::string, std::unique_ptr<ReplyFn>> subscriptions_;
  // Cluster mode: the node to connect to next ("" = the next seed) and the seed after it.
  std::string target_host_;
  int target_port_ = 0;
  size_t next_seed_ = 0;
};

}  // namespace sd::redis
