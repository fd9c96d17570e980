#include "adapters/redis/redis_connection.h"

#include <charconv>
#include <cstring>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "adapters/loop/uv_kit.h"
#include "adapters/redis/hiredis_uv.h"
#include "adapters/redis/reply_arena.h"
#include "adapters/untrusted_log.h"

namespace sd::redis {
namespace {

void OnReply(redisAsyncContext* ac, void* reply, void* privdata) {
  auto* fn = static_cast<RedisConnection::ReplyFn*>(privdata);
  if (fn == nullptr) {  // a reply read and dropped (cluster mode: looked at first)
    auto* r = static_cast<redisReply*>(reply);
    if (ac->data != nullptr && r != nullptr && r->type == REDIS_REPLY_ERROR) {
      static_cast<RedisConnection*>(ac->data)->NoteErrorReply(r);
    }
    return;
  }
  // data is cleared only by the destructor: the owner is gone, so are the callbacks' targets.
  if (ac->data != nullptr) {
    auto* r = static_cast<redisReply*>(reply);
    if (r != nullptr && r->type == REDIS_REPLY_ERROR) {
      static_cast<RedisConnection*>(ac->data)->NoteErrorReply(r);
    }
    (*fn)(r);
  }
  delete fn;
}

// Subscription callbacks run once per message: the function is owned by the connection.
void OnSubscriptionReply(redisAsyncContext* ac, void* reply, void* privdata) {
  if (ac->data == nullptr || reply == nullptr) return;
  (*static_cast<RedisConnection::ReplyFn*>(privdata))(static_cast<redisReply*>(reply));
}

}  // namespace

RedisConnection::RedisConnection(uv_loop_t* loop, RedisEndpoint endpoint, std::string name)
    : loop_(loop),
      endpoint_(std::move(endpoint)),
      name_(std::move(name)),
      backoff_(endpoint_.reconnect_initial_ms, endpoint_.reconnect_max_ms),
      rng_(std::random_device{}()) {
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
  uv_timer_init(loop_, &heartbeat_timer_);
  heartbeat_timer_.data = this;
}

RedisConnection::~RedisConnection() {
  if (ac_ != nullptr) {
    ac_->data = nullptr;  // reply and disconnect callbacks must not reach a dead object
    redisAsyncFree(ac_);
  }
  if (timer_open_) {
    spdlog::error("redis {}: destroyed without Close(); its timer is leaked", name_);
  }
}

void RedisConnection::Start() {
  Connect();
  if (endpoint_.heartbeat_ms > 0) {
    uv_timer_start(
        &heartbeat_timer_,
        [](uv_timer_t* t) { static_cast<RedisConnection*>(t->data)->Heartbeat(); },
        static_cast<uint64_t>(endpoint_.heartbeat_ms),
        static_cast<uint64_t>(endpoint_.heartbeat_ms));
  }
}

void RedisConnection::Heartbeat() {
  if (!ready_ || ac_ == nullptr) return;
  const uint64_t now = uv_now(loop_);
  if (ping_outstanding_) {
    if (now - ping_sent_ms_ >= static_cast<uint64_t>(endpoint_.heartbeat_timeout_ms)) {
      last_error_ = "no reply to PING for " + std::to_string(now - ping_sent_ms_) + " ms";
      spdlog::warn("redis {}: {}; dropping the connection", name_,
                   Untrusted(last_error_, kLogMessageMax));
      ping_outstanding_ = false;
      redisAsyncContext* ac = ac_;
      redisAsyncFree(ac);  // pending callbacks get null replies; OnDisconnected reconnects
    }
    return;
  }
  ping_outstanding_ = true;
  ping_sent_ms_ = now;
  const uint64_t gen = ++generation_;
  SendRaw({"PING"}, [this, gen](redisReply*) {
    if (gen == generation_) ping_outstanding_ = false;
  });
}

void RedisConnection::Connect() {
  if (closing_ || ac_ != nullptr) return;
  if (cluster()) PickClusterTarget();
  redisAsyncContext* ac = cluster() ? redisAsyncConnect(target_host_.c_str(), target_port_)
                          : endpoint_.unix_socket.empty()
                              ? redisAsyncConnect(endpoint_.host.c_str(), endpoint_.port)
                              : redisAsyncConnectUnix(endpoint_.unix_socket.c_str());
  if (ac == nullptr || ac->err != 0) {
    last_error_ = std::string("connect: ") + (ac != nullptr ? ac->errstr : "out of memory");
    spdlog::warn("redis {}: {}", name_, Untrusted(last_error_, kLogMessageMax));
    if (ac != nullptr) redisAsyncFree(ac);
    ++connect_failures_;
    ScheduleReconnect();
    return;
  }
  if (AttachToLoop(ac, loop_) != REDIS_OK) {
    last_error_ = "connect: cannot attach to the event loop";
    spdlog::error("redis {}: {}", name_, Untrusted(last_error_, kLogMessageMax));
    redisAsyncFree(ac);
    ++connect_failures_;
    ScheduleReconnect();
    return;
  }
  // Replies in one arena each, not one malloc per object: every reply this connection reads
  // is freed by hiredis after its callback, which is what the arena needs.
  UseArenaReplies(ac);
  ac_ = ac;
  ac_->data = this;
  redisAsyncSetConnectCallback(ac_, [](const redisAsyncContext* c, int st) {
    if (c->data != nullptr) static_cast<RedisConnection*>(c->data)->OnConnected(st);
  });
  redisAsyncSetDisconnectCallback(ac_, [](const redisAsyncContext* c, int st) {
    if (c->data != nullptr) static_cast<RedisConnection*>(c->data)->OnDisconnected(st);
  });
  uv_timer_start(
      &timer_, [](uv_timer_t* t) { static_cast<RedisConnection*>(t->data)->OnConnectTimeout(); },
      static_cast<uint64_t>(std::max<int64_t>(endpoint_.connect_timeout_ms, 1)), 0);
}

void RedisConnection::OnConnectTimeout() {
  if (ac_ == nullptr || connected_) return;
  last_error_ = "connect: timed out";
  spdlog::warn("redis {}: {}", name_, Untrusted(last_error_, kLogMessageMax));
  // Not connected yet, so hiredis runs no disconnect callback and nothing is pending.
  redisAsyncContext* ac = ac_;
  ac_ = nullptr;
  redisAsyncFree(ac);
  ++connect_failures_;
  ScheduleReconnect();
}

void RedisConnection::OnConnected(int st) {
  uv_timer_stop(&timer_);
  if (st != REDIS_OK) {
    // hiredis frees the context after this callback and calls no disconnect callback.
    last_error_ =
        std::string("connect: ") + (ac_ != nullptr && ac_->errstr[0] ? ac_->errstr : "error");
    spdlog::warn("redis {}: {}", name_, Untrusted(last_error_, kLogMessageMax));
    ac_ = nullptr;
    ++connect_failures_;
    target_host_.clear();  // cluster mode: the next seed
    ScheduleReconnect();
    return;
  }
  connected_ = true;
  // Detects a peer that vanished without a FIN (host down, cable cut) on TCP connections.
  if (endpoint_.unix_socket.empty()) redisEnableKeepAlive(&ac_->c);
  auto admitted = [this] {
    ready_ = true;
    backoff_.Reset();
    last_error_.clear();
    spdlog::info("redis {}: connected", name_);
    if (on_ready_) on_ready_();
  };
  auto ready = [this, admitted] {
    if (cluster()) {
      CheckSlotOwner(admitted);
    } else {
      admitted();
    }
  };
  if (endpoint_.password.empty()) {
    ready();
    return;
  }
  std::vector<std::string> auth{"AUTH"};
  if (!endpoint_.user.empty()) auth.push_back(endpoint_.user);
  auth.push_back(endpoint_.password);
  // AUTH goes first on the connection; nothing else is sent before it succeeds.
  SendRaw(auth, [this, ready](redisReply* r) {
    if (r == nullptr) return;  // connection lost meanwhile: OnDisconnected reconnects
    if (ReplyIsError(r)) {
      ++auth_failures_;
      // Never log the password; the server's message names none.
      last_error_ = "AUTH failed: " + ReplyString(r);
      spdlog::error("redis {}: {}{}", name_, Untrusted(last_error_, kLogMessageMax),
                    endpoint_.user.empty() ? "" : " (user " + endpoint_.user + ")");
      if (ac_ != nullptr) redisAsyncDisconnect(ac_);  // then retry with backoff
      return;
    }
    ready();
  });
}

void RedisConnection::OnDisconnected(int st) {
  // hiredis frees the context after this returns; pending callbacks already got null.
  ac_ = nullptr;
  ping_outstanding_ = false;
  ++generation_;
  connected_ = false;
  const bool was_ready = ready_;
  ready_ = false;
  if (closing_) {
    MaybeClosed();
    return;
  }
  if (was_ready) {
    last_error_ = st == REDIS_OK ? "disconnected" : "connection lost";
    spdlog::warn("redis {}: {}", name_, Untrusted(last_error_, kLogMessageMax));
    ++reconnects_;
    if (on_down_) on_down_();
  }
  ScheduleReconnect();
}

void RedisConnection::ScheduleReconnect() {
  if (closing_) {
    MaybeClosed();
    return;
  }
  // Jittered (core/backoff.h): a fleet of daemons does not reconnect in step.
  uv_timer_start(
      &timer_, [](uv_timer_t* t) { static_cast<RedisConnection*>(t->data)->Connect(); },
      static_cast<uint64_t>(backoff_.Next(rng_)), 0);
}

bool RedisConnection::SendRaw(const std::vector<std::string>& argv, ReplyFn fn) {
  auto* heap_fn = new ReplyFn(std::move(fn));
  if (!SendVector(argv, heap_fn)) {
    delete heap_fn;  // an error return means the callback is never called
    return false;
  }
  return true;
}

bool RedisConnection::Command(const std::vector<std::string>& argv, ReplyFn fn) {
  if (!ready_) return false;
  return SendRaw(argv, Timed(std::move(fn)));
}

RedisConnection::ReplyFn RedisConnection::Timed(ReplyFn fn) {
  if (round_trips_ == nullptr || !fn) return fn;
  return [fn = std::move(fn), h = round_trips_, sent = uv_hrtime()](redisReply* reply) {
    h->Observe(static_cast<int64_t>((uv_hrtime() - sent) / 1000));
    fn(reply);
  };
}

// RESP, as redisFormatCommandArgv writes it (*<argc>, then $<len> and the bytes of each
// argument), into a buffer kept between calls; hiredis copies it once into its output buffer.
// `fn` null: hiredis reads the reply and frees it.
bool RedisConnection::SendFormatted(size_t argc, const char* const* argv, const size_t* lens,
                                    ReplyFn* fn) {
  if (ac_ == nullptr) return false;
  // Written through a pointer into a buffer sized once for the worst case (a header is at most
  // 24 bytes): string appends re-checked the capacity for every piece, several per argument,
  // and that was most of what formatting cost per job.
  size_t total = 24;
  for (size_t i = 0; i < argc; ++i) total += lens[i] + 24;
  if (format_buf_.size() < total) format_buf_.resize(total);
  char* p = format_buf_.data();
  char* const end = p + format_buf_.size();
  auto header = [&](char kind, size_t n) {
    *p++ = kind;
    p = std::to_chars(p, end, n).ptr;
    *p++ = '\r';
    *p++ = '\n';
  };
  header('*', argc);
  for (size_t i = 0; i < argc; ++i) {
    header('$', lens[i]);
    if (lens[i] > 0) std::memcpy(p, argv[i], lens[i]);
    p += lens[i];
    *p++ = '\r';
    *p++ = '\n';
  }
  // A reply nobody waits for is still looked at in cluster mode: the MOVED of a command
  // queued in a MULTI comes only there (EXEC then says just EXECABORT).
  const int rc =
      redisAsyncFormattedCommand(ac_, fn != nullptr || cluster() ? OnReply : nullptr, fn,
                                 format_buf_.data(), static_cast<size_t>(p - format_buf_.data()));
  // A very large call leaves a large buffer behind: give it back rather than keep it.
  if (format_buf_.size() > (1u << 20)) std::vector<char>().swap(format_buf_);
  return rc == REDIS_OK;
}

bool RedisConnection::Command(size_t argc, const char* const* argv, const size_t* lens,
                              ReplyFn fn) {
  if (!ready_) return false;
  auto* heap_fn = new ReplyFn(Timed(std::move(fn)));
  if (!SendFormatted(argc, argv, lens, heap_fn)) {
    delete heap_fn;  // an error return means the callback is never called
    return false;
  }
  return true;
}

bool RedisConnection::SendVector(const std::vector<std::string>& argv, ReplyFn* fn) {
  arg_ptrs_.clear();
  arg_lens_.clear();
  for (const std::string& a : argv) {
    arg_ptrs_.push_back(a.data());
    arg_lens_.push_back(a.size());
  }
  return SendFormatted(argv.size(), arg_ptrs_.data(), arg_lens_.data(), fn);
}

bool RedisConnection::Transaction(size_t ncommands, const size_t* argcs,
                                  const char* const* argv, const size_t* lens, ReplyFn fn) {
  if (!ready_) return false;
  // All of it is queued in this one call on the loop thread, so nothing else (a heartbeat
  // PING, another caller's command) can fall between MULTI and EXEC. hiredis only refuses a
  // command on a context that is being torn down, which cannot start half-way through here.
  static const char* const kMulti[] = {"MULTI"};
  static const size_t kMultiLen[] = {5};
  if (!SendFormatted(1, kMulti, kMultiLen, nullptr)) return false;
  for (size_t c = 0, at = 0; c < ncommands; at += argcs[c], ++c) {
    if (!SendFormatted(argcs[c], argv + at, lens + at, nullptr)) return false;
  }
  static const char* const kExec[] = {"EXEC"};
  static const size_t kExecLen[] = {4};
  auto* heap_fn = new ReplyFn(Timed(std::move(fn)));
  if (!SendFormatted(1, kExec, kExecLen, heap_fn)) {
    delete heap_fn;  // an error return means the callback is never called
    return false;
  }
  return true;
}

bool RedisConnection::Subscribe(const std::string& channel, ReplyFn fn) {
  if (!ready_ || ac_ == nullptr) return false;
  std::unique_ptr<ReplyFn>& slot = subscriptions_[channel];
  // Re-subscribing reuses the slot: a context may still hold the pointer.
  if (slot) {
    *slot = std::move(fn);
  } else {
    slot = std::make_unique<ReplyFn>(std::move(fn));
  }
  const char* argv[] = {"SUBSCRIBE", channel.c_str()};
  const size_t lens[] = {9, channel.size()};
  return redisAsyncCommandArgv(ac_, OnSubscriptionReply, slot.get(), 2, argv, lens) == REDIS_OK;
}

void RedisConnection::Close(bool graceful, std::function<void()> done) {
  if (closing_) return;
  closing_ = true;
  closed_ = std::move(done);
  uv_timer_stop(&timer_);
  uv_timer_stop(&heartbeat_timer_);
  const bool was_ready = ready_;
  ready_ = false;
  if (ac_ != nullptr) {
    if (graceful && was_ready) {
      redisAsyncDisconnect(ac_);  // after pending replies; OnDisconnected follows
      return;
    }
    // Pending callbacks get null replies now. The disconnect callback runs only if the
    // context had connected; either way MaybeClosed is idempotent.
    redisAsyncContext* ac = ac_;
    ac_ = nullptr;
    redisAsyncFree(ac);
  }
  MaybeClosed();
}

void RedisConnection::MaybeClosed() {
  if (!closing_ || ac_ != nullptr || !timer_open_) return;
  timer_open_ = false;
  loop::CloseAll({loop::AsHandle(&timer_), loop::AsHandle(&heartbeat_timer_)}, [this] {
    if (!closed_) return;
    auto cb = std::move(closed_);
    closed_ = nullptr;
    cb();
  });
}

}  // namespace sd::redis
