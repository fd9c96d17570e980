#include "adapters/redis/hiredis_uv.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <new>

#include "adapters/loop/uv_kit.h"

namespace sd::redis {
namespace {

// Why not simply poll for UV_WRITABLE whenever hiredis has output, as hiredis' adapter does:
// libuv's uv_poll_start takes the fd out of epoll and puts it back (EPOLL_CTL_DEL, then ADD)
// on every call, and a command batch would cost four such calls and a loop wake-up. Instead,
// output is written at the end of the loop turn that queued it (a check handle, with an idle
// handle so that turn's poll does not block first), all commands of the turn in one write;
// the socket is polled for writability only while the kernel refuses bytes, or to finish a
// connect. The poll handle is restarted only when the events it waits for change.
struct PollState {
  redisAsyncContext* context;  // null once hiredis has cleaned up (the context is gone)
  uv_poll_t handle;
  uv_check_t flush;      // writes the turn's output after the poll phase
  uv_idle_t wake;        // keeps that turn's poll from blocking while a flush is due
  int events = 0;        // UV_READABLE | UV_WRITABLE as polled for
  int applied = 0;       // what the poll handle was last started with
  bool writing = false;  // inside our own redisAsyncHandleWrite
};

void OnPoll(uv_poll_t* handle, int status, int events);

void Update(PollState* p) {
  if (p->events == p->applied) return;
  p->applied = p->events;
  if (p->events != 0) {
    uv_poll_start(&p->handle, p->events, OnPoll);
  } else {
    uv_poll_stop(&p->handle);
  }
}

void Write(PollState* p) {
  p->writing = true;
  redisAsyncHandleWrite(p->context);  // may free the context (cleanup nulls it)
  p->writing = false;
}

void OnPoll(uv_poll_t* handle, int status, int events) {
  auto* p = static_cast<PollState*>(handle->data);
  // On an error status, hand hiredis every event it waits for so it meets the error itself.
  // libuv has stopped the handle then: a later Update must start it again.
  if (status < 0) p->applied = 0;
  const int ev = status < 0 ? p->events : events;
  // Either call may free the context; cleanup then nulls p->context (p lives until closed).
  if (p->context != nullptr && (ev & UV_READABLE) != 0) redisAsyncHandleRead(p->context);
  if (p->context != nullptr && (ev & UV_WRITABLE) != 0) Write(p);
}

void OnFlush(uv_check_t* check) {
  auto* p = static_cast<PollState*>(check->data);
  uv_check_stop(&p->flush);
  uv_idle_stop(&p->wake);
  if (p->context != nullptr && (p->events & UV_WRITABLE) == 0) Write(p);
}

void AddRead(void* privdata) {
  auto* p = static_cast<PollState*>(privdata);
  p->events |= UV_READABLE;
  Update(p);
}

void DelRead(void* privdata) {
  auto* p = static_cast<PollState*>(privdata);
  p->events &= ~UV_READABLE;
  Update(p);
}

void AddWrite(void* privdata) {
  auto* p = static_cast<PollState*>(privdata);
  // Connecting, or the kernel took only part of our output: wait until the socket is writable.
  if (p->writing || (p->context->c.flags & REDIS_CONNECTED) == 0) {
    p->events |= UV_WRITABLE;
    Update(p);
    return;
  }
  if (p->events & UV_WRITABLE) return;  // a poll for writability is under way already
  uv_check_start(&p->flush, OnFlush);
  uv_idle_start(&p->wake, [](uv_idle_t*) {});
}

void DelWrite(void* privdata) {
  auto* p = static_cast<PollState*>(privdata);
  p->events &= ~UV_WRITABLE;
  Update(p);
}

void Cleanup(void* privdata) {
  auto* p = static_cast<PollState*>(privdata);
  p->context = nullptr;
  loop::CloseAll({loop::AsHandle(&p->handle), loop::AsHandle(&p->flush), loop::AsHandle(&p->wake)},
                 [p] { delete p; });
}

}  // namespace

int AttachToLoop(redisAsyncContext* ac, uv_loop_t* loop) {
  if (ac->ev.data != nullptr) return REDIS_ERR;
  auto* p = new (std::nothrow) PollState{ac, {}, {}, {}};
  if (p == nullptr) return REDIS_ERR;
  if (uv_poll_init(loop, &p->handle, ac->c.fd) != 0) {
    delete p;
    return REDIS_ERR;
  }
  uv_check_init(loop, &p->flush);
  uv_idle_init(loop, &p->wake);
  p->handle.data = p;
  p->flush.data = p;
  p->wake.data = p;
  ac->ev.addRead = AddRead;
  ac->ev.delRead = DelRead;
  ac->ev.addWrite = AddWrite;
  ac->ev.delWrite = DelWrite;
  ac->ev.cleanup = Cleanup;
  ac->ev.data = p;
  return REDIS_OK;
}

}  // namespace sd::redis
