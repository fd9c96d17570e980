#include "adapters/redis/redis_connection.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

namespace sd::redis {
namespace {

// Our own hiredis <-> libuv glue instead of hiredis 0.14's adapters/libuv.h: that adapter
// ignores a poll callback with a non-zero status, and libuv reports a peer reset (Redis killed,
// RST) exactly that way and stops the poll handle, so the connection would hang forever without
// hiredis noticing. Here an error status makes hiredis read, see the error and disconnect.
struct UvEvents {
  redisAsyncContext* ctx;
  uv_poll_t handle;
  int events;
};

void OnPoll(uv_poll_t* h, int status, int events) {
  auto* p = static_cast<UvEvents*>(h->data);
  const int ev = status < 0 ? (p->events | UV_READABLE) : events;
  if (p->ctx != nullptr && (ev & UV_READABLE)) redisAsyncHandleRead(p->ctx);
  // The read may have disconnected and freed the context (cleanup cleared ctx).
  if (p->ctx != nullptr && (ev & UV_WRITABLE)) redisAsyncHandleWrite(p->ctx);
}

void UpdatePoll(UvEvents* p) {
  if (p->events != 0) {
    uv_poll_start(&p->handle, p->events, OnPoll);
  } else {
    uv_poll_stop(&p->handle);
  }
}

bool AttachToLoop(redisAsyncContext* ac, uv_loop_t* loop) {
  auto* p = new UvEvents{ac, {}, 0};
  if (uv_poll_init(loop, &p->handle, ac->c.fd) != 0) {
    delete p;
    return false;
  }
  p->handle.data = p;
  ac->ev.data = p;
  ac->ev.addRead = [](void* d) { auto* e = static_cast<UvEvents*>(d); e->events |= UV_READABLE; UpdatePoll(e); };
  ac->ev.delRead = [](void* d) { auto* e = static_cast<UvEvents*>(d); e->events &= ~UV_READABLE; UpdatePoll(e); };
  ac->ev.addWrite = [](void* d) { auto* e = static_cast<UvEvents*>(d); e->events |= UV_WRITABLE; UpdatePoll(e); };
  ac->ev.delWrite = [](void* d) { auto* e = static_cast<UvEvents*>(d); e->events &= ~UV_WRITABLE; UpdatePoll(e); };
  ac->ev.cleanup = [](void* d) {
    auto* e = static_cast<UvEvents*>(d);
    e->ctx = nullptr;  // the context is being freed
    uv_close(reinterpret_cast<uv_handle_t*>(&e->handle),
             [](uv_handle_t* h) { delete static_cast<UvEvents*>(h->data); });
  };
  return true;
}

void OnReply(redisAsyncContext*, void* reply, void* privdata) {
  auto* fn = static_cast<RedisConnection::ReplyFn*>(privdata);
  (*fn)(static_cast<redisReply*>(reply));
  delete fn;
}

}  // namespace

std::string ReplyString(const redisReply* r) {
  if (r == nullptr) return {};
  if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_ERROR) {
    return std::string(r->str, r->len);
  }
  if (r->type == REDIS_REPLY_INTEGER) return std::to_string(r->integer);
  return {};
}

bool ReplyIsError(const redisReply* r) { return r == nullptr || r->type == REDIS_REPLY_ERROR; }

RedisConnection::RedisConnection(uv_loop_t* loop, RedisEndpoint endpoint, std::string name)
    : loop_(loop), endpoint_(std::move(endpoint)), name_(std::move(name)), rng_(std::random_device{}()) {
  uv_timer_init(loop_, &reconnect_timer_);
  reconnect_timer_.data = this;
  uv_timer_init(loop_, &heartbeat_timer_);
  heartbeat_timer_.data = this;
}

RedisConnection::~RedisConnection() {
  if (ac_ != nullptr) {
    ac_->data = nullptr;
    redisAsyncFree(ac_);
  }
}

void RedisConnection::Start() {
  Connect();
  uv_timer_start(&heartbeat_timer_, [](uv_timer_t* t) { static_cast<RedisConnection*>(t->data)->Heartbeat(); },
                 static_cast<uint64_t>(endpoint_.heartbeat_ms), static_cast<uint64_t>(endpoint_.heartbeat_ms));
}

void RedisConnection::Heartbeat() {
  if (!ready_ || ac_ == nullptr) return;
  const uint64_t now = uv_now(loop_);
  if (ping_outstanding_) {
    if (now - ping_sent_ms_ >= static_cast<uint64_t>(endpoint_.heartbeat_timeout_ms)) {
      spdlog::warn("redis {}: no reply for {} ms; dropping the connection", name_, now - ping_sent_ms_);
      ping_outstanding_ = false;
      redisAsyncContext* ac = ac_;
      redisAsyncFree(ac);  // pending callbacks get null replies; OnDisconnected reconnects
    }
    return;
  }
  ping_outstanding_ = true;
  ping_sent_ms_ = now;
  const uint64_t gen = generation_;
  SendRaw({"PING"}, [this, gen](redisReply*) {
    if (gen == generation_) ping_outstanding_ = false;
  });
}

void RedisConnection::Connect() {
  if (closing_) return;
  ac_ = endpoint_.unix_socket.empty()
            ? redisAsyncConnect(endpoint_.host.c_str(), endpoint_.port)
            : redisAsyncConnectUnix(endpoint_.unix_socket.c_str());
  if (ac_ == nullptr || ac_->err) {
    spdlog::warn("redis {}: connect: {}", name_, ac_ ? ac_->errstr : "out of memory");
    if (ac_ != nullptr) redisAsyncFree(ac_);
    ac_ = nullptr;
    ScheduleReconnect();
    return;
  }
  ac_->data = this;
  ++generation_;
  ping_outstanding_ = false;
  if (!AttachToLoop(ac_, loop_)) {
    redisAsyncFree(ac_);
    ac_ = nullptr;
    ScheduleReconnect();
    return;
  }
  redisAsyncSetConnectCallback(ac_, [](const redisAsyncContext* c, int st) {
    if (c->data != nullptr) static_cast<RedisConnection*>(c->data)->OnConnected(st);
  });
  redisAsyncSetDisconnectCallback(ac_, [](const redisAsyncContext* c, int st) {
    if (c->data != nullptr) static_cast<RedisConnection*>(c->data)->OnDisconnected(st);
  });
}

void RedisConnection::OnConnected(int st) {
  if (st != REDIS_OK) {
    // hiredis frees the context after this callback and calls no disconnect callback.
    spdlog::warn("redis {}: connect failed: {}", name_, ac_ && ac_->errstr[0] ? ac_->errstr : "error");
    ac_ = nullptr;
    ScheduleReconnect();
    return;
  }
  auto ready = [this] {
    ready_ = true;
    backoff_ms_ = 0;
    spdlog::info("redis {}: connected", name_);
    if (on_ready_) on_ready_();
  };
  if (endpoint_.password.empty()) {
    ready();
    return;
  }
  std::vector<std::string> auth{"AUTH"};
  if (!endpoint_.user.empty()) auth.push_back(endpoint_.user);
  auth.push_back(endpoint_.password);
  SendRaw(auth, [this, ready](redisReply* r) {
    if (ReplyIsError(r)) {
      // Never log the password; the server's message names no secret.
      spdlog::error("redis {}: AUTH failed: {}", name_, r ? ReplyString(r) : "connection lost");
      if (ac_ != nullptr && r != nullptr) redisAsyncDisconnect(ac_);
      return;
    }
    ready();
  });
}

void RedisConnection::OnDisconnected(int st) {
  // hiredis frees the context after this returns.
  ac_ = nullptr;
  const bool was_ready = ready_;
  ready_ = false;
  if (closing_) {
    MaybeClosed();
    return;
  }
  spdlog::warn("redis {}: disconnected{}", name_, st == REDIS_OK ? "" : " (error)");
  if (was_ready && on_down_) on_down_();
  ++reconnects_;
  ScheduleReconnect();
}

void RedisConnection::ScheduleReconnect() {
  if (closing_) {
    MaybeClosed();
    return;
  }
  backoff_ms_ = backoff_ms_ == 0 ? endpoint_.reconnect_initial_ms
                                 : std::min(backoff_ms_ * 2, endpoint_.reconnect_max_ms);
  std::uniform_int_distribution<int64_t> jitter(backoff_ms_ / 2, backoff_ms_);
  uv_timer_start(&reconnect_timer_, [](uv_timer_t* t) { static_cast<RedisConnection*>(t->data)->Connect(); },
                 static_cast<uint64_t>(jitter(rng_)), 0);
}

bool RedisConnection::SendRaw(const std::vector<std::string>& argv, ReplyFn fn) {
  if (ac_ == nullptr) return false;
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  ptrs.reserve(argv.size());
  lens.reserve(argv.size());
  for (const std::string& a : argv) {
    ptrs.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* heap_fn = new ReplyFn(std::move(fn));
  if (redisAsyncCommandArgv(ac_, OnReply, heap_fn, static_cast<int>(argv.size()), ptrs.data(),
                            lens.data()) != REDIS_OK) {
    delete heap_fn;  // an error return means the callback is never called
    return false;
  }
  return true;
}

bool RedisConnection::Command(const std::vector<std::string>& argv, ReplyFn fn) {
  if (!ready_) return false;
  return SendRaw(argv, std::move(fn));
}

void RedisConnection::Close(bool graceful, std::function<void()> done) {
  closing_ = true;
  closed_ = std::move(done);
  uv_timer_stop(&reconnect_timer_);
  uv_timer_stop(&heartbeat_timer_);
  const bool connected = ready_;
  ready_ = false;
  if (ac_ != nullptr) {
    if (graceful && connected) {
      redisAsyncDisconnect(ac_);  // after pending replies; OnDisconnected follows
      return;
    }
    // Pending callbacks get null replies; the disconnect callback runs only if the context
    // had connected, so do not wait for it.
    redisAsyncContext* ac = ac_;
    ac_ = nullptr;
    redisAsyncFree(ac);
  }
  MaybeClosed();
}

void RedisConnection::MaybeClosed() {
  if (!closing_ || ac_ != nullptr || !timer_open_) return;
  timer_open_ = false;
  uv_close(reinterpret_cast<uv_handle_t*>(&heartbeat_timer_), nullptr);
  // Close callbacks run in order, so the reconnect timer's comes after the heartbeat's.
  uv_close(reinterpret_cast<uv_handle_t*>(&reconnect_timer_), [](uv_handle_t* h) {
    auto* self = static_cast<RedisConnection*>(h->data);
    if (self->closed_) {
      auto cb = std::move(self->closed_);
      self->closed_ = nullptr;
      cb();
    }
  });
}

}  // namespace sd::redis
