#pragma once
// The delay queue's member format. A deferred job is one member of a sorted set (score = due
// time, Unix ms): the entry's four fields and its original entry id, each as
// "<decimal length>:<bytes>", so any byte survives. The original id makes the member unique
// (two identical jobs deferred to the same time stay two members) and tells where a job
// came from. The move_due script (lua_scripts.cc) decodes it in Lua; these are the C++ side
// and its tests. RedisJobStore::Defer and MoveDue live in delay_queue.cc.
#include <optional>
#include <string>
#include <string_view>

#include "core/job.h"

namespace sd::redis {

std::string EncodeDelayedMember(const StreamEntry& entry);
// The fields and the original entry id (in entry_id); nullopt when `member` is not exactly
// five length-prefixed parts.
std::optional<StreamEntry> DecodeDelayedMember(std::string_view member);

}  // namespace sd::redis
