#pragma once
// Attaches a hiredis 0.14 async context to a libuv loop. Replaces hiredis' own
// adapters/libuv.h, whose poll callback drops error events: libuv reports POLLERR (a refused
// connect, a reset connection) as a negative status and stops the poll handle, and that
// adapter then returns without telling hiredis, so the connection hangs for ever. Here
// hiredis is asked to read/write, finds the socket error itself and disconnects as usual.
#include <uv.h>

struct redisAsyncContext;

namespace sd::redis {

// REDIS_OK or REDIS_ERR (the context is untouched on error). The poll handle is closed
// through hiredis' cleanup hook when the context is freed.
int AttachToLoop(redisAsyncContext* ac, uv_loop_t* loop);

}  // namespace sd::redis
