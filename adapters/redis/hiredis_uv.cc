#include "adapters/redis/hiredis_uv.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <new>

namespace sd::redis {
namespace {

struct PollState {
  redisAsyncContext* context;  // null once hiredis has cleaned up (the context is gone)
  uv_poll_t handle;
  int events = 0;  // UV_READABLE | UV_WRITABLE as hiredis asked for them
};

void OnPoll(uv_poll_t* handle, int status, int events) {
  auto* p = static_cast<PollState*>(handle->data);
  // On an error status, hand hiredis every event it waits for so it meets the error itself.
  const int ev = status < 0 ? p->events : events;
  // Either call may free the context; cleanup then nulls p->context (p lives until closed).
  if (p->context != nullptr && (ev & UV_READABLE) != 0) redisAsyncHandleRead(p->context);
  if (p->context != nullptr && (ev & UV_WRITABLE) != 0) redisAsyncHandleWrite(p->context);
}

void Update(PollState* p) {
  if (p->events != 0) {
    uv_poll_start(&p->handle, p->events, OnPoll);
  } else {
    uv_poll_stop(&p->handle);
  }
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
  p->events |= UV_WRITABLE;
  Update(p);
}

void DelWrite(void* privdata) {
  auto* p = static_cast<PollState*>(privdata);
  p->events &= ~UV_WRITABLE;
  Update(p);
}

void Cleanup(void* privdata) {
  auto* p = static_cast<PollState*>(privdata);
  p->context = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&p->handle),
           [](uv_handle_t* h) { delete static_cast<PollState*>(h->data); });
}

}  // namespace

int AttachToLoop(redisAsyncContext* ac, uv_loop_t* loop) {
  if (ac->ev.data != nullptr) return REDIS_ERR;
  auto* p = new (std::nothrow) PollState{ac, {}, 0};
  if (p == nullptr) return REDIS_ERR;
  if (uv_poll_init(loop, &p->handle, ac->c.fd) != 0) {
    delete p;
    return REDIS_ERR;
  }
  p->handle.data = p;
  ac->ev.addRead = AddRead;
  ac->ev.delRead = DelRead;
  ac->ev.addWrite = AddWrite;
  ac->ev.delWrite = DelWrite;
  ac->ev.cleanup = Cleanup;
  ac->ev.data = p;
  return REDIS_OK;
}

}  // namespace sd::redis
