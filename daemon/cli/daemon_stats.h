#pragma once
// The stats hashes running daemons publish (<prefix>stats:<consumer>, daemon/lib/stats_report.h):
// read by `smsdispatch stats` and `smsdispatch carriers list`.
#include <map>
#include <string>

#include "daemon/cli/redis_client.h"

namespace sd::cli {

// Consumer -> field -> value, sorted for people. False (with `error`) when SCAN fails; a hash
// that expires between SCAN and HGETALL is left out.
using DaemonStats = std::map<std::string, std::map<std::string, std::string>>;
bool ReadDaemonStats(RedisClient& redis, const std::string& key_prefix, DaemonStats* out,
                     std::string* error);

// A reply's string (or status) bytes; "" for anything else.
std::string ReplyText(const redisReply* r);

}  // namespace sd::cli
