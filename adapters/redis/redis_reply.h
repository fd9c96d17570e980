#pragma once
// Reading hiredis replies: strings, errors, and job-stream entries. Pure functions over a
// parsed reply, so they are easy to test and never touch the connection.
#include <string>
#include <string_view>

#include "core/job.h"

struct redisReply;

namespace sd::redis {

// The bytes of a string/status/error reply, the decimal form of an integer, else empty.
std::string ReplyString(const redisReply* r);
// Null (connection lost) counts as an error: the command's effect is unknown.
bool ReplyIsError(const redisReply* r);
// True for an error reply whose code (first word) is `code`, e.g. "NOSCRIPT", "BUSYGROUP".
bool ReplyErrorIs(const redisReply* r, std::string_view code);
// True for an error reply saying the connection's user may not run this (NOPERM, or in a
// script Redis 7.0's "ERR The user executing the script can't ...") or is not authenticated
// (NOAUTH, WRONGPASS): a deployment problem that docs/redis.md (ACL) explains.
// A lost connection (null) or any other error is not.
bool ReplyIsAclError(const redisReply* r);

// A deep copy of `r` (null for null) in hiredis' own layout, malloc'd as hiredis 0.14 does,
// to be freed with freeReplyObject: for a reply read after its callback returned (hiredis frees
// the original then, and the arena's replies must never be kept).
redisReply* CopyReply(const redisReply* r);

enum class EntryParse : uint8_t {
  kOk,       // `entry` filled (fields_ok says whether the fields were exactly v, kid, job, sig)
  kDeleted,  // the id is in the pending list but the entry is gone from the stream (XDEL/trim)
  kInvalid,  // not shaped like [id, [field, value, ...]]: a protocol surprise, not producer data
};

// Parses one stream entry as XREADGROUP / XAUTOCLAIM return it. Any missing, repeated or
// unknown field sets fields_ok = false: the dispatcher then rejects the entry as malformed
// with an outcome, so nothing a producer writes is ever dropped here.
EntryParse ParseStreamEntry(const redisReply* r, StreamEntry* entry);

}  // namespace sd::redis
