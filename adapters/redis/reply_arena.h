#pragma once
// Replies read into one arena per reply instead of one malloc per object. hiredis 0.14 builds
// every reply object, string and element vector with malloc and frees them one by one; a
// batch of 500 stream entries is ~6,000 objects, and the daemon's profile had ~18,000
// instructions per job in building and freeing them (bench/README.md). These functions give
// hiredis's reader the same redisReply layout, so every consumer reads replies as before, but
// allocate it by bumping a pointer in blocks chained to the reply's root, and free the whole
// tree at once when hiredis frees the root (it frees only roots: after the callback, on a
// protocol error, or with the reader). Blocks are kept for reuse per thread, a few at most.
//
// Only for replies hiredis frees itself (an async context's): a root must never go to
// freeReplyObject, nor a sub-reply be freed or kept alone.
#include <hiredis/read.h>

#include <cstddef>

struct redisAsyncContext;

namespace sd::redis {

// The object functions for a reader (redisReader::fn); one static table.
redisReplyObjectFunctions* ArenaReplyFunctions();
// Installs them on `ac`'s reader. Call before its first reply is read.
void UseArenaReplies(redisAsyncContext* ac);

// Blocks held for reuse by the calling thread (tests: the cache stays bounded).
size_t ArenaCachedBlocks();

}  // namespace sd::redis
